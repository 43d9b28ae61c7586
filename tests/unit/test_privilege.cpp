// libjk/privilege: the setuid prologue's pieces and the one-way drop. Each
// case that changes the process runs in a forked child, which reports by
// its exit status, so the test runner keeps its own identity.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/privilege.hpp"
#include "tmpjail.hpp"

using jk::privilege::CallerEnvironment;

namespace {

// Runs fn in a child; returns its exit status (fn's return value), or
// 200 + signal when it died. Exceptions in the child count as 199.
int in_child(const std::function<int()>& fn) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int rc = 199;
        try {
            rc = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(rc);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

std::string status_line(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return line;
    return "";
}

}  // namespace

TEST_CASE("CallerEnvironment returns the first well-formed entry") {
    CallerEnvironment env({"JUNK", "USER=alice", "USER=mallory", "EMPTY=", "A=b=c"});
    CHECK(env.get("USER") == "alice");
    CHECK(env.get("EMPTY") == "");
    CHECK(env.get("A") == "b=c");
    CHECK_FALSE(env.get("JUNK").has_value());
    CHECK_FALSE(env.get("US").has_value());
    CHECK_FALSE(env.get("").has_value());
}

TEST_CASE("unsafe_value refuses the values libc would read as a file") {
    using jk::privilege::unsafe_value;
    for (const char* ok : {"", "UTC", "UTC0", "Europe/Paris", ":Europe/Paris", "America/Argentina/Buenos_Aires",
                           "CET-1CEST,M3.5.0,M10.5.0/3", "<+03>-3", ":/etc/localtime", "/etc/localtime",
                           "/usr/share/zoneinfo/Europe/Paris", ":", "a..b/c"})
        CHECK_FALSE(unsafe_value("TZ", ok).has_value());
    for (const char* bad : {"/etc/shadow", ":/etc/shadow", "../../../etc/shadow", "Europe/../../../../etc/shadow",
                            ":..", "..", "/usr/share/zoneinfo/../../../etc/shadow", "/usr/share/zoneinfoX",
                            "/etc/localtime/..", "/home/u/tz", "//etc/localtime"})
        CHECK(unsafe_value("TZ", bad).has_value());
    for (const char* name : {"LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES"}) {
        CHECK_FALSE(unsafe_value(name, "de_DE.UTF-8").has_value());
        CHECK_FALSE(unsafe_value(name, "C").has_value());
        CHECK_FALSE(unsafe_value(name, "de:en").has_value());
        CHECK(unsafe_value(name, "/home/u/locale").has_value());
        CHECK(unsafe_value(name, "../../../tmp/x").has_value());
    }
    // Other variables are the allow-lists' business, not this rule's.
    CHECK_FALSE(unsafe_value("TERM", "/etc/shadow").has_value());
    CHECK_FALSE(unsafe_value("TZDIR", "/etc").has_value());
}

TEST_CASE("CallerEnvironment leaves out unsafe values and says why") {
    CallerEnvironment env({"TZ=/etc/shadow", "TZ=Europe/Paris", "LANG=/tmp/x", "LC_ALL=C.UTF-8", "TERM=xterm"});
    CHECK(env.get("TZ") == "Europe/Paris");  // the unsafe first one is gone
    CHECK_FALSE(env.get("LANG").has_value());
    CHECK(env.get("LC_ALL") == "C.UTF-8");
    CHECK(env.dropped("TZ").has_value());
    CHECK(env.dropped("LANG").has_value());
    CHECK_FALSE(env.dropped("TERM").has_value());
    CHECK(env.entries() == std::vector<std::string>{"TZ=Europe/Paris", "LC_ALL=C.UTF-8", "TERM=xterm"});
    CallerEnvironment only_bad({"TZ=:/etc/shadow"});
    CHECK_FALSE(only_bad.get("TZ").has_value());
}

TEST_CASE("close_fds_from closes every fd from the given one up") {
    int rc = in_child([] {
        for (int fd : {40, 41, 900}) {
            if (::dup2(0, fd) != fd) return 1;
        }
        if (::dup2(0, 39) != 39) return 2;
        jk::privilege::close_fds_from(40);
        for (int fd : {40, 41, 900})
            if (::fcntl(fd, F_GETFD) != -1) return 3;
        return ::fcntl(39, F_GETFD) != -1 ? 0 : 4;
    });
    CHECK(rc == 0);
}

TEST_CASE("setuid_prologue reopens closed std fds, clears the environment and sets umask 022") {
    int rc = in_child([] {
        ::close(1);
        ::close(2);
        int extra = ::open("/dev/null", O_RDONLY);  // lands on fd 1, must survive as it is
        if (extra != 1) return 1;
        if (::dup2(0, 77) != 77) return 2;
        ::setenv("LD_PRELOAD", "/evil.so", 1);
        ::setenv("USER", "someone", 1);
        ::umask(0);
        jk::privilege::Prologue p = jk::privilege::setuid_prologue();
        if (::fcntl(2, F_GETFD) == -1) return 3;               // reopened
        if (::fcntl(77, F_GETFD) != -1) return 4;              // closed
        if (::getenv("LD_PRELOAD") != nullptr) return 5;       // environment cleared
        if (p.environment.get("USER") != "someone") return 6;  // but kept aside
        if (p.caller_umask != 0) return 7;
        mode_t now = ::umask(0);
        if (now != 022) return 8;
        if (::prctl(PR_GET_DUMPABLE) != 0) return 9;
        return p.caller.uid == ::getuid() && p.caller.gid == ::getgid() ? 0 : 10;
    });
    CHECK(rc == 0);
}

TEST_CASE("drop_to refuses uid 0") {
    CHECK_THROWS_AS(jk::privilege::drop_to({0, 0, {}}), jk::privilege::DropError);
}

TEST_CASE("drop_to leaves no way back to root", "[root]") {
    jk::test::require_root();
    int rc = in_child([] {
        jk::privilege::drop_to({65534, 65534, {65534, 100}});
        uid_t r, e, s;
        ::getresuid(&r, &e, &s);
        if (r != 65534 || e != 65534 || s != 65534) return 1;
        gid_t rg, eg, sg;
        ::getresgid(&rg, &eg, &sg);
        if (rg != 65534 || eg != 65534 || sg != 65534) return 2;
        if (::setuid(0) == 0 || ::setgid(0) == 0) return 3;
        if (status_line("CapEff:") != "CapEff:\t0000000000000000") return 4;
        if (status_line("CapPrm:") != "CapPrm:\t0000000000000000") return 5;
        if (status_line("CapBnd:") != "CapBnd:\t0000000000000000") return 6;
        if (status_line("CapAmb:") != "CapAmb:\t0000000000000000") return 7;
        if (status_line("NoNewPrivs:") != "NoNewPrivs:\t1") return 8;
        gid_t groups[4];
        int n = ::getgroups(4, groups);
        return n == 2 && groups[0] == 100 && groups[1] == 65534 ? 0 : 9;  // the kernel sorts them
    });
    CHECK(rc == 0);
}

TEST_CASE("drop_to with allow_setuid_programs keeps the bounding set only", "[root]") {
    jk::test::require_root();
    int rc = in_child([] {
        jk::privilege::drop_to({65534, 65534, {}}, {.allow_setuid_programs = true});
        if (status_line("CapEff:") != "CapEff:\t0000000000000000") return 1;
        if (status_line("NoNewPrivs:") != "NoNewPrivs:\t0") return 2;
        return status_line("CapBnd:") != "CapBnd:\t0000000000000000" ? 0 : 3;
    });
    CHECK(rc == 0);
}

TEST_CASE("enter_root makes the directory fd the root", "[root]") {
    jk::test::TempJail jail;
    jk::test::sh("echo inside > " + (jail / "marker"));
    int rc = in_child([&] {
        int fd = ::open(jail.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return 1;
        jk::privilege::enter_root(fd, jail.path());
        std::ifstream in("/marker");
        std::string word;
        in >> word;
        if (word != "inside") return 2;
        char cwd[64];
        if (::getcwd(cwd, sizeof cwd) == nullptr || std::string(cwd) != "/") return 3;
        // ".." of the new root is the root itself.
        struct stat root, up;
        if (::stat("/", &root) != 0 || ::stat("/..", &up) != 0) return 4;
        return root.st_ino == up.st_ino ? 0 : 5;
    });
    CHECK(rc == 0);
}

TEST_CASE("ensure_own_session makes a non-leader a session leader") {
    int rc = in_child([] {
        if (::getsid(0) == ::getpid()) return 1;  // the test runner's child is no leader
        jk::privilege::ensure_own_session();
        return ::getsid(0) == ::getpid() ? 0 : 2;
    });
    CHECK(rc == 0);
}

TEST_CASE("ensure_own_session forks a process group leader and passes on its status") {
    int rc = in_child([] {
        if (::setpgid(0, 0) != 0) return 1;  // now a group leader: setsid would fail
        pid_t before = ::getpid();
        jk::privilege::ensure_own_session();
        // Only the forked child returns here; the parent exits with its status.
        if (::getpid() == before) return 2;
        return ::getsid(0) == ::getpid() ? 33 : 3;
    });
    CHECK(rc == 33);
}
