#include "jk/privilege.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "jk/main.hpp"
#include "jk/own_stack.hpp"

namespace jk::privilege {

namespace {

struct CapFree {
    void operator()(void* p) const noexcept { ::cap_free(p); }
};
using CapPtr = std::unique_ptr<struct _cap_struct, CapFree>;

std::string step_name(DropStep step) {
    switch (step) {
        case DropStep::bounding_set: return "cannot drop the capability bounding set";
        case DropStep::setgroups: return "cannot set the supplementary groups";
        case DropStep::setgid: return "cannot set the group id";
        case DropStep::setuid: return "cannot set the user id";
        case DropStep::capabilities: return "cannot clear the capabilities";
        case DropStep::verify: return "privileges remain after the drop";
        case DropStep::no_new_privs: return "cannot set no_new_privs";
    }
    return "privilege drop failed";
}

void make_std_fds_valid() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        // open() returns the lowest free fd, which is this one.
        int got = ::open("/dev/null", O_RDWR | O_NOFOLLOW);
        if (got != fd) {
            if (got >= 0) ::close(got);
            throw PrologueError("cannot reopen fd " + std::to_string(fd) + " on /dev/null");
        }
    }
}

void reset_signals() {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        ::sigaction(sig, &dfl, nullptr);  // EINVAL for the glibc-reserved ones
    }
}

CallerEnvironment take_environment() {
    std::vector<std::string> entries;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
    ::clearenv();
    return CallerEnvironment(std::move(entries));
}

bool no_capabilities_left() {
    CapPtr now(::cap_get_proc());
    CapPtr empty(::cap_init());
    if (!now || !empty) return false;
    return ::cap_compare(now.get(), empty.get()) == 0;
}

}  // namespace

std::optional<std::string> unsafe_value(std::string_view name, std::string_view value) {
    auto has_dotdot = [](std::string_view v) {
        for (;;) {
            const std::size_t slash = v.find('/');
            if (v.substr(0, slash) == "..") return true;
            if (slash == std::string_view::npos) return false;
            v.remove_prefix(slash + 1);
        }
    };
    if (name == "TZ") {
        std::string_view file = value;
        if (file.starts_with(':')) file.remove_prefix(1);
        if (has_dotdot(file)) return "names a file with a '..' component";
        if (file.starts_with('/') && file != "/etc/localtime" && !file.starts_with("/usr/share/zoneinfo/"))
            return "names a file outside /usr/share/zoneinfo";
        return std::nullopt;
    }
    if (name == "LANG" || name == "LANGUAGE" || name.starts_with("LC_")) {
        if (value.find('/') != std::string_view::npos) return "names a path, not a locale";
    }
    return std::nullopt;
}

CallerEnvironment::CallerEnvironment(std::vector<std::string> entries) {
    entries_.reserve(entries.size());
    for (std::string& e : entries) {
        const std::size_t eq = e.find('=');
        if (eq != std::string::npos) {
            const std::string_view name = std::string_view(e).substr(0, eq);
            if (std::optional<std::string> why = unsafe_value(name, std::string_view(e).substr(eq + 1))) {
                dropped_.emplace_back(std::string(name), std::move(*why));
                continue;
            }
        }
        entries_.push_back(std::move(e));
    }
}

std::optional<std::string> CallerEnvironment::dropped(std::string_view name) const {
    for (const auto& [n, why] : dropped_)
        if (n == name) return why;
    return std::nullopt;
}

std::optional<std::string> CallerEnvironment::get(std::string_view name) const {
    for (const std::string& e : entries_) {
        std::size_t eq = e.find('=');
        if (eq == std::string::npos) continue;
        if (std::string_view(e).substr(0, eq) == name) return e.substr(eq + 1);
    }
    return std::nullopt;
}

