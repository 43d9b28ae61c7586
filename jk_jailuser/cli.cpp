#include "jk_jailuser/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_jailuser {

const char* usage_text() {
    return "Usage: jk_jailuser [-v] [-n] [-m] [-s SHELL] -j JAIL USER...\n"
           "Move existing users into a jail: add them to JAIL/etc/passwd and\n"
           "JAIL/etc/group, set their home on the host to JAIL/./HOME and their\n"
           "login shell to jk_chrootsh, and (with -m) move their home directory\n"
           "into the jail.\n"
           "\n"
           "  -j, --jail=JAIL        the jail directory (absolute)\n"
           "  -s, --shell=SHELL      the shell inside the jail (default " JK_SBINDIR
           "/jk_lsh)\n"
           "      --chrootsh=PATH    the login shell set on the host\n"
           "                         (default " JK_SBINDIR
           "/jk_chrootsh)\n"
           "  -m, --move             move the home directory into the jail\n"
           "      --nomove           accepted for compatibility, does nothing\n"
           "      --dry-run          change nothing, ask nothing; report what would be\n"
           "                         done (a home moves only with -m)\n"
           "      --json             print what was (or would be) created, updated,\n"
           "                         removed and left alone as JSON (jk_json(5))\n"
           "  -n, --noninteractive   never ask: no home is moved without -m, and\n"
           "                         a bad jail ends the run with exit status 33\n"
           "  -v, --verbose          say more\n"
           "  -h, -?, --help         show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 done (also for users that do not exist), 1 bad usage,\n"
           "not root, or a user refused or partly failed, 2 no user name given or\n"
           "the jail's passwd/group could not be read or written, 33 bad jail.\n";
}

namespace {

void absolute_path(std::string& value, bool& given, const char* arg, const char* option) {
    if (*arg != '/')
        throw jk::UsageError(std::string("option '") + option + "' needs an absolute path, got " + jk::quoted(arg));
    jk::cli::assign_once(value, given, arg, option);
}

}  // namespace

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_nomove, opt_chrootsh, opt_dry_run, opt_json };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"shell", required_argument, nullptr, 's'},
        {"chrootsh", required_argument, nullptr, opt_chrootsh},
        {"move", no_argument, nullptr, 'm'},
        {"nomove", no_argument, nullptr, opt_nomove},
        {"dry-run", no_argument, nullptr, opt_dry_run},
        {"json", no_argument, nullptr, opt_json},
        {"noninteractive", no_argument, nullptr, 'n'},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    std::vector<std::string> positional = jk::cli::parse(argv, "j:s:mnvh?", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_nonempty_once(o.jail, o.jail_given, arg, "-j/--jail", "a directory"); break;
            case 's': absolute_path(o.shell, o.shell_given, arg, "-s/--shell"); break;
            case opt_chrootsh: absolute_path(o.chrootsh, o.chrootsh_given, arg, "--chrootsh"); break;
            case 'm': o.move = true; break;
            case opt_nomove: break;  // jailkit accepted it and did nothing
            case opt_dry_run: o.dry_run = true; break;
            case opt_json: o.json = true; break;
            case 'n': o.noninteractive = true; break;
            case 'v': o.verbose = true; break;
            case 'h':
            case '?': o.help = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (o.help || o.version) return o;
    for (const auto& p : positional)
        if (p.empty()) throw jk::UsageError("an empty user name was given");
    if (positional.empty()) throw jk::UsageError("no user name given", 2);
    o.users = std::move(positional);
    return o;
}

}  // namespace jk_jailuser
