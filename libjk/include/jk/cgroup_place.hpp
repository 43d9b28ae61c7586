// A login placed in its jail's cgroup v2 slice, inside a subtree the admin
// delegated to jailkit ([cgroup] delegate = PATH, jk_jail.ini(5)), with the
// slice's limits written first. Which of this and a systemd transient scope
// (systemd_scope.hpp) places a login is decided by placer_for.
//
// The tree below the delegate:
//   DELEGATE/                 cgroup.subtree_control: +memory +pids ...
//   DELEGATE/SLICE/           the limits (memory.max, pids.max, cpu.max, ...)
//   DELEGATE/SLICE/logins/    cgroup.procs: every login of the jail
// One leaf holds all the jail's logins: cgroup v2 lets processes live only
// in a cgroup that hands no controller to children (the no-internal-process
// rule), so SLICE itself stays empty; and a shared leaf leaves no directory
// per login to remove when it ends.
//
// MUST:
//  1. Every limit the policy sets is applied, or the placement fails: a
//     controller a limit needs and the delegate does not offer is an error
//     naming the controller and the directory, never fewer limits than asked.
//  2. The delegate passes trust::cgroup_delegate on the fd then used (root-
//     owned, not group/other-writable, no symlink on the way from "/"), and
//     SLICE and SLICE/logins meet the same rule: whoever may write them could
//     move the jail's processes out of its limits.
//  3. Everything below the delegate is opened beneath its fd with
//     O_NOFOLLOW, never by a path put together from strings.
//  4. The entry places its own process before it makes any namespace: the
//     cgroup namespace is rooted where the process is at unshare(2), and the
//     jail's pid 1 and program inherit the cgroup by fork.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/fd.hpp"
#include "jk/isolation.hpp"

namespace jk::cgroup {

// The directory below the slice that holds the logins.
inline constexpr std::string_view logins_dir = "logins";

// The controllers `limits` need, in this order: memory (memory.max), pids
// (pids.max), cpu (cpu.max, cpu.weight), io (io.weight). Pure.
std::vector<std::string> needed_controllers(const isolation::CgroupLimits& limits);

// A limit as the kernel reads it: file name below the slice and its text.
struct LimitFile {
    std::string name;   // "memory.max"
    std::string value;  // "536870912", "max", "50000 100000", "default 100"
    bool operator==(const LimitFile&) const = default;
};

// The files `limits` writes, in the order of needed_controllers; only the
// limits that are set. Pure.
std::vector<LimitFile> limit_files(const isolation::CgroupLimits& limits);

// The controllers named in a cgroup.controllers text (blank-separated). Pure.
std::vector<std::string> parse_controllers(std::string_view text);

// The core of the placement, beneath `delegate_fd` (a directory fd; O_PATH
// will do). `delegate_path` is for messages only. In this order:
//  - the delegate checked against trust::cgroup_delegate (MUST 2);
//  - every needed controller found in DELEGATE/cgroup.controllers (MUST 1);
//  - each written to DELEGATE/cgroup.subtree_control as "+NAME", one write
//    each, as the kernel wants;
//  - SLICE made (0755) unless it exists, and checked (MUST 2);
//  - each limit of limit_files written to SLICE/<file>;
//  - the same controllers enabled in SLICE/cgroup.subtree_control;
//  - SLICE/logins made (0755) unless it exists, and checked;
//  - `pid` written to SLICE/logins/cgroup.procs.
// Requires a valid slice name (isolation::is_valid_slice_name). Files are
// opened without O_CREAT: on cgroupfs the kernel makes them. Works on a
// plain directory tree that holds them, for tests.
// Throws SymlinkNotAllowed or UnsafePath when a directory fails its rule;
// Error naming the controller and the directory when one is missing; Error
// for an invalid slice; SysError naming the file when a read, mkdir or
// write fails (EBUSY on subtree_control: the delegate holds processes of
// its own, which cgroup v2 forbids to a cgroup that hands out controllers).
void place_beneath(int delegate_fd, const std::string& delegate_path, const std::string& slice,
                   const isolation::CgroupLimits& limits, pid_t pid);

// The delegate at the absolute canonical `path`, opened by trust's walk from
// "/" (trust::open_checked with cgroup_delegate: no symlink, every directory
// on the way a jail_parent) as an O_PATH directory fd. With `need_cgroup2`
// it must lie on a cgroup v2 file system (fstatfs f_type
// CGROUP2_SUPER_MAGIC). Throws as trust::open_checked; Error when it is not
// on cgroup v2.
UniqueFd open_delegate(const std::string& path, bool need_cgroup2 = true);

// What the entry calls, as root, before its namespaces (MUST 4):
// open_delegate(delegate) and place_beneath it with getpid(). Throws as
// those do; the caller must give up the entry.
void place_self(const std::string& delegate, const std::string& slice, const isolation::CgroupLimits& limits);

// Who places a login into its slice.
enum class Placer {
    none,      // the policy has no slice: the login stays where it is
    delegate,  // place_self, below [cgroup] delegate
    systemd,   // systemd::place_self, a transient scope over D-Bus
};

// The placer for `policy` ([cgroup] manager, jk_jail.ini(5)): none without
// a slice; with manager = delegate, or auto and a delegate named, delegate;
// with manager = systemd, or auto, no delegate and `systemd_booted`,
// systemd. Throws Error saying why and what to set when a slice has no
// placer (manager = systemd on a host not booted with systemd; auto, no
// delegate and no systemd): the entry refuses such a policy. Pure.
Placer placer_for(const isolation::Policy& policy, bool systemd_booted);

// Why place_self would refuse `limits` under `delegate`, without changing
// anything (the delegate's trust and file system, the controllers it
// offers); nullopt when nothing stands in the way. For jk_check. Throws only
// std::bad_alloc.
std::optional<std::string> cannot_place(const std::string& delegate, const isolation::CgroupLimits& limits);

}  // namespace jk::cgroup
