// A jail's isolation policy: which namespaces, network, seccomp filter,
// resource limits and cgroup limits a login into that jail gets (DESIGN.md,
// "Entering a jail"; man jk_jail.ini(5)). This module holds the data, the
// pure parser and the lookup of the file; applying a policy is the business
// of the jail-entry path.
//
// MUST:
//  1. The policy lives on the host, never inside the jail:
//     CONFDIR/jails.d/<escaped>.ini, where <escaped> is the jail's canonical
//     path as `systemd-escape --path` writes it. Whoever can write inside a
//     jail must not be able to loosen its isolation.
//  2. The file and every directory above it pass trust (trusted_file,
//     config_directory), checked on the fd that is then read. An untrusted
//     file is an error, never "no policy"; only a missing one (ENOENT) is.
//  3. Anything the parser does not understand is an error naming file and
//     line: an unknown section or key, an invalid value, a duplicate key or
//     section, stray text. A typo must never weaken isolation silently.
//  4. parse_policy is pure (no system calls), so it is unit-tested and
//     fuzzed; load_policy is the only part that touches the file system.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::isolation {

// ---------------------------------------------------------------- the data

// The namespaces a login gets beyond the network (see Network).
struct Namespaces {
    bool pid = false;
    bool ipc = false;
    bool uts = false;
    bool mount = false;
    bool cgroup = false;

    bool any() const noexcept { return pid || ipc || uts || mount || cgroup; }
    bool operator==(const Namespaces&) const = default;
};

enum class Network {
    host,      // the host's network namespace (a plain chroot)
    loopback,  // a new network namespace holding only lo
    named,     // the named namespace /run/netns/NAME (as `ip netns` makes), joined with setns
};

// One resource limit, set as soft and hard limit (RLIM_INFINITY: unlimited).
struct Rlimit {
    int resource = 0;  // RLIMIT_*
    rlim_t soft = 0;
    rlim_t hard = 0;
    bool operator==(const Rlimit&) const = default;
};

// The value of cgroup v2's "max": no limit.
inline constexpr std::uint64_t cgroup_max = UINT64_MAX;

// cgroup v2's cpu.max: "$MAX $PERIOD" in microseconds.
struct CpuMax {
    std::uint64_t quota_us = cgroup_max;  // cgroup_max: "max"
    std::uint64_t period_us = 100000;
    bool operator==(const CpuMax&) const = default;
};

// cgroup v2 limits of the jail's slice; nullopt: not set (the slice keeps
// whatever it has).
struct CgroupLimits {
    std::optional<std::uint64_t> memory_max;  // bytes, or cgroup_max
    std::optional<std::uint64_t> pids_max;    // or cgroup_max
    std::optional<CpuMax> cpu_max;
    std::optional<unsigned> cpu_weight;  // 1..10000
    std::optional<unsigned> io_weight;   // 1..10000

    bool any() const noexcept { return memory_max || pids_max || cpu_max || cpu_weight || io_weight; }
    bool operator==(const CgroupLimits&) const = default;
};

// Who places a login in its slice ([cgroup] manager, jk_jail.ini(5)).
enum class CgroupManager {
    automatic,  // the delegate when one is named, else systemd when the host runs it, else refused
    systemd,    // a transient scope over systemd's D-Bus API (systemd_scope.hpp)
    delegate,   // DELEGATE/SLICE/logins, written by the entry (cgroup_place.hpp)
};

struct Policy {
    Namespaces ns;
    // The name in the new UTS namespace; set exactly when ns.uts is.
    std::optional<std::string> hostname;
    Network network = Network::host;
    std::string netns;  // Network::named: NAME of /run/netns/NAME; else empty
    bool seccomp = false;
    bool seccomp_allow_ptrace = false;  // only with seccomp
    // At most one per resource, in the order of rlimit_names.
    std::vector<Rlimit> limits;
    CgroupLimits cgroup;
    // The slice the login is placed in ("jk-....slice"); empty: no cgroup
    // placement. Set when the file names one, sets a cgroup limit or names
    // a delegate.
    std::string slice;
    // [cgroup] delegate: a cgroup v2 directory the admin delegated to
    // jailkit (absolute, canonical, printable, not "/"); the slice is the
    // directory DELEGATE/SLICE (cgroup_place.hpp). Empty: none.
    std::string cgroup_delegate;
    // [cgroup] manager. The parser guarantees: delegate implies a
    // cgroup_delegate, systemd implies none.
    CgroupManager cgroup_manager = CgroupManager::automatic;
    // A thin jail ([thin] ro_binds): host paths bound read-only, nosuid and
    // nodev at the same place beneath the jail in its own mount namespace
    // (ns.mount is on whenever this is not empty), parents before their
    // children. Absolute, canonical, printable, neither "/" nor the jail,
    // nor above or below the jail, no duplicates. Empty: a copy jail.
    std::vector<std::string> ro_binds;

    bool thin() const noexcept { return !ro_binds.empty(); }
    // True when nothing differs from a plain chroot: a file that turns
    // nothing on (an empty one, or "isolate = none" alone).
    bool empty() const noexcept;
    bool operator==(const Policy&) const = default;
};

// ---------------------------------------------------------------- the recommended set

