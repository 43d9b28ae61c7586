#include "jk_check/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_check {

const char* usage_text() {
    return "Usage: jk_check [OPTION]... [JAIL]...\n"
           "Check chroot jails for problems: unsafe jail directories, directories\n"
           "writable by group or others, setuid/setgid files, files that differ from\n"
           "the host's, programs whose libraries are missing in the jail, and\n"
           "/etc/passwd entries that do not match the host's.\n"
           "\n"
           "Without JAIL, every section of the configuration file is a jail, and so\n"
           "is the jail part of every home directory in /etc/passwd holding '/./'.\n"
           "\n"
           "  -c, --configfile=FILE  read FILE (default " JK_SYSCONFDIR
           "/jk_check.ini)\n"
           "  -v, --verbose          also say what is skipped\n"
           "      --json             print one JSON document instead of lines\n"
           "      --lint[=DIR]       report configuration traps in the ini files of DIR\n"
           "                         (default " JK_SYSCONFDIR
           ") instead of checking jails\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 nothing found, 1 bad usage or configuration, 2 problems\n"
           "were found (with --lint: configuration traps).\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_json, opt_lint };
    static const option long_options[] = {
        {"configfile", required_argument, nullptr, 'c'},
        {"verbose", no_argument, nullptr, 'v'},
        {"json", no_argument, nullptr, opt_json},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {"lint", optional_argument, nullptr, opt_lint},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    std::vector<std::string> positional = jk::cli::parse(argv, "c:vh", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'c':
                jk::cli::assign_nonempty_once(o.configfile, o.configfile_given, arg, "-c/--configfile", "a file name");
                break;
            case 'v': o.verbose = true; break;
            case 'h': o.help = true; break;
            case opt_json: o.json = true; break;
            case opt_version: o.version = true; break;
            case opt_lint:
                if (arg != nullptr && *arg == '\0') throw jk::UsageError("option '--lint' needs a directory name");
                o.lint = true;
                if (arg != nullptr) o.lint_dir = arg;
                break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    for (const auto& p : positional)
        if (p.empty()) throw jk::UsageError("an empty jail path was given");
    if (o.lint && !positional.empty()) throw jk::UsageError("--lint checks configuration, not jails: give no JAIL");
    o.jails = std::move(positional);
    return o;
}

}  // namespace jk_check
