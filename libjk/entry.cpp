#include "jk/entry.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

[[noreturn]] void enter_and_exec(Request r) {
    // ---- as root: into the jail through the fd that was checked
    try {
        privilege::enter_root(r.jail->fd(), r.jail->path());
    } catch (const SysError& e) {
        throw EntryError(Step::chroot, e.what(), e.err());
    }
    if (r.identity.uid == 0 && r.root == RootInJail::allowed) {
        stay_root(r.identity);
    } else {
        try {
            privilege::drop_to(r.identity, r.drop);
        } catch (const privilege::DropError& e) {
            throw EntryError(Step::drop, e.what(), e.err(), e.step());
        }
        // ---- as the user from here on
    }

    if (r.home != nullptr && ::fchdir(r.home->get()) != 0)
        throw EntryError(Step::home, std::string("cannot change directory to the home: ") + std::strerror(errno),
                         errno);
    if (r.own_session) {
        try {
            privilege::ensure_own_session();
        } catch (const SysError& e) {
            throw EntryError(Step::session, e.what(), e.err());
        }
    }
    ::umask(r.umask);
    try {
        privilege::exec_checked(r.program_fd, r.program, std::move(r.argv), std::move(r.env));
    } catch (const SysError& e) {
        throw EntryError(Step::exec, e.what(), e.err());
    }
}

}  // namespace jk::entry