void close_fds_from(int first) {
    if (::close_range(static_cast<unsigned>(first), ~0U, 0) == 0) return;
    // Kernels before 5.9: close what /proc lists, else every possible fd.
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        std::vector<int> open_fds;
        while (const dirent* d = ::readdir(dir)) {
            char* end = nullptr;
            long fd = std::strtol(d->d_name, &end, 10);
            if (*end == '\0' && end != d->d_name && fd >= first && fd != ::dirfd(dir))
                open_fds.push_back(static_cast<int>(fd));
        }
        ::closedir(dir);
        for (int fd : open_fds) ::close(fd);
        return;
    }
    rlimit rl{};
    rlim_t limit = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_max : 1024;
    if (limit == RLIM_INFINITY || limit > (1u << 20)) limit = 1u << 20;
    for (rlim_t fd = static_cast<rlim_t>(first); fd < limit; ++fd) ::close(static_cast<int>(fd));
}

Prologue setuid_prologue() {
    make_std_fds_valid();
    close_fds_from(3);
    // A dumpable setuid process can be ptraced or core-dumped by its caller: refuse to go on.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw SysError("cannot make the process non-dumpable", errno);
    reset_signals();

    Prologue p;
    p.environment = take_environment();
    p.caller_umask = ::umask(022);

    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    ::getresuid(&ruid, &euid, &suid);
    ::getresgid(&rgid, &egid, &sgid);
    p.caller.uid = ruid;
    p.caller.euid = euid;
    p.caller.gid = rgid;
    int n = ::getgroups(0, nullptr);
    if (n < 0) throw SysError("cannot read the supplementary groups", errno);
    p.caller.groups.resize(static_cast<std::size_t>(n));
    n = ::getgroups(n, p.caller.groups.data());
    if (n < 0) throw SysError("cannot read the supplementary groups", errno);
    p.caller.groups.resize(static_cast<std::size_t>(n));
    return p;
}

void enter_root(int dirfd, const std::string& what) {
    if (::fchdir(dirfd) != 0) throw SysError("cannot change directory to", what, errno);
    if (::chroot(".") != 0) throw SysError("cannot chroot to", what, errno);
    if (::chdir("/") != 0) throw SysError("cannot change directory to / in", what, errno);
}

DropError::DropError(DropStep step, const std::string& message, int err)
    : Error(step_name(step) + (message.empty() ? "" : " (" + message + ")") +
            (err != 0 ? std::string(": ") + std::strerror(err) : std::string())),
      step_(step),
      err_(err) {}

void drop_to(const Identity& who, const DropOptions& options) {
    if (who.uid == 0) throw DropError(DropStep::verify, "refusing to 'drop' to uid 0", 0);

    // ---- as root

    // The bounding set can only shrink while CAP_SETPCAP is held, so it goes
    // first. An empty bounding set makes every setuid-root program in the
    // jail powerless, which is the point unless the admin asked for them.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        throw DropError(DropStep::bounding_set, "ambient set", errno);
    if (!options.allow_setuid_programs) {
        // Up to the kernel's last capability, which may be newer than our
        // headers: PR_CAPBSET_DROP fails with EINVAL past the end.
        for (int cap = 0;; ++cap) {
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
            if (errno == EINVAL && cap > 0) break;
            throw DropError(DropStep::bounding_set, "capability " + std::to_string(cap), errno);
        }
    }

    // Groups before ids: setgroups and setresgid need CAP_SETGID, which the
    // uid change takes away.
    if (::setgroups(who.groups.size(), who.groups.data()) != 0) throw DropError(DropStep::setgroups, "", errno);
    if (::setresgid(who.gid, who.gid, who.gid) != 0) throw DropError(DropStep::setgid, "", errno);
    if (::setresuid(who.uid, who.uid, who.uid) != 0) throw DropError(DropStep::setuid, "", errno);

    // ---- as the user

    // The kernel clears permitted and effective sets on a change away from
    // uid 0 unless SECBIT_KEEP_CAPS was set; clear them explicitly anyway and
    // verify below, so a caller-set securebit cannot keep anything.
    CapPtr empty(::cap_init());
    if (!empty || ::cap_set_proc(empty.get()) != 0) throw DropError(DropStep::capabilities, "", errno);

    if (!options.allow_setuid_programs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw DropError(DropStep::no_new_privs, "", errno);

    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (::getresuid(&r, &e, &s) != 0 || r != who.uid || e != who.uid || s != who.uid)
        throw DropError(DropStep::verify, "user ids", 0);
    if (::getresgid(&rg, &eg, &sg) != 0 || rg != who.gid || eg != who.gid || sg != who.gid)
        throw DropError(DropStep::verify, "group ids", 0);
    if (::setuid(0) == 0 || ::seteuid(0) == 0) throw DropError(DropStep::verify, "setuid(0) succeeded", 0);
    if (who.gid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0))
        throw DropError(DropStep::verify, "setgid(0) succeeded", 0);
    if (!no_capabilities_left()) throw DropError(DropStep::verify, "capabilities left", 0);
    // The bounding set needs no re-reading: each PR_CAPBSET_DROP above
    // either succeeded or stopped the drop.

    // The kernel keeps the list sorted and without duplicates.
    std::vector<gid_t> want = who.groups;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    std::vector<gid_t> now(want.size() + 1);
    int n = ::getgroups(static_cast<int>(now.size()), now.data());
    if (n < 0) throw DropError(DropStep::verify, "supplementary groups", errno);
    now.resize(static_cast<std::size_t>(n));
    std::sort(now.begin(), now.end());
    if (now != want) throw DropError(DropStep::verify, "supplementary groups", 0);
}

