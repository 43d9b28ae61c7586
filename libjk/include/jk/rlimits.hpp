// Resource limits of an isolated jail (DESIGN.md, "Entering a jail", step
// 2): set as root, before the namespaces and the privilege drop, in the
// process that then becomes the jailed user, so the limits hold for it and
// for everything it starts.
//
// The hard limit is the ceiling: after the drop the user may lower it, or
// move the soft limit up to it, but never raise it (that needs
// CAP_SYS_RESOURCE, which drop_to removes).
#pragma once

#include <sys/resource.h>

#include <span>
#include <string_view>

namespace jk::isolation {

// One limit of a jail's policy: an RLIMIT_* resource and its two values
// (RLIM_INFINITY for "unlimited"). The policy parser produces these.
struct Rlimit {
    int resource;
    rlim_t soft;
    rlim_t hard;
};

// The policy's name of an RLIMIT_* resource, the lower-case suffix of the
// constant ("nproc" for RLIMIT_NPROC, "as", "nofile", "fsize", "cpu",
// "core", ...); "" for a number that is no resource. Pure.
std::string_view rlimit_name(int resource) noexcept;

// Sets each limit with setrlimit, in order. Run it as root (raising a hard
// limit needs CAP_SYS_RESOURCE) before dropping privileges: RLIMIT_NPROC
// counts the processes of the real uid, and the kernel checks it at every
// fork and at the execve after a setuid, so it binds the user from the drop
// on. Throws Error when a soft limit is above its hard limit, SysError when
// setrlimit fails; both name the resource and the values. Limits set before
// the failing one stay set (the caller gives up on the login anyway).
void apply_rlimits(std::span<const Rlimit> limits);

}  // namespace jk::isolation
