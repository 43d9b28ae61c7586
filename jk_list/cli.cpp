#include "jk_list/cli.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>

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
           "      --kill       send a signal to every process in the -j jails\n"
           "      --signal=SIGNAL  with --kill, the signal to send (TERM by default);\n"
           "                   with --kill, -s SIGNAL is the same\n"
           "  -h, --help       show this help and exit\n"
           "      --version    show the version and exit\n"
           "\n"
           "Exit status: 0 listed (also when no process is jailed), or every process\n"
           "found signalled; 1 bad usage; 2 /proc cannot be read; 3 a process could not\n"
           "be signalled or outlived SIGKILL.\n";
}

std::optional<int> parse_signal(const std::string& s) {
    if (s.empty()) return std::nullopt;
    if (s.find_first_not_of("0123456789") == std::string::npos) {
        if (s.size() > 2) return std::nullopt;
        const int n = std::stoi(s);
        if (n >= 1 && n < NSIG) return n;
        return std::nullopt;
    }
    std::string name;
    for (char c : s) name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    for (int sig = 1; sig < SIGRTMIN; ++sig)
        if (const char* abbrev = ::sigabbrev_np(sig); abbrev != nullptr && name == abbrev) return sig;
    return std::nullopt;
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_json, opt_kill };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"summary", no_argument, nullptr, 's'},
        {"wide", no_argument, nullptr, 'w'},
        {"verbose", no_argument, nullptr, 'v'},
        {"json", no_argument, nullptr, opt_json},
        {"kill", no_argument, nullptr, opt_kill},
        {"signal", required_argument, nullptr, 'S'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    // pkill's -s SIGNAL with --kill; jk_list's own -s (summary) otherwise.
    const bool kill_mode = std::find(argv.begin() + (argv.empty() ? 0 : 1), argv.end(), "--kill") != argv.end();
    std::vector<std::string> positional =
        jk::cli::parse(argv, kill_mode ? "j:s:wvh" : "j:swvh", long_options, [&](int c, const char* arg) {
            switch (c) {
                case 'j': {
                    std::string j = arg;
                    if (j.empty() || j.front() == '-')
                        throw jk::UsageError("option '-j/--jail' needs a jail directory");
                    if (j.front() != '/')
                        throw jk::UsageError("the jail " + jk::quoted(j) + " is not an absolute path");
                    o.jails.push_back(j);
                    break;
                }
                case 's':
                case 'S':
                    if (!kill_mode) {
                        if (c == 'S') throw jk::UsageError("--signal goes with --kill");
                        o.summary = true;
                        break;
                    }
                    if (std::optional<int> sig = parse_signal(arg)) {
                        o.signal = *sig;
                        break;
                    }
                    throw jk::UsageError("unknown signal " + jk::quoted(arg));
                case 'w': o.wide = true; break;
                case 'v': o.verbose = true; break;
                case 'h': o.help = true; break;
                case opt_json: o.json = true; break;
                case opt_kill: o.kill = true; break;
                case opt_version: o.version = true; break;
                default: throw jk::UsageError("unexpected option");
            }
        });
    if (!positional.empty()) throw jk::UsageError("unexpected argument " + jk::quoted(positional.front()));
    if (o.kill && o.jails.empty()) throw jk::UsageError("--kill needs the jail: -j JAIL");
    return o;
}

}  // namespace jk_list
