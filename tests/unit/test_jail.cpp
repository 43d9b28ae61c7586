#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/named_jail.hpp"
#include "jk/sys.hpp"
#include "tests/unit/tmpjail.hpp"

using jk::ResolveMethod;
using jk::test::sh;
using jk::test::TempJail;

namespace {

std::string slurp(int fd) {
    return jk::sys::read_all(fd, "test");
}

ino_t inode_of(int fd) {
    return jk::sys::fstat_fd(fd, "test").st_ino;
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_ino;
}

int open_errno(int rootfd, const std::string& p, int flags, ResolveMethod m) {
    try {
        jk::open_in_root(rootfd, p, flags, 0, p, m);
    } catch (const jk::SysError& e) {
        return e.err();
    }
    return 0;
}

}  // namespace

TEST_CASE("normalize_absolute is lexical and refuses relative paths", "[jail]") {
    CHECK(jk::normalize_absolute("/") == "/");
    CHECK(jk::normalize_absolute("//srv//jail/./x/") == "/srv/jail/x");
    CHECK(jk::normalize_absolute("/a/b/../c") == "/a/c");
    CHECK(jk::normalize_absolute("/../..") == "/");
    CHECK_THROWS_AS(jk::normalize_absolute("srv/jail"), jk::Error);
    CHECK_THROWS_AS(jk::normalize_absolute(""), jk::Error);
}

TEST_CASE("split_leaf separates directory and leaf", "[jail]") {
    auto s = jk::split_leaf("/usr/bin//bash");
    CHECK(s.dir == "/usr/bin");
    CHECK(s.leaf == "bash");
    CHECK(jk::split_leaf("x").dir.empty());
    CHECK_THROWS_AS(jk::split_leaf("/"), jk::Error);
    CHECK_THROWS_AS(jk::split_leaf("/a/.."), jk::Error);
    CHECK_THROWS_AS(jk::split_leaf(""), jk::Error);
}

TEST_CASE("resolution beneath the jail clamps symlinks and '..' at the jail root", "[jail][root]") {
    TempJail t;
    sh("mkdir -p " + t / "root/etc " + t / "root/usr/bin " + t / "outside");
    sh("echo inside > " + t / "root/etc/secret && echo outside > " + t / "outside/secret");
    sh("ln -s /etc " + t / "root/abs && ln -s ../../../../outside " + t / "root/rel");
    sh("ln -s / " + t / "root/usr/bin/rootlink && ln -s loop2 " + t / "root/loop1 && ln -s loop1 " + t / "root/loop2");
    sh("ln -s /etc/secret " + t / "root/leaflink && ln -s /nowhere/x " + t / "root/dangling");
    jk::UniqueFd root = jk::sys::open_at(AT_FDCWD, t / "root", O_PATH | O_DIRECTORY);

    for (ResolveMethod m : {ResolveMethod::openat2, ResolveMethod::walk}) {
        INFO("method " << static_cast<int>(m));
        CHECK(slurp(jk::open_in_root(root.get(), "/abs/secret", O_RDONLY, 0, "x", m).get()) == "inside\n");
        CHECK(slurp(jk::open_in_root(root.get(), "../../../etc/secret", O_RDONLY, 0, "x", m).get()) == "inside\n");
        CHECK(slurp(jk::open_in_root(root.get(), "usr/bin/rootlink/etc/secret", O_RDONLY, 0, "x", m).get()) ==
              "inside\n");
        CHECK(slurp(jk::open_in_root(root.get(), "leaflink", O_RDONLY, 0, "x", m).get()) == "inside\n");
        // "rel" climbs above the root on the host; beneath the jail it stops at
        // the root, where there is no "outside".
        CHECK(open_errno(root.get(), "rel/secret", O_RDONLY, m) == ENOENT);
        CHECK(open_errno(root.get(), "loop1", O_RDONLY, m) == ELOOP);
        CHECK(open_errno(root.get(), "leaflink", O_RDONLY | O_NOFOLLOW, m) == ELOOP);
        CHECK(open_errno(root.get(), "etc/secret/x", O_RDONLY, m) == ENOTDIR);
        CHECK(inode_of(jk::open_in_root(root.get(), "leaflink", O_PATH | O_NOFOLLOW, 0, "x", m).get()) ==
              inode_of(t / "root/leaflink"));
        CHECK(inode_of(jk::open_in_root(root.get(), "", O_PATH | O_DIRECTORY, 0, "x", m).get()) ==
              inode_of(t / "root"));
        CHECK(inode_of(jk::open_in_root(root.get(), "abs/..", O_PATH | O_DIRECTORY, 0, "x", m).get()) ==
              inode_of(t / "root"));
    }
    // O_CREAT through a dangling absolute link creates inside the jail.
    sh("mkdir -p " + t / "root/nowhere");
    for (ResolveMethod m : {ResolveMethod::openat2, ResolveMethod::walk}) {
        sh("rm -f " + t / "root/nowhere/x");
        jk::open_in_root(root.get(), "dangling", O_WRONLY | O_CREAT, 0600, "x", m);
        CHECK(::access((t / "root/nowhere/x").c_str(), F_OK) == 0);
        CHECK(::access("/nowhere/x", F_OK) != 0);
    }
}

