#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <functional>
#include <iterator>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/path.hpp"
#include "jk/trust.hpp"

namespace jk::isolation {

namespace {

// A policy file is a few lines; a megabyte is already absurd.
constexpr std::size_t max_policy_size = std::size_t{1} << 20;
// systemd's UNIT_NAME_MAX less the NUL.
constexpr std::size_t max_unit_name = 255;
// HOST_NAME_MAX on Linux.
constexpr std::size_t max_hostname = 64;
constexpr std::size_t max_netns_name = 64;
constexpr std::uint64_t min_memory_max = std::uint64_t{1} << 20;
// What the kernel accepts for cpu.max (kernel/sched/core.c: at least 1 ms,
// a period of at most 1 s, a quota of at most max_cfs_runtime).
constexpr std::uint64_t min_cpu_us = 1000;
constexpr std::uint64_t max_cpu_period_us = 1000000;
constexpr std::uint64_t max_cpu_quota_us = (std::uint64_t{1} << 44) - 1;
constexpr std::uint64_t max_pids = 4194304;  // PID_MAX_LIMIT
constexpr unsigned max_weight = 10000;

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Digits only (no sign, no blanks), without overflow.
std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    std::uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// A number of bytes, or one with a K, M, G or T suffix (powers of 1024).
std::optional<std::uint64_t> parse_size(std::string_view s) {
    int shift = 0;
    if (!s.empty()) {
        switch (lower(s.back())) {
            case 'k': shift = 10; break;
            case 'm': shift = 20; break;
            case 'g': shift = 30; break;
            case 't': shift = 40; break;
            default: break;
        }
        if (shift != 0) s.remove_suffix(1);
    }
    const std::optional<std::uint64_t> n = parse_number(s);
    if (!n || *n > (UINT64_MAX >> shift)) return std::nullopt;
    return *n << shift;
}

// The largest of K, M, G, T that divides v exactly, for describe().
std::string format_size(std::uint64_t v) {
    static constexpr std::pair<int, char> units[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
    for (const auto& [shift, unit] : units) {
        const std::uint64_t mask = (std::uint64_t{1} << shift) - 1;
        if (v != 0 && (v & mask) == 0) return std::to_string(v >> shift) + unit;
    }
    return std::to_string(v);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += sep;
        out += i;
    }
    return out;
}

// The entry of rlimit_names for a resource, and its rank in that table
// (the table's size for one not in it).
std::size_t rlimit_rank(int resource) {
    std::size_t i = 0;
    while (i < std::size(rlimit_names) && rlimit_names[i].resource != resource) ++i;
    return i;
}

const RlimitName* rlimit_by_resource(int resource) {
    const std::size_t i = rlimit_rank(resource);
    return i < std::size(rlimit_names) ? &rlimit_names[i] : nullptr;
}

const RlimitName* rlimit_by_key(std::string_view key) {
    for (const auto& l : rlimit_names)
        if (l.key == key) return &l;
    return nullptr;
}

// ---------------------------------------------------------------- reading one section

// The sections and keys a policy may hold (MUST 3): anything else is an error.
constexpr std::string_view isolation_keys[] = {"isolate", "namespaces", "hostname",
                                               "network", "seccomp",    "seccomp_allow_ptrace"};
constexpr std::string_view cgroup_keys[] = {"memory.max", "pids.max", "cpu.max",  "cpu.weight",
                                            "io.weight",  "slice",    "delegate", "manager"};

template <std::size_t N>
std::string list_of(const std::string_view (&keys)[N]) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i) out += ", ";
        out += keys[i];
    }
    return out;
}

std::string limit_keys() {
    std::string out;
    for (const auto& l : rlimit_names) {
        if (!out.empty()) out += ", ";
        out += l.key;
    }
    return out;
}

[[noreturn]] void invalid(const config::Section& sec, const config::Entry& e, const std::string& allowed) {
    throw ConfigError(sec.file(), e.line,
                      "invalid value " + quoted(e.value) + " for " + quoted(e.raw_key) + " in [" + sec.name() + "] (" +
                          allowed + ")");
}

