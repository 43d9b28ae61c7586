#include "jk/seccomp_filter.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "jk/error.hpp"

namespace jk::seccomp {

namespace {

struct FilterRelease {
    void operator()(void* ctx) const noexcept { ::seccomp_release(ctx); }
};
// scmp_filter_ctx is a void*.
using Filter = std::unique_ptr<void, FilterRelease>;

// Whether a system call exists in every ABI's table. A call that some
// architectures lack (umount is umount2 alone on x86_64 and arm64; the
// *64 time calls and stime exist on 32-bit ones only) is skipped where it
// is missing; any other name libseccomp does not know here is an error,
// so a misspelt name cannot leave a hole (MUST 1).
enum class Presence { everywhere, some_abis };

struct Refused {
    const char* name;
    Presence presence = Presence::everywhere;
};

// Refused outright with EPERM. Why, group by group: seccomp_filter.hpp.
const Refused refused_always[] = {
    // modules, kexec, reboot, swap
    {"init_module"},
    {"finit_module"},
    {"delete_module"},
    {"kexec_load"},
    {"kexec_file_load"},
    {"reboot"},
    {"swapon"},
    {"swapoff"},
    // the mount family, old API and new
    {"mount"},
    {"umount", Presence::some_abis},
    {"umount2"},
    {"pivot_root"},
    {"move_mount"},
    {"open_tree"},
    {"fsopen"},
    {"fsconfig"},
    {"fsmount"},
    {"fspick"},
    {"mount_setattr"},
    // keyrings
    {"keyctl"},
    {"add_key"},
    {"request_key"},
    // large attack surfaces
    {"bpf"},
    {"perf_event_open"},
    {"userfaultfd"},
    {"io_uring_setup"},
    {"io_uring_enter"},
    {"io_uring_register"},
    // joining another process's namespaces
    {"setns"},
    // the clock and other host-wide state
    {"settimeofday"},
    {"stime", Presence::some_abis},
    {"clock_settime"},
    {"clock_settime64", Presence::some_abis},
    {"adjtimex"},
    {"clock_adjtime"},
    {"clock_adjtime64", Presence::some_abis},
    {"acct"},
    {"syslog"},
    {"vhangup"},
    {"quotactl"},
    {"lookup_dcookie"},
    {"nfsservctl"},
    // files named by handle, beyond any chroot
    {"open_by_handle_at"},
    {"name_to_handle_at"},
};

const Refused refused_unless_ptrace[] = {
    {"ptrace"},
    {"process_vm_readv"},
    {"process_vm_writev"},
};

// Adds the rule "`name` (when `args` all hold) -> action". libseccomp
// returns -errno.
void refuse(void* ctx, const Refused& call, std::uint32_t action, std::initializer_list<scmp_arg_cmp> args = {}) {
    const int nr = ::seccomp_syscall_resolve_name(call.name);
    if (nr < 0) {  // __NR_SCMP_ERROR, or a pseudo number: not a call of this architecture
        if (call.presence == Presence::some_abis) return;
        throw Error("cannot add the seccomp rule for " + quoted(call.name) + ": unknown on this architecture");
    }
    const int rc = ::seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.begin());
    if (rc < 0) throw SysError("cannot add the seccomp rule for", call.name, -rc);
}

// "(argument `arg` & mask) == value". (libseccomp's SCMP_A* macros are C
// compound literals.)
scmp_arg_cmp masked_eq(unsigned arg, scmp_datum_t mask, scmp_datum_t value) {
    return {arg, SCMP_CMP_MASKED_EQ, mask, value};
}

void set_attribute(void* ctx, scmp_filter_attr attr, std::uint32_t value, const char* what) {
    const int rc = ::seccomp_attr_set(ctx, attr, value);
    if (rc < 0) throw SysError(what, -rc);
}

}  // namespace

void load_default_filter(const FilterOptions& options) {
    const std::uint32_t eperm = SCMP_ACT_ERRNO(EPERM);

    // Default: allow. seccomp_init adds the native architecture alone.
    Filter filter(::seccomp_init(SCMP_ACT_ALLOW));
    if (!filter) throw Error("cannot create the seccomp filter (seccomp_init failed)");
    void* ctx = filter.get();

    // The kernel's own errno from the load, not libseccomp's -ECANCELED.
    set_attribute(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "cannot ask libseccomp for the kernel's error codes");
    // MUST 2: a call made through another ABI kills the whole process (not
    // only the thread, which would leave the rest running half-informed).
    set_attribute(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS,
                  "cannot set the seccomp filter's action for other architectures");
    // no_new_privs is set below, by us, where its failure has a name.
    set_attribute(ctx, SCMP_FLTATR_CTL_NNP, 0, "cannot tell libseccomp to leave no_new_privs to us");
    // A thread started before us (a library's) gets the filter too.
    set_attribute(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "cannot make the seccomp filter apply to every thread");

    for (const Refused& call : refused_always) refuse(ctx, call, eperm);
    if (!options.allow_ptrace)
        for (const Refused& call : refused_unless_ptrace) refuse(ctx, call, eperm);

    // New user namespaces: the flag is tested alone (masked); flags without
    // it pass whatever else they hold.
    refuse(ctx, {"unshare"}, eperm, {masked_eq(0, CLONE_NEWUSER, CLONE_NEWUSER)});
    // clone's flags are its first argument, except on s390, whose clone
    // takes the stack first (Docker's profile makes the same exception).
    const std::uint32_t arch = ::seccomp_arch_native();
    const unsigned flags_arg = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
    refuse(ctx, {"clone"}, eperm, {masked_eq(flags_arg, CLONE_NEWUSER, CLONE_NEWUSER)});
    // clone3's flags are in memory seccomp cannot read: ENOSYS sends glibc
    // (2.34 and later) back to clone, which the rule above checks.
    refuse(ctx, {"clone3"}, SCMP_ACT_ERRNO(ENOSYS));

    // MUST 3: the request's low 32 bits, as the kernel reads it.
    for (const unsigned long request : {TIOCSTI, TIOCLINUX})
        refuse(ctx, {"ioctl"}, eperm, {masked_eq(1, 0xffffffffU, request)});

    // The filter is built; only now does the process change. The kernel
    // refuses a filter from a process that has neither no_new_privs nor
    // CAP_SYS_ADMIN; setting it here names the failure precisely.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw SysError("cannot set no_new_privs", errno);
    const int rc = ::seccomp_load(ctx);
    if (rc < 0) throw SysError("cannot load the seccomp filter", -rc);
}

}  // namespace jk::seccomp
