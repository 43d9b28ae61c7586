// The jail's pid 1 and the process that waits for it (DESIGN.md, "Entering
// a jail", step 6), for an entry whose policy has a pid namespace
// (namespaces.hpp prepares the namespaces). Three processes:
//
//   the outer process   root, in the host's pid namespace, the login's
//        | run_init     session leader: passes signals on to pid 1, waits
//        v              for it and exits with its status
//   the jail's pid 1    mounts /proc, enters the jail, drops privileges,
//        | start_program  then only reaps, passes signals on, and exits
//        v              with the program's status
//   the program         (pid 2) loads the seccomp filter and executes the
//                       jailed program
//
// pid 1 and the program's process share the outer process's memory
// (CLONE_VM) until the program executes, each on a stack of its own: a
// copy of the address space costs more than the rest of an isolated
// login on hosts where page tables are expensive (virtual machines), and
// neither needs one. Each has its own credentials, fds, root, signal state
// and namespaces, as after a fork. An error of pid 1 or of the program's
// process before its exec is thrown again in the outer process, once both
// have ended, so the caller reports it as any other error of the entry.
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
//     is not dumpable (the user cannot ptrace it, nor read or write the
//     memory it shares with the outer process, which runs as root; it runs
//     without the program's seccomp filter), installs no signal handler (it
//     takes signals with sigwaitinfo) and executes nothing.
//  4. A signal reaches the program once. Those a terminal generates (^C,
//     ^\, window size) go from the kernel to the terminal's foreground
//     process group, which holds the program (or the job it runs) already;
//     passing them on as well would deliver them twice or three times. So
//     a signal the kernel sent (si_code SI_KERNEL) is not passed on, except
//     SIGHUP and SIGCONT: on a hangup the kernel sends those to the session
//     leader alone.
//  5. Shared memory is used by one process at a time. While pid 1 lives the
//     outer process only waits: it allocates nothing, reads no errno and
//     touches no object pid 1 uses; it reads what pid 1 left only once
//     pid 1 has ended (not been killed). pid 1 is stopped (CLONE_VFORK)
//     while the program's process runs, until its exec.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>

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

// How start_program starts the program's process.
enum class ProgramStart {
    // In pid 1's memory until it executes (CLONE_VM | CLONE_VFORK), pid 1
    // stopped meanwhile: `program` must execute; what it throws before is
    // thrown again in pid 1.
    executes,
    // In a copy of pid 1's memory, as a fork: for a `program` that runs the
    // caller's code instead of executing (the unit tests' programs). What
    // it throws is its own: it must catch it and _exit.
    copies_memory,
};

class InitHandoff;
[[noreturn]] void run_init(const std::function<void(InitHandoff&)>& setup);
[[noreturn]] void start_program(InitHandoff& handoff, const std::function<void()>& program, ProgramStart how);

// What pid 1 carries from run_init to start_program. Move-only.
//  - Its lifeline: the read end of a pipe whose write end only the outer
//    process holds, so pid 1 can tell that the outer process still lives.
//  - The signal state of run_init's caller, which start_program gives the
//    program back. pid 1 keeps forwarded_signals blocked from its first
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
    friend struct InitStart;
    friend void run_init(const std::function<void(InitHandoff&)>& setup);
    friend void start_program(InitHandoff& handoff, const std::function<void()>& program, ProgramStart how);
    UniqueFd fd_;
    bool held_ = false;         // run_init left the signals blocked
    sigset_t mask_{};           // the caller's signal mask before that
    struct sigaction chld_ {};  // and its disposition of SIGCHLD
};

// Starts the jail's pid 1 and makes the caller the outer process. Call it
// right after unshare_namespaces (pid 1 is the first process of the pid
// namespace the caller made), as root.
//  - pid 1 runs `setup` with PR_SET_PDEATHSIG(SIGKILL) set (the privilege
//    drop clears it; start_program sets it again) and forwarded_signals and
//    SIGCHLD blocked (see InitHandoff): whatever pid 1 runs before
//    start_program must not execute anything or wait for a child. `setup`
//    ends with start_program, which never returns, or throws.
//  - The caller blocks forwarded_signals and SIGCHLD before pid 1 starts, so
//    none can end it before it waits; it takes them with sigwaitinfo: each
//    forwarded one that passes_on is sent to pid 1 (MUST 2, 4); when pid 1
//    ends, it exits (_exit) with exit_status_of its status.
//  - When `setup` threw, in pid 1 or in the program's process before its
//    exec, run_init throws that exception once pid 1 has ended, with the
//    caller's signal mask and SIGCHLD disposition back (nothing of the jail
//    runs by then).
// Throws SysError when it cannot make the pipe, the stack or pid 1
// (nothing changed). Never returns otherwise.
[[noreturn]] void run_init(const std::function<void(InitHandoff&)>& setup);

// The jail's pid 1, after it has entered the jail and dropped its
// privileges: makes itself not dumpable, sets PR_SET_PDEATHSIG(SIGKILL)
// again (a change of credentials clears it), then checks the lifeline of
// `handoff` (an empty one is not checked) to close the race with an outer
// process that ended in between (MUST 1), and starts the program's process
// (pid 2), then waits until it has executed or ended (MUST 5).
//  - The program's process gets back the signal mask and SIGCHLD's
//    disposition run_init's caller had, every signal handler reset, then
//    runs `program`, which must execute the jailed program. What it throws
//    is thrown again here, in pid 1, once that process has ended.
//  - Once the program runs, pid 1 closes every fd (MUST 3), then loops on
//    sigwaitinfo: reaps every child (orphans of the jail come to it),
//    passes forwarded signals on to the program's process (MUST 4; those
//    held since run_init first), and when that process ends exits with
//    exit_status_of its status. Never returns.
// The program's process is the user's: it counts against the user's
// RLIMIT_NPROC. Throws Error when the caller is not pid 1 or the outer
// process has ended, SysError when a prctl or starting the process fails
// (nothing is running in the jail yet).
[[noreturn]] void start_program(InitHandoff& handoff, const std::function<void()>& program,
                                ProgramStart how = ProgramStart::executes);

}  // namespace jk::isolation
