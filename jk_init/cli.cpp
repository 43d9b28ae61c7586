#include "jk_init/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"

namespace jk_init {

const char* usage_text() {
    return "Usage: jk_init [OPTION]... -j JAIL SECTION...\n"
           "  or:  jk_init [OPTION]... JAIL SECTION...\n"
           "  or:  jk_init [-c FILE] -l\n"
           "  or:  jk_init --remove [--dry-run] [--json] -j JAIL\n"
           "Create or complete the chroot jail JAIL with what the SECTIONs of the\n"
           "configuration file list (programs, libraries, devices, users, groups).\n"
           "\n"
           "  -j, --jail=JAIL        the jail directory (else the first non-option\n"
           "                         argument); created 0755 root:root if missing\n"
           "  -c, --configfile=FILE  the sections file (default " JK_SYSCONFDIR
           "/jk_init.ini)\n"
           "  -l, --list             list the sections of the file and exit\n"
           "  -v, --verbose          also report what is skipped or missing\n"
           "  -f, --force            replace files that already exist in the jail\n"
           "  -k, --hardlink         hardlink instead of copying where possible\n"
           "      --strict           a missing section, file, user or group is an error\n"
           "                         (nothing is changed)\n"
           "      --thin             make JAIL a thin jail: only /etc files, users,\n"
           "                         devices and empty dirs are put in it; the host's\n"
           "                         /usr, /lib... and /etc/ld.so.cache are bound\n"
           "                         read-only at every entry (" JK_SYSCONFDIR
           "/jails.d);\n"
           "                         without it, a thin jail is made a copy jail again\n"
           "      --policy=FILE      the jail's isolation policy is to hold FILE's\n"
           "                         sections (jk_jail.ini(5); not [thin], which\n"
           "                         --thin writes); a FILE without sections removes it\n"
           "      --remove           delete JAIL, everything in it and its policy\n"
           "                         file; refused while a process runs in it, a\n"
           "                         user's home is in it or something is mounted\n"
           "                         in it\n"
           "      --dry-run          change nothing; report what would be done\n"
           "      --json             print what was (or would be) created, updated,\n"
           "                         removed and left alone as JSON (jk_json(5))\n"
           "                         instead of jailkit's lines\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 ok (missing sections are warnings), 1 bad option or error,\n"
           "2 no jail or no section, 3 unsafe jail or missing config file, 4 refused\n"
           "by --strict, 5 not run as root.\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_strict, opt_thin, opt_dry_run, opt_json, opt_policy, opt_remove };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"configfile", required_argument, nullptr, 'c'},
        {"list", no_argument, nullptr, 'l'},
        {"verbose", no_argument, nullptr, 'v'},
        {"force", no_argument, nullptr, 'f'},
        {"hardlink", no_argument, nullptr, 'k'},
        {"strict", no_argument, nullptr, opt_strict},
        {"thin", no_argument, nullptr, opt_thin},
        {"dry-run", no_argument, nullptr, opt_dry_run},
        {"json", no_argument, nullptr, opt_json},
        {"policy", required_argument, nullptr, opt_policy},
        {"remove", no_argument, nullptr, opt_remove},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    bool jail_given = false, config_given = false;
    std::vector<std::string> positional = jk::cli::parse(argv, "j:c:lvfkh", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_once(o.jail, jail_given, arg, "-j/--jail"); break;
            case 'c': jk::cli::assign_once(o.config_file, config_given, arg, "-c/--configfile"); break;
            case 'l': o.list = true; break;
            case 'v': o.verbose = true; break;
            case 'f': o.force = true; break;
            case 'k': o.hardlink = true; break;
            case 'h': o.help = true; break;
            case opt_strict: o.strict = true; break;
            case opt_thin: o.thin = true; break;
            case opt_dry_run: o.dry_run = true; break;
            case opt_json: o.json = true; break;
            case opt_policy:
                if (*arg == '\0') throw jk::UsageError("option '--policy' needs a file name");
                o.policy_file = arg;
                break;
            case opt_remove: o.remove = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (!config_given) o.config_file = jk::init::default_config;
    if (o.config_file.empty()) throw jk::UsageError("option '-c/--configfile' needs a file name");
    if (o.help || o.version || o.list) return o;
    if (!jail_given && !positional.empty()) {
        o.jail = positional.front();
        positional.erase(positional.begin());
    }
    o.sections = std::move(positional);
    if (o.remove) {
        if (o.jail.empty()) throw jk::UsageError("--remove needs the jail: no jail given", 2);
        if (!o.sections.empty()) throw jk::UsageError("--remove takes no section: " + o.sections.front());
        if (o.thin || !o.policy_file.empty() || o.force || o.hardlink)
            throw jk::UsageError("--remove goes with --dry-run, --json and -v only");
        return o;
    }
    if (o.jail.empty())
        throw jk::UsageError("need at least a jail directory and a configfile-section: no jail given", 2);
    if (o.sections.empty())
        throw jk::UsageError("need at least a jail directory and a configfile-section: no section given", 2);
    return o;
}

}  // namespace jk_init
