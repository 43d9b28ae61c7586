// libjk/launch: the rules jk_uchroot and jk_chrootlaunch share, each on its
// own: allowed_jails matching, jk_chrootlaunch's -x forms, ids, the
// environment, the executable rules, the pidfile and the daemon identity.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/jail.hpp"
#include "jk/launch.hpp"
#include "tmpjail.hpp"

using jk::launch::chrootlaunch_inner_path;
using jk::launch::jail_allowed;
using jk::launch::parse_numeric_id;

namespace {

using Strings = std::vector<std::string>;

bool has(const Strings& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool has_prefix(const Strings& v, const std::string& prefix) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("jail_allowed: jailkit's dirs_equal after lexical cleanup", "[launch]") {
    const Strings allowed = {"/srv/jails/a", "/srv/jails/b/", "relative/c", ""};
    CHECK(jail_allowed("/srv/jails/a", allowed));
    CHECK(jail_allowed("/srv/jails/a/", allowed));  // one trailing slash more
    CHECK(jail_allowed("/srv/jails/b", allowed));   // one trailing slash less
    CHECK(jail_allowed("/srv//jails/./a", allowed));
    CHECK(jail_allowed("/srv/jails/x/../a", allowed));  // the cleaned path is what gets opened
    CHECK_FALSE(jail_allowed("/srv/jails/a/../c", allowed));
    CHECK_FALSE(jail_allowed("/srv/jails/ab", allowed));
    CHECK_FALSE(jail_allowed("/srv/jails", allowed));
    CHECK_FALSE(jail_allowed("/srv/jails/a/sub", allowed));
    CHECK_FALSE(jail_allowed("srv/jails/a", allowed));  // relative never matches
    CHECK_FALSE(jail_allowed("relative/c", allowed));   // not even a relative entry
    CHECK_FALSE(jail_allowed("", allowed));
    CHECK_FALSE(jail_allowed("/srv/jails/a", {}));
    CHECK_FALSE(jail_allowed("/SRV/jails/a", allowed));  // case matters
}

TEST_CASE("chrootlaunch_inner_path: the three -x forms", "[launch]") {
    const std::string j = "/srv/jail";
    CHECK(chrootlaunch_inner_path(j, "/srv/jail/usr/sbin/d") == "/usr/sbin/d");  // with the jail prefix
    CHECK(chrootlaunch_inner_path(j + "/", "/srv/jail/usr/sbin/d") == "/usr/sbin/d");
    CHECK(chrootlaunch_inner_path(j, "/srv//jail/./usr/sbin/d") == "/usr/sbin/d");
    CHECK(chrootlaunch_inner_path(j, "usr/sbin/d") == "/usr/sbin/d");  // relative to the jail
    CHECK(chrootlaunch_inner_path(j, "./usr/sbin/d") == "/usr/sbin/d");
    CHECK(chrootlaunch_inner_path(j, "/usr/sbin/d") == "/usr/sbin/d");            // inside-jail absolute
    CHECK(chrootlaunch_inner_path(j, "/srv/jail2/bin/d") == "/srv/jail2/bin/d");  // components, not chars
    CHECK(chrootlaunch_inner_path(j, "/srv/jail/srv/jail/x") == "/srv/jail/x");   // the prefix goes once
    CHECK(chrootlaunch_inner_path(j, "../../etc/passwd") == "/etc/passwd");       // '..' clamps at the root
    CHECK(chrootlaunch_inner_path("/", "/bin/sh") == "/bin/sh");
    CHECK_THROWS_AS(chrootlaunch_inner_path(j, ""), jk::Error);
    CHECK_THROWS_AS(chrootlaunch_inner_path(j, "/srv/jail"), jk::Error);
    CHECK_THROWS_AS(chrootlaunch_inner_path(j, "/srv/jail/"), jk::Error);
    CHECK_THROWS_AS(chrootlaunch_inner_path(j, "."), jk::Error);
    CHECK_THROWS_AS(chrootlaunch_inner_path(j, "/"), jk::Error);
}

TEST_CASE("parse_numeric_id: ids, names, negatives", "[launch]") {
    CHECK(parse_numeric_id("0") == 0u);
    CHECK(parse_numeric_id("65534") == 65534u);
    CHECK(parse_numeric_id("4294967294") == 4294967294u);
    CHECK(parse_numeric_id("nobody") == std::nullopt);
    CHECK(parse_numeric_id("www-data") == std::nullopt);
    CHECK(parse_numeric_id("1abc") == std::nullopt);
    CHECK(parse_numeric_id("-x") == std::nullopt);
    CHECK_THROWS_AS(parse_numeric_id("-1"), jk::Error);
    CHECK_THROWS_AS(parse_numeric_id("-65534"), jk::Error);
    CHECK_THROWS_AS(parse_numeric_id("4294967295"), jk::Error);  // (uid_t)-1: "no change"
    CHECK_THROWS_AS(parse_numeric_id("99999999999999999999"), jk::Error);
    CHECK_THROWS_AS(parse_numeric_id(""), jk::Error);
}

TEST_CASE("environment: built from scratch, TERM and LANG kept", "[launch]") {
    jk::privilege::CallerEnvironment caller({"TERM=xterm", "LANG=C.UTF-8", "LD_PRELOAD=/evil.so", "IFS=/",
                                             "GCONV_PATH=/x", "PATH=/evil", "HOME=/root", "USER=root", "BASH_ENV=/x",
                                             "SECRET=1"});
    Strings env = jk::launch::environment(caller, "alice", "/home/alice", "/bin/bash");
    CHECK(has(env, "TERM=xterm"));
    CHECK(has(env, "LANG=C.UTF-8"));
    CHECK(has(env, "HOME=/home/alice"));
    CHECK(has(env, "USER=alice"));
    CHECK(has(env, "LOGNAME=alice"));
    CHECK(has(env, "SHELL=/bin/bash"));
    CHECK(has(env, "PATH=/usr/local/bin:/usr/bin:/bin"));
    for (const char* v :
         {"LD_PRELOAD=", "IFS=", "GCONV_PATH=", "BASH_ENV=", "SECRET=", "HOME=/root", "USER=root", "PATH=/evil"})
        CHECK_FALSE(has_prefix(env, v));

    SECTION("nothing from a caller without TERM or LANG") {
        Strings bare = jk::launch::environment(jk::privilege::CallerEnvironment(), "bob", "/", "/bin/sh");
        CHECK_FALSE(has_prefix(bare, "TERM="));
        CHECK_FALSE(has_prefix(bare, "LANG="));
        CHECK(has(bare, "HOME=/"));
    }
    SECTION("a uid without a name gets no USER/LOGNAME") {
        Strings anon = jk::launch::environment(caller, "", "/", "/bin/sh");
        CHECK_FALSE(has_prefix(anon, "USER="));
        CHECK_FALSE(has_prefix(anon, "LOGNAME="));
        CHECK(has(anon, "HOME=/"));
    }
}

TEST_CASE("open_executable: resolved beneath the jail, checked on the fd", "[launch][root]") {
    jk::test::TempJail tj;
    jk::test::sh("mkdir -p " + (tj / "bin") + " " + (tj / "usr/bin") + " && cp /bin/true " + (tj / "bin/prog") +
                 " && ln -s prog " + (tj / "bin/link") + " && ln -s /usr/bin/id " + (tj / "bin/hostlink") +
                 " && cp /bin/true " + (tj / "usr/bin/id") + " && ln -s /etc/shadow " + (tj / "bin/shadow") +
                 " && cp /bin/true " + (tj / "bin/suid") + " && chmod 4755 " + (tj / "bin/suid"));
    jk::Jail jail = jk::Jail::open_unchecked(tj.path());
    using jk::launch::ExecRefused;
    using jk::launch::ExecRule;
    using jk::launch::open_executable;
    auto ino = [](int fd) {
        struct stat st {};
        REQUIRE(::fstat(fd, &st) == 0);
        return st.st_ino;
    };
    auto host_ino = [](const std::string& p) {
        struct stat st {};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        return st.st_ino;
    };

    SECTION("user_program: symlinks followed inside the jail, regular file required") {
        CHECK(ino(open_executable(jail, "/bin/prog", ExecRule::user_program).get()) == host_ino(tj / "bin/prog"));
        CHECK(ino(open_executable(jail, "/bin/link", ExecRule::user_program).get()) == host_ino(tj / "bin/prog"));
        // An absolute link target names the jail's file, not the host's.
        CHECK(ino(open_executable(jail, "/bin/hostlink", ExecRule::user_program).get()) == host_ino(tj / "usr/bin/id"));
        CHECK_THROWS_AS(open_executable(jail, "/bin/shadow", ExecRule::user_program), ExecRefused);
        CHECK_THROWS_AS(open_executable(jail, "/bin/none", ExecRule::user_program), ExecRefused);
        CHECK_THROWS_AS(open_executable(jail, "/bin", ExecRule::user_program), ExecRefused);
        CHECK_THROWS_AS(open_executable(jail, "/../../etc/passwd", ExecRule::user_program), ExecRefused);
    }
    SECTION("trusted_daemon: no final symlink, root:root, no setuid") {
        CHECK(open_executable(jail, "/bin/prog", ExecRule::trusted_daemon).valid());
        CHECK_THROWS_AS(open_executable(jail, "/bin/link", ExecRule::trusted_daemon), ExecRefused);
        CHECK_THROWS_AS(open_executable(jail, "/bin/hostlink", ExecRule::trusted_daemon), ExecRefused);
        CHECK_THROWS_AS(open_executable(jail, "/bin/suid", ExecRule::trusted_daemon), ExecRefused);
        jk::test::sh("chown 1:1 " + (tj / "bin/prog"));
        CHECK_THROWS_AS(open_executable(jail, "/bin/prog", ExecRule::trusted_daemon), ExecRefused);
    }
}

TEST_CASE("write_pidfile: never through a planted name", "[launch][root]") {
    jk::test::TempJail tj;
    jk::test::sh("mkdir -m 0755 " + (tj / "run") + " && mkdir -m 1777 " + (tj / "tmp") + " && mkdir -m 0775 " +
                 (tj / "grp") + " && chgrp 1 " + (tj / "grp") + " && echo secret > " + (tj / "victim") +
                 " && ln -s ../victim " + (tj / "run/link.pid") + " && mkfifo " + (tj / "run/fifo.pid") +
                 " && echo 1 > " + (tj / "run/a.pid") + " && ln " + (tj / "run/a.pid") + " " + (tj / "run/b.pid"));
    jk::launch::write_pidfile(tj / "run/new.pid", 4242);
    CHECK(slurp(tj / "run/new.pid") == "4242\n");
    jk::launch::write_pidfile(tj / "run/new.pid", 7);  // a stale one is replaced whole
    CHECK(slurp(tj / "run/new.pid") == "7\n");
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "run/link.pid", 1), jk::Error);
    CHECK(slurp(tj / "victim") == "secret\n");
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "run/fifo.pid", 1), jk::Error);
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "run/b.pid", 1), jk::Error);  // two links
    CHECK(slurp(tj / "run/a.pid") == "1\n");
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "tmp/x.pid", 1), jk::Error);
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "grp/x.pid", 1), jk::Error);
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "missing/x.pid", 1), jk::Error);
    CHECK_THROWS_AS(jk::launch::write_pidfile(tj / "run/", 1), jk::Error);
    CHECK(::access((tj / "tmp/x.pid").c_str(), F_OK) != 0);
}

