// jk_chrootlaunch's command line, parsed without side effects so it can be
// tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jk_chrootlaunch {

struct Options {
    std::string jail;                    // -j/--jail ("" when missing: exit 21 later, as jailkit)
    std::optional<std::string> user;     // -u/--user NAME|UID
    std::optional<std::string> group;    // -g/--group NAME|GID
    std::optional<std::string> pidfile;  // -p/--pidfile
    std::string executable;              // -x/--exec ("" when missing: exit 23 later)
    std::vector<std::string> args;       // operands: the program's arguments
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). Options may come anywhere; "--"
// ends them. Throws jk::UsageError (exit 1) for an unknown option, a missing
// or empty argument, or an option given twice with different values. A
// missing -j or -x is not a usage error here: jailkit exits 21 and 23 for
// them, which the launch sequence does.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_chrootlaunch
