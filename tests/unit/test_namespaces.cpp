// libjk/namespaces and libjk/supervisor: a jail's namespaces, its /proc and
// its pid 1, on real namespaces ([root]). Every case that changes a process
// does it in a forked child (the test's "outer process"), which reports
// through pipes and its exit status; the test process itself never leaves
// the host's namespaces.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/namespaces.hpp"
#include "jk/privilege.hpp"
#include "jk/supervisor.hpp"
#include "tmpjail.hpp"

namespace iso = jk::isolation;
using jk::UniqueFd;
using jk::test::TempJail;

namespace {

// ---------------------------------------------------------------- pipes and children

struct Pipe {
    UniqueFd r, w;
    Pipe() {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        r.reset(p[0]);
        w.reset(p[1]);
    }
};

// For the children: write everything, ignore failures (nobody to tell).
void say(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

// Waits up to timeout_ms for fd to be readable (or at end of file).
bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

// One line without its '\n'; nullopt at end of file or after timeout_ms
// without a byte.
std::optional<std::string> read_line(int fd, int timeout_ms = 10000) {
    std::string line;
    for (;;) {
        if (!readable(fd, timeout_ms)) return std::nullopt;
        char c;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        if (c == '\n') return line;
        line += c;
    }
}

// Everything up to end of file; nullopt when no end of file comes within
// timeout_ms of the last byte (someone still holds the write end).
std::optional<std::string> read_to_eof(int fd, int timeout_ms = 10000) {
    std::string out;
    char buf[4096];
    for (;;) {
        if (!readable(fd, timeout_ms)) return std::nullopt;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

// "k=v" lines into a map.
std::map<std::string, std::string> parse_report(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t eq = line.find('=');
        if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

// The exit status of a child: its code, or 200 + N for a death by signal
// N; -1 when it has not ended within timeout_ms (it is then killed).
int wait_status(pid_t pid, int timeout_ms = 20000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    for (;;) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
        if (w < 0 && errno != EINTR) return -1;
        if (std::chrono::steady_clock::now() > end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Runs fn in a child and returns what it throws ("" when nothing), for the
// cases that must fail before changing anything (and would change the test
// process were they broken).
std::string error_in_child(const std::function<void()>& fn) {
    Pipe msg;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        msg.r.reset();
        try {
            fn();
        } catch (const std::exception& e) {
            say(msg.w.get(), e.what());
        }
        ::_exit(0);
    }
    msg.w.reset();
    const std::optional<std::string> what = read_to_eof(msg.r.get());
    CHECK(wait_status(pid) == 0);
    REQUIRE(what.has_value());
    return *what;
}

// ---------------------------------------------------------------- the entry path

// The statuses of the harness itself, apart from the program's own.
constexpr int failed_before_init = 199;  // the outer process threw (itself, or again for pid 1)
constexpr int failed_in_pid1 = 198;      // pid 1, before its program
constexpr int failed_in_program = 197;   // the program threw

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;

struct EntryOptions {
    bool drop = true;                    // pid 1 and the program run as nobody
    std::function<void()> before = {};   // first thing in the outer process
    std::function<void()> in_pid1 = {};  // in pid 1, just before start_program
    // The program's process as the entry starts it, in pid 1's memory
    // until it executes: `program` must execute, _exit or throw (what it
    // throws comes back to the outer process). Otherwise it gets a copy of
    // the memory, and may run as long as it likes.
    bool program_executes = false;
};

// The entry path as the jail-entry code runs it, in a child of the test
// that becomes the outer process: unshare_namespaces, run_init; in pid 1
// prepare_mounts, enter_root through the fd unshare_namespaces returned,
// drop_to nobody, start_program; then `program` (pid 2), whose return
// value is its exit status. Killed (and with it the jail) when the test
// does not wait for it.
class Entry {
public:
    Entry(const iso::Policy& policy, const std::string& jail_path, const std::function<int()>& program,
          const EntryOptions& opt = {}) {
        std::fflush(nullptr);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) run(policy, jail_path, program, opt);
    }
    ~Entry() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    pid_t outer() const { return pid_; }
    int wait() {
        const int s = wait_status(pid_);
        pid_ = -1;
        return s;
    }

private:
    [[noreturn]] static void run(const iso::Policy& policy, const std::string& jail_path,
                                 const std::function<int()>& program, const EntryOptions& opt) {
        try {
            // As the setuid prologue leaves them (Catch2's handlers would
            // report a signal the program gets as a failed test).
            for (int sig = 1; sig < NSIG; ++sig)
                if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
            if (opt.before) opt.before();
            UniqueFd host_jail(::open(jail_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!host_jail) throw jk::SysError("cannot open", jail_path, errno);
            UniqueFd jail = iso::unshare_namespaces(policy, host_jail.get(), jail_path);
            host_jail.reset();
            iso::run_init([&](iso::InitHandoff& init) {
                // ---- pid 1
                try {
                    iso::prepare_mounts(policy, jail.get(), jail_path);
                    jk::privilege::enter_root(jail.get(), jail_path);
                    jail.reset();
                    if (opt.drop) jk::privilege::drop_to({nobody, nogroup, {}});
                    if (opt.in_pid1) opt.in_pid1();
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "pid 1: %s\n", e.what());
                    ::_exit(failed_in_pid1);
                }
                if (opt.program_executes) {
                    iso::start_program(init, [&] { (void)program(); });
                }
                iso::start_program(
                    init,
                    [&] {
                        // ---- the program
                        int rc = failed_in_program;
                        try {
                            rc = program();
                        } catch (const std::exception& e) {
                            std::fprintf(stderr, "program: %s\n", e.what());
                        }
                        ::_exit(rc);
                    },
                    iso::ProgramStart::copies_memory);
            });
        } catch (const jk::Error& e) {
            std::fprintf(stderr, "outer: %s\n", e.what());
            // An exit code of its own tells which error came back.
            ::_exit(e.exit_code() == 1 ? failed_before_init : e.exit_code());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "outer: %s\n", e.what());
            ::_exit(failed_before_init);
        }
    }

    pid_t pid_ = -1;
};

iso::Policy full_policy() {
    iso::Policy p;
    p.ns = {.pid = true, .ipc = true, .uts = true, .mount = true, .cgroup = true};
    p.hostname = "jk-unit-ns";
    p.network = iso::Network::loopback;
    return p;
}

// A TempJail with the directories the cases need.
void make_proc(const TempJail& j) {
    REQUIRE(::mkdir((j / "proc").c_str(), 0555) == 0);
}

// ---------------------------------------------------------------- in the program

std::vector<long> numeric_entries(const char* dir) {
    std::vector<long> out;
    if (DIR* d = ::opendir(dir)) {
        while (const dirent* e = ::readdir(d)) {
            char* end = nullptr;
            const long v = std::strtol(e->d_name, &end, 10);
            if (end != e->d_name && *end == '\0') out.push_back(v);
        }
        ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

template <class T>
std::string join(const std::vector<T>& v) {
    std::ostringstream out;
    for (std::size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
    return out.str();
}

bool lo_is_up() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    return s && ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
}

std::vector<std::string> interfaces() {
    std::vector<std::string> out;
    if (struct if_nameindex* ifs = ::if_nameindex()) {
        for (struct if_nameindex* i = ifs; i->if_index != 0; ++i) out.emplace_back(i->if_name);
        ::if_freenameindex(ifs);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// "connected", or the errno's name of the failed connect.
std::string connect_to(in_port_t port) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return std::string("socket: ") + std::strerror(errno);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return "connected";
    return std::strerror(errno);
}

std::string slurp(const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Every line of /proc/self/cgroup ends in ":/": the cgroup namespace's root.
bool cgroup_root_only() {
    std::istringstream in(slurp("/proc/self/cgroup"));
    std::string line;
    bool any = false;
    while (std::getline(in, line)) {
        any = true;
        if (line.size() < 2 || line.compare(line.size() - 2, 2, ":/") != 0) return false;
    }
    return any;
}

// A listening TCP socket on 127.0.0.1 of the host's network namespace.
struct Listener {
    UniqueFd fd;
    in_port_t port = 0;
    Listener() {
        fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd.get(), 8) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
};

ino_t ino_of(const char* path) {
    struct stat st {};
    REQUIRE(::stat(path, &st) == 0);
    return st.st_ino;
}

std::string hostname() {
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    return h;
}

// The pids of `pid`'s children (in the host's pid namespace), from the
// parent field of each /proc/N/stat.
std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> out;
    for (long p : numeric_entries("/proc")) {
        const std::string stat = slurp(("/proc/" + std::to_string(p) + "/stat").c_str());
        const std::size_t paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream in(stat.substr(paren + 1));
        char state;
        pid_t ppid = 0;
        if (in >> state >> ppid && ppid == pid) out.push_back(static_cast<pid_t>(p));
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------- pure parts

TEST_CASE("passes_on: signals a process sent, and a hangup, but not the terminal's", "[namespaces]") {
    for (int sig : iso::forwarded_signals) {
        INFO(sig);
        CHECK(iso::passes_on(sig, SI_USER));
        CHECK(iso::passes_on(sig, SI_QUEUE));
        CHECK(iso::passes_on(sig, SI_TKILL));
    }
    // ^C, ^\ and a window change already went to the foreground group.
    CHECK_FALSE(iso::passes_on(SIGINT, SI_KERNEL));
    CHECK_FALSE(iso::passes_on(SIGQUIT, SI_KERNEL));
    CHECK_FALSE(iso::passes_on(SIGWINCH, SI_KERNEL));
    // A hangup goes to the session leader alone.
    CHECK(iso::passes_on(SIGHUP, SI_KERNEL));
    CHECK(iso::passes_on(SIGCONT, SI_KERNEL));
}

TEST_CASE("exit_status_of: the exit code as it is, a death by signal N as 128 + N", "[namespaces]") {
    CHECK(iso::exit_status_of(0) == 0);
    CHECK(iso::exit_status_of(7 << 8) == 7);
    CHECK(iso::exit_status_of(255 << 8) == 255);
    CHECK(iso::exit_status_of(SIGTERM) == 128 + SIGTERM);
    CHECK(iso::exit_status_of(SIGKILL | 0x80) == 128 + SIGKILL);  // with a core file
}

TEST_CASE("InitHandoff: the outer process is gone when the pipe's write end is", "[namespaces]") {
    CHECK_FALSE(iso::InitHandoff().outer_gone());
    Pipe p;
    const iso::InitHandoff life(std::move(p.r));
    CHECK_FALSE(life.outer_gone());
    p.w.reset();
    CHECK(life.outer_gone());
}

TEST_CASE("a pid namespace without a mount namespace is refused before anything changes", "[namespaces]") {
    iso::Policy p;
    p.ns.pid = true;
    const std::string a = error_in_child([&] { (void)iso::unshare_namespaces(p, AT_FDCWD, "/srv/j"); });
    CHECK(a.find("a pid namespace needs a mount namespace") != std::string::npos);
    const std::string b = error_in_child([&] { iso::prepare_mounts(p, AT_FDCWD, "/srv/j"); });
    CHECK(b.find("a pid namespace needs a mount namespace") != std::string::npos);
    p.ns.pid = false;
    p.ns.uts = true;  // and no host name
    const std::string c = error_in_child([&] { (void)iso::unshare_namespaces(p, AT_FDCWD, "/srv/j"); });
    CHECK(c.find("needs a valid host name") != std::string::npos);
}

TEST_CASE("start_program refuses to run anywhere but in a pid 1", "[namespaces]") {
    iso::InitHandoff none;
    const std::string e = error_in_child([&] { iso::start_program(none, [] {}); });
    CHECK(e.find("only the pid 1") != std::string::npos);
}

TEST_CASE("describe_host_support names this kernel's namespaces, seccomp, Landlock and cgroup v2", "[namespaces]") {
    const std::string d = iso::describe_host_support();
    INFO(d);
    CHECK(d.find("namespaces: ") == 0);
    for (const char* ns : {" mnt", " pid", " net", " uts", " ipc", " cgroup"}) CHECK(d.find(ns) != std::string::npos);
    CHECK(d.find("\nseccomp: filter\n") != std::string::npos);
    CHECK(d.find("\nlandlock: ") != std::string::npos);
    CHECK(d.find("\ncgroup v2: /") != std::string::npos);
}

// ---------------------------------------------------------------- the whole entry

TEST_CASE("an entry with every namespace: its own processes, host name, network and cgroup root",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    const Listener host_listener;
    // The control: from the host, the port answers.
    REQUIRE(connect_to(host_listener.port) == "connected");
    const ino_t host_netns = ino_of("/proc/self/ns/net");
    const std::string host_name = hostname();
    Pipe report, go;
    const iso::Policy policy = full_policy();

    Entry e(policy, j.path(), [&] {
        report.r.reset();
        go.w.reset();
        std::ostringstream out;
        out << "pid=" << ::getpid() << "\n"
            << "uid=" << ::getuid() << "\n"
            << "procs=" << join(numeric_entries("/proc")) << "\n"
            << "hostname=" << hostname() << "\n"
            << "interfaces=" << join(interfaces()) << "\n"
            << "lo_up=" << lo_is_up() << "\n"
            << "connect=" << connect_to(host_listener.port) << "\n"
            << "host_netns=" << (ino_of("/proc/self/ns/net") == host_netns) << "\n"
            << "cgroup_root=" << cgroup_root_only() << "\n";
        // MUST 3 of supervisor.hpp: the user cannot take control of pid 1.
        const long traced = ::ptrace(PTRACE_ATTACH, 1, nullptr, nullptr);
        out << "ptrace_pid1=" << (traced == 0 ? "attached" : std::strerror(errno)) << "\n";
        say(report.w.get(), out.str() + "end=\n");
        return read_line(go.r.get()) ? 0 : 1;
    });
    report.w.reset();
    go.r.reset();

    std::string text;
    while (std::optional<std::string> line = read_line(report.r.get())) {
        if (*line == "end=") break;
        text += *line + "\n";
    }
    INFO(text);
    auto r = parse_report(text);
    CHECK(r["pid"] == "2");
    CHECK(r["uid"] == std::to_string(nobody));
    CHECK(r["procs"] == "1,2");  // pid 1 and the program; nothing of the host
    CHECK(r["hostname"] == "jk-unit-ns");
    CHECK(r["interfaces"] == "lo");
    CHECK(r["lo_up"] == "1");
    CHECK(r["connect"] == std::string(std::strerror(ECONNREFUSED)));
    CHECK(r["host_netns"] == "0");
    CHECK(r["cgroup_root"] == "1");
    CHECK(r["ptrace_pid1"] == std::string(std::strerror(EPERM)));

    // Seen from the host while the jail runs: its host name is untouched,
    // and the jail's pid 1 holds no fd at all.
    CHECK(hostname() == host_name);
    const std::vector<pid_t> init = children_of(e.outer());
    REQUIRE(init.size() == 1);
    CHECK(numeric_entries(("/proc/" + std::to_string(init[0]) + "/fd").c_str()).empty());

    say(go.w.get(), "go\n");
    CHECK(e.wait() == 0);
}

TEST_CASE("the jail's /proc is its own only in its mount namespace, even on a host with shared mounts",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe ready, go;
    // A child plays the host: its mounts are shared, as systemd makes them,
    // so a mount in a copy of its namespace would propagate back to it.
    const std::string proc1 = j / "proc/1";
    std::fflush(nullptr);
    const pid_t host = ::fork();
    REQUIRE(host >= 0);
    if (host == 0) {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) != 0)
            ::_exit(failed_before_init);
        iso::Policy policy;
        policy.ns = {.pid = true, .mount = true};
        Entry e(policy, j.path(), [&] {
            say(ready.w.get(), ::access("/proc/1", F_OK) == 0 ? "mounted\n" : "not mounted\n");
            return read_line(go.r.get()) ? 0 : 1;
        });
        const std::optional<std::string> seen = read_line(ready.r.get());
        if (seen != "mounted") ::_exit(10);
        // The host's view of the jail's proc: still the empty directory.
        const bool leaked = ::access(proc1.c_str(), F_OK) == 0;
        say(go.w.get(), "go\n");
        const int s = e.wait();
        ::_exit(leaked ? 11 : s);
    }
    ready.w.reset();
    go.r.reset();
    // 10: the jail had no /proc of its own; 11: it reached the host.
    CHECK(wait_status(host) == 0);
    CHECK(::access(proc1.c_str(), F_OK) != 0);
}

TEST_CASE("a jail without a proc directory gets no /proc, and nothing is created", "[namespaces][root]") {
    TempJail j;
    iso::Policy policy;
    policy.ns = {.pid = true, .mount = true};
    Entry e(policy, j.path(), [] { return ::access("/proc", F_OK) != 0 && errno == ENOENT ? 0 : 1; });
    CHECK(e.wait() == 0);
    CHECK(::access((j / "proc").c_str(), F_OK) != 0);
}

TEST_CASE("the program's exit status reaches the outer process", "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    const iso::Policy policy = full_policy();
    SECTION("an exit code as it is") {
        Entry e(policy, j.path(), [] { return 7; });
        CHECK(e.wait() == 7);
    }
    SECTION("a death by signal N as 128 + N") {
        Entry e(policy, j.path(), [] {
            ::signal(SIGTERM, SIG_DFL);
            ::raise(SIGTERM);
            return 1;
        });
        CHECK(e.wait() == 128 + SIGTERM);
    }
    SECTION("SIGKILL too") {
        Entry e(policy, j.path(), [] {
            ::raise(SIGKILL);
            return 1;
        });
        CHECK(e.wait() == 128 + SIGKILL);
    }
}

TEST_CASE("the program's process as the entry starts it: what it throws before its exec reaches the outer process",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    EntryOptions opt;
    opt.program_executes = true;
    SECTION("an error thrown in the program's process is thrown again in pid 1, then in the outer one") {
        Entry e(
            full_policy(), j.path(), []() -> int { throw jk::Error("cannot execute the program", 77); }, opt);
        CHECK(e.wait() == 77);
    }
    SECTION("a program's process that ends without executing ends the login with its status") {
        Entry e(
            full_policy(), j.path(), []() -> int { ::_exit(9); }, opt);
        CHECK(e.wait() == 9);
    }
}

namespace {
volatile sig_atomic_t g_hups = 0;
volatile sig_atomic_t g_ints = 0;
extern "C" void count_signal(int sig) {
    if (sig == SIGHUP) g_hups = g_hups + 1;
    if (sig == SIGINT) g_ints = g_ints + 1;
}

void count(int sig) {
    struct sigaction sa {};
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
}

// Waits up to 5 s for `flag` to be set, then 300 ms more for duplicates.
bool settle(volatile sig_atomic_t& flag) {
    for (int i = 0; i < 500 && flag == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return flag != 0;
}
}  // namespace

TEST_CASE("a signal to the outer process reaches the program once, and SIGHUP does not end the outer",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe ready, report;
    const iso::Policy policy = full_policy();
    Entry e(policy, j.path(), [&] {
        count(SIGHUP);
        say(ready.w.get(), "ready\n");
        settle(g_hups);
        say(report.w.get(), "hups=" + std::to_string(g_hups) + "\n");
        return 42;
    });
    ready.w.reset();
    report.w.reset();
    REQUIRE(read_line(ready.r.get()).value_or("(nothing)") == "ready");
    REQUIRE(::kill(e.outer(), SIGHUP) == 0);
    CHECK(read_line(report.r.get()).value_or("(nothing)") == "hups=1");
    CHECK(e.wait() == 42);  // not 128 + SIGHUP: the outer process waited on
}

TEST_CASE("a signal passed on while pid 1 is still setting up is held for the program, not lost",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe ready, go;
    EntryOptions opt;
    opt.in_pid1 = [&] {
        say(ready.w.get(), "pid1\n");
        (void)read_line(go.r.get());
    };
    // With SIGHUP's default disposition the program dies of it at once;
    // had pid 1 lost it, the program would end normally a second later.
    Entry e(
        full_policy(), j.path(),
        [] {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            return 0;
        },
        opt);
    ready.w.reset();
    go.r.reset();
    REQUIRE(read_line(ready.r.get()).value_or("(nothing)") == "pid1");
    REQUIRE(::kill(e.outer(), SIGHUP) == 0);
    // Time for the outer process to pass it on to a pid 1 still waiting.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    say(go.w.get(), "go\n");
    CHECK(e.wait() == 128 + SIGHUP);
}

TEST_CASE("SIGTERM to the outer process ends the program as it ends any program", "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe ready;
    Entry e(full_policy(), j.path(), [&] {
        say(ready.w.get(), "ready\n");
        for (;;) ::pause();
        return 1;
    });
    ready.w.reset();
    REQUIRE(read_line(ready.r.get()).value_or("(nothing)") == "ready");
    REQUIRE(::kill(e.outer(), SIGTERM) == 0);
    CHECK(e.wait() == 128 + SIGTERM);
}

TEST_CASE("the terminal's ^C reaches the program once, and a hangup reaches it through the outer process",
          "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    UniqueFd m(master);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const std::string slave = ::ptsname(master);
    Pipe ready, report;
    EntryOptions opt;
    // As sshd starts a login: a session leader with the terminal as its
    // controlling one, its group the terminal's foreground group, which
    // the outer process, pid 1 and the program all share.
    opt.before = [&] {
        if (::setsid() < 0) throw jk::SysError("setsid", errno);
        const int fd = ::open(slave.c_str(), O_RDWR);  // becomes the controlling terminal
        if (fd < 0) throw jk::SysError("cannot open", slave, errno);
        m.reset();
    };
    Entry e(
        full_policy(), j.path(),
        [&] {
            count(SIGINT);
            count(SIGHUP);
            say(ready.w.get(), "ready\n");
            settle(g_ints);
            say(ready.w.get(), "ints=" + std::to_string(g_ints) + "\n");
            settle(g_hups);
            say(report.w.get(), "hups=" + std::to_string(g_hups) + "\n");
            return 0;
        },
        opt);
    ready.w.reset();
    report.w.reset();
    REQUIRE(read_line(ready.r.get()).value_or("(nothing)") == "ready");
    REQUIRE(::write(master, "\x03", 1) == 1);  // ^C
    CHECK(read_line(ready.r.get()).value_or("(nothing)") == "ints=1");
    m.reset();  // the connection drops: the kernel hangs the terminal up
    CHECK(read_line(report.r.get()).value_or("(nothing)") == "hups=1");
    CHECK(e.wait() == 0);
}

TEST_CASE("pid 1 reaps the jail's orphans, and what is left ends with the program", "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe report, orphan_alive;
    Entry e(full_policy(), j.path(), [&] {
        report.r.reset();
        orphan_alive.r.reset();
        // A zombie pid 1 never reaps would stay in /proc for good.
        const pid_t quick = ::fork();
        if (quick == 0) {
            if (::fork() == 0) ::_exit(0);  // an orphan that ends at once
            ::_exit(0);
        }
        ::waitpid(quick, nullptr, 0);
        // An orphan that lives on, holding orphan_alive's write end.
        int says[2];
        if (::pipe2(says, O_CLOEXEC) != 0) return 1;
        const pid_t parent = ::fork();
        if (parent == 0) {
            if (::fork() == 0) {
                while (::getppid() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                say(says[1], "orphan_ppid=1\n");
                for (;;) ::pause();
            }
            ::_exit(0);
        }
        ::waitpid(parent, nullptr, 0);
        orphan_alive.w.reset();  // only the orphan holds it now
        ::close(says[1]);
        say(report.w.get(), read_line(says[0]).value_or("orphan_ppid_missing=") + "\n");
        // Wait for pid 1 to reap the quick one: then only 1, 2 and the
        // living orphan are left.
        std::string procs;
        for (int i = 0; i < 400; ++i) {
            procs = join(numeric_entries("/proc"));
            if (std::count(procs.begin(), procs.end(), ',') == 2) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        say(report.w.get(), "procs=" + procs + "\n");
        return 0;
    });
    report.w.reset();
    orphan_alive.w.reset();
    std::string text;
    for (int i = 0; i < 2; ++i)
        if (std::optional<std::string> l = read_line(report.r.get())) text += *l + "\n";
    INFO(text);
    auto r = parse_report(text);
    CHECK(r.count("orphan_ppid") == 1);
    // pid 1, the program and the orphan; the quick orphan was reaped.
    CHECK(std::count(r["procs"].begin(), r["procs"].end(), ',') == 2);
    CHECK(r["procs"].rfind("1,2,", 0) == 0);
    CHECK(e.wait() == 0);
    // The orphan died with the namespace: its end of the pipe is closed.
    CHECK(read_to_eof(orphan_alive.r.get(), 5000).value_or("(still open)") == "");
}

TEST_CASE("when the outer process is killed, the jail ends with it", "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    Pipe ready, alive;
    Entry e(full_policy(), j.path(), [&] {
        ready.r.reset();
        alive.r.reset();
        say(ready.w.get(), "ready\n");
        for (;;) ::pause();
        return 1;
    });
    ready.w.reset();
    alive.w.reset();
    REQUIRE(read_line(ready.r.get()).value_or("(nothing)") == "ready");
    REQUIRE(::kill(e.outer(), SIGKILL) == 0);
    CHECK(e.wait() == 200 + SIGKILL);
    // pid 1 got SIGKILL when its parent died (PR_SET_PDEATHSIG set after
    // the drop), and the program with it.
    CHECK(read_to_eof(alive.r.get(), 5000).value_or("(still open)") == "");
}

// ---------------------------------------------------------------- the jail's fd and its /proc

TEST_CASE("unshare_namespaces hands back the jail as the new mount namespace sees it; the old fd is a way out",
          "[namespaces][root]") {
    TempJail j;
    const ino_t outside = ino_of(j.path().c_str());  // the jail itself, seen from the host
    Pipe report;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::ostringstream out;
        try {
            UniqueFd old(::open(j.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            iso::Policy policy;
            policy.ns.mount = true;
            UniqueFd jail = iso::unshare_namespaces(policy, old.get(), j.path());
            out << "old_in_ns=" << iso::in_own_mount_namespace(old.get()) << "\n"
                << "new_in_ns=" << iso::in_own_mount_namespace(jail.get()) << "\n";
            try {
                iso::prepare_mounts(policy, old.get(), j.path());
                out << "prepare_old=accepted\n";
            } catch (const jk::Error& e) {
                out << "prepare_old=" << e.what() << "\n";
            }
            iso::prepare_mounts(policy, jail.get(), j.path());
            jk::privilege::enter_root(jail.get(), j.path());
            struct stat root {};
            struct stat up_new {};
            struct stat up_old {};
            ::stat("/", &root);
            ::fstatat(jail.get(), "..", &up_new, 0);
            ::fstatat(old.get(), "..", &up_old, 0);
            out << "new_dotdot_is_root=" << (up_new.st_ino == root.st_ino && root.st_ino == outside) << "\n"
                << "old_dotdot_is_root=" << (up_old.st_ino == root.st_ino) << "\n";
        } catch (const std::exception& e) {
            out << "error=" << e.what() << "\n";
        }
        say(report.w.get(), out.str());
        ::_exit(0);
    }
    report.w.reset();
    const std::optional<std::string> text = read_to_eof(report.r.get());
    CHECK(wait_status(pid) == 0);
    REQUIRE(text);
    INFO(*text);
    auto r = parse_report(*text);
    CHECK(r.count("error") == 0);
    CHECK(r["old_in_ns"] == "0");
    CHECK(r["new_in_ns"] == "1");
    CHECK(r["prepare_old"].find("opened before its mount namespace was made") != std::string::npos);
    CHECK(r["new_dotdot_is_root"] == "1");
    // Why MUST 2 of namespaces.hpp: ".." from an fd of the old namespace
    // climbs out of the chroot.
    CHECK(r["old_dotdot_is_root"] == "0");
}

namespace {
// In a child: a pid and mount namespace, and prepare_mounts in its pid 1
// for the jail; returns what it throws ("" when nothing).
std::string prepare_in_pid1(const std::string& jail_path) {
    return error_in_child([&] {
        iso::Policy policy;
        policy.ns = {.pid = true, .mount = true};
        UniqueFd host(::open(jail_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        UniqueFd jail = iso::unshare_namespaces(policy, host.get(), jail_path);
        Pipe msg;
        const pid_t pid = ::fork();
        if (pid == 0) {
            msg.r.reset();
            try {
                iso::prepare_mounts(policy, jail.get(), jail_path);
            } catch (const std::exception& e) {
                say(msg.w.get(), e.what());
            }
            ::_exit(0);
        }
        msg.w.reset();
        const std::optional<std::string> what = read_to_eof(msg.r.get());
        ::waitpid(pid, nullptr, 0);
        if (what && !what->empty()) throw jk::Error(*what);
    });
}
}  // namespace

TEST_CASE("the jail's proc must be a real root-owned directory", "[namespaces][root]") {
    TempJail j;
    SECTION("a symlink is refused, not followed") {
        REQUIRE(::symlink("/proc", (j / "proc").c_str()) == 0);
        CHECK(prepare_in_pid1(j.path()).find("is a symbolic link") != std::string::npos);
    }
    SECTION("one the user owns is refused") {
        make_proc(j);
        REQUIRE(::chown((j / "proc").c_str(), nobody, nogroup) == 0);
        CHECK(prepare_in_pid1(j.path()).find("is not owned by root") != std::string::npos);
    }
    SECTION("a writable one is refused") {
        make_proc(j);
        REQUIRE(::chmod((j / "proc").c_str(), 0777) == 0);
        CHECK(prepare_in_pid1(j.path()).find("is writable by") != std::string::npos);
    }
    SECTION("a root-owned one is mounted on") {
        make_proc(j);
        CHECK(prepare_in_pid1(j.path()) == "");
    }
}

TEST_CASE("the jail's /proc is mounted only by its pid 1", "[namespaces][root]") {
    TempJail j;
    make_proc(j);
    const std::string e = error_in_child([&] {
        iso::Policy policy;
        policy.ns = {.pid = true, .mount = true};
        UniqueFd host(::open(j.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        UniqueFd jail = iso::unshare_namespaces(policy, host.get(), j.path());
        iso::prepare_mounts(policy, jail.get(), j.path());  // still in the host's pid namespace
    });
    CHECK(e.find("must be mounted by the jail's pid 1") != std::string::npos);
}

// ---------------------------------------------------------------- what the host cannot give

TEST_CASE("a namespace the host refuses is named", "[namespaces][root]") {
    // The host refuses IPC namespaces (user.max_ipc_namespaces = 0), in a
    // user namespace of the child's own so the real host is untouched.
    const std::string e = error_in_child([] {
        if (::unshare(CLONE_NEWUSER) != 0) throw jk::SysError("unshare(CLONE_NEWUSER)", errno);
        {
            std::ofstream map("/proc/self/uid_map");
            map << "0 0 1\n";
        }
        {
            std::ofstream max("/proc/sys/user/max_ipc_namespaces");
            max << "0\n";
        }
        iso::Policy policy;
        policy.ns = {.ipc = true, .uts = true};
        policy.hostname = "h";
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        (void)iso::unshare_namespaces(policy, root.get(), "/");
    });
    if (e == std::string("unshare(CLONE_NEWUSER): ") + std::strerror(EPERM)) {
        // The kernel gives no user namespace to a chrooted process (CI's
        // Debian 13 stage runs the tests in a chroot) or where they are off.
        WARN("no user namespace for this process (chroot?): not checked");
        return;
    }
    CHECK(e == std::string("the host cannot give this jail an IPC namespace: ") + std::strerror(ENOSPC));
}

namespace {
// A name under /run/netns removed (as a namespace or a plain file) at the end.
struct NetnsName {
    std::string name = "jkunit-" + std::to_string(::getpid());
    std::string path = "/run/netns/" + name;
    ~NetnsName() {
        const std::string cmd = "ip netns del " + name + " 2>/dev/null";
        if (std::system(cmd.c_str()) != 0) ::unlink(path.c_str());
    }
};
}  // namespace

TEST_CASE("network = netns:NAME joins the namespace `ip netns add` made", "[namespaces][root]") {
    NetnsName ns;
    jk::test::sh("ip netns add " + ns.name);
    const ino_t want = ino_of(ns.path.c_str());
    REQUIRE(want != ino_of("/proc/self/ns/net"));
    iso::Policy policy;
    policy.network = iso::Network::named;
    policy.netns = ns.name;
    Pipe report;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::string out;
        try {
            UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
            UniqueFd jail = iso::unshare_namespaces(policy, root.get(), "/");
            struct stat st {};
            ::stat("/proc/self/ns/net", &st);
            out = "same=" + std::to_string(st.st_ino == want) + "\n";
        } catch (const std::exception& e) {
            out = std::string("error=") + e.what() + "\n";
        }
        say(report.w.get(), out);
        ::_exit(0);
    }
    report.w.reset();
    const std::optional<std::string> text = read_to_eof(report.r.get());
    CHECK(wait_status(pid) == 0);
    CHECK(text.value_or("(nothing)") == "same=1\n");
}

TEST_CASE("network = netns:NAME refuses a missing, untrusted or fake namespace", "[namespaces][root]") {
    NetnsName ns;
    iso::Policy policy;
    policy.network = iso::Network::named;
    policy.netns = ns.name;
    const auto attempt = [&] {
        return error_in_child([&] {
            UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
            (void)iso::unshare_namespaces(policy, root.get(), "/");
        });
    };
    SECTION("missing") {
        // '/run/netns' itself when no namespace was ever added.
        const std::string e = attempt();
        CHECK(e.rfind("cannot open '/run/netns", 0) == 0);
        CHECK(e.find(std::string("': ") + std::strerror(ENOENT)) != std::string::npos);
    }
    SECTION("a plain root-owned file in its place") {
        ::mkdir("/run/netns", 0755);
        UniqueFd f(::open(ns.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        REQUIRE(f);
        CHECK(attempt() == "'" + ns.path + "' is not a network namespace");
    }
    SECTION("a file someone else owns") {
        ::mkdir("/run/netns", 0755);
        UniqueFd f(::open(ns.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        REQUIRE(f);
        REQUIRE(::fchown(f.get(), nobody, nogroup) == 0);
        CHECK(attempt() == "'" + ns.path + "' is not owned by root");
    }
    SECTION("a name the parser would refuse") {
        policy.netns = "../x";
        CHECK(attempt().find("invalid network namespace name") != std::string::npos);
    }
}

// ---------------------------------------------------------------- thin jails

namespace {

// A thin jail's mount points: usr, etc/ld.so.cache (empty), dev.
void make_thin_mount_points(const TempJail& j) {
    jk::test::sh("install -d -m 0755 " + (j / "usr") + " " + (j / "etc") + " " + (j / "dev") +
                 " && install -m 0644 /dev/null " + (j / "etc/ld.so.cache"));
}

iso::Policy thin_policy(std::vector<std::string> binds) {
    iso::Policy p;
    p.ns.mount = true;
    p.ro_binds = std::move(binds);
    return p;
}

// assemble_thin in a child; "" when it worked and `check` found nothing.
std::string assembled(const TempJail& j, const iso::Policy& p, const std::function<std::string(int)>& check) {
    return error_in_child([&] {
        UniqueFd fd(::open(j.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!fd) throw std::runtime_error("cannot open the jail");
        UniqueFd jail = iso::assemble_thin(p, fd.get(), j.path());
        if (const std::string bad = check(jail.get()); !bad.empty()) throw std::runtime_error(bad);
    });
}

}  // namespace

TEST_CASE("assemble_thin binds the host's system read-only, nosuid, nodev, with a minimal /dev", "[namespaces][root]") {
    TempJail j;
    make_thin_mount_points(j);
    const std::string what = assembled(j, thin_policy({"/etc/ld.so.cache", "/usr"}), [](int jail) -> std::string {
        UniqueFd bash(::openat(jail, "usr/bin/bash", O_RDONLY | O_CLOEXEC));
        if (!bash) return "no usr/bin/bash in the jail";
        struct statvfs v {};
        if (::fstatvfs(bash.get(), &v) != 0) return "fstatvfs failed";
        if (!(v.f_flag & ST_RDONLY) || !(v.f_flag & ST_NOSUID) || !(v.f_flag & ST_NODEV))
            return "usr is not read-only, nosuid and nodev";
        if (::mkdirat(jail, "usr/jk-unit-write", 0755) == 0 || errno != EROFS) return "usr can be written";
        struct stat st {};
        if (::fstatat(jail, "etc/ld.so.cache", &st, 0) != 0 || st.st_size == 0) return "the loader's cache is empty";
        if (::fstatat(jail, "dev/null", &st, 0) != 0 || !S_ISCHR(st.st_mode)) return "no dev/null";
        if (::fstatat(jail, "dev/pts", &st, 0) != 0 || !S_ISDIR(st.st_mode)) return "no dev/pts";
        return "";
    });
    CHECK(what.empty());
    // Nothing reached the test's own mount namespace.
    CHECK(::access((j / "usr/bin").c_str(), F_OK) != 0);
    struct stat st {};
    REQUIRE(::stat((j / "etc/ld.so.cache").c_str(), &st) == 0);
    CHECK(st.st_size == 0);
    CHECK(::access((j / "dev/null").c_str(), F_OK) != 0);
}

TEST_CASE("assemble_thin refuses a mount point or a source that is not root's alone", "[namespaces][root]") {
    TempJail j;
    make_thin_mount_points(j);
    const auto nothing = [](int) { return std::string(); };

    SECTION("a missing mount point is not made") {
        jk::test::sh("rmdir " + (j / "usr"));
        CHECK_THAT(assembled(j, thin_policy({"/usr"}), nothing), Catch::Contains("No such file"));
        CHECK(::access((j / "usr").c_str(), F_OK) != 0);
    }
    SECTION("a group-writable mount point") {
        jk::test::sh("chmod 0775 " + (j / "usr"));
        CHECK_THAT(assembled(j, thin_policy({"/usr"}), nothing), Catch::Contains("is writable by group"));
    }
    SECTION("a mount point that is a symlink") {
        jk::test::sh("rmdir " + (j / "usr") + " && ln -s /usr " + (j / "usr"));
        CHECK_THAT(assembled(j, thin_policy({"/usr"}), nothing), Catch::Contains("symbolic link"));
    }
    SECTION("a file where a directory is bound") {
        jk::test::sh("rmdir " + (j / "usr") + " && touch " + (j / "usr"));
        CHECK_THAT(assembled(j, thin_policy({"/usr"}), nothing), Catch::Contains("not a directory"));
    }
    SECTION("a source a user owns") {
        TempJail src;
        jk::test::sh("chown 65534 " + src.path() + " && install -d -m 0755 " + (j / src.path().substr(1)));
        CHECK_THAT(assembled(j, thin_policy({src.path()}), nothing), Catch::Contains("is not owned by root"));
    }
}
