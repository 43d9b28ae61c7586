// The setuid tools' own stack. A caller may exec them with RLIMIT_STACK at
// a few KiB; the kernel's random stack offset then decides whether syslog's
// formatting or an exception's unwinding still fits, and a crash half-way
// through a privileged sequence is no refusal. Raising the limit needs
// CAP_SYS_RESOURCE, which a host may keep out of the bounding set, and the
// program exec'd at the end must get the caller's limit anyway. So the
// tool's own code runs on a stack it maps itself, which RLIMIT_STACK does
// not govern.
//
// MUST:
//  1. Under a limit below own_stack_floor, fn runs on a mapped stack of that
//     size with a PROT_NONE guard page below it (an overflow faults; it
//     never runs into other memory).
//  2. No resource limit is changed: whatever fn executes inherits the
//     caller's.
//  3. When the mapping is refused (RLIMIT_AS), fn runs on the process stack,
//     as it would without this.
//  4. Single-threaded: no thread is started (namespaces, setuid and chroot
//     keep their per-process meaning).
#pragma once

#include <cstddef>
#include <functional>

namespace jk {

inline constexpr std::size_t own_stack_floor = std::size_t{1} << 20;  // 1 MiB

// Runs fn and returns its result. fn must not throw (run_main catches
// everything); an exception escaping it ends the process (std::terminate).
int run_on_own_stack_if_small(const std::function<int()>& fn);

}  // namespace jk
