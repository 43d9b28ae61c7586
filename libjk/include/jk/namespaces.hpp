// A jail's namespaces, applied as its isolation policy asks (DESIGN.md,
// "Entering a jail", steps 3 and 4): the new namespaces, the network, the
// host name, and the jail's own /proc. The jail's pid 1 and the process
// waiting for it are in supervisor.hpp.
//
// The entry path, as root, with a policy that asks for namespaces:
//   limits -> own session -> jail = unshare_namespaces(policy, jail)
//   -> run_init() [supervisor.hpp] -> in pid 1: prepare_mounts(policy,
//   jail) -> enter the root through `jail` -> drop privileges ->
//   start_program() -> in the program's process: seccomp, exec.
//
// MUST (DESIGN.md: "a policy the host cannot apply makes the login fail"):
//  1. A namespace, network or host name the policy asks for and the host
//     cannot give is an error naming it; nothing is skipped, nothing is
//     given in a weaker form.
//  2. After a new mount namespace every fd into the jail is one opened in
//     that namespace. A directory fd opened before still refers to the old
//     namespace's mounts: a mount made now is not seen through it, and once
//     the process is chrooted, ".." from it climbs past the jail's root (the
//     kernel stops ".." only at the root's own mount, and this is another
//     one), which is a way out of the jail. unshare_namespaces hands back
//     the jail's directory re-derived in the new namespace; the caller opens
//     everything else (the home, the program) beneath that one, after it.
//  3. Every mount is made private right after the mount namespace is made,
//     before anything is mounted: nothing mounted for a jail propagates to
//     the host or to other jails.
//  4. The jail's /proc is a procfs of the jail's own pid namespace, mounted
//     by its pid 1 (procfs shows the pid namespace of whoever mounts it) on
//     a directory opened beneath the jail without following a symlink and
//     meeting trust::jail_system_dir: a user cannot redirect the mount.
//  5. No pid namespace without a mount namespace: without one, the jail's
//     /proc cannot be replaced, and whatever the host mounted there would
//     show every process of the host. (parse_policy refuses such a file;
//     unshare_namespaces refuses such a Policy.)
#pragma once

#include <string>
#include <vector>

#include "jk/fd.hpp"
#include "jk/isolation.hpp"

