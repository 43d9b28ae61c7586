#include "jk/entry.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "jk/cgroup_place.hpp"
#include "jk/handover.hpp"
#include "jk/namespaces.hpp"
#include "jk/rlimits.hpp"
#include "jk/seccomp_filter.hpp"
#include "jk/supervisor.hpp"
#include "jk/sys.hpp"
#include "jk/systemd_scope.hpp"

namespace jk::entry {

namespace {

// Root in the jail (jk_chrootlaunch without -u, or jk_uchroot run by root),
// as jailkit allowed: the groups are exactly the ones asked for, never the
// caller's; capabilities stay (jk_chrootlaunch(8), SECURITY.md).
void stay_root(const privilege::Identity& who) {
    if (::setgroups(who.groups.size(), who.groups.data()) != 0)
        throw EntryError(Step::drop, std::string("cannot set the supplementary groups: ") + std::strerror(errno), errno,
                         privilege::DropStep::setgroups);
    if (::setresgid(who.gid, who.gid, who.gid) != 0)
        throw EntryError(Step::drop, std::string("cannot set the group id: ") + std::strerror(errno), errno,
                         privilege::DropStep::setgid);
}

void enter_root(int jail_fd, const std::string& jail_path) {
    try {
        privilege::enter_root(jail_fd, jail_path);
    } catch (const SysError& e) {
        throw EntryError(Step::chroot, e.what(), e.err());
    }
}

void become(const Request& r) {
    if (r.identity.uid == 0 && r.root == RootInJail::allowed) {
        stay_root(r.identity);
        return;
    }
    try {
        privilege::drop_to(r.identity, r.drop);
    } catch (const privilege::DropError& e) {
        throw EntryError(Step::drop, e.what(), e.err(), e.step());
    }
}

void own_session() {
    try {
        privilege::ensure_own_session();
    } catch (const SysError& e) {
        throw EntryError(Step::session, e.what(), e.err());
    }
}

void change_to(int home_fd) {
    if (::fchdir(home_fd) != 0)
        throw EntryError(Step::home, std::string("cannot change directory to the home: ") + std::strerror(errno),
                         errno);
}

[[noreturn]] void exec(Request& r) {
    try {
        privilege::exec_checked(r.program_fd, r.program, std::move(r.argv), std::move(r.env));
    } catch (const SysError& e) {
        throw EntryError(Step::exec, e.what(), e.err());
    }
}

template <class Fn>
auto isolation_step(Fn&& fn) {
    try {
        return fn();
    } catch (const EntryError&) {
        throw;
    } catch (const SysError& e) {
        throw EntryError(Step::isolation, e.what(), e.err());
    } catch (const Error& e) {
        throw EntryError(Step::isolation, e.what(), 0);
    }
}

// What the policy asks that this entry cannot honour: refused before
// anything changes (MUST 5).
void refuse_what_cannot_apply(const isolation::Policy& p, const Request& r) {
    if (p.seccomp && r.drop.allow_setuid_programs)
        throw EntryError(
            Step::policy,
            "the jail's policy asks for the syscall filter, which needs no_new_privs, and the login "
            "allows setuid programs (allow_setuid), which no_new_privs makes powerless: set one of the two",
            0);
}

// Who places the login in its slice; a slice nobody can place refuses the
// entry before anything changes (MUST 5).
cgroup::Placer placer_of(const isolation::Policy& p) {
    try {
        return cgroup::placer_for(p, systemd::booted());
    } catch (const Error& e) {
        throw EntryError(Step::policy, e.what(), 0);
    }
}

// Whether systemd places the login (a static tool cannot load libsystemd:
// handover.hpp). A slice nobody can place is placer_of's to refuse.
bool asks_systemd(const isolation::Policy& p) {
    try {
        return cgroup::placer_for(p, systemd::booted()) == cgroup::Placer::systemd;
    } catch (const Error&) {
        return false;
    }
}

// Into the jail's slice, as root (cgroup_place.hpp MUST 4).
void place(const isolation::Policy& p, cgroup::Placer placer, const Request& r) {
    switch (placer) {
        case cgroup::Placer::none: return;
        case cgroup::Placer::delegate:
            isolation_step([&] { cgroup::place_self(p.cgroup_delegate, p.slice, p.cgroup); });
            return;
        case cgroup::Placer::systemd:
            isolation_step([&] { systemd::place_self(p.slice, p.cgroup, "jailkit login into " + r.jail->path()); });
            return;
    }
}

// The home as the user will see it: in a new mount namespace re-opened
// beneath the jail's new fd and checked to be the directory the tool
// checked (MUST 6).
UniqueFd home_in(int jail_fd, const Request& r) {
    const struct stat checked = sys::fstat_fd(r.home->get(), r.home_path);
    UniqueFd again;
    try {
        again = open_in_root(jail_fd, r.home_path, O_PATH | O_NOFOLLOW | O_DIRECTORY, 0, r.home_path);
    } catch (const SysError& e) {
        throw EntryError(Step::home, std::string("cannot open the home again in the jail's namespace: ") + e.what(),
                         e.err());
    }
    const struct stat now = sys::fstat_fd(again.get(), r.home_path);
    if (now.st_dev != checked.st_dev || now.st_ino != checked.st_ino)
        throw EntryError(Step::home, "the home changed while entering the jail", EAGAIN);
    return again;
}

// The last steps in the program's own process: home, umask, filter, exec.
[[noreturn]] void run_program(Request& r, const isolation::Policy& p, int home_fd) {
    if (home_fd >= 0) change_to(home_fd);
    ::umask(r.umask);
    if (p.seccomp) {
        try {
            seccomp::load_default_filter({p.seccomp_allow_ptrace});
        } catch (const Error& e) {
            throw EntryError(Step::isolation, std::string("cannot load the syscall filter: ") + e.what(), 0);
        }
    }
    exec(r);
}

// From the namespaces on, in the jail's pid 1 when there is one (`init`),
// else in the caller: the mounts, the home, the root, the identity; then
// the program, in a process of its own under pid 1.
[[noreturn]] void finish_entry(Request& r, const isolation::Policy& p, UniqueFd& jail, isolation::InitHandoff* init) {
    isolation_step([&] { isolation::prepare_mounts(p, jail.get(), r.jail->path(), r.thin_assembled); });
    UniqueFd home;
    if (r.home != nullptr) home = p.ns.mount ? home_in(jail.get(), r) : UniqueFd(::dup(r.home->get()));
    enter_root(jail.get(), r.jail->path());
    jail.reset();
    become(r);
    // ---- as the user from here on (or root in the jail where allowed)
    const int home_fd = home ? home.get() : -1;
    if (init != nullptr) isolation_step([&] { isolation::start_program(*init, [&] { run_program(r, p, home_fd); }); });
    run_program(r, p, home_fd);
}

[[noreturn]] void enter_isolated(Request& r, const isolation::Policy& p) {
    refuse_what_cannot_apply(p, r);
    const cgroup::Placer placer = placer_of(p);
    // ---- as root, the host still in view
    isolation_step([&] { isolation::apply_rlimits(p.limits); });
    // Into the jail's slice before any namespace (cgroup_place.hpp MUST 4):
    // the cgroup namespace is rooted here, pid 1 and the program inherit it.
    place(p, placer, r);
    // Before the namespaces: the jailed processes share this session and its
    // terminal (job control), and the process that waits for the jail's
    // pid 1 is its leader.
    if (r.own_session) own_session();
    UniqueFd jail = isolation_step(
        [&] { return isolation::unshare_namespaces(p, r.jail->fd(), r.jail->path(), r.thin_assembled); });
    // The caller stays behind as the login's process, waiting for pid 1;
    // what pid 1 throws comes back here once it has ended.
    if (p.ns.pid)
        isolation_step(
            [&] { isolation::run_init([&](isolation::InitHandoff& init) { finish_entry(r, p, jail, &init); }); });
    finish_entry(r, p, jail, nullptr);
}

}  // namespace

std::optional<isolation::Policy> policy_of(const Jail& jail, const char* confdir) {
    std::optional<isolation::Policy> policy;
    try {
        policy = isolation::load_policy(confdir != nullptr ? confdir : JK_SYSCONFDIR, jail.path());
    } catch (const SysError& e) {
        throw EntryError(Step::policy, std::string("cannot read the jail's isolation policy: ") + e.what(), e.err());
    } catch (const Error& e) {
        throw EntryError(Step::policy, std::string("refusing the jail's isolation policy: ") + e.what(), 0);
    }
    if (policy && policy->empty()) policy.reset();
    if (policy && handover::has_twin() && asks_systemd(*policy)) {
        try {
            handover::to_twin("the jail's slice is placed by systemd, through libsystemd");
        } catch (const Error& e) {
            throw EntryError(Step::policy, e.what(), 0);
        }
    }
    return policy;
}

bool assemble_thin(std::optional<Jail>& jail, const std::optional<isolation::Policy>& policy) {
    if (!jail || !policy || !policy->thin()) return false;
    UniqueFd fd = isolation_step([&] { return isolation::assemble_thin(*policy, jail->fd(), jail->path()); });
    jail = jail->reached_through(std::move(fd));
    return true;
}

[[noreturn]] void enter_and_exec(Request r) {
    if (!r.policy_read) r.policy = policy_of(*r.jail, r.confdir);
    if (r.policy) enter_isolated(r, *r.policy);

    // ---- as root: into the jail through the fd that was checked
    enter_root(r.jail->fd(), r.jail->path());
    become(r);
    // ---- as the user from here on (or root in the jail where allowed)
    if (r.home != nullptr) change_to(r.home->get());
    if (r.own_session) own_session();
    ::umask(r.umask);
    exec(r);
}

}  // namespace jk::entry
