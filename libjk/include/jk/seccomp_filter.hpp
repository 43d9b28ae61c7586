// The syscall filter of an isolated jail (DESIGN.md, "Entering a jail",
// step 7): a seccomp filter, built with libseccomp, that refuses what
// Docker's default profile refuses and a jailed account never needs. Every
// other call is allowed; a refused one fails with EPERM, an error programs
// handle, so a shell does not die because some tool probed a feature.
//
// Why each group is refused:
//  - Kernel modules, kexec, reboot, swap, the clock (settimeofday,
//    clock_settime, adjtimex, clock_adjtime), acct, quotactl, syslog,
//    vhangup, nfsservctl, lookup_dcookie: each needs a capability the user
//    has lost in drop_to. Refusing them costs nothing and is a second wall
//    should a capability survive (a kernel bug, a capability-aware program).
//  - The mount family (mount, umount2, pivot_root and the new mount API:
//    move_mount, open_tree, fsopen, fsconfig, fsmount, fspick,
//    mount_setattr): a jail's mounts are the entry path's work, done as root
//    before the filter. Inside a user namespace these calls are open to
//    anyone, and they rearrange what the jail shows.
//  - Keyrings (keyctl, add_key, request_key): keys are not namespaced; a
//    jailed process would reach the user's keyrings outside the jail, and
//    the code has a long history of privilege escalations.
//  - bpf, perf_event_open, userfaultfd and io_uring: large kernel attack
//    surfaces behind many local root exploits (userfaultfd makes kernel
//    races reliable). io_uring also carries out operations without the
//    system calls this filter sees.
//  - New user namespaces (unshare or clone with CLONE_NEWUSER), setns: a
//    user namespace grants every capability inside it and with them the
//    mount family and much rarely-audited kernel code. Namespaces without
//    CLONE_NEWUSER stay allowed: they need CAP_SYS_ADMIN, which the user
//    lacks. clone3 fails with ENOSYS: its flags lie in memory the filter
//    cannot read (seccomp sees registers only), and glibc answers ENOSYS
//    by using clone, whose flags the filter checks (Docker does the same).
//  - ioctl TIOCSTI and TIOCLINUX: both push characters into a terminal's
//    input (TIOCLINUX by pasting the console selection), so a jailed program
//    on an administrator's terminal could type commands into the shell
//    outside the jail (CVE-2017-5226, CVE-2023-1523).
//  - ptrace, process_vm_readv, process_vm_writev (unless allow_ptrace):
//    reading and changing another process's memory. A jail that needs gdb
//    or strace allows them.
//  - open_by_handle_at, name_to_handle_at: a file handle names a file with
//    no path, so it is not confined by a chroot (the "shocker" escape).
// personality stays allowed (Docker allows a few values): what it changes
// (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weakens only the caller's own
// process and its children, and the kernel clears those bits when a setuid
// program starts (PER_CLEAR_ON_SETID).
//
// MUST:
//  1. Fail closed: every step that fails throws, and the caller must not
//     exec the jailed program without the filter.
//  2. Other ABIs cannot go around the filter: it holds rules for the native
//     architecture only and kills the process on a system call from any
//     other (a 64-bit program's 32-bit `int $0x80` calls have other
//     numbers, so a rule for one ABI says nothing about the other; x32
//     calls, which share x86_64's audit arch, are killed by libseccomp's
//     check of the x32 syscall bit).
//  3. An ioctl request is compared on its low 32 bits only: the kernel
//     takes it as an unsigned int, so TIOCSTI with high bits set is still
//     TIOCSTI.
#pragma once

namespace jk::seccomp {

struct FilterOptions {
    bool allow_ptrace = false;  // ptrace, process_vm_readv, process_vm_writev
};

// Loads the default filter into the calling process; it stays for the life
// of the process and of everything it executes, and cannot be removed.
// Sets no_new_privs first: the kernel lets a process without CAP_SYS_ADMIN
// load a filter only then, so that no filter can mislead a setuid program
// with calls that fail where they never fail. Hence a jail that keeps setuid
// programs working (DropOptions::allow_setuid_programs) cannot have the
// filter. Call it last before exec, after drop_to: the filter binds the
// loader and the jailed program alike. Applies to all threads of the process
// (TSYNC), but should be called single-threaded.
// Throws SysError naming the failing step (no_new_privs, the rule for a
// named system call, the load), or Error when libseccomp cannot start or
// does not know a listed call on this architecture.
void load_default_filter(const FilterOptions& options);

}  // namespace jk::seccomp
