#include "jk_uchroot/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_uchroot {

const char* usage_text() {
    return "Usage: jk_uchroot -j JAIL -x EXECUTABLE [--] [ARGUMENT]...\n"
           "Run EXECUTABLE (a path inside JAIL) as yourself inside the chroot jail\n"
           "JAIL, if " JK_SYSCONFDIR
           "/jk_uchroot.ini lists JAIL in allowed_jails for\n"
           "you (see jk_uchroot(1)). Put \"--\" before arguments starting with '-'.\n"
           "\n"
           "  -j, --jail=JAIL              the jail directory\n"
           "  -x, --executable=EXECUTABLE  the program to run, inside the jail\n"
           "  -h, --help                   show this help and exit\n"
           "      --version                show the version and exit\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256 };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"executable", required_argument, nullptr, 'x'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    bool jail_given = false;
    bool exec_given = false;
    o.args = jk::cli::parse(argv, "j:x:h", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_nonempty_once(o.jail, jail_given, arg, "-j/--jail", "a directory"); break;
            case 'x':
                jk::cli::assign_nonempty_once(o.executable, exec_given, arg, "-x/--executable", "a program");
                break;
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (o.help || o.version) return o;
    if (!jail_given) throw jk::UsageError("no jail given: use -j JAIL");
    if (!exec_given) throw jk::UsageError("no executable given: use -x EXECUTABLE");
    return o;
}

}  // namespace jk_uchroot
