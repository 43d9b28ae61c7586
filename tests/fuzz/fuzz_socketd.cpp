// jk_socketd's pure parts. The first byte picks what the rest is:
//   0: jk_socketd.ini text -> socket list (clamping, paths, duplicates),
//      and the text as one socket path and one number;
//   1: a rate limiter fed with (size, time step) records;
//   2: a control packet (decode, then encode must give the packet back).
// Each checks the invariants the daemon relies on.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include "jk/config.hpp"
#include "jk/socketd_config.hpp"
#include "jk/socketd_relay.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace sd = jk::socketd;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void ini(std::string_view text) {
    // The pieces sockets_from_ini is built from, on the raw bytes too.
    if (const auto p = sd::normalize_socket_path(text)) {
        check(!p->empty() && (*p)[0] == '/' && p->find("//") == std::string::npos);
        check(sd::normalize_socket_path(*p) == *p);
    }
    if (const auto n = sd::parse_number(text)) check(std::isfinite(*n));
    const auto file = jk::config::IniFile::parse(text, "jk_socketd.ini");
    std::vector<std::string> warnings;
    const auto specs = sd::sockets_from_ini(file, warnings);
    std::set<std::string> seen;
    for (const auto& s : specs) {
        check(!s.path.empty() && s.path[0] == '/' && s.path.back() != '/');
        check(s.path.find("//") == std::string::npos);
        check(s.path.find('\0') == std::string::npos);
        check(seen.insert(s.path).second);
        check(s.base >= sd::base_min && s.base <= sd::base_max);
        check(s.peak >= s.base && s.peak <= sd::peak_max);
        check(s.interval >= sd::interval_min && s.interval <= sd::interval_max);
    }
    check(specs.size() <= file.sections().size());
}

template <typename T>
T take(std::string_view& in) {
    T v{};
    const std::size_t n = std::min(sizeof(T), in.size());
    std::memcpy(&v, in.data(), n);
    in.remove_prefix(n);
    return v;
}

void limiter(std::string_view in) {
    const auto base = take<std::int32_t>(in);
    const auto peak = take<std::int32_t>(in);
    const auto interval = take<double>(in);
    sd::RateLimiter r(base, peak, interval);
    check(r.base() >= 1 && r.peak() >= r.base() && r.interval_ns() >= 1);
    std::int64_t now = 0;
    while (!in.empty()) {
        const auto size = take<std::uint32_t>(in) & 0xfffff;
        const auto step = take<std::uint32_t>(in);
        now += step;
        const auto v = r.on_datagram(size, now);
        if (v.pause_until_ns != 0) {
            // A pause ends in the future and within one interval.
            check(v.pause_until_ns > now - r.interval_ns());
            check(v.pause_until_ns <= now + r.interval_ns());
            now = std::max(now, v.pause_until_ns);
        }
        if (v.over_peak) check(v.pause_until_ns != 0);
    }
}

void packet(std::string_view in) {
    const auto m = sd::decode(in);
    if (!m) return;
    check(sd::encode(*m) == in);
}
}  // namespace

JK_FUZZ_TARGET({
    if (input.empty()) return 0;
    const auto mode = static_cast<unsigned char>(input[0]) % 3;
    const std::string_view rest = input.substr(1);
    if (mode == 0)
        ini(rest);
    else if (mode == 1)
        limiter(rest);
    else
        packet(rest);
})
