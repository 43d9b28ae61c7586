// jk_update's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_update {

inline constexpr const char* default_configfile = JK_SYSCONFDIR "/jk_update.ini";

// jailkit 2.23's exit codes (COMPAT.md 2.11) and ours after them.
enum Exit {
    ok = 0,
    usage = 1,        // getopt error, neither -j nor -c, section missing
    errors = 2,       // scan or removal errors (jailkit exited 0: W13)
    pending = 3,      // --dry-run found changes to make
    refused = 4,      // more removals than --max-remove: nothing changed
    unsafe_jail = 6,  // the jail fails the safety rule (as jk_cp)
    jail_and_section = 21,
};

struct Options {
    std::string jail;                             // -j/--jail (trailing slashes dropped)
    std::string section;                          // -c/--configsection: the jail named by a section
    std::string configfile = default_configfile;  // --config=FILE
    bool verbose = false;
    bool dry_run = false;
    bool json = false;  // --json: the report of jk_json(5) on stdout
    bool hardlink = false;
    bool help = false;
    bool version = false;
    unsigned long max_remove = 100;
    std::vector<std::string> skips;        // -s/--skip, as given
    std::vector<std::string> directories;  // positional
};

// Parses argv (argv[0] is the program name). Options may come anywhere;
// "--" ends them. Throws jk::UsageError: exit 1 for an unknown option, a
// missing or empty argument, -j or -c given twice with different values, a
// bad --max-remove, or neither -j nor -c; exit 21 for both -j and -c.
// With --help or --version the jail checks are not made.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_update
