#include "jk_cp/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_cp {

const char* usage_text() {
    return "Usage: jk_cp [OPTION]... -j JAIL FILE...\n"
           "  or:  jk_cp [OPTION]... JAIL FILE...\n"
           "Copy FILEs (with every symlink on the way, their parent directories and the\n"
           "libraries they need) into the chroot jail JAIL, at the same path.\n"
           "\n"
           "  -j, --jail=JAIL   the jail directory (else the first non-option argument)\n"
           "  -v, --verbose     also report what is skipped and every directory made\n"
           "  -f, --force       replace files that already exist in the jail\n"
           "  -k, --hardlink    hardlink instead of copying where possible (never for\n"
           "                    setuid/setgid files, which are copied)\n"
           "  -o, --owner       keep the owner and group of the files (else root:root)\n"
           "  -s, --setuid      keep setuid/setgid bits and file capabilities (implies -o)\n"
           "      --dry-run     change nothing; report what would be done\n"
           "      --json        print what was (or would be) created, updated and left\n"
           "                    alone as JSON (jk_json(5)) instead of jailkit's lines\n"
           "  -h, -?, --help    show this help and exit\n"
           "      --version     show the version and exit\n"
           "\n"
           "Relative FILE names without a slash are looked up in $PATH.\n"
           "Exit status: 0 ok, 1 bad option, 2 no jail or no file, 3 jail is not a\n"
           "directory, 4 a file does not exist, 5 not run as root, 6 jail is unsafe.\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_dry_run, opt_json };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"verbose", no_argument, nullptr, 'v'},
        {"force", no_argument, nullptr, 'f'},
        {"hardlink", no_argument, nullptr, 'k'},
        {"owner", no_argument, nullptr, 'o'},
        {"setuid", no_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {"dry-run", no_argument, nullptr, opt_dry_run},
        {"json", no_argument, nullptr, opt_json},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    bool jail_given = false;
    std::vector<std::string> positional = jk::cli::parse(argv, "j:vfkosh?", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_once(o.jail, jail_given, arg, "-j/--jail"); break;
            case 'v': o.verbose = true; break;
            case 'f': o.force = true; break;
            case 'k': o.hardlink = true; break;
            case 'o': o.keep_owner = true; break;
            case 's': o.keep_setuid = true; break;
            case 'h':
            case '?': o.help = true; break;
            case opt_version: o.version = true; break;
            case opt_dry_run: o.dry_run = true; break;
            case opt_json: o.json = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (o.help || o.version) return o;
    if (!jail_given && !positional.empty()) {
        o.jail = positional.front();
        positional.erase(positional.begin());
    }
    o.files = std::move(positional);
    if (o.jail.empty()) throw jk::UsageError("no jail directory given", 2);
    if (o.files.empty()) throw jk::UsageError("no files to copy given", 2);
    if (o.keep_setuid) o.keep_owner = true;
    return o;
}

}  // namespace jk_cp
