// jk_init's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_init {

struct Options {
    std::string jail;                   // from -j/--jail or the first positional
    std::vector<std::string> sections;  // as given
    std::string config_file;            // -c/--configfile (default: jk::init::default_config)
    bool verbose = false;
    bool force = false;
    bool hardlink = false;
    bool strict = false;
    bool thin = false;        // --thin
    std::string policy_file;  // --policy=FILE
    bool dry_run = false;     // --dry-run: decide everything, change nothing
    bool json = false;        // --json: the report of jk_json(5) on stdout
    bool remove = false;      // --remove: delete the jail and its policy
    bool list = false;
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). Options may come anywhere
// (jailkit stopped at the first positional, COMPAT.md W14); "--" ends them.
// --jail=J and --jail J both work. Throws jk::UsageError (exit 1) for an
// unknown option, a missing argument, or -j/-c given twice with different
// values; jk::UsageError with exit code 2 when the jail or the sections are
// missing (not for -l, -h, --version); --remove takes the jail alone (a
// section with it is a usage error).
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_init
