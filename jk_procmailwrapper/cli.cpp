#include "jk_procmailwrapper/cli.hpp"

#include "jk/cli.hpp"

namespace jk_procmailwrapper {

const char* usage_text() {
    return "Usage: jk_procmailwrapper [PROCMAIL-ARGUMENT]...\n"
           "Run procmail for the calling user: inside the user's jail when the home\n"
           "directory in /etc/passwd has the form JAIL/./HOME, else the host's procmail.\n"
           "Either way procmail runs as the user, with the same arguments and an\n"
           "environment built from scratch. Configure the MTA to run it instead of\n"
           "procmail (e.g. Postfix: mailbox_command = /usr/bin/jk_procmailwrapper).\n"
           "\n"
           "Settings: " JK_SYSCONFDIR
           "/jk_procmailwrapper.ini (see jk_procmailwrapper(8)).\n"
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
    return Action::deliver;
}

}  // namespace jk_procmailwrapper
