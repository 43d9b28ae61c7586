#include "jk_trace/cli.hpp"

#include <cerrno>
#include <cstdlib>

#include "jk/cli.hpp"
#include "jk/error.hpp"
#include "jk/trace_rules.hpp"

namespace jk_trace {

const char* usage_text() {
    return "Usage: jk_trace -j JAIL [OPTION]... -- PROGRAM [ARGUMENT]...\n"
           "Run PROGRAM in the chroot jail JAIL as an unprivileged user under ptrace,\n"
           "copy in from the host what it looked for and did not find, and run it\n"
           "again until a round adds nothing. Run by root.\n"
           "\n"
           "  -j, --jail=JAIL              the jail (absolute, canonical)\n"
           "  -u, --user=USER|UID          run PROGRAM as this host user (default nobody;\n"
           "                               never uid 0)\n"
           "      --host                   trace the first round on the host and take what\n"
           "                               PROGRAM opened there\n"
           "      --test=CMD               with PROGRAM up, run CMD in the jail as USER,\n"
           "                               traced (words split at blanks); repeatable\n"
           "      --test-outside=CMD       with PROGRAM up, run CMD on the host with /bin/sh\n"
           "                               as USER, not traced; repeatable\n"
           "      --wait=SECONDS           how long PROGRAM runs before the tests (default 2)\n"
           "      --rounds=N               at most N rounds (default 10)\n"
           "      --timeout=SECONDS        a round's time limit (default 30)\n"
           "      --max-procs=N            at most N live processes and threads (default 256)\n"
           "      --deny=PATH              never copy PATH or what is beneath it; repeatable\n"
           "      --write-section=NAME[:FILE]\n"
           "                               print a jk_init.ini section NAME for what was\n"
           "                               found, or put it in FILE (replacing NAME there)\n"
           "  -n, --dry-run                one round; say what would be copied, copy nothing\n"
           "  -v, --verbose                say what was skipped and why, and every copy\n"
           "  -h, --help                   show this help and exit\n"
           "      --version                show the version and exit\n"
           "\n"
           "Exit status: 0 the last round added nothing, 1 usage, 2 not root, 3 bad or\n"
           "unsafe jail, 4 not converged within N rounds (or a dry run found something),\n"
           "5 PROGRAM never started, 6 bad user, 7 a copy or FILE failed (jk_trace(8)).\n";
}

namespace {

double seconds(const char* arg, const char* option) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !(v >= 0.1 && v <= 86400))
        throw jk::UsageError(std::string("option '") + option + "' needs a number of seconds from 0.1 to 86400");
    return v;
}

unsigned number(const char* arg, const char* option, unsigned low, unsigned high) {
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < low || v > high)
        throw jk::UsageError(std::string("option '") + option + "' needs a number from " + std::to_string(low) +
                             " to " + std::to_string(high));
    return static_cast<unsigned>(v);
}

}  // namespace

Options parse_args(const std::vector<std::string>& argv) {
    enum {
        opt_version = 256,
        opt_host,
        opt_test,
        opt_test_outside,
        opt_wait,
        opt_rounds,
        opt_timeout,
        opt_max_procs,
        opt_deny,
        opt_section,
    };
    static const option long_options[] = {
        {"jail", required_argument, nullptr, 'j'},
        {"user", required_argument, nullptr, 'u'},
        {"host", no_argument, nullptr, opt_host},
        {"test", required_argument, nullptr, opt_test},
        {"test-outside", required_argument, nullptr, opt_test_outside},
        {"wait", required_argument, nullptr, opt_wait},
        {"rounds", required_argument, nullptr, opt_rounds},
        {"timeout", required_argument, nullptr, opt_timeout},
        {"max-procs", required_argument, nullptr, opt_max_procs},
        {"deny", required_argument, nullptr, opt_deny},
        {"write-section", required_argument, nullptr, opt_section},
        {"dry-run", no_argument, nullptr, 'n'},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };
    Options o;
    jk::trace::Options& t = o.trace;
    bool jail_given = false;
    std::optional<std::string> section;
    // '+': the first operand is PROGRAM; its own options pass untouched.
    std::vector<std::string> operands = jk::cli::parse(argv, "+j:u:nvh", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'j': jk::cli::assign_nonempty_once(t.jail, jail_given, arg, "-j/--jail", "a directory"); break;
            case 'u': jk::cli::assign_nonempty_once(t.user, arg, "-u/--user", "a user name or ID"); break;
            case opt_host: t.host = true; break;
            case opt_test:
                if (!*arg) throw jk::UsageError("option '--test' needs a command");
                t.tests.emplace_back(arg);
                break;
            case opt_test_outside:
                if (!*arg) throw jk::UsageError("option '--test-outside' needs a command");
                t.tests_outside.emplace_back(arg);
                break;
            case opt_wait: t.wait = seconds(arg, "--wait"); break;
            case opt_timeout: t.timeout = seconds(arg, "--timeout"); break;
            case opt_rounds: t.rounds = number(arg, "--rounds", 1, 100); break;
            case opt_max_procs: t.max_procs = number(arg, "--max-procs", 2, 100000); break;
            case opt_deny:
                if (arg[0] != '/') throw jk::UsageError("option '--deny' needs an absolute path");
                t.deny.emplace_back(arg);
                break;
            case opt_section: jk::cli::assign_nonempty_once(section, arg, "--write-section", "a section name"); break;
            case 'n': t.dry_run = true; break;
            case 'v': t.verbose = true; break;
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (o.help || o.version) return o;
    if (!jail_given) throw jk::UsageError("no jail given (-j JAIL)");
    if (operands.empty()) throw jk::UsageError("no program given (-- PROGRAM [ARGS])");
    if (operands[0].empty()) throw jk::UsageError("the program is an empty word");
    if (section) {
        const std::size_t colon = section->find(':');
        o.section = section->substr(0, colon);
        if (colon != std::string::npos) {
            o.section_file = section->substr(colon + 1);
            if (o.section_file->empty() || o.section_file->front() != '/')
                throw jk::UsageError("the FILE of '--write-section NAME:FILE' must be an absolute path");
        }
        if (!jk::trace::valid_section_name(*o.section))
            throw jk::UsageError("the section name " + jk::quoted(*o.section) +
                                 " is not one jk_init reads (letters, digits, '-', '_', '.', '+')");
    }
    t.command = std::move(operands);
    return o;
}

}  // namespace jk_trace
