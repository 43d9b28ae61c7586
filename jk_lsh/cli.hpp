// jk_lsh's command line, parsed without side effects so it can be tested.
//
// jk_lsh is a login shell: sshd runs it as `jk_lsh -c "<command>"` (via
// jk_chrootsh). Like jailkit 2.23 it only looks at the last two arguments:
// argv[argc-2] must be "-c"; whatever comes before ("--login", "-l") is
// ignored. Anything else is an interactive session, which it refuses.
#pragma once

#include <string>
#include <vector>

namespace jk_lsh {

inline constexpr const char* config_path = JK_SYSCONFDIR "/jk_lsh.ini";

struct Options {
    enum class Mode { command, interactive, help, version };
    Mode mode = Mode::interactive;
    std::string command;  // Mode::command: the string after "-c"
};

// Never throws: every argv is one of the four modes. --help and --version
// count only as the sole argument (a login shell must not be talked into
// something else by its arguments).
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_lsh
