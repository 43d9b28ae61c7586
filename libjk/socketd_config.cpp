// jk_socketd.ini -> socket list, with jailkit's clamping (socketd_config.hpp).
#include "jk/socketd_config.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

#include "jk/error.hpp"
#include "jk/path.hpp"

namespace jk::socketd {

namespace {
bool in_range(const std::optional<double>& v, double lo, double hi) {
    return v && *v >= lo && *v <= hi;
}

std::string where(const config::Section& s, int line) {
    return s.file() + ":" + std::to_string(line) + ": ";
}
}  // namespace

std::optional<double> parse_number(std::string_view text) {
    std::size_t b = 0, e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
    if (b == e) return std::nullopt;
    // Decimal only: strtod would also take hex, "inf" and "nan".
    bool digit = false, dot = false;
    for (std::size_t i = b; i < e; ++i) {
        char c = text[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c == '.' && !dot)
            dot = true;
        else if ((c == '-' || c == '+') && i == b)
            continue;
        else
            return std::nullopt;
    }
    if (!digit) return std::nullopt;
    std::string s(text.substr(b, e - b));
    double v = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(v)) return std::nullopt;
    return v;
}

SocketSpec clamp(std::string path, const RawLimits& raw) {
    SocketSpec s;
    s.path = std::move(path);
    // Integers as jailkit's "%d": a fraction is cut off before the range check.
    s.base = in_range(raw.base, base_min, base_max) ? static_cast<long long>(*raw.base) : base_default;
    auto peak_ok = [&](const std::optional<double>& v) {
        return in_range(v, peak_min, peak_max) && static_cast<long long>(*v) >= s.base;
    };
    if (peak_ok(raw.peak))
        s.peak = static_cast<long long>(*raw.peak);
    else if (peak_ok(raw.peek))
        s.peak = static_cast<long long>(*raw.peek);
    else
        s.peak = peak_default;
    // 2048 may itself be below a large base: the limiter treats peak < base as
    // peak == base (never more permissive than base).
    if (s.peak < s.base) s.peak = s.base;
    s.interval = in_range(raw.interval, interval_min, interval_max) ? *raw.interval : interval_default;
    return s;
}

std::optional<std::string> normalize_socket_path(std::string_view p, std::string* why) {
    auto no = [&](const char* reason) -> std::optional<std::string> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (p.empty() || p[0] != '/') return no("is not an absolute path");
    if (p.find('\0') != std::string_view::npos) return no("holds a NUL byte");
    std::string out;
    for (const auto& c : path::components(p)) {
        if (c == "." || c == "..") return no("holds a '.' or '..' component");
        out += "/" + c;
    }
    if (out.empty()) return no("names no file");
    return out;
}

std::vector<SocketSpec> sockets_from_ini(const config::IniFile& ini, std::vector<std::string>& warnings) {
    std::vector<SocketSpec> out;
    std::set<std::string> seen;
    for (const auto& sec : ini.sections()) {
        std::string why;
        auto path = normalize_socket_path(sec.name(), &why);
        if (!path) {
            warnings.push_back(where(sec, sec.line()) + "section [" + sec.name() + "] " + why + ", ignoring");
            continue;
        }
        if (!seen.insert(*path).second) {
            warnings.push_back(where(sec, sec.line()) + "socket " + *path + " is configured twice, ignoring");
            continue;
        }
        for (auto& w : config::unknown_keys(sec, {"base", "peak", "peek", "interval"}))
            warnings.push_back(std::move(w));
        auto number = [&](std::string_view key) -> std::optional<double> {
            const config::Entry* e = sec.find(key);
            if (!e) return std::nullopt;
            auto v = parse_number(e->value);
            if (!v) warnings.push_back(where(sec, e->line) + "'" + e->raw_key + "' is not a number, using the default");
            return v;
        };
        RawLimits raw{number("base"), number("peak"), number("peek"), number("interval")};
        SocketSpec s = clamp(*path, raw);
        auto note = [&](std::string_view key, bool given, bool kept, const std::string& now) {
            const config::Entry* e = sec.find(key);
            if (e && given && !kept)
                warnings.push_back(where(sec, e->line) + "'" + e->raw_key + "' = " + e->value +
                                   " is out of range, using " + now);
        };
        // Compared as doubles: a value beyond long long's range (peak=1e57)
        // must not be converted (undefined behaviour); trunc keeps the
        // integer comparison clamp() made.
        note("base", raw.base.has_value(), raw.base && std::trunc(*raw.base) == static_cast<double>(s.base),
             std::to_string(s.base));
        note("peak", raw.peak.has_value(), raw.peak && std::trunc(*raw.peak) == static_cast<double>(s.peak),
             std::to_string(s.peak));
        note("interval", raw.interval.has_value(), raw.interval && *raw.interval == s.interval,
             std::to_string(s.interval));
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace jk::socketd