namespace jk::isolation {

// Puts the calling process into the namespaces `policy` asks for, in this
// order:
//  - Network::named: opens /run/netns/NAME (as `ip netns add` makes it)
//    through trust::open_checked with the trusted_file rule (a root-owned
//    file nobody else may write, below root-owned directories nobody else
//    may write), before anything changes;
//  - one unshare(2) with CLONE_NEWNS, NEWPID, NEWIPC, NEWUTS, NEWCGROUP as
//    policy.ns says, and CLONE_NEWNET for Network::loopback. Atomic: when
//    it fails no namespace has changed (with a mount namespace asked for,
//    the working directory is the jail's: see below), and the error names
//    the namespace the host refuses, found by trying each alone in a
//    short-lived child;
//  - with a mount namespace: every mount made private (MUST 3) and the
//    jail's directory re-derived in the new namespace (MUST 2);
//  - Network::named: setns(2) into the namespace opened above;
//  - with a UTS namespace: sethostname(policy.hostname);
//  - Network::loopback: the new namespace's lo brought up (127.0.0.1 and
//    ::1 then work; nothing else exists in it).
// With a pid namespace, the caller's next child is the namespace's pid 1
// (run_init); the caller itself stays in the host's pid namespace. The
// cgroup namespace is rooted at the caller's cgroup at this moment: place
// the process in its cgroup first.
//
// Requires: root (CAP_SYS_ADMIN), a single-threaded caller (the kernel
// refuses a mount namespace to a process sharing its fs with threads), and
// `jail_fd` the validated jail directory; `jail_path` is for messages.
// Returns the jail's directory as the caller now sees it: with a mount
// namespace a new fd on the same directory (same device and inode, checked)
// opened in the new namespace; otherwise a duplicate of jail_fd. Use only
// the returned fd from here on. (The kernel moves a process's root and
// working directory into its new mount namespace, and no open fd: so
// jail_fd is made the working directory before the unshare and reopened
// as "." after it.) The working directory is "/" afterwards.
// Throws Error when the policy asks for a pid namespace without a mount
// namespace (MUST 5) or is inconsistent (a UTS namespace without a valid
// host name, an invalid netns name); SysError naming what the host cannot
// give ("the host cannot give this jail a pid namespace: Invalid
// argument"); UnsafePath or SysError when /run/netns/NAME fails trust or
// cannot be opened; Error when that file is not a network namespace. After
// the unshare has succeeded a later failure leaves the caller in some of
// the new namespaces: it must give up the entry (exit), never go on.
// With `mount_ns_made` (assemble_thin ran) no second mount namespace is
// made: jail_fd is already the jail in this process's own one.
UniqueFd unshare_namespaces(const Policy& policy, int jail_fd, const std::string& jail_path,
                            bool mount_ns_made = false);

// A thin jail's tree, assembled before anything in it is looked up (the
// login's shell, procmail, a daemon live in the binds): a mount namespace
// of this process's own, every mount in it private, the jail re-opened in
// it, then policy.ro_binds bound as prepare_mounts describes. Returns the
// jail's fd in the new namespace. Requires root and a thin policy. Throws
// as unshare_namespaces and prepare_mounts do; on a throw the caller must
// give up the entry.
UniqueFd assemble_thin(const Policy& policy, int jail_fd, const std::string& jail_path);

// What an entry would refuse in a thin jail's mount plan, for jk_check.
struct BindProblem {
    std::string path;    // the host source, or the mount point as a host path (JAIL + bind)
    std::string reason;  // the refusal, naming the path ("'/j/usr' is writable by group")
};

// Checks every bind of policy.ro_binds by the rules bind_read_only applies
// before it mounts (the source: system_source_dir/file from "/"; the mount
// point: jail_system_dir/file on every step from jail_fd, of the source's
// kind; no symlink anywhere), without mounting anything or leaving this
// mount namespace. Every problem is returned, the source's and the mount
// point's apart; an empty result means assemble_thin would find the plan
// sound. Throws only std::bad_alloc.
std::vector<BindProblem> check_thin_plan(const Policy& policy, int jail_fd, const std::string& jail_path);

// The mounts of the jail's own mount namespace, made by the jail's pid 1
// before it enters the jail (the host's /proc is still in view). Without a
// mount namespace it does nothing (and refuses a pid namespace, MUST 5).
// With a pid namespace it mounts a new procfs (nosuid, nodev, noexec) on
// the jail's `proc` directory, opened beneath jail_fd with
// trust::step(..., jail_system_dir) and mounted on through
// /proc/self/fd/N, so the jail sees its own processes only (MUST 4). A jail
// without a `proc` directory gets no /proc: none is created (what a jail
// holds is the admin's choice; the jail's programs then behave as in a
// jail without /proc today). A procfs the host mounted in the jail's proc
// is covered by the new one, in this namespace only.
//
// A thin jail (policy.ro_binds) gets each host path bound at the same place
// beneath jail_fd first, parents before children: the host's tree cloned
// with its submounts (open_tree), made read-only, nosuid and nodev all the
// way down (mount_setattr), then attached (move_mount) on the jail's mount
// point. The source must pass system_source_dir/system_source_file, the
// mount point (a directory, or a file for a file) jail_system_dir /
// jail_system_file on every step from jail_fd, no symlink anywhere: a user
// cannot redirect a bind, and no host setuid program works inside. A
// missing mount point is an error (jk_init --thin makes them), never made
// here. Nothing is attached outside this mount namespace.
//
// Requires: root; jail_fd as returned by unshare_namespaces (checked with
// in_own_mount_namespace); with a pid namespace, the caller is its pid 1.
// Throws Error when the caller is not pid 1 of a pid namespace the policy
// asks for, or jail_fd is in another mount namespace; SymlinkNotAllowed or
// UnsafePath when the jail's proc is a symlink or fails jail_system_dir;
// SysError when the mount fails.
// With `binds_made` (assemble_thin ran) only /proc is left to mount.
void prepare_mounts(const Policy& policy, int jail_fd, const std::string& jail_path, bool binds_made = false);

// Whether the file or directory open at `fd` lies on a mount of the
// calling process's mount namespace (its mount id, from
// /proc/self/fdinfo, is among those of /proc/self/mountinfo). False for an
// fd opened before the process entered a new mount namespace (MUST 2): use
// it to check the fds the entry path holds before it enters the jail.
// Needs /proc. Throws SysError when /proc cannot be read.
bool in_own_mount_namespace(int fd);

// What this kernel offers for isolation, one line per item, for jk_check
// and bug reports, e.g. "namespaces: cgroup ipc mnt net pid time user uts",
// "seccomp: filter", "landlock: ABI 4", "cgroup v2: /sys/fs/cgroup
// (cpu io memory pids)". Reads /proc and /proc/self/mountinfo. Never
// throws for a missing facility (that is what it reports).
std::string describe_host_support();

// What of `policy` this host cannot give, one reason a line ("no pid
// namespaces in this kernel", "no network namespace /run/netns/web1", ...);
// empty when an entry could apply all of it. For jk_check: an entry itself
// fails on the first such thing.
std::vector<std::string> host_cannot_apply(const Policy& policy);

}  // namespace jk::isolation
