// libjk/seccomp_filter. A filter cannot be removed, so
// every case loads it in a forked child, which reports by its exit status:
// the errno of the call under test (0 when it succeeded), 199 when the child
// threw, 200 + the signal that killed it.
//
// Each refusal is checked against the same call made without the filter,
// which must end otherwise: a host that already refuses a call with EPERM
// (a container's own filter, kernel.io_uring_disabled, a non-root run)
// would make the filter's rule impossible to see, so such a call is named
// in a warning and not counted as checked.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "jk/seccomp_filter.hpp"

using jk::seccomp::FilterOptions;

namespace {

constexpr int child_threw = 199;
constexpr int killed_by = 200;  // + the signal

// Runs fn in a child, under the default filter when `filter` is given.
int in_child(const std::optional<FilterOptions>& filter, const std::function<int()>& fn) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // A crash is the child's result, not a report from Catch2's handler.
        for (const int sig : {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGABRT}) std::signal(sig, SIG_DFL);
        int rc = child_threw;
        try {
            if (filter) jk::seccomp::load_default_filter(*filter);
            rc = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(rc);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : killed_by + WTERMSIG(status);
}

// The errno a call ends with, 0 when it succeeds (returns >= 0).
int errno_of(const std::function<long()>& call) {
    errno = 0;
    return call() < 0 ? errno : 0;
}

std::string describe(int code) {
    if (code == child_threw) return "the child threw";
    if (code >= killed_by) return std::string("killed by ") + ::strsignal(code - killed_by);
    return code == 0 ? "success" : std::string(::strerrordesc_np(code));
}

// A new pty whose slave is the controlling terminal of the calling process,
// which becomes a session leader for it: TIOCSTI on a terminal that is not
// the caller's own fails with EPERM for a non-root caller anyway.
int controlling_pty() {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pty");
    const char* name = ::ptsname(master);
    if (name == nullptr || ::setsid() < 0) throw std::runtime_error("no pty name or session");
    const int slave = ::open(name, O_RDWR);  // no O_NOCTTY: the session's terminal from now on
    if (slave < 0) throw std::runtime_error("cannot open the pty's slave");
    return slave;
}

struct Probe {
    const char* what;
    std::function<long()> call;
    int refused_with = EPERM;
};

// The calls the filter refuses, each with arguments under which it fails
// harmlessly (or succeeds harmlessly) without the filter, even as root.
std::vector<Probe> refused_calls() {
    const char* nowhere = "/nonexistent-jk-unit-seccomp";
    std::vector<Probe> probes{
        {"unshare(CLONE_NEWUSER)", [] { return ::unshare(CLONE_NEWUSER); }},
        {"unshare(CLONE_NEWUSER | CLONE_NEWNS)", [] { return ::unshare(CLONE_NEWUSER | CLONE_NEWNS); }},
        {"clone(CLONE_NEWUSER)",
         [] {
             const long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
             if (pid == 0) ::_exit(0);
             if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
             return pid;
         }},
        {"clone3", [] { return ::syscall(SYS_clone3, nullptr, 0); }, ENOSYS},
        {"setns", [] { return ::setns(-1, 0); }},
        {"keyctl", [] { return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); }},
        {"add_key", [] { return ::syscall(SYS_add_key, "user", nullptr, nullptr, 0, KEY_SPEC_SESSION_KEYRING); }},
        {"request_key", [] { return ::syscall(SYS_request_key, "user", "jk-no-such-key", nullptr, 0); }},
        {"mount", [=] { return ::mount(nullptr, nowhere, "tmpfs", 0, nullptr); }},
        {"umount2", [=] { return ::umount2(nowhere, 0); }},
        {"pivot_root", [=] { return ::syscall(SYS_pivot_root, nowhere, nowhere); }},
        {"open_tree", [=] { return ::syscall(SYS_open_tree, AT_FDCWD, nowhere, 0); }},
        {"move_mount", [] { return ::syscall(SYS_move_mount, -1, "", -1, "", 0); }},
        {"fsopen", [] { return ::syscall(SYS_fsopen, "jk-no-such-filesystem", 0); }},
        {"fsconfig", [] { return ::syscall(SYS_fsconfig, -1, 0 /* FSCONFIG_SET_FLAG */, "ro", nullptr, 0); }},
        {"fsmount", [] { return ::syscall(SYS_fsmount, -1, 0, 0); }},
        {"fspick", [=] { return ::syscall(SYS_fspick, AT_FDCWD, nowhere, 0); }},
        {"mount_setattr", [=] { return ::syscall(SYS_mount_setattr, AT_FDCWD, nowhere, 0, nullptr, 0); }},
        {"swapoff", [=] { return ::syscall(SYS_swapoff, nowhere); }},
        // Modules, kexec and reboot with arguments the kernel refuses right
        // after its capability check: too short to be a module, a foreign
        // architecture or an unknown flag, the wrong magic numbers.
        {"init_module", [] { return ::syscall(SYS_init_module, nullptr, 0, ""); }},
        {"finit_module", [] { return ::syscall(SYS_finit_module, -1, "", 0); }},
        {"delete_module", [] { return ::syscall(SYS_delete_module, "jk_no_such_module", O_NONBLOCK); }},
        {"kexec_load", [] { return ::syscall(SYS_kexec_load, 0, 0, nullptr, 0xffff0000UL); }},
        {"kexec_file_load", [] { return ::syscall(SYS_kexec_file_load, -1, -1, 0, "", 0x80000000UL); }},
        {"reboot", [] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }},
        {"swapon", [=] { return ::syscall(SYS_swapon, nowhere, 0); }},
        {"bpf", [] { return ::syscall(SYS_bpf, 0, nullptr, 0); }},
        {"perf_event_open", [] { return ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }},
        {"userfaultfd", [] { return ::syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY); }},
        {"io_uring_setup", [] { return ::syscall(SYS_io_uring_setup, 1, nullptr); }},
        {"io_uring_enter", [] { return ::syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0); }},
        {"io_uring_register", [] { return ::syscall(SYS_io_uring_register, -1, 0, nullptr, 0); }},
        {"settimeofday (no values: changes nothing)", [] { return ::syscall(SYS_settimeofday, nullptr, nullptr); }},
        {"clock_settime(CLOCK_MONOTONIC)",
         [] {
             const timespec ts{};
             return ::clock_settime(CLOCK_MONOTONIC, &ts);
         }},
        // glibc's adjtimex is clock_adjtime(CLOCK_REALTIME): both by number.
        {"adjtimex (a query)",
         [] {
             timex tx{};
             return ::syscall(SYS_adjtimex, &tx);
         }},
        {"clock_adjtime (a query)",
         [] {
             timex tx{};
             return ::syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
         }},
        {"syslog (the buffer's size)", [] { return ::syscall(SYS_syslog, 10, nullptr, 0); }},
        {"acct (a file that does not exist)", [=] { return ::syscall(SYS_acct, nowhere); }},
        {"vhangup (without a controlling terminal)",
         [] {
             if (::setsid() < 0) throw std::runtime_error("setsid failed");
             return ::syscall(SYS_vhangup);
         }},
        {"quotactl", [=] { return ::syscall(SYS_quotactl, QCMD(Q_GETINFO, USRQUOTA), nowhere, 0, nullptr); }},
        {"lookup_dcookie", [] { return ::syscall(SYS_lookup_dcookie, 0, nullptr, 0); }},
        {"nfsservctl", [] { return ::syscall(SYS_nfsservctl, 0, nullptr, nullptr); }},
        {"name_to_handle_at", [] { return ::syscall(SYS_name_to_handle_at, AT_FDCWD, "/", nullptr, nullptr, 0); }},
        {"open_by_handle_at", [] { return ::syscall(SYS_open_by_handle_at, -1, nullptr, 0); }},
        {"ptrace(PTRACE_TRACEME)", [] { return ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); }},
        {"process_vm_readv (own memory)",
         [] {
             int from = 1, to = 0;
             const iovec local{&to, sizeof to};
             const iovec remote{&from, sizeof from};
             return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
         }},
        {"process_vm_writev (own memory)",
         [] {
             int from = 1, to = 0;
             const iovec local{&from, sizeof from};
             const iovec remote{&to, sizeof to};
             return ::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0);
         }},
        {"ioctl(TIOCSTI) on the own terminal",
         [] {
             const char c = '\n';
             return ::ioctl(controlling_pty(), TIOCSTI, &c);
         }},
        {"ioctl(TIOCLINUX)",
         [] {
             char subcode = 3;  // TIOCL_PASTESEL; a pty answers ENOTTY, a console would paste
             return ::ioctl(controlling_pty(), TIOCLINUX, &subcode);
         }},
    };