namespace {
volatile sig_atomic_t g_child = 0;
extern "C" void forward_signal(int sig) {
    if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
}
}  // namespace

void ensure_own_session(Terminal terminal) {
    if (::getsid(0) == ::getpid()) {
        if (terminal == Terminal::keep_own) return;
    } else if (::setsid() != -1) {
        return;  // not a process group leader: setsid works in place
    }

    pid_t child = ::fork();
    if (child < 0) throw SysError("cannot fork", errno);
    if (child == 0) {
        if (::setsid() == -1) throw SysError("cannot start a new session", errno);
        return;
    }

    g_child = child;
    struct sigaction fwd {};
    fwd.sa_handler = forward_signal;
    sigemptyset(&fwd.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM}) ::sigaction(sig, &fwd, nullptr);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) ::_exit(1);
    }
    if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
    // Die the way the child died, so the caller sees the same signal.
    int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    // Only die by the signal when that cannot leave a core file of this setuid process.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0) ::raise(sig);
    ::_exit(128 + sig);
}

void exec_checked(int fd, const std::string& path, std::vector<std::string> argv, std::vector<std::string> env) {
    struct stat want {};
    struct stat got {};
    if (::fstat(fd, &want) != 0) throw SysError("cannot execute", path, errno);
    if (::stat(path.c_str(), &got) != 0) throw SysError("cannot execute", path, errno);
    if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
        throw SysError("cannot execute (it changed while being started)", path, EAGAIN);

    auto c_strings = [](std::vector<std::string>& v) {
        std::vector<char*> out;
        out.reserve(v.size() + 1);
        for (auto& s : v) out.push_back(s.data());
        out.push_back(nullptr);
        return out;
    };
    std::vector<char*> cargv = c_strings(argv);
    std::vector<char*> cenv = c_strings(env);
    ::execveat(fd, "", cargv.data(), cenv.data(), AT_EMPTY_PATH);
    int err = errno;
    if (err == ENOENT) {
        ::execve(path.c_str(), cargv.data(), cenv.data());
        err = errno;
    }
    throw SysError("cannot execute", path, err);
}

int setuid_main(int argc, char** argv, const char* name,
                const std::function<int(const Prologue&, const std::vector<std::string>&)>& fn) {
    // Everything, the prologue included, on a stack the caller's
    // RLIMIT_STACK cannot starve (own_stack.hpp).
    return run_on_own_stack_if_small([&]() -> int {
        Prologue prologue;
        try {
            prologue = setuid_prologue();
        } catch (const Error& e) {
            return e.exit_code();
        }
        const std::vector<std::string> args(argv, argv + argc);
        return run_main(argc > 0 ? argv[0] : name, [&] { return fn(prologue, args); });
    });
}

}  // namespace jk::privilege
