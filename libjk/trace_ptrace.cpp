#include "jk/trace_ptrace.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/sys.hpp"

namespace jk::trace {

namespace {

#if defined(__x86_64__)
constexpr unsigned native_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned native_arch = AUDIT_ARCH_AARCH64;
#elif defined(__i386__)
constexpr unsigned native_arch = AUDIT_ARCH_I386;
#else
constexpr unsigned native_arch = 0;
#endif
static_assert(native_arch != 0, "jk_trace: no AUDIT_ARCH for this architecture");

constexpr long trace_options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                               PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;

// MUST 4: at most `max` bytes from the tracee, page by page (a string may
// end right before an unmapped page), up to the first NUL.
bool read_memory(pid_t pid, unsigned long long addr, std::size_t max, bool stop_at_nul, std::string& out) {
    out.clear();
    if (addr == 0) return false;
    const std::size_t page = 4096;
    char buf[4096];
    while (out.size() < max) {
        std::size_t want = page - static_cast<std::size_t>(addr % page);
        if (want > max - out.size()) want = max - out.size();
        iovec local{buf, want};
        iovec remote{reinterpret_cast<void*>(addr), want};  // NOLINT(performance-no-int-to-ptr)
        ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            // Fallback: the tracee's memory file (what strace does too).
            UniqueFd mem(::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
            if (!mem) return false;
            n = ::pread(mem.get(), buf, want, static_cast<off_t>(addr));
            if (n <= 0) return false;
        }
        const std::size_t got = static_cast<std::size_t>(n);
        if (stop_at_nul) {
            const void* nul = std::memchr(buf, '\0', got);
            if (nul != nullptr) {
                out.append(buf, static_cast<std::size_t>(static_cast<const char*>(nul) - buf));
                return true;
            }
        }
        out.append(buf, got);
        addr += got;
        if (!stop_at_nul && out.size() >= max) return true;
    }
    return !stop_at_nul;  // no NUL within PATH_MAX: not a path
}

std::string proc_link(pid_t pid, const std::string& what) {
    try {
        std::string s = sys::readlink_at(AT_FDCWD, "/proc/" + std::to_string(pid) + "/" + what);
        return s;
    } catch (const Error&) {
        return {};
    }
}

}  // namespace

Tracer::Tracer(std::string root, unsigned max_live, bool successes, std::function<void(const Event&)> on_event,
               std::function<void(const std::string&)> on_warning)
    : root_(std::move(root)),
      max_live_(max_live),
      successes_(successes),
      on_event_(std::move(on_event)),
      on_warning_(std::move(on_warning)) {
    // The loop waits for SIGCHLD with sigtimedwait: blocked, never handled.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &chld, &old_mask_) != 0) throw SysError("cannot block SIGCHLD", errno);
    blocked_ = true;
}

Tracer::~Tracer() {
    kill_all();
    if (blocked_) ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

pid_t Tracer::start_traced(const std::function<void()>& child) {
    const pid_t pid = ::fork();
    if (pid < 0) throw SysError("cannot fork", errno);
    if (pid == 0) {
        if (::sigprocmask(SIG_SETMASK, &old_mask_, nullptr) != 0) ::_exit(125);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(125);
        if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(125);
        ::raise(SIGSTOP);
        child();
        ::_exit(127);
    }
    int status = 0;
    if (::waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, __WALL);
        throw Error("the traced child did not stop for the tracer");
    }
    void* const options = reinterpret_cast<void*>(trace_options);  // NOLINT(performance-no-int-to-ptr)
    if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr, options) != 0) {
        const int e = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, __WALL);
        throw SysError("cannot set the ptrace options of the child", e);
    }
    Tracee t;
    t.fresh = false;
    tracees_[pid] = t;
    ::ptrace(PTRACE_SYSCALL, pid, nullptr, nullptr);
    return pid;
}

