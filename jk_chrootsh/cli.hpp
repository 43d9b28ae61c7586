// jk_chrootsh's command line. As a login shell it takes no options of its
// own: every argument (sshd's "-c", "command") goes to the shell in the
// jail. Only a lone --help or --version is answered.
#pragma once

#include <string>
#include <vector>

namespace jk_chrootsh {

enum class Action { login, help, version };

// argv[0] is the program name.
Action parse_action(const std::vector<std::string>& argv);

const char* usage_text();

}  // namespace jk_chrootsh
