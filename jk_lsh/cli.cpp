#include "jk_lsh/cli.hpp"

namespace jk_lsh {

const char* usage_text() {
    return "Usage: jk_lsh [IGNORED]... -c COMMAND\n"
           "       jk_lsh --help | --version\n"
           "A limited shell for jailed accounts: runs COMMAND only when its program\n"
           "is listed in " JK_SYSCONFDIR
           "/jk_lsh.ini for the user (section user,\n"
           "then 'group <primary group>', then DEFAULT) and its arguments pass the\n"
           "program's argument rules. No shell is ever started.\n"
           "\n"
           "Exit status: the command's own, or 1 configuration missing or unsafe,\n"
           "2 unknown user, 3 unknown group or no section, 4 not allowed,\n"
           "5 no 'executables', 6 malformed command line, 7 interactive session,\n"
           "126 the program could not be executed, 127 it does not exist.\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    Options o;
    if (argv.size() == 2 && argv[1] == "--help") {
        o.mode = Options::Mode::help;
    } else if (argv.size() == 2 && argv[1] == "--version") {
        o.mode = Options::Mode::version;
    } else if (argv.size() >= 3 && argv[argv.size() - 2] == "-c") {
        o.mode = Options::Mode::command;
        o.command = argv.back();
    }
    return o;
}

}  // namespace jk_lsh
