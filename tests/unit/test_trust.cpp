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

TEST_CASE("mode_allows: the owner's, the group's or the others' bits, by who asks", "[trust]") {
    jk::privilege::Identity who;
    who.uid = 1000;
    who.gid = 100;
    who.groups = {100, 200};
    CHECK(trust::mode_allows(entry(S_IFREG | 0400, 1000, 0), who, 4));
    CHECK_FALSE(trust::mode_allows(entry(S_IFREG | 0044, 1000, 0), who, 4));  // the owner's class only
    CHECK(trust::mode_allows(entry(S_IFREG | 0040, 0, 100), who, 4));
    CHECK(trust::mode_allows(entry(S_IFREG | 0040, 0, 200), who, 4));  // a supplementary group
    CHECK_FALSE(trust::mode_allows(entry(S_IFREG | 0404, 0, 200), who, 4));
    CHECK(trust::mode_allows(entry(S_IFREG | 0004, 0, 0), who, 4));
    CHECK(trust::mode_allows(entry(S_IFDIR | 0005, 0, 0), who, 5));
    CHECK_FALSE(trust::mode_allows(entry(S_IFDIR | 0004, 0, 0), who, 5));  // read without search
    CHECK_FALSE(trust::mode_allows(entry(S_IFDIR | 0001, 0, 0), who, 4));
}

namespace {

jk::privilege::Identity test_user() {
    jk::privilege::Identity who;
    who.uid = test_uid;
    who.gid = test_uid;
    return who;
}

std::string host_view(const std::string& real) {
    const trust::HostFile f = trust::host_file_for_user(real, test_user());
    switch (f.verdict) {
        case trust::HostFile::Verdict::readable: return f.directory ? "directory" : "file";
        case trust::HostFile::Verdict::absent: return "absent: " + f.why;
        case trust::HostFile::Verdict::refused: break;
    }
    return "refused: " + f.why;
}

}  // namespace

TEST_CASE("host_file_for_user: root's all the way down, and readable by the user", "[trust][root]") {
    jk::test::TempJail t;
    using jk::test::sh;
    const std::string uid = std::to_string(test_uid);
    sh("mkdir -p " + t / "a/b" + " && printf x > " + t / "a/b/f" + " && chmod 0644 " + t / "a/b/f");

    CHECK(host_view(t / "a/b/f") == "file");
    CHECK(host_view(t / "a/b") == "directory");
    CHECK(host_view("/") == "file");  // nothing below "/" to judge, as before

    SECTION("a component owned by a user") {
        sh("chown " + uid + " " + t / "a");
        CHECK(host_view(t / "a/b/f") == "refused: " + t / "a" + " is not owned by root on the host");
    }
    SECTION("the file owned by a user") {
        sh("chown " + uid + " " + t / "a/b/f");
        CHECK(host_view(t / "a/b/f") == "refused: " + t / "a/b/f" + " is not owned by root on the host");
    }
    SECTION("a file the user cannot read") {
        sh("chmod 0600 " + t / "a/b/f");
        CHECK(host_view(t / "a/b/f") == "refused: the user cannot read it on the host");
        sh("chgrp " + uid + " " + t / "a/b/f" + " && chmod 0640 " + t / "a/b/f");
        CHECK(host_view(t / "a/b/f") == "file");  // by its group
    }
    SECTION("a directory the user cannot list, or cannot pass") {
        sh("chmod 0711 " + t / "a/b");
        CHECK(host_view(t / "a/b") == "refused: the user cannot read it on the host");
        CHECK(host_view(t / "a/b/f") == "file");
        sh("chmod 0700 " + t / "a");
        CHECK(host_view(t / "a/b/f") == "refused: the user cannot reach it on the host (" + t / "a" + ")");
    }
    SECTION("missing, or a file where a directory should be") {
        CHECK(host_view(t / "a/nope/f") == "absent: does not exist on the host");
        CHECK(host_view(t / "a/b/f/g") == "absent: does not exist on the host");
    }
    SECTION("a symlink is never followed: absent on the way, refused at the end") {
        sh("ln -s b " + t / "a/link");
        CHECK(host_view(t / "a/link/f") == "absent: does not exist on the host");
        CHECK(host_view(t / "a/link") == "refused: is not a regular file or a directory on the host");
        sh("chown -h " + uid + " " + t / "a/link");
        CHECK(host_view(t / "a/link") == "refused: " + t / "a/link" + " is not owned by root on the host");
    }
    SECTION("neither a file nor a directory") {
        sh("mkfifo -m 0644 " + t / "a/b/fifo");
        CHECK(host_view(t / "a/b/fifo") == "refused: is not a regular file or a directory on the host");
    }
}

