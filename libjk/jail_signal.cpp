#include "jk/jail_signal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

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

enum class Sent { delivered, gone, failed };

// MUST 1: hold the process, check it is still in the jail, then signal it.
Sent signal_one(int proc_fd, pid_t pid, const std::string& jail, int sig, std::string& why) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        if (errno == ESRCH) return Sent::gone;
        why = std::strerror(errno);
        return Sent::failed;
    }
    try {
        if (!root_matches(sys::readlink_at(proc_fd, std::to_string(pid) + "/root"), jail)) return Sent::gone;
    } catch (const SysError&) {
        return Sent::gone;
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0) return Sent::delivered;
    if (errno == ESRCH) return Sent::gone;
    why = std::strerror(errno);
    return Sent::failed;
}

}  // namespace

SignalResult signal_jail(const std::string& proc_root, const std::string& jail, int sig, int rounds) {
    const UniqueFd proc = sys::open_at(AT_FDCWD, proc_root, O_RDONLY | O_DIRECTORY, 0, proc_root);
    SignalResult r;
    for (int round = 0; round < (sig == SIGKILL ? rounds : 1); ++round) {
        const std::vector<pid_t> pids = pids_in(proc_root, proc.get(), jail);
        if (pids.empty()) break;
        for (pid_t pid : pids) {
            std::string why;
            switch (signal_one(proc.get(), pid, jail, sig, why)) {
                case Sent::delivered: ++r.signalled; break;
                case Sent::gone: break;
                case Sent::failed: r.failures.push_back("pid " + std::to_string(pid) + ": " + why); break;
            }
        }
        if (sig == SIGKILL) ::usleep(20000);  // let the killed go before the next look
    }
    if (sig == SIGKILL) r.left = pids_in(proc_root, proc.get(), jail).size();
    return r;
}

}  // namespace jk::proclist
