#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/trust.hpp"
#include "tmpjail.hpp"

namespace trust = jk::trust;

namespace {

struct stat entry(mode_t type_and_mode, uid_t uid = 0, gid_t gid = 0) {
    struct stat st {};
    st.st_mode = type_and_mode;
    st.st_uid = uid;
    st.st_gid = gid;
    return st;
}

std::string why(const struct stat& st, const trust::Rule& rule) {
    std::optional<std::string> p = trust::problem(st, rule);
    return p ? *p : "";
}

void sh(const std::string& cmd) {
    REQUIRE(std::system(cmd.c_str()) == 0);
}

}  // namespace

TEST_CASE("directory rules: owner and write bits", "[trust]") {
    CHECK(why(entry(S_IFDIR | 0755), trust::jail_parent).empty());
    CHECK(why(entry(S_IFDIR | 0775), trust::jail_parent) == "is writable by group");
    CHECK(why(entry(S_IFDIR | 0757), trust::jail_parent) == "is writable by others");
    CHECK(why(entry(S_IFDIR | 01777), trust::jail_parent) == "is writable by others");
    CHECK(why(entry(S_IFDIR | 0755, 1000), trust::jail_parent) == "is not owned by root");
    CHECK(why(entry(S_IFLNK | 0777), trust::jail_parent) == "is a symbolic link");
    CHECK(why(entry(S_IFREG | 0755), trust::jail_parent) == "is not a directory");
    // setuid/setgid on a directory does not weaken confinement
    CHECK(why(entry(S_IFDIR | 06755), trust::jail_parent).empty());

    SECTION("the jail itself is also group root (jailkit's rule)") {
        CHECK(why(entry(S_IFDIR | 0755, 0, 100), trust::jail_parent).empty());
        CHECK(why(entry(S_IFDIR | 0755, 0, 100), trust::jail_directory) == "is not owned by group root");
    }
    SECTION("a setuid tool's configuration directory may be group-writable by group root only") {
        CHECK(why(entry(S_IFDIR | 0775, 0, 0), trust::config_directory).empty());
        CHECK(why(entry(S_IFDIR | 0775, 0, 100), trust::config_directory) == "is writable by group");
        CHECK(why(entry(S_IFDIR | 0757, 0, 0), trust::config_directory) == "is writable by others");
    }
    SECTION("a pidfile's directory may be anyone's, but writable only by them and group root") {
        CHECK(why(entry(S_IFDIR | 0755, 1000, 1000), trust::pidfile_directory).empty());
        CHECK(why(entry(S_IFDIR | 0775, 1000, 0), trust::pidfile_directory).empty());
        CHECK(why(entry(S_IFDIR | 0775, 1000, 1000), trust::pidfile_directory) == "is writable by group");
        CHECK(why(entry(S_IFDIR | 01777), trust::pidfile_directory) == "is writable by others");
    }
}

TEST_CASE("file rules: trusted files, the jail's user database, executables", "[trust]") {
    for (const trust::Rule* r : {&trust::trusted_file, &trust::jail_passwd}) {
        CHECK(why(entry(S_IFREG | 0644), *r).empty());
        CHECK(why(entry(S_IFREG | 0664), *r) == "is writable by group");
        CHECK(why(entry(S_IFREG | 0664, 0, 0), *r) == "is writable by group");  // files: never group-writable
        CHECK(why(entry(S_IFREG | 0646), *r) == "is writable by others");
        CHECK(why(entry(S_IFREG | 0644, 1000), *r) == "is not owned by root");
        CHECK(why(entry(S_IFDIR | 0755), *r) == "is not a regular file");
        CHECK(why(entry(S_IFIFO | 0644), *r) == "is not a regular file");
        CHECK(why(entry(S_IFLNK | 0777), *r) == "is a symbolic link");
    }
    CHECK(why(entry(S_IFREG | 0755), trust::trusted_executable).empty());
    CHECK(why(entry(S_IFREG | 0644), trust::trusted_executable) == "is not executable");
    CHECK(why(entry(S_IFREG | 04755), trust::trusted_executable).empty());  // procmail may be setgid mail

    SECTION("a daemon's executable: jailkit's exit-29 rule") {
        CHECK(why(entry(S_IFREG | 0755), trust::daemon_executable).empty());
        CHECK(why(entry(S_IFREG | 0700), trust::daemon_executable).empty());
        CHECK(why(entry(S_IFREG | 04755), trust::daemon_executable) == "is setuid or setgid");
        CHECK(why(entry(S_IFREG | 02755), trust::daemon_executable) == "is setuid or setgid");
        CHECK(why(entry(S_IFREG | 0775), trust::daemon_executable) == "is writable by group");
        CHECK(why(entry(S_IFREG | 0757), trust::daemon_executable) == "is writable by others");
        CHECK(why(entry(S_IFREG | 0755, 1000, 0), trust::daemon_executable) == "is not owned by root");
        CHECK(why(entry(S_IFREG | 0755, 0, 1000), trust::daemon_executable) == "is not owned by group root");
        CHECK(why(entry(S_IFDIR | 0755), trust::daemon_executable) == "is not a regular file");
    }
}

