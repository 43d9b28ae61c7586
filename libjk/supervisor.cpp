#include "jk/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "jk/error.hpp"
#include "jk/privilege.hpp"
#include "jk/sanitizer_stack.hpp"

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
// (reap_all: every child, since the jail's orphans come to it). Returns
// child's wait status once child has ended. Reads no errno and allocates
// nothing (MUST 5): a failed call is one that cannot fail here, or an
// interrupted wait, tried again.
int supervise(pid_t child, bool reap_all) noexcept {
    const sigset_t set = supervised_set();
    for (;;) {
        // Reaped before each wait as well: a child may have ended before
        // the first one (its SIGCHLD, still pending, then costs one turn).
        for (;;) {
            int status = 0;
            const pid_t w = ::waitpid(reap_all ? -1 : child, &status, WNOHANG);
            if (w == child) return status;
            if (w > 0) continue;  // an orphan of the jail
            // -1: `child` is no child of ours (a caller's mistake, ECHILD);
            // waiting on would be for ever. WNOHANG never sleeps, so never
            // EINTR.
            if (w < 0) ::_exit(1);
            break;
        }
        siginfo_t info{};
        const int sig = ::sigwaitinfo(&set, &info);
        if (sig < 0 || sig == SIGCHLD) continue;  // EINTR: a stop and a continue
        if (passes_on(sig, info.si_code)) ::kill(child, sig);
    }
}

// A stack for a process that shares this one's memory: mapped apart, above
// a guard page, so that running over it faults instead of writing over
// what lies below.
class Stack {
public:
    explicit Stack(std::size_t size) {
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        size_ = size + page;
        void* mem = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (mem == MAP_FAILED) throw SysError("cannot map a stack for the jail's processes", errno);
        base_ = static_cast<char*>(mem);
        if (::mprotect(base_, page, PROT_NONE) != 0) {
            const int err = errno;
            ::munmap(base_, size_);
            throw SysError("cannot protect the guard page of a stack for the jail's processes", err);
        }
    }
    ~Stack() {
        if (base_ != nullptr) ::munmap(base_, size_);
    }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    // A stack grows down on every architecture Linux runs this on but
    // hppa, which Debian does not release.
    void* top() const noexcept { return base_ + size_; }
    const void* bottom() const noexcept { return base_ + guard(); }
    std::size_t usable() const noexcept { return size_ - guard(); }
    // Leaves the mapping in place for good: for a stack a process that
    // may still run uses.
    void keep() noexcept { base_ = nullptr; }

private:
    static std::size_t guard() noexcept { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
    char* base_ = nullptr;
    std::size_t size_ = 0;
};

constexpr std::size_t init_stack_size = std::size_t{2} << 20;
constexpr std::size_t program_stack_size = std::size_t{512} << 10;

// What a process started on a stack of its own gets from its starter, and
// what it leaves for it: written by the child, read by the starter only
// once the child has ended or executed (MUST 5).
struct Started {
    const void* work = nullptr;
    std::exception_ptr error;
    bool thrown = false;
};

// Runs `work` and records what it threw, outside the catch block (so that
// the exception handling state, which shares the starter's thread-local
// storage, is left as it was found).
template <class Fn>
void run_recording(Started& s, Fn&& work) noexcept {
    std::exception_ptr error;
    try {
        work();
        error = std::make_exception_ptr(Error("a process of the jail returned instead of executing its program"));
    } catch (...) {
        error = std::current_exception();
    }
    s.error = error;
    s.thrown = true;
}

// Exit statuses of a child that threw (its starter looks at Started, not
// at these; they only show in a trace).
constexpr int init_threw = 125;
constexpr int program_threw = 127;

}  // namespace

// What pid 1 starts with: in the outer process's frame, read by pid 1.
struct InitStart {
    const std::function<void(InitHandoff&)>* setup = nullptr;
    InitHandoff handoff;
    int write_end = -1;  // the outer process's; pid 1 closes its copy
    Started started;
    asan::StackBounds outer_stack;

    static int main(void* arg) noexcept {
        auto* self = static_cast<InitStart*>(arg);
        self->outer_stack = asan::arrive();
        // pid 1 takes the handoff: the outer process kept copies of what
        // it needs and reads nothing of it any more (MUST 5).
        InitHandoff mine = std::move(self->handoff);
        ::close(self->write_end);
        // run_recording catches whatever begin throws.
        // cppcheck-suppress throwInNoexceptFunction
        run_recording(self->started, [&] { self->begin(mine); });
        ::_exit(init_threw);
    }

