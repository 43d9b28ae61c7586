// The jail's pid 1 and the process that waits for it (DESIGN.md, "Entering
// a jail", step 6), for an entry whose policy has a pid namespace
// (namespaces.hpp prepares the namespaces). Three processes:
//
//   the outer process   root, in the host's pid namespace, the login's
//        | fork_init    session leader: passes signals on to pid 1, waits
//        v              for it and exits with its status
//   the jail's pid 1    mounts /proc, enters the jail, drops privileges,
//        | fork_under_init   then only reaps, passes signals on, and exits
//        v              with the program's status
//   the program         (pid 2) loads the seccomp filter and executes the
//                       jailed program
//
// MUST:
//  1. Everything the login started ends with it. When the program ends,
//     pid 1 exits with its status, and the kernel kills whatever is left in
//     the pid namespace before the outer process sees pid 1 end. When the
//     outer process ends, however it ends (SIGKILL included), pid 1 gets
//     SIGKILL (PR_SET_PDEATHSIG), which ends the namespace the same way.
//  2. The outer process never leaves the jail running behind it: a signal
//     that would end it (SIGHUP when the connection drops, SIGTERM) is
//     passed on to pid 1, never obeyed, and it waits on.
//  3. pid 1 keeps nothing a jailed process could use: it closes every fd,
//     is not dumpable (the user cannot ptrace it; it runs without the
//     program's seccomp filter, so control of it would be a way around the
//     filter), installs no signal handler (it takes signals with
//     sigwaitinfo) and executes nothing.
//  4. A signal reaches the program once. Those a terminal generates (^C,
//     ^\, window size) go from the kernel to the terminal's foreground
//     process group, which holds the program (or the job it runs) already;
//     passing them on as well would deliver them twice or three times. So
//     a signal the kernel sent (si_code SI_KERNEL) is not passed on, except
//     SIGHUP and SIGCONT: on a hangup the kernel sends those to the session
//     leader alone.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "jk/fd.hpp"

namespace jk::isolation {

// The signals the outer process and pid 1 pass on (MUST 2, 4).
inline constexpr int forwarded_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH};

// Whether a signal `sig` that arrived with `si_code` is passed on (MUST 4).
// Pure.
bool passes_on(int sig, int si_code) noexcept;

// The exit status that stands for a child's wait status: its exit code, or
// 128 + N for a death by signal N (as a shell reports it). Pure.
int exit_status_of(int wait_status) noexcept;

// What pid 1 carries from fork_init to fork_under_init. Move-only.
//  - Its lifeline: the read end of a pipe whose write end only the outer
//    process holds, so pid 1 can tell that the outer process still lives.
//  - The signal state of fork_init's caller, which fork_under_init gives
//    the program back. pid 1 keeps forwarded_signals blocked from its first
//    instruction on: the kernel drops a signal with the default
//    disposition that reaches a namespace's pid 1 unless it is blocked, so
//    one the outer process passes on while pid 1 is still setting up (a
//    hangup during the entry) is held until the program runs, not lost.
class InitHandoff {
public:
    // An empty one, for tests: nothing to check, nothing held.
    InitHandoff() = default;
    // For tests: a lifeline alone.
    explicit InitHandoff(UniqueFd read_end) noexcept : fd_(std::move(read_end)) {}
    // True once the outer process has ended (the pipe reads end of file,
    // or cannot be polled). False for an empty lifeline.
    bool outer_gone() const noexcept;

private:
    friend InitHandoff fork_init();
    friend void fork_under_init(InitHandoff handoff);
    UniqueFd fd_;
    bool held_ = false;         // fork_init left the signals blocked
    sigset_t mask_{};           // the caller's signal mask before that
    struct sigaction chld_ {};  // and its disposition of SIGCHLD
};

// Forks the jail's pid 1. Call it right after unshare_namespaces (its
// first child is the pid namespace's pid 1), as root.
//  - In the child (pid 1) it returns the InitHandoff to give to
//    fork_under_init, with PR_SET_PDEATHSIG(SIGKILL) set (the privilege
//    drop clears it; fork_under_init sets it again) and forwarded_signals
//    and SIGCHLD still blocked (see InitHandoff): whatever pid 1 runs
//    before fork_under_init must not execute anything or wait for a child.
//  - The parent becomes the outer process and never returns: it does what
//    wait_for_init does. The signals are blocked before the fork, so none
//    can end it between the fork and its wait.
// Throws SysError when it cannot make the pipe or fork (nothing changed);
// in the child, SysError or Error when PR_SET_PDEATHSIG cannot be set or
// the outer process ended before it was (the child must exit then).
InitHandoff fork_init();

// The outer process: blocks forwarded_signals and SIGCHLD, and takes them
// with sigwaitinfo: each forwarded one that passes_on is sent to `init`
// (MUST 2, 4); when init ends, exits (_exit) with exit_status_of its status.
// Never returns. `init` must be a child of the caller. Signals that arrive
// before the call get their usual disposition: fork_init has no such gap.
[[noreturn]] void wait_for_init(pid_t init);

// The jail's pid 1, after it has entered the jail and dropped its
// privileges: makes itself not dumpable, sets PR_SET_PDEATHSIG(SIGKILL)
// again (a change of credentials clears it), then checks the lifeline of
// `handoff` (an empty one is not checked) to close the race with an outer
// process that ended in between (MUST 1), and forks.
//  - In the child (the program's process, pid 2) it returns, with the
//    signal mask and SIGCHLD's disposition fork_init's caller had and the
//    lifeline closed; the caller goes on to load the seccomp filter and
//    exec. Its errors are its own: it reports them and exits as today
//    (126, 127...), and pid 1 passes that status on.
//  - The parent (pid 1) closes every fd (MUST 3), then loops on
//    sigwaitinfo: reaps every child (orphans of the jail come to it),
//    passes forwarded signals on to the program's process (MUST 4; those
//    held since fork_init first), and when that process ends exits with
//    exit_status_of its status. Never returns.
// The fork is the user's: it counts against the user's RLIMIT_NPROC.
// Throws Error when the caller is not pid 1 or the outer process has ended,
// SysError when a prctl or the fork fails (in pid 1; nothing is running in
// the jail yet).
void fork_under_init(InitHandoff handoff);

}  // namespace jk::isolation