void refuse_unknown_keys(const config::Section& sec, const std::string& known,
                         const std::function<bool(std::string_view)>& is_known) {
    for (const auto& e : sec.entries())
        if (!is_known(e.key))
            throw ConfigError(sec.file(), e.line,
                              "unknown key " + quoted(e.raw_key) + " in [" + sec.name() + "] (known: " + known + ")");
}

// The config module reports duplicates and stray text as warnings and goes
// on; in a security policy each is an error (MUST 3). A warning reads
// "file:line: what, ignoring".
void refuse_warnings(const config::IniFile& ini) {
    if (ini.warnings().empty()) return;
    std::string_view w = ini.warnings().front();
    const std::string& file = ini.filename();
    int line = 0;
    if (w.substr(0, file.size() + 1) == file + ":") {
        w.remove_prefix(file.size() + 1);
        const auto r = std::from_chars(w.data(), w.data() + w.size(), line);
        if (r.ec == std::errc{} && r.ptr != w.data() + w.size() && *r.ptr == ':') {
            w.remove_prefix(static_cast<std::size_t>(r.ptr - w.data()) + 1);
            if (!w.empty() && w.front() == ' ') w.remove_prefix(1);
        } else {
            line = 0;
            w = ini.warnings().front();
        }
    }
    std::string what(w);
    constexpr std::string_view ignoring = ", ignoring";
    if (what.size() >= ignoring.size() && what.compare(what.size() - ignoring.size(), ignoring.size(), ignoring) == 0)
        what.resize(what.size() - ignoring.size());
    throw ConfigError(file, line, what + ": not allowed in an isolation policy");
}

// ---------------------------------------------------------------- [isolation]

Namespaces parse_namespaces(const config::Section& sec, const config::Entry& e) {
    const std::string allowed =
        "a list of pid, ipc, uts, mount and cgroup, or none alone; the network is set by 'network'";
    const std::vector<std::string> items = config::split_list(e.value);
    if (items.empty()) invalid(sec, e, allowed);
    Namespaces ns;
    if (items.size() == 1 && iequals(items[0], "none")) return ns;
    for (const auto& item : items) {
        if (iequals(item, "pid"))
            ns.pid = true;
        else if (iequals(item, "ipc"))
            ns.ipc = true;
        else if (iequals(item, "uts"))
            ns.uts = true;
        else if (iequals(item, "mount"))
            ns.mount = true;
        else if (iequals(item, "cgroup"))
            ns.cgroup = true;
        else
            invalid(sec, e, quoted(item) + " is not a namespace here; " + allowed);
    }
    // Only a mount namespace of its own lets the jail have a /proc of its
    // own pid namespace; without one, whatever /proc the host mounted in the
    // jail would list every process of the host. Refused rather than
    // completed: the file should say what the jail gets.
    if (ns.pid && !ns.mount)
        invalid(sec, e, "pid needs mount as well: the jail's /proc is mounted in its own mount namespace");
    return ns;
}

void parse_network(const config::Section& sec, const config::Entry& e, Policy& p) {
    static const std::string allowed =
        "host, loopback, or netns:NAME with NAME as in 'ip netns': 1 to 64 of A-Z a-z 0-9 _ . -, not . or ..";
    constexpr std::string_view prefix = "netns:";
    if (iequals(e.value, "host")) {
        p.network = Network::host;
        p.netns.clear();
    } else if (iequals(e.value, "loopback")) {
        p.network = Network::loopback;
        p.netns.clear();
    } else if (e.value.size() > prefix.size() && iequals(std::string_view(e.value).substr(0, prefix.size()), prefix) &&
               is_valid_netns_name(std::string_view(e.value).substr(prefix.size()))) {
        p.network = Network::named;
        p.netns = e.value.substr(prefix.size());
    } else {
        invalid(sec, e, allowed);
    }
}

