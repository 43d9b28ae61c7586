#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/socketd_daemon.hpp"
#include "tests/unit/tmpjail.hpp"

using namespace jk::socketd;
using jk::test::sh;
using jk::test::TempJail;

namespace {

// A sink that keeps what the daemon reports.
struct Captured {
    std::vector<std::pair<int, std::string>> lines;
    bool detached = false;
    Sink sink() {
        return Sink{[this](int p, const std::string& m) { lines.emplace_back(p, m); }, [this] { detached = true; }};
    }
    bool has(int priority, const std::string& part) const {
        for (const auto& [p, m] : lines)
            if (p == priority && m.find(part) != std::string::npos) return true;
        return false;
    }
};

template <class Fn>
std::string what_of(Fn&& fn) {
    try {
        fn();
    } catch (const jk::Error& e) {
        return e.what();
    }
    return "<nothing thrown>";
}

}  // namespace

TEST_CASE("socketd relay_identity: never root, unknown users refused", "[socketd]") {
    SECTION("the default: jk_socketd when it exists, else nobody") {
        const passwd* pw = ::getpwnam("jk_socketd");
        if (!pw) pw = ::getpwnam("nobody");
        REQUIRE(pw != nullptr);
        const auto who = relay_identity("");
        CHECK(who.uid == pw->pw_uid);
        CHECK(who.gid == pw->pw_gid);
        CHECK(who.groups.empty());
    }
    SECTION("a named user") {
        const passwd* pw = ::getpwnam("nobody");
        REQUIRE(pw != nullptr);
        CHECK(relay_identity("nobody").uid == pw->pw_uid);
    }
    SECTION("root is refused, exit 1") {
        CHECK_THROWS_AS(relay_identity("root"), StartRefused);
        CHECK(what_of([] { relay_identity("root"); }) == "refusing to relay as 'root', which is root");
        try {
            relay_identity("root");
        } catch (const jk::Error& e) {
            CHECK(e.exit_code() == 1);
        }
    }
    SECTION("an unknown user is refused") {
        CHECK_THROWS_AS(relay_identity("no-such-user-jk"), StartRefused);
        CHECK(what_of([] { relay_identity("no-such-user-jk"); }) ==
              "the user 'no-such-user-jk' to relay as does not exist");
    }
}

TEST_CASE("socketd command_line_spec: --socket and its limits", "[socketd]") {
    DaemonOptions o;
    SECTION("the interval defaults to jailkit's 10 s; the path is normalised") {
        o.socket = "/srv/jail//dev/log/";
        auto specs = command_line_spec(o);
        REQUIRE(specs.size() == 1);
        CHECK(specs[0].path == "/srv/jail/dev/log");
        CHECK(specs[0].interval == cli_interval_default);
        CHECK(specs[0].base == base_default);
        CHECK(specs[0].peak == peak_default);
    }
    SECTION("given limits are clamped as the ini's") {
        o.socket = "/srv/jail/dev/log";
        o.base = 1000;
        o.peak = 1;  // below the range: jailkit's default
        o.interval = 1;
        auto s = command_line_spec(o).at(0);
        CHECK(s.base == 1000);
        CHECK(s.peak == peak_default);
        CHECK(s.interval == 1.0);
    }
    SECTION("a path with '..' is a usage error") {
        o.socket = "/srv/jail/../dev/log";
        CHECK_THROWS_AS(command_line_spec(o), jk::UsageError);
    }
}

TEST_CASE("socketd raise_fd_limit: warns when the hard limit is too low", "[socketd]") {
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    Captured c;
    raise_fd_limit(16, c.sink());
    CHECK(c.lines.empty());
    if (rl.rlim_max != RLIM_INFINITY) {
        raise_fd_limit(static_cast<std::size_t>(rl.rlim_max), c.sink());
        CHECK(c.has(LOG_WARNING, "is too low for " + std::to_string(rl.rlim_max) + " sockets"));
    }
    rlimit now{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == rl.rlim_max);
}

TEST_CASE("socketd open_empty_root: the trust rule and emptiness", "[socketd][root]") {
    TempJail tj;
    const std::string root = tj / "empty";
    SECTION("created root 0755 when missing, and opened") {
        jk::UniqueFd fd = open_empty_root(root);
        CHECK(fd);
        struct stat st {};
        REQUIRE(::stat(root.c_str(), &st) == 0);
        CHECK(st.st_uid == 0);
        CHECK((st.st_mode & 07777) == 0755);
        CHECK(open_empty_root(root));  // and again, as it is now
    }
    SECTION("writable by group: refused") {
        sh("install -d -m 0775 '" + root + "'");
        CHECK_THROWS_AS(open_empty_root(root), jk::UnsafePath);
        CHECK(what_of([&] { open_empty_root(root); }) == "'" + root + "' is writable by group");
    }
    SECTION("writable by others: refused") {
        sh("install -d -m 1777 '" + root + "'");
        CHECK(what_of([&] { open_empty_root(root); }) == "'" + root + "' is writable by others");
    }
    SECTION("not owned by root: refused") {
        sh("install -d -m 0755 -o nobody '" + root + "'");
        CHECK(what_of([&] { open_empty_root(root); }) == "'" + root + "' is not owned by root");
    }
    SECTION("a subdirectory in it: refused") {
        sh("install -d -m 0755 '" + root + "/sub'");
        CHECK(what_of([&] { open_empty_root(root); }) == "'" + root + "' must be an empty directory");
    }
    SECTION("a symlink at its name: not followed") {
        sh("install -d -m 0777 '" + tj / "elsewhere" + "' && ln -s elsewhere '" + root + "'");
        CHECK_THROWS_AS(open_empty_root(root), jk::SysError);
    }
}