TEST_CASE("Jail::open accepts a safe jail and follows nothing", "[jail][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j/usr/bin " + t / "j/etc && ln -s usr/bin " + t / "j/bin");
    jk::Jail jail = jk::Jail::open(t / "j");
    CHECK(jail.path() == t / "j");
    CHECK(jail.host_path("/usr/bin/x") == t / "j/usr/bin/x");
    CHECK(jk::Jail::open(t / "j/./").path() == t / "j");
}

TEST_CASE("Jail::open refuses unsafe jails and parents", "[jail][root]") {
    TempJail t;
    sh("mkdir -p " + t / "p/j " + t / "real/j");
    CHECK_NOTHROW(jk::Jail::open(t / "p/j"));

    SECTION("group-writable jail") {
        sh("chmod 775 " + t / "p/j");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains("writable by group"));
    }
    SECTION("other-writable parent") {
        sh("chmod 757 " + t / "p");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains(t / "p' is writable by others"));
    }
    SECTION("jail owned by a user") {
        sh("chown 65534 " + t / "p/j");
        CHECK_THROWS_AS(jk::Jail::open(t / "p/j"), jk::UnsafePath);
    }
    SECTION("symlinked jail") {
        sh("ln -s " + t / "real/j " + t / "p/link");
        CHECK_THROWS_AS(jk::Jail::open(t / "p/link"), jk::SymlinkNotAllowed);
    }
    SECTION("symlinked parent") {
        sh("ln -s " + t / "real " + t / "p/parentlink");
        CHECK_THROWS_AS(jk::Jail::open(t / "p/parentlink/j"), jk::SymlinkNotAllowed);
    }
    SECTION("a user-writable system directory inside") {
        sh("mkdir " + t / "p/j/etc && chmod 777 " + t / "p/j/etc");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains("/etc' is writable"));
    }
    SECTION("a system directory linked to a user-owned one") {
        sh("mkdir " + t / "p/j/home && chown 65534 " + t / "p/j/home && ln -s /home " + t / "p/j/usr");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains("not owned by root"));
    }
    SECTION("jail group not root (jailkit's root:root rule)") {
        sh("chgrp 65534 " + t / "p/j");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains("not owned by group root"));
    }
    SECTION("a system directory linked to nothing inside the jail") {
        sh("ln -s " + t / "real " + t / "p/j/etc");
        CHECK_THROWS_WITH(jk::Jail::open(t / "p/j"), Catch::Contains("to nothing inside the jail"));
    }
    SECTION("not a directory") {
        sh("touch " + t / "p/file");
        CHECK_THROWS_AS(jk::Jail::open(t / "p/file"), jk::UnsafePath);
    }
    SECTION("missing") {
        CHECK_THROWS_AS(jk::Jail::open(t / "p/none"), jk::SysError);
    }
}