void read_isolation(const config::Section& sec, Policy& p) {
    refuse_unknown_keys(sec, list_of(isolation_keys), [](std::string_view k) {
        return std::find(std::begin(isolation_keys), std::end(isolation_keys), k) != std::end(isolation_keys);
    });

    // The recommended set first, so that every other key overrides its part.
    if (const config::Entry* e = sec.find("isolate")) {
        if (iequals(e->value, "recommended")) {
            p.ns = recommended_namespaces;
            p.network = recommended_network;
            p.seccomp = recommended_seccomp;
            p.limits = {{RLIMIT_NPROC, recommended_nproc, recommended_nproc},
                        {RLIMIT_CORE, recommended_core, recommended_core}};
        } else if (!iequals(e->value, "none")) {
            invalid(sec, *e, "recommended or none");
        }
    }
    if (const config::Entry* e = sec.find("namespaces")) p.ns = parse_namespaces(sec, *e);
    if (const config::Entry* e = sec.find("hostname")) {
        if (!is_valid_hostname(e->value))
            invalid(sec, *e,
                    "a hostname of at most 64 characters: labels of 1 to 63 of A-Z a-z 0-9 -, separated by dots, "
                    "not starting or ending with -");
        // A hostname is set in a UTS namespace of its own, never the host's.
        p.ns.uts = true;
        p.hostname = e->value;
    }
    if (const config::Entry* e = sec.find("network")) parse_network(sec, *e, p);
    if (const config::Entry* e = sec.find("seccomp")) {
        if (iequals(e->value, "default"))
            p.seccomp = true;
        else if (iequals(e->value, "off"))
            p.seccomp = false;
        else
            invalid(sec, *e, "default or off");
    }
    if (const config::Entry* e = sec.find("seccomp_allow_ptrace")) {
        if (iequals(e->value, "yes"))
            p.seccomp_allow_ptrace = true;
        else if (iequals(e->value, "no"))
            p.seccomp_allow_ptrace = false;
        else
            invalid(sec, *e, "yes or no");
        // Allowing ptrace through a filter that is off reads like a policy
        // its author misunderstood; say so rather than guess.
        if (p.seccomp_allow_ptrace && !p.seccomp)
            invalid(sec, *e, "yes needs 'seccomp = default' or 'isolate = recommended'");
    }
}

// ---------------------------------------------------------------- [thin]

// Where no bind may land: the kernel's and the jail's own file systems.
constexpr std::string_view unbindable_roots[] = {"/proc", "/sys", "/dev", "/run", "/tmp", "/home"};