#if ULONG_MAX > 0xffffffffUL
    probes.push_back({"ioctl(TIOCSTI | 1 << 32): the kernel reads 32 bits", [] {
                          const char c = '\n';
                          const unsigned long request = static_cast<unsigned long>(TIOCSTI) | (1UL << 32);
                          return ::syscall(SYS_ioctl, controlling_pty(), request, &c);
                      }});
#endif
    return probes;
}

}  // namespace

TEST_CASE("load_default_filter refuses each listed call", "[seccomp]") {
    const std::vector<Probe> probes = refused_calls();
    std::size_t checked = 0;
    for (const Probe& p : probes) {
        INFO(p.what);
        const int without = in_child(std::nullopt, [&] { return errno_of(p.call); });
        REQUIRE(without != child_threw);
        if (without == p.refused_with) {
            WARN(p.what << " already fails with " << describe(without) << " without the filter: not checked");
            continue;
        }
        const int with = in_child(FilterOptions{}, [&] { return errno_of(p.call); });
        INFO("without the filter: " << describe(without) << "; with it: " << describe(with));
        CHECK(with == p.refused_with);
        ++checked;
    }
    // As root nearly every probe is checked (a host may refuse a few, e.g.
    // kexec under lockdown); most calls refused without the filter means
    // the probes themselves went wrong.
    if (::geteuid() == 0) CHECK(checked >= probes.size() * 3 / 4);
}

