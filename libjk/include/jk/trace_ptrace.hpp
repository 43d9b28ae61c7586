// jk_trace's tracer (issue 14): runs processes under ptrace(2), follows
// their forks, clones and execs, and reports every path lookup of interest
// (jk/trace_rules.hpp) with its result. No strace: the syscall and its
// arguments come from PTRACE_GET_SYSCALL_INFO (Linux 5.3), strings from the
// tracee's memory with process_vm_readv.
//
// MUST (issue 14, "Safety: the user is hostile"):
//  1. Every tracee is killed when the tracer goes (PTRACE_O_EXITKILL), when
//     the deadline passes, and when the number of live tracees (processes
//     and threads) passes the limit; kill_all() leaves nothing running.
//  2. Only lookups after a tracee's first exec are reported: what the tools
//     do as root before the program starts (entering the jail) is not the
//     program's. The exception is that exec itself (the program's path, and
//     why it failed).
//  3. Syscalls of another ABI than the tracer's own (i386 on x86_64) are
//     not decoded (their numbers mean other calls); the first is reported
//     once through on_warning.
//  4. Strings read from a tracee are bounded (PATH_MAX); a path that cannot
//     be read is dropped, never guessed.
//  5. A relative path is resolved against the tracee's directory fd or
//     working directory as the kernel shows it to the tracer (host view),
//     then mapped into the tracee's root; a directory outside that root
//     drops the event.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "jk/trace_rules.hpp"

namespace jk::trace {

struct Event {
    std::string path;     // inside the tracee's root, absolute, lexically clean
    const char* syscall;  // "openat", "connect"...
    PathUse use;
    int err = 0;          // 0: the call succeeded; else its errno
    std::string program;  // the tracee's executable inside its root ("" unknown)
};

using Clock = std::chrono::steady_clock;

class Tracer {
public:
    // `root`: the directory the tracees run chrooted in (a jail's canonical
    // path, or "/"). `max_live`: MUST 1. `on_event` gets failed lookups
    // (ENOENT, ENOTDIR) and, with `successes`, the successful ones too.
    Tracer(std::string root, unsigned max_live, bool successes, std::function<void(const Event&)> on_event,
           std::function<void(const std::string&)> on_warning);
    ~Tracer();
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    // Forks a child that asks to be traced, stops, then runs `child` (which
    // must exec or _exit; it runs with the signal mask the caller had).
    // Returns its pid once it is traced. Throws SysError.
    pid_t start_traced(const std::function<void()>& child);
    // Forks a child that is not traced (a test run on the host), tracked so
    // that step() reaps it and kill_all() ends it.
    pid_t start_untraced(const std::function<void()>& child);

    // Runs the tracees until `until`, or until `pid` (if not 0) has exited,
    // or until nothing is left. Returns false when the process limit was
    // passed (everything then killed).
    bool step(Clock::time_point until, pid_t pid = 0);

    bool alive(pid_t pid) const;
    bool empty() const { return tracees_.empty() && untraced_.empty(); }
    // Sends `sig` to every tracee (and untraced child) still there.
    void signal_all(int sig);
    // SIGKILL to everything, then reaps all of it (MUST 1).
    void kill_all();

    bool started() const { return started_; }  // some tracee exec'd
    bool over_limit() const { return over_limit_; }
    int status_of(pid_t pid) const;  // wait status of an exited child, -1 unknown

private:
    struct Tracee {
        bool started = false;  // exec'd (MUST 2)
        bool fresh = true;     // its first stop (SIGSTOP) not seen yet
        bool in_call = false;  // an entry stop was seen
        unsigned long long nr = 0;
        unsigned long long args[6] = {};
        std::string exec_path;  // execve's path, read at the entry
        std::string program;
    };
    void handle(pid_t pid, int status);
    void syscall_stop(pid_t pid, Tracee& t);
    void exited(pid_t pid, int status);
    std::string program_of(pid_t pid) const;
    bool resolve(pid_t pid, int dirfd_value, bool relative_to_cwd, const std::string& raw, std::string& out) const;

    std::string root_;
    unsigned max_live_;
    bool successes_;
    std::function<void(const Event&)> on_event_;
    std::function<void(const std::string&)> on_warning_;
    std::unordered_map<pid_t, Tracee> tracees_;
    std::unordered_set<pid_t> untraced_;
    std::unordered_map<pid_t, int> statuses_;
    bool started_ = false;
    bool over_limit_ = false;
    bool warned_arch_ = false;
    bool blocked_ = false;  // SIGCHLD blocked by the constructor
    sigset_t old_mask_{};
};

}  // namespace jk::trace