TEST_CASE("socketd load_specs: jailkit's 11 and 53", "[socketd][root]") {
    TempJail tj;
    const std::string conf = tj / "conf";
    const std::string ini = conf + "/jk_socketd.ini";
    sh("install -d -m 0755 '" + conf + "'");
    Captured c;
    SECTION("missing: 11") {
        try {
            load_specs(conf, c.sink());
            FAIL("no error");
        } catch (const IniUnusable& e) {
            CHECK(e.exit_code() == 11);
            CHECK(std::string(e.what()) == "cannot read " + ini + ": it does not exist");
        }
    }
    SECTION("writable by others: 11") {
        sh("printf '[/srv/j/dev/log]\\n' >'" + ini + "' && chmod 0666 '" + ini + "'");
        CHECK_THROWS_AS(load_specs(conf, c.sink()), IniUnusable);
    }
    SECTION("malformed: 11") {
        sh("printf '[/srv/j/dev/log\\n' >'" + ini + "'");
        CHECK_THROWS_AS(load_specs(conf, c.sink()), IniUnusable);
    }
    SECTION("the directory writable by others: 53") {
        sh("printf '[/srv/j/dev/log]\\n' >'" + ini + "' && chmod 0777 '" + conf + "'");
        try {
            load_specs(conf, c.sink());
            FAIL("no error");
        } catch (const UnsafeConfigDirectory& e) {
            CHECK(e.exit_code() == 53);
        }
    }
    SECTION("read: the sockets, and the warnings through the sink") {
        sh("printf '[/srv/j/dev/log]\\nbase = 4096\\ncolour = red\\n[relative]\\n' >'" + ini + "'");
        auto specs = load_specs(conf, c.sink());
        REQUIRE(specs.size() == 1);
        CHECK(specs[0].path == "/srv/j/dev/log");
        CHECK(specs[0].base == 4096);
        CHECK(c.has(LOG_WARNING, "unknown key 'colour'"));
        CHECK(c.has(LOG_WARNING, "relative"));
    }
}

TEST_CASE("socketd run_daemon: refusals before it runs are thrown", "[socketd][root]") {
    TempJail tj;
    const std::string conf = tj / "conf";
    sh("install -d -m 0755 '" + conf + "' && printf '# nothing\\n' >'" + conf + "/jk_socketd.ini'");
    Captured c;
    DaemonOptions o;
    o.confdir = conf;
    o.nodetach = true;
    o.target = tj / "no-such.sock";
    o.empty_root = tj / "empty";
    SECTION("no sockets configured: exit 1") {
        CHECK_THROWS_AS(run_daemon(o, c.sink()), StartRefused);
        CHECK(what_of([&] { run_daemon(o, c.sink()); }) == "no sockets are configured in " + conf + "/jk_socketd.ini");
    }
    SECTION("no target socket: exit 1") {
        o.socket = tj / "dev/log";
        CHECK(what_of([&] { run_daemon(o, c.sink()); }).rfind("cannot reach the syslog socket " + o.target, 0) == 0);
    }
    SECTION("a target that is not a socket: exit 1") {
        o.socket = tj / "dev/log";
        o.target = "/";  // exists, not a socket: checked first
        CHECK(what_of([&] { run_daemon(o, c.sink()); }) == "the syslog target / is not a socket");
    }
    CHECK(::access(o.empty_root.c_str(), F_OK) != 0);  // nothing was started
    CHECK_FALSE(c.detached);
}

TEST_CASE("socketd run_daemon: the daemon's own failures are reported, not thrown", "[socketd][root]") {
    // What fails before the relay child is forked: the empty root and the
    // pidfile. With nodetach nothing is forked at all.
    TempJail tj;
    sh("python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' '" +
       tj / "target.sock" + "'");
    sh("install -d -m 0755 '" + tj / "jail/dev" + "'");
    Captured c;
    DaemonOptions o;
    o.confdir = tj / "conf";  // not read: --socket
    o.nodetach = true;
    o.socket = tj / "jail/dev/log";
    o.target = tj / "target.sock";
    o.empty_root = tj / "empty";
    SECTION("an unsafe empty root: exit 1, LOG_ERR") {
        sh("install -d -m 0777 '" + o.empty_root + "'");
        CHECK(run_daemon(o, c.sink()) == 1);
        CHECK(c.has(LOG_ERR, "'" + o.empty_root + "' is writable by others"));
    }
    SECTION("a pidfile in a directory writable by others: exit 1, LOG_ERR, nothing written") {
        sh("install -d -m 1777 '" + tj / "public" + "'");
        o.pidfile = tj / "public/jk_socketd.pid";
        CHECK(run_daemon(o, c.sink()) == 1);
        CHECK(c.has(LOG_ERR, "refusing to write the pidfile"));
        CHECK(::access(o.pidfile.c_str(), F_OK) != 0);
    }
    SECTION("a symlink at the pidfile's name: not followed") {
        sh("install -d -m 0755 '" + tj / "run" + "' && echo keep >'" + tj / "canary" + "' && ln -s ../canary '" +
           tj / "run/jk_socketd.pid" + "'");
        o.pidfile = tj / "run/jk_socketd.pid";
        CHECK(run_daemon(o, c.sink()) == 1);
        CHECK(c.has(LOG_ERR, "symbolic link"));
        sh("test \"$(cat '" + tj / "canary" + "')\" = keep");
    }
    CHECK(::access(o.socket.c_str(), F_OK) != 0);  // no socket was created
    CHECK_FALSE(c.detached);
}