pid_t Tracer::start_untraced(const std::function<void()>& child) {
    const pid_t pid = ::fork();
    if (pid < 0) throw SysError("cannot fork", errno);
    if (pid == 0) {
        if (::sigprocmask(SIG_SETMASK, &old_mask_, nullptr) != 0) ::_exit(125);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(125);
        // Its own process group, so that kill_all() reaches what it forks.
        ::setpgid(0, 0);
        child();
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    untraced_.insert(pid);
    return pid;
}

bool Tracer::alive(pid_t pid) const {
    return tracees_.count(pid) != 0 || untraced_.count(pid) != 0;
}

int Tracer::status_of(pid_t pid) const {
    auto it = statuses_.find(pid);
    return it == statuses_.end() ? -1 : it->second;
}

void Tracer::signal_all(int sig) {
    for (const auto& [pid, t] : tracees_) ::kill(pid, sig);
    for (pid_t pid : untraced_) ::kill(-pid, sig);
}

void Tracer::kill_all() {
    // Tracees may fork while we kill: repeat until waitpid has seen them all.
    for (int pass = 0; pass < 1000 && !empty(); ++pass) {
        signal_all(SIGKILL);
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            tracees_.clear();  // ECHILD: nothing left to wait for
            untraced_.clear();
            break;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            exited(pid, status);
        } else if (tracees_.count(pid) == 0 && !untraced_.count(pid)) {
            tracees_[pid] = Tracee{};  // a new one met while killing: killed next pass
        }
    }
}

bool Tracer::step(Clock::time_point until, pid_t pid) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    while (!empty() && !over_limit_) {
        if (pid != 0 && !alive(pid)) return true;
        int status = 0;
        const pid_t got = ::waitpid(-1, &status, __WALL | WNOHANG);
        if (got > 0) {
            handle(got, status);
            continue;
        }
        if (got < 0 && errno != EINTR) {
            tracees_.clear();
            untraced_.clear();
            break;
        }
        const auto now = Clock::now();
        if (now >= until) return true;
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(until - now).count();
        // Woken by SIGCHLD, or every 100 ms at the latest (a signal merged
        // with one already pending is not lost: waitpid is asked again).
        const long long wait_ns = left < 100'000'000 ? left : 100'000'000;
        timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
        ::sigtimedwait(&chld, nullptr, &ts);
    }
    return !over_limit_;
}

void Tracer::exited(pid_t pid, int status) {
    tracees_.erase(pid);
    untraced_.erase(pid);
    statuses_[pid] = status;
}

void Tracer::handle(pid_t pid, int status) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        exited(pid, status);
        return;
    }
    if (!WIFSTOPPED(status)) return;
    if (untraced_.count(pid)) return;
    auto it = tracees_.find(pid);
    if (it == tracees_.end()) {
        // A new child of a traced one, auto-attached: counted (MUST 1).
        it = tracees_.emplace(pid, Tracee{}).first;
        if (tracees_.size() + untraced_.size() > max_live_) {
            over_limit_ = true;
            kill_all();
            return;
        }
    }
    Tracee& t = it->second;
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    int inject = 0;
    if (sig == (SIGTRAP | 0x80)) {
        syscall_stop(pid, t);
    } else if (sig == SIGTRAP && event != 0) {
        if (event == PTRACE_EVENT_EXEC) {
            unsigned long former = 0;
            ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former);
            if (static_cast<pid_t>(former) != pid) {
                // A thread exec'd: it took the leader's pid; its own is gone.
                tracees_.erase(static_cast<pid_t>(former));
                it = tracees_.find(pid);
                if (it == tracees_.end()) it = tracees_.emplace(pid, Tracee{}).first;
            }
            Tracee& e = it->second;
            e.started = true;
            e.fresh = false;
            e.program = program_of(pid);
            started_ = true;
        } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
            unsigned long child = 0;
            ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child);
            const pid_t c = static_cast<pid_t>(child);
            auto ci = tracees_.find(c);
            Tracee copy;
            copy.started = t.started;
            copy.program = t.program;
            if (ci == tracees_.end()) {
                copy.fresh = true;
                tracees_.emplace(c, copy);
            } else {
                // Its first stop came before this event: it is waiting.
                ci->second.started = copy.started;
                ci->second.program = copy.program;
            }
            if (tracees_.size() + untraced_.size() > max_live_) {
                over_limit_ = true;
                kill_all();
                return;
            }
        }
    } else if (sig == SIGSTOP && t.fresh) {
        t.fresh = false;  // the auto-attach stop: swallowed
    } else {
        inject = sig;  // a real signal: delivered
    }
    ::ptrace(PTRACE_SYSCALL, pid, nullptr,
             reinterpret_cast<void*>(static_cast<long>(inject)));  // NOLINT(performance-no-int-to-ptr)
}

std::string Tracer::program_of(pid_t pid) const {
    std::string exe = proc_link(pid, "exe");
    if (exe.empty()) return {};
    if (std::optional<std::string> in = inside_jail(root_, exe)) return *in;
    return exe;
}

