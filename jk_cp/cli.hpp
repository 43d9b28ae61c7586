// jk_cp's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_cp {

struct Options {
    std::string jail;                // from -j/--jail or the first positional
    std::vector<std::string> files;  // as given
    bool verbose = false;
    bool force = false;
    bool hardlink = false;
    bool keep_owner = false;
    bool keep_setuid = false;
    bool dry_run = false;  // --dry-run: decide everything, change nothing
    bool json = false;     // --json: the report of jk_json(5) on stdout instead of jailkit's lines
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). Options may come anywhere;
// "--" ends them. Throws jk::UsageError (exit 1) for an unknown option, a
// missing argument, or -j given twice with different values; throws
// jk::UsageError with exit code 2 when the jail or the files are missing
// (jailkit's "need at least a jail and a file").
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_cp
