// jk_socketd's command line, parsed without side effects so it can be tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jk_socketd {

inline constexpr const char* default_configfile = JK_SYSCONFDIR "/jk_socketd.ini";
inline constexpr const char* default_target = "/dev/log";

struct Options {
    bool nodetach = false;  // -n: foreground, diagnostics to stderr
    std::string pidfile;    // -p: empty when not given
    bool help = false;
    bool version = false;
    std::string socket;                   // --socket: serve this one socket, no ini
    std::optional<double> base;           // --base (with --socket)
    std::optional<double> peak;           // --peak / --peek (with --socket)
    std::optional<double> interval;       // --interval (with --socket)
    std::string target = default_target;  // --target: the host syslog socket
    std::string user;                     // --user: empty = jk_socketd if it exists, else nobody
};

// Parses argv (argv[0] is the program name). Throws jk::UsageError (exit 1)
// for an unknown option, a missing or malformed argument, an operand,
// a relative path, or --base/--peak/--interval without --socket.
Options parse_args(const std::vector<std::string>& argv);

const char* usage_text();

}  // namespace jk_socketd