// What "isolate = recommended" turns on; explicit keys override each part.
// Documented in jk_jail.ini(5); keep the two in step.
inline constexpr Namespaces recommended_namespaces{
    .pid = true, .ipc = true, .uts = true, .mount = true, .cgroup = true};
inline constexpr Network recommended_network = Network::loopback;
inline constexpr bool recommended_seccomp = true;
inline constexpr rlim_t recommended_nproc = 1024;  // a fork bomb stops here (per user, as the kernel counts)
inline constexpr rlim_t recommended_core = 0;      // no core files of a login's processes

// ---------------------------------------------------------------- names and paths

// `canonical_jail` escaped as `systemd-escape --path` does: leading and
// trailing '/' stripped, '/' becomes '-', every byte outside [A-Za-z0-9:_.]
// and a leading '.' become "\xNN" (lowercase hex); "/" itself is "-".
// Throws Error when the path is not canonical (path::noncanonical: relative,
// "//", "." or "..", a trailing '/') or holds a NUL.
std::string escape_jail_path(std::string_view canonical_jail);

// CONFDIR/jails.d/<escape_jail_path(jail)>.ini. Throws as escape_jail_path.
std::string policy_path(std::string_view confdir, std::string_view canonical_jail);

// The hostname a jail gets when its policy names none: the last component
// of the jail, with every character outside [A-Za-z0-9-] made '-', runs of
// '-' made one, '-' trimmed at both ends, cut to 63 characters; "jail" when
// nothing is left. Always is_valid_hostname.
std::string default_hostname(std::string_view canonical_jail);

// The slice a jail's logins go to when its policy names none:
// "jk-<escape_jail_path(jail)>.slice". systemd reads each '-' as a level,
// so /srv/web1 lands in jk.slice/jk-srv.slice/jk-srv-web1.slice, every jail
// under jk.slice. Throws Error when the jail cannot be escaped or the name
// would be longer than a unit name may be (255).
std::string default_slice(std::string_view canonical_jail);

// A hostname the kernel and resolvers accept: 1 to 64 characters, labels of
// 1 to 63 of [A-Za-z0-9-] separated by single dots, no label starting or
// ending with '-'.
bool is_valid_hostname(std::string_view name);

// A name of `ip netns`: 1 to 64 of [A-Za-z0-9_.-], not "." or "..".
bool is_valid_netns_name(std::string_view name);

// A slice name by systemd's unit-name rules: at most 255 characters of
// [A-Za-z0-9:_.\-], ending in ".slice" after a non-empty prefix that
// neither starts nor ends with '-' nor holds "--" (each '-' is a level).
// The root slice "-.slice" is refused.
bool is_valid_slice_name(std::string_view name);

// The keys of [limits], as pam_limits(8) names them, and the RLIMIT_* each
// sets; Policy::limits follows this order.
struct RlimitName {
    std::string_view key;
    int resource;
    bool size;  // a size in bytes: takes K/M/G/T suffixes
};
inline constexpr RlimitName rlimit_names[] = {
    {"nproc", RLIMIT_NPROC, false}, {"nofile", RLIMIT_NOFILE, false},  {"as", RLIMIT_AS, true},
    {"data", RLIMIT_DATA, true},    {"stack", RLIMIT_STACK, true},     {"fsize", RLIMIT_FSIZE, true},
    {"core", RLIMIT_CORE, true},    {"memlock", RLIMIT_MEMLOCK, true}, {"msgqueue", RLIMIT_MSGQUEUE, true},
    {"cpu", RLIMIT_CPU, false},     {"locks", RLIMIT_LOCKS, false},    {"sigpending", RLIMIT_SIGPENDING, false},
};

// The key of an RLIMIT_* (rlimit_names), or "?" for one not there.
std::string_view rlimit_key(int resource);

// ---------------------------------------------------------------- parsing and lookup

// Parses a policy file's text. `file_name` is for messages; `canonical_jail`
// gives the defaults that depend on the jail (hostname, slice). Pure.
// Throws ConfigError naming file and line (and for a bad value the key and
// what is allowed) for anything not understood (MUST 3); Error when the jail
// path is not canonical.
Policy parse_policy(std::string_view text, const std::string& file_name, std::string_view canonical_jail);

// The policy of the jail at `canonical_jail` (which the caller has already
// validated and canonicalised), read from policy_path(confdir, jail) through
// trust::open_checked(trusted_file) (MUST 1, 2). nullopt when that file or a
// directory on its way is missing: no policy, a plain chroot. Throws
// UnsafePath (SymlinkNotAllowed) when the file or a directory above it fails
// trust, SysError when it cannot be opened or read for another reason,
// ConfigError when it is too large or malformed.
std::optional<Policy> load_policy(const std::string& confdir, const std::string& canonical_jail);

// One line for jk_list, jk_check and syslog, e.g.
// "pid,ipc,uts(web1),mount,cgroup net=loopback seccomp nproc=1024 core=0
//  slice=jk-srv-web1.slice pids.max=1024"; "none" for an empty policy.
// (The recommended set has no cgroup limit: placement needs a delegate the
// admin made, and a login whose limits cannot be placed is refused, never
// silently unlimited.)
// Holds only validated names, so it is safe in a log line.
std::string describe(const Policy& policy);

}  // namespace jk::isolation
