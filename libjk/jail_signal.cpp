#include "jk/jail_signal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/proclist.hpp"
#include "jk/sys.hpp"

namespace jk::proclist {

namespace {

// The pids whose root is `jail`, read from proc_root.
std::vector<pid_t> pids_in(const std::string& proc_root, int proc_fd, const std::string& jail) {
    int dup = ::fcntl(proc_fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw SysError("cannot read the directory", proc_root, errno);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dup), &::closedir);
    if (!d) {
        const int err = errno;
        ::close(dup);
        throw SysError("cannot read the directory", proc_root, err);
    }
    std::vector<pid_t> out;
    while (dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (!is_pid_name(name)) continue;
        try {
            if (root_matches(sys::readlink_at(proc_fd, name + "/root"), jail))
                out.push_back(static_cast<pid_t>(std::stoll(name)));
        } catch (const SysError&) {
            // Gone, or not ours to read: not ours to signal either.
        }
    }
    return out;
}

// Whether `pid` is pid 1 of a pid namespace of its own (the last NSpid is
// 1): killing it kills the rest of its namespace, so it is signalled last
// and every other process is counted as the one signal sent to it.
bool is_namespace_init(int proc_fd, pid_t pid) {
    const int fd = ::openat(proc_fd, (std::to_string(pid) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const UniqueFd status(fd);
    std::string text;
    try {
        text = sys::read_all(status.get(), "status");
    } catch (const SysError&) {
        return false;
    }
    const std::size_t at = text.find("\nNSpid:");
    if (at == std::string::npos) return false;
    const std::size_t end = text.find('\n', at + 1);
    const std::string line = text.substr(at + 8, end == std::string::npos ? std::string::npos : end - at - 8);
    const std::size_t last = line.find_last_not_of(" \t");
    const std::size_t first = line.find_first_not_of(" \t");
    if (last == std::string::npos || first == std::string::npos) return false;
    const std::size_t from = line.find_last_of(" \t", last);
    // One value only: the host's own pid namespace, never a jail's init.
    return from != std::string::npos && from > first && line.substr(from + 1, last - from) == "1";
}

// A process of the jail held by a pidfd, so that its pid cannot be reused
// by another process between the check and the signal (MUST 1).
struct Held {
    pid_t pid;
    UniqueFd pidfd;
};

// MUST 1: hold the process and check it is still in the jail; nullopt when
// it is gone (or not ours to read), `why` set when it cannot be held.
std::optional<Held> hold(int proc_fd, pid_t pid, const std::string& jail, std::string& why) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        if (errno != ESRCH) why = std::strerror(errno);
        return std::nullopt;
    }
    try {
        if (!root_matches(sys::readlink_at(proc_fd, std::to_string(pid) + "/root"), jail)) return std::nullopt;
    } catch (const SysError&) {
        return std::nullopt;
    }
    return Held{pid, std::move(pidfd)};
}

}  // namespace

SignalResult signal_jail(const std::string& proc_root, const std::string& jail, int sig, int rounds) {
    const UniqueFd proc = sys::open_at(AT_FDCWD, proc_root, O_RDONLY | O_DIRECTORY, 0, proc_root);
    SignalResult r;
    for (int round = 0; round < (sig == SIGKILL ? rounds : 1); ++round) {
        std::vector<pid_t> pids = pids_in(proc_root, proc.get(), jail);
        if (pids.empty()) break;
        std::stable_partition(pids.begin(), pids.end(), [&](pid_t pid) { return !is_namespace_init(proc.get(), pid); });
        // Every process held first, then signalled: one that ends while the
        // others are signalled (a jail's pid 1 leaves with its program, and
        // takes its namespace with it) was in the jail when the signal went
        // out, and is counted as signalled, not lost to timing.
        std::vector<Held> held;
        for (pid_t pid : pids) {
            std::string why;
            if (std::optional<Held> h = hold(proc.get(), pid, jail, why))
                held.push_back(std::move(*h));
            else if (!why.empty())
                r.failures.push_back("pid " + std::to_string(pid) + ": " + why);
        }
        for (const Held& h : held) {
            if (::syscall(SYS_pidfd_send_signal, h.pidfd.get(), sig, nullptr, 0) == 0 || errno == ESRCH)
                ++r.signalled;
            else
                r.failures.push_back("pid " + std::to_string(h.pid) + ": " + std::strerror(errno));
        }
        if (sig == SIGKILL) ::usleep(20000);  // let the killed go before the next look
    }
    if (sig == SIGKILL) r.left = pids_in(proc_root, proc.get(), jail).size();
    return r;
}

}  // namespace jk::proclist