bool is_below(std::string_view path, std::string_view dir) {
    return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

void read_thin(const config::Section& sec, Policy& p, std::string_view jail) {
    refuse_unknown_keys(sec, "ro_binds", [](std::string_view k) { return k == "ro_binds"; });
    const config::Entry* e = sec.find("ro_binds");
    if (e == nullptr) throw ConfigError(sec.file(), sec.line(), "[thin] needs ro_binds (the host paths to bind)");
    std::vector<std::string> binds = config::split_list(e->value);
    if (binds.empty()) invalid(sec, *e, "one or more absolute host paths, separated by commas");
    for (const auto& b : binds) {
        const bool printable = std::all_of(b.begin(), b.end(), [](char c) { return c > ' ' && c < 0x7f; });
        if (!printable || b.empty() || b[0] != '/' || path::noncanonical(b) || b == "/")
            invalid(sec, *e, quoted(b) + " is not a canonical absolute path other than / without blanks");
        if (b == jail || is_below(b, jail) || is_below(jail, b))
            invalid(sec, *e, quoted(b) + " is the jail, inside it or above it");
        for (std::string_view root : unbindable_roots)
            if (b == root || is_below(b, root)) invalid(sec, *e, quoted(b) + " is under " + std::string(root));
    }
    // Parents first: a bind below another lands on the one above it.
    std::sort(binds.begin(), binds.end());
    if (const auto d = std::adjacent_find(binds.begin(), binds.end()); d != binds.end())
        invalid(sec, *e, quoted(*d) + " is listed twice");
    p.ro_binds = std::move(binds);
    p.ns.mount = true;
}

// ---------------------------------------------------------------- [limits]

// One bound of a limit: a count or size, or unlimited.
std::optional<rlim_t> parse_bound(std::string_view s, bool size) {
    if (iequals(s, "unlimited") || iequals(s, "infinity")) return RLIM_INFINITY;
    const std::optional<std::uint64_t> v = size ? parse_size(s) : parse_number(s);
    if (!v || *v >= static_cast<std::uint64_t>(RLIM_INFINITY)) return std::nullopt;
    return static_cast<rlim_t>(*v);
}

void read_limits(const config::Section& sec, Policy& p) {
    refuse_unknown_keys(sec, limit_keys(), [](std::string_view k) { return rlimit_by_key(k) != nullptr; });

    for (const auto& e : sec.entries()) {
        const RlimitName& l = *rlimit_by_key(e.key);
        const std::string one = l.size ? "a size in bytes with an optional K, M, G or T suffix (powers of 1024)"
                                       : std::string(l.resource == RLIMIT_CPU ? "a number of seconds" : "a number");
        const std::string allowed = one + " or unlimited, or soft:hard of those with soft not above hard";
        const std::string_view v = e.value;
        const std::size_t colon = v.find(':');
        const std::optional<rlim_t> soft = parse_bound(v.substr(0, colon), l.size);
        const std::optional<rlim_t> hard =
            colon == std::string_view::npos ? soft : parse_bound(v.substr(colon + 1), l.size);
        if (!soft || !hard || *soft > *hard) invalid(sec, e, allowed);
        // The kernel caps open files at fs.nr_open: setrlimit refuses
        // RLIM_INFINITY there, so the login would fail every time.
        if (l.resource == RLIMIT_NOFILE && *hard == RLIM_INFINITY)
            invalid(sec, e, "a number, or soft:hard; the kernel refuses an unlimited nofile");
        const Rlimit r{l.resource, *soft, *hard};
        const auto same = [&](const Rlimit& x) { return x.resource == l.resource; };
        if (auto it = std::find_if(p.limits.begin(), p.limits.end(), same); it != p.limits.end())
            *it = r;
        else
            p.limits.push_back(r);
    }
    // The order of rlimit_names, whatever the file's.
    std::stable_sort(p.limits.begin(), p.limits.end(), [](const Rlimit& a, const Rlimit& b) {
        return rlimit_rank(a.resource) < rlimit_rank(b.resource);
    });
}

// ---------------------------------------------------------------- [cgroup]

CpuMax parse_cpu_max(const config::Section& sec, const config::Entry& e) {
    static const std::string allowed = "QUOTA [PERIOD] or max [PERIOD] in microseconds: QUOTA from 1000 to " +
                                       std::to_string(max_cpu_quota_us) + ", PERIOD from 1000 to 1000000";
    std::vector<std::string_view> words;
    std::string_view v = e.value;
    while (!v.empty()) {
        const std::size_t start = v.find_first_not_of(" \t");
        if (start == std::string_view::npos) break;
        v.remove_prefix(start);
        const std::size_t end = std::min(v.find_first_of(" \t"), v.size());
        words.push_back(v.substr(0, end));
        v.remove_prefix(end);
    }
    if (words.empty() || words.size() > 2) invalid(sec, e, allowed);
    CpuMax c;
    if (!iequals(words[0], "max")) {
        const std::optional<std::uint64_t> q = parse_number(words[0]);
        if (!q || *q < min_cpu_us || *q > max_cpu_quota_us) invalid(sec, e, allowed);
        c.quota_us = *q;
    }
    if (words.size() == 2) {
        const std::optional<std::uint64_t> period = parse_number(words[1]);
        if (!period || *period < min_cpu_us || *period > max_cpu_period_us) invalid(sec, e, allowed);
        c.period_us = *period;
    }
    return c;
}

unsigned parse_weight(const config::Section& sec, const config::Entry& e) {
    const std::optional<std::uint64_t> w = parse_number(e.value);
    if (!w || *w < 1 || *w > max_weight) invalid(sec, e, "a number from 1 to 10000");
    return static_cast<unsigned>(*w);
}

void read_cgroup(const config::Section& sec, Policy& p) {
    refuse_unknown_keys(sec, list_of(cgroup_keys), [](std::string_view k) {
        return std::find(std::begin(cgroup_keys), std::end(cgroup_keys), k) != std::end(cgroup_keys);
    });
    CgroupLimits& c = p.cgroup;
    if (const config::Entry* e = sec.find("memory.max")) {
        // A size without its suffix ("512" for 512M) would make every login
        // fail at once; no jail runs in less than a megabyte.
        const std::optional<std::uint64_t> v = iequals(e->value, "max") ? cgroup_max : parse_size(e->value);
        if (!v || *v < min_memory_max)
            invalid(sec, *e, "max, or a size of at least 1M with an optional K, M, G or T suffix (powers of 1024)");
        c.memory_max = v;
    }
    if (const config::Entry* e = sec.find("pids.max")) {
        const std::optional<std::uint64_t> v = iequals(e->value, "max") ? cgroup_max : parse_number(e->value);
        if (!v || *v < 1 || (*v != cgroup_max && *v > max_pids)) invalid(sec, *e, "max, or a number from 1 to 4194304");
        c.pids_max = v;
    }
    if (const config::Entry* e = sec.find("cpu.max")) c.cpu_max = parse_cpu_max(sec, *e);
    if (const config::Entry* e = sec.find("cpu.weight")) c.cpu_weight = parse_weight(sec, *e);
    if (const config::Entry* e = sec.find("io.weight")) c.io_weight = parse_weight(sec, *e);
    if (const config::Entry* e = sec.find("slice")) {
        if (!is_valid_slice_name(e->value))
            invalid(sec, *e,
                    "a systemd slice name such as jk-web1.slice: at most 255 of A-Z a-z 0-9 : _ . \\ -, no leading, "
                    "trailing or doubled - before .slice");
        p.slice = e->value;
    }
    if (const config::Entry* e = sec.find("delegate")) {
        const std::string& d = e->value;
        const bool printable = std::all_of(d.begin(), d.end(), [](char ch) { return ch > ' ' && ch < 0x7f; });
        if (!printable || d.empty() || d[0] != '/' || path::noncanonical(d) || d == "/")
            invalid(sec, *e,
                    "the canonical absolute path of a cgroup v2 directory delegated to jailkit, other than /, "
                    "without blanks");
        p.cgroup_delegate = d;
    }
    if (const config::Entry* e = sec.find("manager")) {
        const std::string_view allowed = "auto, systemd or delegate";
        if (iequals(e->value, "auto"))
            p.cgroup_manager = CgroupManager::automatic;
        else if (iequals(e->value, "systemd"))
            p.cgroup_manager = CgroupManager::systemd;
        else if (iequals(e->value, "delegate"))
            p.cgroup_manager = CgroupManager::delegate;
        else
            invalid(sec, *e, std::string(allowed));
        // A combination that cannot mean what it says is an error here, not
        // a surprise at login.
        if (p.cgroup_manager == CgroupManager::delegate && p.cgroup_delegate.empty())
            invalid(sec, *e, "systemd or auto when no delegate is named (manager = delegate needs delegate = PATH)");
        if (p.cgroup_manager == CgroupManager::systemd && !p.cgroup_delegate.empty())
            invalid(sec, *e, "delegate or auto when a delegate is named (systemd places logins in its own tree)");
    }
}

}  // namespace