    void begin(InitHandoff& mine) const {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            throw SysError("cannot tie the jail's pid 1 to the login", errno);
        // The outer process may have ended before the prctl: then nobody
        // would send the signal.
        if (mine.outer_gone()) throw Error("the login ended before the jail's pid 1 started");
        (*setup)(mine);
    }
};

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

void run_init(const std::function<void(InitHandoff&)>& setup) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) throw SysError("cannot make the pipe to the jail's pid 1", errno);
    UniqueFd write_end(ends[1]);
    Stack stack(init_stack_size);
    InitStart start;
    start.setup = &setup;
    start.handoff.fd_ = UniqueFd(ends[0]);
    start.write_end = ends[1];
    const int read_end = ends[0];

    hold_signals(start.handoff.mask_, start.handoff.chld_);
    start.handoff.held_ = true;
    const sigset_t mask = start.handoff.mask_;
    const struct sigaction chld = start.handoff.chld_;
    const asan::StackSwitch sw = asan::leave_for(stack.bottom(), stack.usable());
    const pid_t pid = ::clone(&InitStart::main, stack.top(), CLONE_VM | SIGCHLD, &start);
    if (pid < 0) {
        const int err = errno;
        restore_signals(mask, chld);
        throw SysError("cannot start the jail's pid 1", err);
    }
    // ---- the outer process: holds the write end until it ends; its own
    // copy of the read end goes, the object pid 1 took is not touched.
    ::close(read_end);
    (void)write_end.release();
    const int status = supervise(pid, false);
    // pid 1 has ended: its memory is this process's alone again.
    if (start.outer_stack.bottom != nullptr) asan::come_back(sw, start.outer_stack);
    if (WIFEXITED(status) && start.started.thrown) {
        stack.keep();  // what pid 1 threw may still point into it
        restore_signals(mask, chld);
        std::rethrow_exception(start.started.error);
    }
    ::_exit(exit_status_of(status));
}

void start_program(InitHandoff& handoff, const std::function<void()>& program, ProgramStart how) {
    if (::getpid() != 1) throw Error("only the pid 1 of the jail's pid namespace can supervise its program");
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw SysError("cannot make the jail's pid 1 non-dumpable", errno);
    // The drop of privileges cleared the one run_init set.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        throw SysError("cannot tie the jail's pid 1 to the login", errno);
    if (handoff.outer_gone()) throw Error("the login ended before the jail's program started");

    if (!handoff.held_) {
        hold_signals(handoff.mask_, handoff.chld_);
        handoff.held_ = true;
    }
    Stack stack(program_stack_size);
    struct Start {
        const std::function<void()>* program;
        sigset_t mask;
        struct sigaction chld;
        Started started;
        bool shared;
        asan::StackBounds pid1_stack;
        static int main(void* arg) noexcept {
            auto* self = static_cast<Start*>(arg);
            if (self->shared) self->pid1_stack = asan::arrive();
            // A handler would run in pid 1's memory before the exec, which
            // resets them all the same; an ignored signal stays ignored
            // across it.
            for (int sig = 1; sig < NSIG; ++sig) {
                struct sigaction old {};
                if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
                    ::signal(sig, SIG_DFL);
            }
            if (self->chld.sa_handler == SIG_IGN) ::signal(SIGCHLD, SIG_IGN);
            ::sigprocmask(SIG_SETMASK, &self->mask, nullptr);
            run_recording(self->started, [&] { (*self->program)(); });
            ::_exit(program_threw);
        }
    } start{&program, handoff.mask_, handoff.chld_, {}, how == ProgramStart::executes, {}};
    // CLONE_VFORK: pid 1 goes on once the program has executed or ended.
    const bool shared = start.shared;
    const asan::StackSwitch sw = shared ? asan::leave_for(stack.bottom(), stack.usable()) : asan::StackSwitch{};
    const pid_t pid = ::clone(&Start::main, stack.top(), shared ? CLONE_VM | CLONE_VFORK | SIGCHLD : SIGCHLD, &start);
    if (pid < 0) throw SysError("cannot start the jail's program", errno);
    if (shared && start.pid1_stack.bottom != nullptr) asan::come_back(sw, start.pid1_stack);
    if (shared && start.started.thrown) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        stack.keep();
        std::rethrow_exception(start.started.error);
    }
    // ---- pid 1 from here on: nothing open (MUST 3)
    (void)handoff.fd_.release();
    privilege::close_fds_from(0);
    ::_exit(exit_status_of(supervise(pid, true)));
}

}  // namespace jk::isolation