bool Tracer::resolve(pid_t pid, int dirfd_value, bool relative_to_cwd, const std::string& raw, std::string& out) const {
    if (raw.empty()) return false;
    if (raw.front() == '/') {
        out = join_clean("/", raw);
        return true;
    }
    // MUST 5: the directory as the kernel shows it to us, mapped into the root.
    const std::string base = relative_to_cwd || dirfd_value == AT_FDCWD
                                 ? proc_link(pid, "cwd")
                                 : proc_link(pid, "fd/" + std::to_string(dirfd_value));
    if (base.empty() || base.front() != '/') return false;
    std::optional<std::string> inner = inside_jail(root_, base);
    if (!inner) return false;
    out = join_clean(*inner, raw);
    return true;
}

void Tracer::syscall_stop(pid_t pid, Tracee& t) {
    __ptrace_syscall_info info{};
    void* const size = reinterpret_cast<void*>(sizeof info);  // NOLINT(performance-no-int-to-ptr)
    const long n = ::ptrace(PTRACE_GET_SYSCALL_INFO, pid, size, &info);
    if (n <= 0) return;
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        if (info.arch != native_arch) {
            t.in_call = false;
            if (!warned_arch_ && t.started) {
                on_warning_("a traced program makes syscalls of another architecture: those are not followed");
                warned_arch_ = true;
            }
            return;
        }
        t.in_call = true;
        t.nr = info.entry.nr;
        for (int i = 0; i < 6; ++i) t.args[i] = info.entry.args[i];
        t.exec_path.clear();
        {
            // An exec's path is gone from memory once it succeeded: read now.
            std::optional<PathArg> pa = path_arg(static_cast<long>(t.nr));
            if (pa && pa->use == PathUse::exec) {
                std::string raw;
                if (read_memory(pid, t.args[pa->path_arg], PATH_MAX, true, raw))
                    resolve(pid, pa->dirfd_arg < 0 ? AT_FDCWD : static_cast<int>(t.args[pa->dirfd_arg]),
                            pa->dirfd_arg < 0, raw, t.exec_path);
            }
        }
        return;
    }
    if (info.op != PTRACE_SYSCALL_INFO_EXIT || !t.in_call) return;
    t.in_call = false;
    // MUST 2; the one exception is the exec of the program itself, the last
    // step of the entry: a script whose #! interpreter is missing fails
    // there, before anything of it ran.
    if (!t.started && !(path_arg(static_cast<long>(t.nr)) && path_arg(static_cast<long>(t.nr))->use == PathUse::exec))
        return;
    const long long rval = info.exit.rval;
    const int err = info.exit.is_error ? static_cast<int>(-rval) : 0;
    const bool wanted_failure = err == ENOENT || err == ENOTDIR;
    if (!wanted_failure && !(successes_ && err == 0)) return;

    const long nr = static_cast<long>(t.nr);
    Event ev;
    ev.err = err;
    ev.program = t.program;
    if (const char* sock = socket_call(nr)) {
        if (err != 0) {
            std::string addr;
            const std::size_t len = static_cast<std::size_t>(t.args[2]);
            if (len <= sizeof(sa_family_t) || len > sizeof(sockaddr_un)) return;
            if (!read_memory(pid, t.args[1], len, false, addr) || addr.size() < sizeof(sa_family_t) + 1) return;
            sa_family_t family = 0;
            std::memcpy(&family, addr.data(), sizeof family);
            if (family != AF_UNIX) return;
            std::string raw = addr.substr(sizeof(sa_family_t));
            if (raw.empty() || raw.front() == '\0') return;  // abstract: no file
            raw.resize(std::min(raw.find('\0'), raw.size()));
            if (!resolve(pid, AT_FDCWD, true, raw, ev.path)) return;
            ev.syscall = sock;
            ev.use = PathUse::socket;
            on_event_(ev);
        }
        return;
    }
    std::optional<PathArg> pa = path_arg(nr);
    if (!pa) return;
    ev.syscall = pa->name;
    ev.use = pa->use;
    if (pa->use == PathUse::exec) {
        // A successful exec: its exit stop is in the new image.
        if (t.exec_path.empty()) return;
        ev.path = t.exec_path;
        on_event_(ev);
        return;
    }
    std::string raw;
    if (!read_memory(pid, t.args[pa->path_arg], PATH_MAX, true, raw)) return;
    if (raw.empty()) return;  // AT_EMPTY_PATH and friends: no lookup
    const int dirfd = pa->dirfd_arg < 0 ? AT_FDCWD : static_cast<int>(static_cast<long long>(t.args[pa->dirfd_arg]));
    if (!resolve(pid, dirfd, pa->dirfd_arg < 0, raw, ev.path)) return;
    on_event_(ev);
}

}  // namespace jk::trace