TEST_CASE("open_checked walks from / on fds and refuses what fails a rule on the way", "[trust][root]") {
    jk::test::TempJail t;
    sh("mkdir -p " + (t / "a/b") + " && printf 'x' > " + (t / "a/b/f") + " && chmod 0644 " + (t / "a/b/f"));

    SECTION("a sound path opens, readable") {
        jk::UniqueFd fd = trust::open_checked(t / "a/b/f", trust::trusted_file, O_RDONLY);
        char c = 0;
        CHECK(::read(fd.get(), &c, 1) == 1);
        CHECK(c == 'x');
        CHECK_NOTHROW(trust::open_checked(t / "a/b", trust::jail_directory));
        CHECK_NOTHROW(trust::open_checked("/", trust::jail_parent));
    }
    SECTION("a directory on the way writable by a group other than root") {
        sh("chgrp 65534 " + (t / "a") + " && chmod 0775 " + (t / "a"));
        CHECK_THROWS_WITH(trust::open_checked(t / "a/b/f", trust::trusted_file, O_RDONLY),
                          Catch::Contains(t / "a' is writable by group"));
    }
    SECTION("group root may write a configuration directory, not a jail's parent") {
        sh("chmod 0775 " + (t / "a"));
        CHECK_NOTHROW(trust::open_checked(t / "a/b/f", trust::trusted_file, O_RDONLY));
        CHECK_THROWS_WITH(trust::open_checked(t / "a/b", trust::jail_directory),
                          Catch::Contains(t / "a' is writable by group"));
    }
    SECTION("a directory on the way owned by a user") {
        sh("chown 65534 " + (t / "a/b"));
        CHECK_THROWS_AS(trust::open_checked(t / "a/b/f", trust::trusted_file, O_RDONLY), jk::UnsafePath);
    }
    SECTION("a symlink on the way or at the end is refused, not followed") {
        sh("ln -s a " + (t / "link") + " && ln -s f " + (t / "a/b/flink"));
        CHECK_THROWS_AS(trust::open_checked(t / "link/b/f", trust::trusted_file, O_RDONLY), jk::SymlinkNotAllowed);
        CHECK_THROWS_AS(trust::open_checked(t / "a/b/flink", trust::trusted_file, O_RDONLY), jk::SymlinkNotAllowed);
        CHECK_THROWS_AS(trust::open_checked(t / "a/b/flink", trust::trusted_file, O_PATH), jk::SymlinkNotAllowed);
    }
    SECTION("a FIFO in place of a file is refused without hanging") {
        sh("mkfifo -m 0644 " + (t / "a/b/fifo"));
        CHECK_THROWS_WITH(trust::open_checked(t / "a/b/fifo", trust::trusted_file, O_RDONLY),
                          Catch::Contains("is not a regular file"));
    }
    SECTION("the file itself fails its rule") {
        sh("chmod 0666 " + (t / "a/b/f"));
        CHECK_THROWS_WITH(trust::open_checked(t / "a/b/f", trust::trusted_file, O_RDONLY),
                          Catch::Contains("is writable by others"));
    }
    SECTION("missing components and non-canonical paths") {
        try {
            (void)trust::open_checked(t / "a/nope/f", trust::trusted_file, O_RDONLY);
            FAIL("opened a missing path");
        } catch (const jk::SysError& e) {
            CHECK(e.err() == ENOENT);
        }
        CHECK_THROWS_AS(trust::open_checked(t / "a/../a/b/f", trust::trusted_file), jk::Error);
        CHECK_THROWS_AS(trust::open_checked(t / "a/./b/f", trust::trusted_file), jk::Error);
        CHECK_THROWS_AS(trust::open_checked("relative/f", trust::trusted_file), jk::Error);
    }
}

