#include "jk_cp/cli.hpp"

#include <getopt.h>

#include <string_view>

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
           "  -h, -?, --help    show this help and exit\n"
           "      --version     show the version and exit\n"
           "\n"
           "Relative FILE names without a slash are looked up in $PATH.\n"
           "Exit status: 0 ok, 1 bad option, 2 no jail or no file, 3 jail is not a\n"
           "directory, 4 a file does not exist, 5 not run as root, 6 jail is unsafe.\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256 };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},   {"verbose", no_argument, nullptr, 'v'},
        {"force", no_argument, nullptr, 'f'},        {"hardlink", no_argument, nullptr, 'k'},
        {"owner", no_argument, nullptr, 'o'},        {"setuid", no_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},         {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    std::vector<std::string> storage(argv.begin(), argv.end());
    if (storage.empty()) storage.emplace_back("jk_cp");
    std::vector<char*> args;
    for (auto& s : storage) args.push_back(s.data());
    args.push_back(nullptr);
    const int argc = static_cast<int>(storage.size());

    Options o;
    bool jail_given = false;
    // optind = 0 resets getopt's internal state, so repeated calls (tests)
    // start clean; opterr = 0 keeps getopt quiet so run_main reports.
    optind = 0;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, args.data(), ":j:vfkosh?", long_options, nullptr);
        if (c == -1) break;
        switch (c) {
        case 'j':
            if (jail_given && o.jail != optarg) throw jk::UsageError("option '-j/--jail' given twice");
            o.jail = optarg;
            jail_given = true;
            break;
        case 'v': o.verbose = true; break;
        case 'f': o.force = true; break;
        case 'k': o.hardlink = true; break;
        case 'o': o.keep_owner = true; break;
        case 's': o.keep_setuid = true; break;
        case 'h': o.help = true; break;
        case '?':
            // "-?" is a valid spelling of --help; getopt cannot tell it from
            // an error, so look at the word itself.
            if (optopt == '?' || std::string_view(args[optind - 1]) == "-?") {
                o.help = true;
                break;
            }
            if (optopt == 0) throw jk::UsageError("unrecognized option " + jk::quoted(args[optind - 1]));
            throw jk::UsageError("invalid option -- " + jk::quoted(std::string(1, static_cast<char>(optopt))));
        case ':':
            throw jk::UsageError("option " + jk::quoted(args[optind - 1]) + " requires an argument");
        case opt_version: o.version = true; break;
        default: throw jk::UsageError("unexpected option");
        }
    }
    if (o.help || o.version) return o;
    // getopt permuted `args` (not `storage`): the operands now sit at its end.
    std::vector<std::string> positional(args.begin() + optind, args.begin() + argc);
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
