#include "jk_update/cli.hpp"

#include <cerrno>
#include <cstdlib>

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_update {

const char* usage_text() {
    return "Usage: jk_update -j JAIL [OPTION]... [DIRECTORY]...\n"
           "   or: jk_update -c SECTION [OPTION]... [DIRECTORY]...\n"
           "Bring the files copied into a chroot jail up to date with the host: files\n"
           "that changed on the host are replaced (atomically, never unlinked first),\n"
           "and files the suite installed whose host original is gone are removed.\n"
           "Files the suite did not install (see JAIL/etc/jailkit/jk_manifest) are\n"
           "never removed. DIRECTORY (default /bin/ /lib/ /usr/ /opt/) limits the scan.\n"
           "\n"
           "  -j, --jail=JAIL            the jail to update\n"
           "  -c, --configsection=JAIL   take skips, directories and hardlinks from the\n"
           "                             section [JAIL] of jk_update.ini\n"
           "      --config=FILE          read FILE instead of " JK_SYSCONFDIR
           "/jk_update.ini\n"
           "  -s, --skip=PATH            leave PATH (jail or host spelling) alone; repeatable\n"
           "  -k, --hardlink             hardlink instead of copying where safe\n"
           "  -d, --dry-run              only print what would be done\n"
           "      --max-remove=N         refuse to run when more than N files would be\n"
           "                             removed (default 100)\n"
           "      --json                 print what was (or would be) updated, removed\n"
           "                             and left alone as JSON (jk_json(5)) instead\n"
           "                             of the lines above\n"
           "  -v, --verbose              also say what is scanned and kept\n"
           "  -h, --help                 show this help and exit\n"
           "      --version              show the version and exit\n"
           "\n"
           "Exit status: 0 done (or nothing to do), 1 bad usage or configuration,\n"
           "2 errors while scanning or removing, 3 dry run with changes pending,\n"
           "4 refused by --max-remove, 6 unsafe jail, 21 both -j and -c given.\n";
}

namespace {

unsigned long parse_count(const char* arg) {
    const std::string s = arg;
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        throw jk::UsageError("option '--max-remove' needs a number, got " + jk::quoted(s));
    errno = 0;
    char* end = nullptr;
    unsigned long v = std::strtoul(s.c_str(), &end, 10);
    if (errno == ERANGE || *end != '\0')
        throw jk::UsageError("option '--max-remove': " + jk::quoted(s) + " is too large");
    return v;
}

std::string strip_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_config, opt_max_remove, opt_json };
    static const option long_options[] = {
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {"verbose", no_argument, nullptr, 'v'},
        {"configsection", required_argument, nullptr, 'c'},
        {"config", required_argument, nullptr, opt_config},
        {"jail", required_argument, nullptr, 'j'},
        {"dry-run", no_argument, nullptr, 'd'},
        {"skip", required_argument, nullptr, 's'},
        {"hardlink", no_argument, nullptr, 'k'},
        {"max-remove", required_argument, nullptr, opt_max_remove},
        {"json", no_argument, nullptr, opt_json},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    bool config_given = false;
    std::vector<std::string> positional = jk::cli::parse(argv, "hvc:j:ds:k", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            case 'v': o.verbose = true; break;
            case 'd': o.dry_run = true; break;
            case 'k': o.hardlink = true; break;
            case 'c':
                if (*arg == '\0') throw jk::UsageError("option '-c/--configsection' needs a section name");
                if (!o.section.empty() && o.section != arg)
                    throw jk::UsageError("option '-c/--configsection' given twice");
                o.section = arg;
                break;
            case 'j': {
                if (*arg == '\0') throw jk::UsageError("option '-j/--jail' needs a jail directory");
                std::string j = strip_slashes(arg);
                if (!o.jail.empty() && o.jail != j) throw jk::UsageError("option '-j/--jail' given twice");
                o.jail = j;
                break;
            }
            case 's':
                if (*arg == '\0') throw jk::UsageError("option '-s/--skip' needs a path");
                o.skips.emplace_back(arg);
                break;
            case opt_config:
                if (*arg == '\0') throw jk::UsageError("option '--config' needs a file name");
                jk::cli::assign_once(o.configfile, config_given, arg, "--config");
                break;
            case opt_max_remove: o.max_remove = parse_count(arg); break;
            case opt_json: o.json = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    for (const auto& p : positional)
        if (p.empty()) throw jk::UsageError("an empty directory was given");
    o.directories = std::move(positional);
    if (o.help || o.version) return o;
    if (!o.jail.empty() && !o.section.empty())
        throw jk::UsageError("cannot specify both a jail and a configsection", jail_and_section);
    if (o.jail.empty() && o.section.empty())
        throw jk::UsageError(
            "must at least specify a jail or a configsection using -j or --jail or -c or --configsection");
    return o;
}

}  // namespace jk_update
