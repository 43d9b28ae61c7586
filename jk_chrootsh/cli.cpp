#include "jk_chrootsh/cli.hpp"

#include "jk/cli.hpp"

namespace jk_chrootsh {

const char* usage_text() {
    return "Usage: jk_chrootsh [ARGUMENT]...\n"
           "Login shell for users jailed in a chroot: set it as the user's shell in\n"
           "/etc/passwd, with a home directory of the form JAIL/./HOME. jk_chrootsh\n"
           "checks the jail and the home, enters the jail, becomes the user and runs\n"
           "the user's shell from JAIL/etc/passwd with the same arguments\n"
           "(e.g. -c COMMAND from sshd).\n"
           "\n"
           "Settings: " JK_SYSCONFDIR
           "/jk_chrootsh.ini (see jk_chrootsh(8)).\n"
           "\n"
           "      --help      show this help and exit (only as the sole argument)\n"
           "      --version   show the version and exit (only as the sole argument)\n";
}

Action parse_action(const std::vector<std::string>& argv) {
    switch (jk::cli::lone_option(argv)) {
        case jk::cli::LoneOption::help: return Action::help;
        case jk::cli::LoneOption::version: return Action::version;
        case jk::cli::LoneOption::none: break;
    }
    return Action::login;
}

}  // namespace jk_chrootsh
