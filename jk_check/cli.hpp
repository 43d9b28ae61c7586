// jk_check's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_check {

inline constexpr const char* default_configfile = JK_SYSCONFDIR "/jk_check.ini";

struct Options {
    std::string configfile = default_configfile;
    bool configfile_given = false;  // -c: a missing file is then an error
    bool verbose = false;
    bool json = false;
    bool help = false;
    bool version = false;
    bool lint = false;  // --lint[=DIR]: report configuration traps instead of checking jails
    std::string lint_dir = JK_SYSCONFDIR;
    std::vector<std::string> jails;  // positional: checked instead of the ini's sections
};

// Parses argv (argv[0] is the program name). Options may come anywhere;
// "--" ends them. Throws jk::UsageError (exit 1) for an unknown option, a
// missing or empty argument, or -c given twice with different values.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_check