TEST_CASE("load_default_filter sets no_new_privs and stays over exec", "[seccomp]") {
    const int rc = in_child(FilterOptions{}, [] {
        std::ifstream in("/proc/self/status");
        std::string line;
        bool nnp = false, filtered = false;
        while (std::getline(in, line)) {
            if (line == "NoNewPrivs:\t1") nnp = true;
            if (line == "Seccomp:\t2") filtered = true;  // SECCOMP_MODE_FILTER
        }
        if (!nnp) return 1;
        if (!filtered) return 2;
        ::execl("/bin/sh", "sh", "-c", "grep -q '^Seccomp:.2$' /proc/self/status || exit 3", nullptr);
        return 4;
    });
    CHECK(rc == 0);
}

TEST_CASE("the filter leaves other namespaces, fork, exec, posix_spawn and threads alone", "[seccomp]") {
    // unshare without CLONE_NEWUSER is the kernel's business (it needs
    // CAP_SYS_ADMIN): the same answer with the filter as without.
    auto uts = [] { return errno_of([] { return ::unshare(CLONE_NEWUTS); }); };
    CHECK(in_child(FilterOptions{}, uts) == in_child(std::nullopt, uts));

    const int rc = in_child(FilterOptions{}, [] {
        // glibc's fork is clone(SIGCHLD | CLONE_CHILD_*): no CLONE_NEWUSER.
        const pid_t pid = ::fork();
        if (pid == 0) ::_exit(7);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7) return 1;

        const pid_t exec_pid = ::fork();
        if (exec_pid == 0) {
            ::execl("/bin/true", "true", nullptr);
            ::_exit(127);
        }
        if (exec_pid < 0 || ::waitpid(exec_pid, &status, 0) != exec_pid || status != 0) return 2;

        // posix_spawn and pthread_create try clone3 first and fall back to
        // clone on its ENOSYS.
        pid_t spawned = 0;
        char true_name[] = "true";
        char* const argv[] = {true_name, nullptr};
        if (::posix_spawn(&spawned, "/bin/true", nullptr, nullptr, argv, nullptr) != 0) return 3;
        if (::waitpid(spawned, &status, 0) != spawned || status != 0) return 4;

        int from_thread = 0;
        std::thread t([&] { from_thread = 42; });
        t.join();
        return from_thread == 42 ? 0 : 5;
    });
    CHECK(rc == 0);
}

