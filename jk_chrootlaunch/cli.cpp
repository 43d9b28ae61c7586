#include "jk_chrootlaunch/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_chrootlaunch {

const char* usage_text() {
    return "Usage: jk_chrootlaunch -j JAIL [-u USER|UID] [-g GROUP|GID] [-p PIDFILE]\n"
           "                       -x EXECUTABLE [--] [ARGUMENT]...\n"
           "Start a program (typically a daemon) inside the chroot jail JAIL as USER,\n"
           "with USER's groups, a clean environment and a session of its own. Run by\n"
           "root. EXECUTABLE is JAIL/path, or a path inside the jail.\n"
           "\n"
           "  -j, --jail=JAIL        the jail directory (absolute)\n"
           "  -u, --user=USER|UID    run as this user (default: root, see jk_chrootlaunch(8))\n"
           "  -g, --group=GROUP|GID  run with this group (default: the user's primary group)\n"
           "  -p, --pidfile=FILE     write the program's pid to FILE (on the host)\n"
           "  -x, --exec=EXECUTABLE  the program to start\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Errors are also logged to syslog (facility daemon).\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256 };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},      {"user", required_argument, nullptr, 'u'},
        {"group", required_argument, nullptr, 'g'},     {"pidfile", required_argument, nullptr, 'p'},
        {"exec", required_argument, nullptr, 'x'},      {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version}, {nullptr, 0, nullptr, 0},
    };

    Options o;
    bool jail_given = false, exec_given = false;
    o.args = jk::cli::parse(argv, "j:u:g:p:x:h", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_nonempty_once(o.jail, jail_given, arg, "-j/--jail", "a directory"); break;
            case 'x': jk::cli::assign_nonempty_once(o.executable, exec_given, arg, "-x/--exec", "a program"); break;
            case 'u': jk::cli::assign_nonempty_once(o.user, arg, "-u/--user", "a user name"); break;
            case 'g': jk::cli::assign_nonempty_once(o.group, arg, "-g/--group", "a group name"); break;
            case 'p': jk::cli::assign_nonempty_once(o.pidfile, arg, "-p/--pidfile", "a file name"); break;
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    return o;
}

}  // namespace jk_chrootlaunch
