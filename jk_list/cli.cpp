#include "jk_list/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_list {

const char* usage_text() {
    return "Usage: jk_list [OPTION]...\n"
           "List the processes that run in a chroot jail (whose root directory is not\n"
           "the host's /): pid, user, jail and command, sorted by jail and pid.\n"
           "\n"
           "  -j, --jail=JAIL  only processes in JAIL (may be repeated)\n"
           "  -s, --summary    one line per jail with its number of processes\n"
           "  -w, --wide       never cut a line to the terminal width\n"
           "  -v, --verbose    also report processes that could not be read\n"
           "      --json       print one JSON document\n"
           "  -h, --help       show this help and exit\n"
           "      --version    show the version and exit\n"
           "\n"
           "Exit status: 0 listed (also when no process is jailed), 1 bad usage,\n"
           "2 /proc cannot be read.\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_json };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"summary", no_argument, nullptr, 's'},
        {"wide", no_argument, nullptr, 'w'},
        {"verbose", no_argument, nullptr, 'v'},
        {"json", no_argument, nullptr, opt_json},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    std::vector<std::string> positional = jk::cli::parse(argv, "j:swvh", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': {
                std::string j = arg;
                if (j.empty() || j.front() == '-') throw jk::UsageError("option '-j/--jail' needs a jail directory");
                if (j.front() != '/') throw jk::UsageError("the jail " + jk::quoted(j) + " is not an absolute path");
                o.jails.push_back(j);
                break;
            }
            case 's': o.summary = true; break;
            case 'w': o.wide = true; break;
            case 'v': o.verbose = true; break;
            case 'h': o.help = true; break;
            case opt_json: o.json = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (!positional.empty()) throw jk::UsageError("unexpected argument " + jk::quoted(positional.front()));
    return o;
}

}  // namespace jk_list
