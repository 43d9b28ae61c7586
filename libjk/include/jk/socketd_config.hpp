// jk_socketd's configuration (COMPAT.md 2.6): jk_socketd.ini names one log
// socket per section, with a rate limit each. Pure: text in, socket list and
// warnings out, so the clamping is unit-tested and fuzzed on its own.
//
// Clamping, as jailkit 2.23 does it (values outside the range are replaced,
// never refused, so a jk_init-written file always works):
//   base      bytes per interval allowed steadily; outside [10, 1e6] -> 511
//   peak      bytes per interval allowed for one round; falls back to the
//             old spelling "peek"; outside [100, 1e7] or below base -> 2048
//   interval  seconds; outside [0.01, 60] -> 5.0
// A value that is not a number counts as outside the range (with a warning).
// Ours: no cap on the number of sockets (jailkit stopped at 128); section
// names must be absolute paths without "." or ".." components.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"

namespace jk::socketd {

inline constexpr long long base_min = 10, base_max = 1000000, base_default = 511;
inline constexpr long long peak_min = 100, peak_max = 10000000, peak_default = 2048;
inline constexpr double interval_min = 0.01, interval_max = 60.0, interval_default = 5.0;
// The command line's (--socket) defaults, as jailkit's.
inline constexpr double cli_interval_default = 10.0;

struct SocketSpec {
    std::string path;  // absolute, normalised ("//" and trailing "/" removed)
    long long base = base_default;
    long long peak = peak_default;
    double interval = interval_default;  // seconds
    bool operator==(const SocketSpec&) const = default;
};

// The raw values as written (nullopt: key absent or not a number).
struct RawLimits {
    std::optional<double> base, peak, peek, interval;
};

// jailkit's clamping of one socket's limits (see the header comment).
SocketSpec clamp(std::string path, const RawLimits& raw);

// A number as jailkit's sscanf read it, strictly: optional blanks, a decimal
// number (integer or floating point), optional blanks; nullopt otherwise.
std::optional<double> parse_number(std::string_view text);

// Normalises a socket path: must be absolute, not "/", no "." or ".."
// component, no NUL; repeated and trailing slashes are dropped. nullopt
// (and a reason in *why) when it is not acceptable.
std::optional<std::string> normalize_socket_path(std::string_view path, std::string* why = nullptr);

// Every section of the ini is a socket (DEFAULT included: it is not an
// absolute path, so it is skipped with a warning). Duplicate paths (also
// after normalisation): the first wins, warning. Unknown keys, unusable
// values and skipped sections add warnings "file:line: ...".
std::vector<SocketSpec> sockets_from_ini(const config::IniFile& ini, std::vector<std::string>& warnings);

}  // namespace jk::socketd
