#include "jk/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "jk/error.hpp"
#include "jk/privilege.hpp"

namespace jk::isolation {

namespace {

// What the outer process and pid 1 wait for: the signals they pass on, and
// SIGCHLD. Blocked, they stay pending until sigwaitinfo takes them (a
// blocked signal is queued even for a namespace's pid 1, which the kernel
// otherwise spares every signal it has no handler for).
sigset_t supervised_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : forwarded_signals) sigaddset(&set, sig);
    sigaddset(&set, SIGCHLD);
    return set;
}

// Blocks supervised_set() and makes SIGCHLD's disposition the default
// (with SIG_IGN, which a caller's parent may have left, the kernel would
// reap the children itself and their status would be lost); stores what
// was there before in `mask` and `chld`.
void hold_signals(sigset_t& mask, struct sigaction& chld) {
    const sigset_t set = supervised_set();
    ::sigprocmask(SIG_BLOCK, &set, &mask);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGCHLD, &dfl, &chld);
}

void restore_signals(const sigset_t& mask, const struct sigaction& chld) {
    ::sigaction(SIGCHLD, &chld, nullptr);
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
}

// The loop of the outer process (waits for `child` alone) and of pid 1
// (reap_all: every child, since the jail's orphans come to it). Ends the
// process with child's status once child has ended.
[[noreturn]] void supervise(pid_t child, bool reap_all) {
    const sigset_t set = supervised_set();
    for (;;) {
        // Reaped before each wait as well: a child may have ended before
        // the first one (its SIGCHLD, still pending, then costs one turn).
        for (;;) {
            int status = 0;
            const pid_t w = ::waitpid(reap_all ? -1 : child, &status, WNOHANG);
            if (w == child) ::_exit(exit_status_of(status));
            if (w > 0) continue;  // an orphan of the jail
            if (w < 0 && errno == EINTR) continue;
            // ECHILD: `child` is no child of ours (a caller's mistake);
            // waiting on would be for ever.
            if (w < 0) ::_exit(1);
            break;
        }
        siginfo_t info{};
        const int sig = ::sigwaitinfo(&set, &info);
        if (sig < 0 || sig == SIGCHLD) continue;  // EINTR: a stop and a continue
        if (passes_on(sig, info.si_code)) ::kill(child, sig);
    }
}

}  // namespace

bool passes_on(int sig, int si_code) noexcept {
    return si_code != SI_KERNEL || sig == SIGHUP || sig == SIGCONT;
}

int exit_status_of(int wait_status) noexcept {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 1;  // stopped or continued: waitpid reports neither without WUNTRACED/WCONTINUED
}

bool InitHandoff::outer_gone() const noexcept {
    if (!fd_) return false;
    // Nobody writes to the pipe: readable means end of file, the write
    // end's last holder (the outer process) has ended.
    pollfd p{fd_.get(), POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n != 0;  // an error counts as gone: go on only when sure
}

InitHandoff fork_init() {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) throw SysError("cannot make the pipe to the jail's pid 1", errno);
    UniqueFd read_end(ends[0]);
    UniqueFd write_end(ends[1]);

    InitHandoff handoff;
    hold_signals(handoff.mask_, handoff.chld_);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        restore_signals(handoff.mask_, handoff.chld_);
        throw SysError("cannot start the jail's pid 1", err);
    }
    if (pid == 0) {
        // ---- the jail's pid 1, still root, the signals held
        write_end.reset();
        handoff.fd_ = std::move(read_end);
        handoff.held_ = true;
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            throw SysError("cannot tie the jail's pid 1 to the login", errno);
        // The outer process may have ended before the prctl: then nobody
        // would send the signal.
        if (handoff.outer_gone()) throw Error("the login ended before the jail's pid 1 started");
        return handoff;
    }
    // ---- the outer process: holds the write end until it ends
    read_end.reset();
    (void)write_end.release();
    supervise(pid, false);
}

void wait_for_init(pid_t init) {
    sigset_t mask;
    struct sigaction chld {};
    hold_signals(mask, chld);
    supervise(init, false);
}

void fork_under_init(InitHandoff handoff) {
    if (::getpid() != 1) throw Error("only the pid 1 of the jail's pid namespace can supervise its program");
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw SysError("cannot make the jail's pid 1 non-dumpable", errno);
    // The drop of privileges cleared the one fork_init set.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        throw SysError("cannot tie the jail's pid 1 to the login", errno);
    if (handoff.outer_gone()) throw Error("the login ended before the jail's program started");

    if (!handoff.held_) hold_signals(handoff.mask_, handoff.chld_);
    const pid_t pid = ::fork();
    if (pid < 0) throw SysError("cannot start the jail's program", errno);
    if (pid == 0) {
        // ---- the program's process (pid 2); the lifeline closes on return
        restore_signals(handoff.mask_, handoff.chld_);
        return;
    }
    // ---- pid 1 from here on: nothing open (MUST 3)
    (void)handoff.fd_.release();
    privilege::close_fds_from(0);
    supervise(pid, true);
}

}  // namespace jk::isolation
