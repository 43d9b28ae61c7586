// The per-jail isolation policy (isolation.hpp). The input is
// "JAIL\0TEXT": the jail's path is escaped (the escape must be a file name
// systemd would make, and must give the path back), and TEXT is parsed as
// that jail's jails.d file. A parsed policy must hold every invariant the
// jail-entry path relies on, and parse the same way twice.
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "jk/isolation.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace iso = jk::isolation;
using jk_fuzz::check;
using jk_fuzz::tolerate;

bool alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// systemd-escape --unescape --path, for the round trip.
std::string unescape(std::string_view e) {
    if (e == "-") return "/";
    std::string out = "/";
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] == '-') {
            out += '/';
        } else if (e[i] == '\\') {
            check(i + 3 < e.size() && e[i + 1] == 'x');
            const int hi = hex_digit(e[i + 2]);
            const int lo = hex_digit(e[i + 3]);
            check(hi >= 0 && lo >= 0);
            out += static_cast<char>(hi * 16 + lo);
            i += 3;
        } else {
            out += e[i];
        }
    }
    return out;
}

void escaped(const std::string& jail) {
    const std::string e = iso::escape_jail_path(jail);
    check(!e.empty());
    for (std::size_t i = 0; i < e.size(); ++i) {
        const char c = e[i];
        check(alnum(c) || c == ':' || c == '_' || c == '-' || c == '\\' || (c == '.' && i != 0));
    }
    check(unescape(e) == jail);
    const std::string hostname = iso::default_hostname(jail);
    check(iso::is_valid_hostname(hostname));
    tolerate([&] { check(iso::is_valid_slice_name(iso::default_slice(jail))); });
}

void policy(const std::string& jail, std::string_view text) {
    const iso::Policy p = iso::parse_policy(text, "fuzz.ini", jail);
    // Deterministic: the same text gives the same policy.
    check(iso::parse_policy(text, "fuzz.ini", jail) == p);

    // A hostname exactly with a UTS namespace, and always a valid one.
    check(p.hostname.has_value() == p.ns.uts);
    if (p.hostname) check(iso::is_valid_hostname(*p.hostname));
    // A namespace name exactly for a named network, and a valid one.
    check((p.network == iso::Network::named) == !p.netns.empty());
    if (!p.netns.empty()) check(iso::is_valid_netns_name(p.netns));
    check(!p.seccomp_allow_ptrace || p.seccomp);
    // A pid namespace only with a mount namespace (unshare_namespaces
    // refuses one without).
    check(!p.ns.pid || p.ns.mount);

    // Limits: one per resource, in table order, soft not above hard.
    std::size_t last = 0;
    for (std::size_t i = 0; i < p.limits.size(); ++i) {
        const auto& r = p.limits[i];
        check(r.soft <= r.hard);
        const auto it = std::find_if(std::begin(iso::rlimit_names), std::end(iso::rlimit_names),
                                     [&](const iso::RlimitName& l) { return l.resource == r.resource; });
        check(it != std::end(iso::rlimit_names));
        const auto rank = static_cast<std::size_t>(it - std::begin(iso::rlimit_names));
        check(i == 0 || rank > last);
        last = rank;
        if (r.resource == RLIMIT_NOFILE) check(r.hard != RLIM_INFINITY);
    }

    // Cgroup values within what the kernel takes, and a slice to put them on.
    const auto& c = p.cgroup;
    if (c.memory_max) check(*c.memory_max >= (1u << 20));
    if (c.pids_max) check(*c.pids_max >= 1 && (*c.pids_max <= 4194304 || *c.pids_max == iso::cgroup_max));
    if (c.cpu_max) {
        check(c.cpu_max->period_us >= 1000 && c.cpu_max->period_us <= 1000000);
        check(c.cpu_max->quota_us >= 1000);
    }
    if (c.cpu_weight) check(*c.cpu_weight >= 1 && *c.cpu_weight <= 10000);
    if (c.io_weight) check(*c.io_weight >= 1 && *c.io_weight <= 10000);
    if (c.any()) check(!p.slice.empty());
    if (!p.slice.empty()) check(iso::is_valid_slice_name(p.slice));

    // describe: one line of printable text, "none" exactly when empty.
    const std::string d = iso::describe(p);
    check(!d.empty() && (d == "none") == p.empty());
    check(std::all_of(d.begin(), d.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; }));
}
}  // namespace

JK_FUZZ_TARGET({
    std::string_view in = input;
    const std::string jail(jk_fuzz::next_part(in));
    tolerate([&] { escaped(jail); });
    policy(jail, in);
})