TEST_CASE("replace_file replaces a planted symlink instead of writing through it", "[jail][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j/etc && echo victim > " + t / "victim && chmod 600 " + t / "victim");
    sh("ln -s " + t / "victim " + t / "j/etc/passwd");
    sh("ln -s / " + t / "j/lib");
    jk::Jail jail = jk::Jail::open(t / "j");
    jail.replace_file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0);
    struct stat st {};
    REQUIRE(::lstat((t / "j/etc/passwd").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0644);
    std::ifstream victim(t / "victim");
    std::string line;
    std::getline(victim, line);
    CHECK(line == "victim");
    // Through "lib -> /" the write lands at the jail root, not the host's.
    jail.replace_file("/lib/marker", "x", 0600, 0, 0);
    CHECK(::access((t / "j/marker").c_str(), F_OK) == 0);
    CHECK(::access("/marker", F_OK) != 0);
    // No temporary file is left behind.
    CHECK(std::system(("test -z \"$(find " + t / "j" + " -name '.jk-*')\"").c_str()) == 0);
}

namespace {

// What open_named_jail says of `given`: "jail PATH", "absent", or the
// problem's number and the message.
std::string named(const std::string& given, const jk::JailNaming& naming) {
    try {
        std::optional<jk::Jail> j = jk::open_named_jail(given, naming);
        return j ? "jail " + j->path() : "absent";
    } catch (const jk::JailNameError& e) {
        return std::to_string(static_cast<int>(e.problem())) + ": " + e.what();
    }
}

}  // namespace

TEST_CASE("open_named_jail: canonical names only, then Jail::open", "[jail]") {
    using P = jk::JailNameError::Problem;
    const auto problem = [](P p) { return std::to_string(static_cast<int>(p)) + ": "; };
    const jk::JailNaming strict{};
    const jk::JailNaming lenient{.trailing = jk::path::TrailingSlash::allowed, .host_root = true};
    CHECK(named("srv/jail", strict) ==
          problem(P::not_absolute) +
              "the jail 'srv/jail' is not an absolute path: give its absolute path without '.', '..' or '//'");
    CHECK(named("/srv/../jail", lenient).starts_with(problem(P::noncanonical) + "the jail '/srv/../jail' has a '..'"));
    CHECK(named("/srv//jail", strict).starts_with(problem(P::noncanonical)));
    CHECK(named("/srv/jail/", strict).starts_with(problem(P::noncanonical) + "the jail '/srv/jail/' ends with '/'"));
    CHECK(named("/", strict) == problem(P::host_root) + "the jail cannot be the host's root");
    CHECK(named("/nonexistent-jk-unit/jail", strict) ==
          problem(P::cannot_open) + "cannot open the jail /nonexistent-jk-unit/jail: No such file or directory");
    CHECK(named("/nonexistent-jk-unit/jail", {.may_be_absent = true}) == "absent");
}

TEST_CASE("open_named_jail: the jail, its trailing '/' dropped where allowed, or why it is unsafe", "[jail][root]") {
    TempJail t;
    const jk::JailNaming lenient{.trailing = jk::path::TrailingSlash::allowed};
    CHECK(named(t.path(), {}) == "jail " + t.path());
    CHECK(named(t.path() + "/", lenient) == "jail " + t.path());
    CHECK(named(t.path(), {.may_be_absent = true}) == "jail " + t.path());
    sh("chmod 0775 " + t.path());
    try {
        (void)jk::open_named_jail(t.path() + "/", lenient);
        FAIL("an unsafe jail was opened");
    } catch (const jk::JailNameError& e) {
        CHECK(e.problem() == jk::JailNameError::Problem::unsafe);
        CHECK(e.name() == t.path());
        CHECK(e.detail() == "'" + t.path() + "' is writable by group");
        CHECK(std::string(e.what()) == t.path() + " is not a safe jail, check ownership and permissions: '" + t.path() +
                                           "' is writable by group");
    }
}