namespace {

// look_up_for_user beneath the directory `jail`, in one line: "exists R",
// "missing R" or "refused WHY".
std::string in_jail(const std::string& jail, const std::string& inner) {
    jk::UniqueFd fd(::open(jail.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd);
    const trust::JailPath p = trust::look_up_for_user(fd.get(), inner);
    if (p.refused) return "refused " + *p.refused;
    return (p.exists ? "exists " : "missing ") + p.resolved;
}

}  // namespace

TEST_CASE("look_up_for_user: only root's components, looked up as inside the jail", "[trust][root]") {
    jk::test::TempJail t;
    using jk::test::sh;
    const std::string j = t.path();
    const std::string uid = std::to_string(test_uid);
    sh("mkdir -p " + t / "etc" + " " + t / "home/u" + " && install -d -m 1777 " + t / "tmp" + " && printf x > " +
       t / "etc/f" + " && chown " + uid + " " + t / "home/u");

    CHECK(in_jail(j, "/etc/f") == "exists /etc/f");
    CHECK(in_jail(j, "/etc") == "exists /etc");
    CHECK(in_jail(j, "/") == "exists /");
    CHECK(in_jail(j, "/etc/nope/x") == "missing /etc/nope/x");
    CHECK(in_jail(j, "/etc/nope/../y") == "missing /etc/y");
    CHECK(in_jail(j, "/../../etc/./f") == "exists /etc/f");  // ".." stops at the jail's root

    SECTION("a component owned by a user") {
        CHECK(in_jail(j, "/home/u/x") == "refused /home/u in the jail is controlled by a user");
        CHECK(in_jail(j, "/home/u") == "refused /home/u in the jail is controlled by a user");
    }
    SECTION("a component writable by group or others; a sticky directory is not") {
        sh("chmod 0775 " + t / "etc");
        CHECK(in_jail(j, "/etc/f") == "refused /etc in the jail is controlled by a user");
        sh("chmod 0757 " + t / "etc");
        CHECK(in_jail(j, "/etc/f") == "refused /etc in the jail is controlled by a user");
        sh("chmod 0755 " + t / "etc" + " && chmod 0666 " + t / "etc/f");
        CHECK(in_jail(j, "/etc/f") == "refused /etc/f in the jail is controlled by a user");
        CHECK(in_jail(j, "/tmp/nothing") == "missing /tmp/nothing");
    }
    SECTION("a symlink owned by a user is not followed") {
        sh("ln -s /etc/f " + t / "tmp/x" + " && chown -h " + uid + " " + t / "tmp/x");
        CHECK(in_jail(j, "/tmp/x") == "refused /tmp/x in the jail is controlled by a user");
    }
    SECTION("root's symlinks are followed inside the jail, absolute ones from its root") {
        sh("ln -s /etc " + t / "abs" + " && ln -s ../etc/f " + t / "tmp/rel" + " && ln -s ../../../etc/nope " +
           t / "tmp/up");
        CHECK(in_jail(j, "/abs/f") == "exists /etc/f");
        CHECK(in_jail(j, "/tmp/rel") == "exists /etc/f");
        CHECK(in_jail(j, "/tmp/up") == "missing /etc/nope");
        CHECK(in_jail(j, "/abs/../tmp") == "exists /tmp");  // ".." of the link's target, not of /abs
    }
    SECTION("a loop, and a file where a directory should be") {
        sh("ln -s loop " + t / "loop");
        CHECK(in_jail(j, "/loop") == "refused /loop in the jail loops");
        CHECK(in_jail(j, "/etc/f/x") == "refused /etc/f in the jail is not a directory");
    }
}
