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

#include "jk/isolation.hpp"

namespace jk::isolation {

// Sets each limit with setrlimit, in order. Run it as root (raising a hard
// limit needs CAP_SYS_RESOURCE) before dropping privileges: RLIMIT_NPROC
// counts the processes of the real uid, and the kernel checks it at every
// fork and at the execve after a setuid, so it binds the user from the drop
// on. Throws Error when a soft limit is above its hard limit, SysError when
// setrlimit fails; both name the resource and the values. Limits set before
// the failing one stay set (the caller gives up on the login anyway).
void apply_rlimits(std::span<const Rlimit> limits);

}  // namespace jk::isolation