// ---------------------------------------------------------------- names and paths

std::string escape_jail_path(std::string_view jail) {
    if (jail.find('\0') != std::string_view::npos) throw Error("jail path holds a NUL byte");
    if (std::optional<std::string> why = path::noncanonical(jail))
        throw Error("jail path " + quoted(std::string(jail)) + " " + *why);
    if (jail == "/") return "-";
    // systemd's unit_name_path_escape (src/basic/unit-name.c, do_escape).
    static const char hex[] = "0123456789abcdef";
    std::string out;
    const std::string_view body = jail.substr(1);
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c == '/') {
            out += '-';
        } else if (is_alnum(c) || c == ':' || c == '_' || (c == '.' && i != 0)) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 15];
        }
    }
    return out;
}

std::string policy_path(std::string_view confdir, std::string_view jail) {
    std::string dir(confdir);
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (dir != "/") dir += '/';
    return dir + "jails.d/" + escape_jail_path(jail) + ".ini";
}

std::string default_hostname(std::string_view jail) {
    const std::size_t slash = jail.rfind('/');
    const std::string_view last = slash == std::string_view::npos ? jail : jail.substr(slash + 1);
    std::string out;
    for (char c : last) {
        const char d = is_alnum(c) ? c : '-';
        if (d == '-' && (out.empty() || out.back() == '-')) continue;
        out += d;
        if (out.size() == 63) break;
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "jail" : out;
}

std::string default_slice(std::string_view jail) {
    std::string name = "jk-" + escape_jail_path(jail) + ".slice";
    if (!is_valid_slice_name(name))
        throw Error("jail path " + quoted(std::string(jail)) + " gives no valid slice name (" + quoted(name) +
                    " is longer than 255 characters or is the root slice); set 'slice' in its policy");
    return name;
}

bool is_valid_hostname(std::string_view name) {
    if (name.empty() || name.size() > max_hostname) return false;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label =
            name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool is_valid_netns_name(std::string_view name) {
    if (name.empty() || name.size() > max_netns_name || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_valid_slice_name(std::string_view name) {
    constexpr std::string_view suffix = ".slice";
    if (name.size() > max_unit_name || name.size() <= suffix.size()) return false;
    if (name.substr(name.size() - suffix.size()) != suffix) return false;
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alnum(c) || c == ':' || c == '_' || c == '.' || c == '\\' || c == '-'; }))
        return false;
    const std::string_view prefix = name.substr(0, name.size() - suffix.size());
    return prefix.front() != '-' && prefix.back() != '-' && prefix.find("--") == std::string_view::npos;
}

std::string_view rlimit_key(int resource) {
    const RlimitName* l = rlimit_by_resource(resource);
    return l ? l->key : "?";
}

bool Policy::empty() const noexcept {
    return !ns.any() && !hostname && network == Network::host && !seccomp && !seccomp_allow_ptrace && limits.empty() &&
           !cgroup.any() && slice.empty() && cgroup_delegate.empty() && ro_binds.empty();
}

// ---------------------------------------------------------------- parsing and lookup

Policy parse_policy(std::string_view text, const std::string& file_name, std::string_view jail) {
    // Checked first, so that a bad jail is reported as such whatever the text.
    (void)escape_jail_path(jail);
    config::LoadOptions opts;
    opts.max_size = max_policy_size;
    const config::IniFile ini = config::IniFile::parse(text, file_name, opts);
    refuse_warnings(ini);

    const config::Section* isolation = nullptr;
    const config::Section* limits = nullptr;
    const config::Section* cgroup = nullptr;
    const config::Section* thin = nullptr;
    for (const auto& sec : ini.sections()) {
        if (sec.name() == "isolation")
            isolation = &sec;
        else if (sec.name() == "limits")
            limits = &sec;
        else if (sec.name() == "cgroup")
            cgroup = &sec;
        else if (sec.name() == "thin")
            thin = &sec;
        else
            throw ConfigError(file_name, sec.line(),
                              "unknown section [" + sec.name() + "] (known: [isolation], [limits], [cgroup], [thin])");
    }

    Policy p;
    if (isolation) read_isolation(*isolation, p);
    if (limits) read_limits(*limits, p);
    if (cgroup) read_cgroup(*cgroup, p);
    if (thin) read_thin(*thin, p, jail);

    // The defaults that depend on the jail, once every key is read.
    if (p.ns.uts && !p.hostname) p.hostname = default_hostname(jail);
    if (p.slice.empty() && (p.cgroup.any() || !p.cgroup_delegate.empty())) {
        try {
            p.slice = default_slice(jail);
        } catch (const Error& e) {
            throw ConfigError(file_name, 0, e.what());
        }
    }
    return p;
}

std::optional<Policy> load_policy(const std::string& confdir, const std::string& jail) {
    const std::string file = policy_path(confdir, jail);
    // Every directory from / a config_directory, the file a trusted_file
    // (MUST 2): a symlink or a writable step anywhere is an UnsafePath.
    const UniqueFd fd = trust::open_checked_if_present(file, trust::trusted_file, O_RDONLY);
    if (!fd) return std::nullopt;  // no policy: a plain chroot
    config::LoadOptions opts;
    opts.require_trusted = true;
    opts.max_size = max_policy_size;
    return parse_policy(config::read_config_fd(fd.get(), file, opts), file, jail);
}

// ---------------------------------------------------------------- describe

std::string describe(const Policy& p) {
    std::vector<std::string> words;

    std::vector<std::string> ns;
    if (p.ns.pid) ns.emplace_back("pid");
    if (p.ns.ipc) ns.emplace_back("ipc");
    if (p.ns.uts) ns.push_back(p.hostname ? "uts(" + *p.hostname + ")" : "uts");
    if (p.ns.mount) ns.emplace_back("mount");
    if (p.ns.cgroup) ns.emplace_back("cgroup");
    if (!ns.empty()) words.push_back(join(ns, ","));

    if (p.network == Network::loopback) words.emplace_back("net=loopback");
    if (p.network == Network::named) words.push_back("net=netns:" + p.netns);
    if (p.seccomp) words.emplace_back(p.seccomp_allow_ptrace ? "seccomp(ptrace)" : "seccomp");

    for (const auto& r : p.limits) {
        const RlimitName* l = rlimit_by_resource(r.resource);
        const bool size = l && l->size;
        const auto bound = [&](rlim_t v) {
            if (v == RLIM_INFINITY) return std::string("unlimited");
            return size ? format_size(v) : std::to_string(v);
        };
        std::string w = std::string(rlimit_key(r.resource)) + "=" + bound(r.soft);
        if (r.hard != r.soft) w += ":" + bound(r.hard);
        words.push_back(std::move(w));
    }

    if (p.thin()) words.push_back("thin=" + join(p.ro_binds, ","));
    if (!p.slice.empty()) words.push_back("slice=" + p.slice);
    if (!p.cgroup_delegate.empty()) words.push_back("delegate=" + p.cgroup_delegate);
    if (p.cgroup_manager == CgroupManager::systemd) words.emplace_back("manager=systemd");
    if (p.cgroup_manager == CgroupManager::delegate) words.emplace_back("manager=delegate");
    const auto max_or = [](std::uint64_t v, bool size) {
        if (v == cgroup_max) return std::string("max");
        return size ? format_size(v) : std::to_string(v);
    };
    const CgroupLimits& c = p.cgroup;
    if (c.memory_max) words.push_back("memory.max=" + max_or(*c.memory_max, true));
    if (c.pids_max) words.push_back("pids.max=" + max_or(*c.pids_max, false));
    if (c.cpu_max)
        words.push_back("cpu.max=" + max_or(c.cpu_max->quota_us, false) + "/" + std::to_string(c.cpu_max->period_us));
    if (c.cpu_weight) words.push_back("cpu.weight=" + std::to_string(*c.cpu_weight));
    if (c.io_weight) words.push_back("io.weight=" + std::to_string(*c.io_weight));

    return words.empty() ? "none" : join(words, " ");
}

}  // namespace jk::isolation