TEST_CASE("ioctl(TIOCGWINSZ) still works on a terminal under the filter", "[seccomp]") {
    const int rc = in_child(FilterOptions{}, [] {
        winsize ws{};
        return errno_of([&] { return ::ioctl(controlling_pty(), TIOCGWINSZ, &ws); });
    });
    CHECK(describe(rc) == describe(0));
}

TEST_CASE("allow_ptrace lets ptrace and process_vm_readv through", "[seccomp]") {
    const FilterOptions allow{.allow_ptrace = true};
    CHECK(in_child(allow, [] { return errno_of([] { return ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); }); }) == 0);
    const int rc = in_child(allow, [] {
        int from = 7, to = 0;
        const iovec local{&to, sizeof to};
        const iovec remote{&from, sizeof from};
        if (::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) != sizeof to) return errno;
        return to == 7 ? 0 : 1;
    });
    CHECK(describe(rc) == describe(0));
    // The rest of the filter is still there.
    CHECK(in_child(allow, [] {
              return errno_of([] { return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); });
          }) == EPERM);
}

TEST_CASE("the filter binds threads started before it", "[seccomp]") {
    const int rc = in_child(std::nullopt, [] {
        std::mutex m;
        std::condition_variable cv;
        bool loaded = false;
        int result = -1;
        std::thread t([&] {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return loaded; });
            result = errno_of([] { return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); });
        });
        try {
            jk::seccomp::load_default_filter({});
        } catch (...) {
            t.detach();
            throw;
        }
        {
            const std::lock_guard lock(m);
            loaded = true;
        }
        cv.notify_one();
        t.join();
        return result;
    });
    CHECK(describe(rc) == describe(EPERM));
}

#if defined(__x86_64__)
TEST_CASE("a system call of another ABI kills the whole process", "[seccomp]") {
    // An x32 number (x86_64's audit arch, bit 30 set) made from a second
    // thread: the process must end, not just the thread. Without the
    // filter the kernel answers (ENOSYS when it has no x32 ABI).
    auto x32_getpid_in_thread = [] {
        (void)::prctl(PR_SET_DUMPABLE, 0);  // SIGSYS would dump core
        std::thread t([] { (void)::syscall(0x40000000L | SYS_getpid); });
        t.join();
        return 0;
    };
    CHECK(describe(in_child(std::nullopt, x32_getpid_in_thread)) == describe(0));
    CHECK(describe(in_child(FilterOptions{}, x32_getpid_in_thread)) == describe(killed_by + SIGSYS));
}

TEST_CASE("a 32-bit system call (int $0x80) kills the process", "[seccomp]") {
    auto getpid_i386 = [] {
        (void)::prctl(PR_SET_DUMPABLE, 0);  // SIGSYS would dump core
        long ret = 20;                      // i386's __NR_getpid
        asm volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory", "cc");
        return ret == ::getpid() ? 0 : 1;
    };
    const int without = in_child(std::nullopt, getpid_i386);
    if (without != 0) {
        WARN("this kernel runs no 32-bit system calls (" << describe(without) << "): not checked");
        return;
    }
    CHECK(describe(in_child(FilterOptions{}, getpid_i386)) == describe(killed_by + SIGSYS));
}
#endif
