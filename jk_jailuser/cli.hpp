// jk_jailuser's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_jailuser {

inline constexpr const char* default_shell = JK_SBINDIR "/jk_lsh";
inline constexpr const char* default_chrootsh = JK_SBINDIR "/jk_chrootsh";

struct Options {
    std::string jail;  // -j; empty: not given (asked for, or exit 33 with -n)
    bool jail_given = false;
    std::string shell = default_shell;  // -s: the shell inside the jail
    bool shell_given = false;
    std::string chrootsh = default_chrootsh;  // --chrootsh: the login shell on the host
    bool chrootsh_given = false;
    bool verbose = false;
    bool noninteractive = false;
    bool move = false;
    bool dry_run = false;  // --dry-run: decide everything, change nothing, ask nothing
    bool json = false;     // --json: the report of jk_json(5) on stdout
    bool help = false;
    bool version = false;
    std::vector<std::string> users;
};

// Parses argv (argv[0] is the program name). Options may come anywhere;
// "--" ends them. Throws jk::UsageError: exit 1 for an unknown option, a
// missing or empty argument, a relative shell, an option repeated with
// another value; exit 2 (as jailkit) when no user name is given.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_jailuser