TEST_CASE("resolve_daemon_identity: the target's groups, never the caller's", "[launch]") {
    using jk::launch::resolve_daemon_identity;
    SECTION("a named user: passwd gid, getgrouplist groups") {
        passwd* pw = ::getpwnam("nobody");
        REQUIRE(pw != nullptr);
        auto d = resolve_daemon_identity(std::string("nobody"), std::nullopt);
        CHECK(d.id.uid == pw->pw_uid);
        CHECK(d.id.gid == pw->pw_gid);
        CHECK(d.name == "nobody");
        CHECK(std::find(d.id.groups.begin(), d.id.groups.end(), pw->pw_gid) != d.id.groups.end());
        CHECK(std::find(d.id.groups.begin(), d.id.groups.end(), gid_t{0}) == d.id.groups.end());
    }
    SECTION("numeric -u and -g") {
        auto d = resolve_daemon_identity(std::string("65534"), std::string("4"));
        CHECK(d.id.uid == 65534u);
        CHECK(d.id.gid == 4u);
        CHECK(std::find(d.id.groups.begin(), d.id.groups.end(), gid_t{4}) != d.id.groups.end());
    }
    SECTION("a uid without a passwd entry: needs -g, gets that group alone") {
        CHECK_THROWS_AS(resolve_daemon_identity(std::string("4242420"), std::nullopt), jk::Error);
        auto d = resolve_daemon_identity(std::string("4242420"), std::string("4242421"));
        CHECK(d.id.uid == 4242420u);
        CHECK(d.id.gid == 4242421u);
        CHECK(d.id.groups == std::vector<gid_t>{4242421});
        CHECK(d.name.empty());
        CHECK(d.home == "/");
    }
    SECTION("no -u: root, with root's groups") {
        auto d = resolve_daemon_identity(std::nullopt, std::nullopt);
        CHECK(d.id.uid == 0u);
        CHECK(d.id.gid == 0u);
        CHECK(d.name == "root");
    }
    SECTION("unknown or negative names and ids") {
        CHECK_THROWS_AS(resolve_daemon_identity(std::string("nosuchuser-jk-unit"), std::nullopt), jk::Error);
        CHECK_THROWS_AS(resolve_daemon_identity(std::string("-1"), std::nullopt), jk::Error);
        CHECK_THROWS_AS(resolve_daemon_identity(std::string("nobody"), std::string("nosuchgroup-jk-unit")), jk::Error);
        CHECK_THROWS_AS(resolve_daemon_identity(std::string("nobody"), std::string("-3")), jk::Error);
    }
}

TEST_CASE("the shipped jk_uchroot.ini parses cleanly and allows nobody anything", "[launch]") {
    auto ini = jk::config::IniFile::load(std::string(JK_SOURCE_ROOT) + "/ini/jk_uchroot.ini");
    CHECK(ini.warnings().empty());
    const jk::config::Section* s = ini.select_for_user("alice", "alice");
    REQUIRE(s != nullptr);
    CHECK(s->is_default());
    CHECK_FALSE(s->get_list("allowed_jails"));
}