TEST_CASE("open_checked_if_present: absent is an empty fd, everything else as open_checked", "[trust][root]") {
    jk::test::TempJail t;
    sh("mkdir -p " + (t / "a/b") + " && printf 'x' > " + (t / "a/b/f") + " && chmod 0644 " + (t / "a/b/f"));

    CHECK_FALSE(trust::open_checked_if_present(t / "a/b/missing", trust::trusted_file, O_RDONLY));
    CHECK_FALSE(trust::open_checked_if_present(t / "a/missing/f", trust::trusted_file, O_RDONLY));
    jk::UniqueFd fd = trust::open_checked_if_present(t / "a/b/f", trust::trusted_file, O_RDONLY);
    REQUIRE(fd);
    char c = 0;
    CHECK(::read(fd.get(), &c, 1) == 1);
    CHECK(c == 'x');

    SECTION("an unsafe step still throws, though what follows it is absent") {
        sh("chmod 0777 " + (t / "a"));
        CHECK_THROWS_AS(trust::open_checked_if_present(t / "a/b/missing", trust::trusted_file, O_RDONLY),
                        jk::UnsafePath);
    }
    SECTION("a symlink on the way is refused, not taken for absent") {
        sh("ln -s a " + (t / "link"));
        CHECK_THROWS_AS(trust::open_checked_if_present(t / "link/b/missing", trust::trusted_file, O_RDONLY),
                        jk::SymlinkNotAllowed);
    }
    SECTION("a file where a directory should be is an error, not absent") {
        CHECK_THROWS_WITH(trust::open_checked_if_present(t / "a/b/f/g", trust::trusted_file, O_RDONLY),
                          Catch::Contains("is not a directory"));
    }
}

namespace {

constexpr uid_t test_uid = 61873;  // nobody's: no such account needed

// What open_unreplaceable says for `path` when asked by test_uid itself
// (faccessat2 judges the caller's own ids): "" when it passes, else the
// reason, or "errno N" for a failed lookup. Runs in a child that drops to
// the uid; the answer comes back through a pipe.
std::string unreplaceable_for_user(const std::string& path) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string answer;
        if (::setgroups(0, nullptr) != 0 || ::setresgid(test_uid, test_uid, test_uid) != 0 ||
            ::setresuid(test_uid, test_uid, test_uid) != 0) {
            answer = "cannot drop";
        } else {
            try {
                trust::UnreplaceableFile f = trust::open_unreplaceable(path, test_uid);
                answer = "ok " + f.canonical;
            } catch (const jk::UnsafePath& e) {
                answer = e.reason();
            } catch (const jk::SysError& e) {
                answer = "errno " + std::to_string(e.err());
            }
        }
        (void)!::write(fds[1], answer.data(), answer.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string answer;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return answer;
}

}  // namespace

TEST_CASE("open_unreplaceable: nothing on the way to a user's program may be the user's to replace", "[trust][root]") {
    jk::test::TempJail t;
    using jk::test::sh;
    const std::string uid = std::to_string(test_uid);
    sh("mkdir -p " + t / "bin" + " && cp /usr/bin/true " + t / "bin/prog" + " && chmod 0755 " + t / "bin/prog");

    CHECK(unreplaceable_for_user("/usr/bin/true") == "ok /usr/bin/true");
    CHECK(unreplaceable_for_user(t / "bin/prog") == "ok " + t / "bin/prog");

    SECTION("symlinks are followed, relative and absolute, and the walk goes on from their targets") {
        sh("ln -s prog " + t / "bin/rel && ln -s /usr/bin/true " + t / "bin/abs && ln -s ../bin/./prog " +
           t / "bin/up");
        CHECK(unreplaceable_for_user(t / "bin/rel") == "ok " + t / "bin/prog");
        CHECK(unreplaceable_for_user(t / "bin/abs") == "ok /usr/bin/true");
        CHECK(unreplaceable_for_user(t / "bin/up") == "ok " + t / "bin/prog");
    }
    SECTION("the program owned by the user") {
        sh("chown " + uid + " " + t / "bin/prog");
        CHECK(unreplaceable_for_user(t / "bin/prog") == "is owned by the user, who could replace its content");
    }
    SECTION("the program writable by the user through an ACL") {
        sh("setfacl -m u:" + uid + ":rw " + t / "bin/prog");
        CHECK(unreplaceable_for_user(t / "bin/prog") == "is writable by the user, who could replace its content");
    }
    SECTION("a directory on the way writable by the user") {
        sh("chmod 0777 " + t / "bin");
        CHECK(unreplaceable_for_user(t / "bin/prog") ==
              "is a directory writable by the user, who could replace the program");
    }
    SECTION("a symlink's target directory owned by the user") {
        sh("mkdir " + t / "own" + " && cp /usr/bin/true " + t / "own/prog && chown " + uid + " " + t / "own" +
           " && ln -s ../own/prog " + t / "bin/via");
        CHECK(unreplaceable_for_user(t / "bin/via") ==
              "is a directory owned by the user, who could replace the program");
    }
    SECTION("not a regular file, or not there") {
        CHECK(unreplaceable_for_user(t / "bin") == "is not a regular file");
        CHECK(unreplaceable_for_user(t / "bin/missing") == "errno " + std::to_string(ENOENT));
        CHECK(unreplaceable_for_user("bin/prog") == "is not an absolute path");
    }
}
