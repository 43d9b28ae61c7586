// jk_exec's command line, parsed without side effects so it can be tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jk_exec {

struct Options {
    std::optional<std::string> user;       // -u/--user NAME|UID, from the jail's passwd
    std::optional<std::string> host_user;  // -U/--host-user NAME|UID, from the host's
    std::string jail;                      // the first operand
    std::vector<std::string> command;      // COMMAND [ARG...]: every word after JAIL, untouched
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). Options come before JAIL: the
// first operand ends them, so everything after JAIL is the command's own
// ("jk_exec /j ls -l" passes -l to ls); "--" ends them too. Throws
// jk::UsageError (exit 1) for an unknown option, a missing or empty
// argument, an option given twice with different values, -u together with
// -U, a missing or empty JAIL or COMMAND. With --help or --version nothing
// else is required.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_exec
