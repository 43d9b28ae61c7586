#include "jk_socketd/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"
#include "jk/socketd_config.hpp"

namespace jk_socketd {

const char* usage_text() {
    return "Usage: jk_socketd [OPTION]...\n"
           "Create a syslog socket inside each jail and relay what jailed programs log\n"
           "there to the host's syslog, with a rate limit per socket.\n"
           "\n"
           "The sockets are the sections of " JK_SYSCONFDIR
           "/jk_socketd.ini; SIGHUP\n"
           "re-reads it, SIGTERM removes the sockets and stops.\n"
           "\n"
           "  -n, --nodetach        stay in the foreground, diagnostics to stderr\n"
           "  -p, --pidfile=FILE    write the daemon's pid to FILE\n"
           "      --socket=PATH     serve only this socket, do not read the ini\n"
           "      --base=N          with --socket: bytes per interval (default 511)\n"
           "      --peak=N, --peek=N  with --socket: bytes in a peak round (default 2048)\n"
           "      --interval=SEC    with --socket: the interval in seconds (default 10)\n"
           "      --target=PATH     the host syslog socket (default /dev/log)\n"
           "      --user=NAME       relay as NAME (default jk_socketd if it exists,\n"
           "                        else nobody)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n"
           "\n"
           "Exit status: 0 stopped by SIGTERM/SIGINT; 1 bad usage, no sockets, no\n"
           "syslog socket, not root or the relay could not drop its privileges;\n"
           "11 the ini cannot be read or is not trusted; 53 " JK_SYSCONFDIR " is unsafe.\n";
}

namespace {
double number(const char* arg, const char* option) {
    auto v = jk::socketd::parse_number(arg);
    if (!v) throw jk::UsageError(std::string("option '") + option + "' needs a number, not " + jk::quoted(arg));
    return *v;
}
std::string absolute(const char* arg, const char* option) {
    std::string s(arg);
    if (s.empty() || s[0] != '/')
        throw jk::UsageError(std::string("option '") + option + "' needs an absolute path, not " + jk::quoted(s));
    return s;
}
}  // namespace

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256, opt_socket, opt_base, opt_peak, opt_interval, opt_target, opt_user };
    static const option long_options[] = {
        {"nodetach", no_argument, nullptr, 'n'},
        {"pidfile", required_argument, nullptr, 'p'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {"socket", required_argument, nullptr, opt_socket},
        {"base", required_argument, nullptr, opt_base},
        {"peak", required_argument, nullptr, opt_peak},
        {"peek", required_argument, nullptr, opt_peak},
        {"interval", required_argument, nullptr, opt_interval},
        {"target", required_argument, nullptr, opt_target},
        {"user", required_argument, nullptr, opt_user},
        {nullptr, 0, nullptr, 0},
    };
    Options o;
    bool pid_given = false, socket_given = false, target_given = false, user_given = false;
    std::string target;
    std::vector<std::string> operands = jk::cli::parse(argv, "np:h", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'n': o.nodetach = true; break;
            case 'p': jk::cli::assign_nonempty_once(o.pidfile, pid_given, arg, "-p/--pidfile", "a file name"); break;
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            case opt_socket:
                jk::cli::assign_once(o.socket, socket_given, absolute(arg, "--socket").c_str(), "--socket");
                break;
            case opt_base: o.base = number(arg, "--base"); break;
            case opt_peak: o.peak = number(arg, "--peak"); break;
            case opt_interval: o.interval = number(arg, "--interval"); break;
            case opt_target:
                jk::cli::assign_once(target, target_given, absolute(arg, "--target").c_str(), "--target");
                break;
            case opt_user: jk::cli::assign_nonempty_once(o.user, user_given, arg, "--user", "a user name"); break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (!operands.empty()) throw jk::UsageError("unexpected argument " + jk::quoted(operands.front()));
    if (target_given) o.target = target;
    if (o.socket.empty() && (o.base || o.peak || o.interval))
        throw jk::UsageError("--base, --peak and --interval apply to --socket only (the ini sets them per socket)");
    return o;
}

}  // namespace jk_socketd
