#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/jailuser.hpp"
#include "jk/users.hpp"
#include "tests/unit/tmpjail.hpp"

using namespace jk::jailuser;
using jk::users::GroupFile;
using jk::users::PasswdEntry;

namespace {

const std::string J = "/srv/jail";

Request req() {
    return Request{J, "/bin/bash", "/usr/sbin/jk_chrootsh"};
}

PasswdEntry user(const std::string& home, uid_t uid = 1001) {
    return PasswdEntry{"alice", "x", uid, 1001, "Alice,,,", home, "/bin/bash"};
}

GroupFile host_groups() {
    return jk::users::parse_group(
        "root:x:0:\nadm:x:4:syslog,alice\nalice:x:1001:\nvideo:x:44:alice\n"
        "audio:x:29:bob\n",
        "/etc/group");
}

const std::string jail_passwd = "root:x:0:0:root:/root:/bin/bash\n";
const std::string jail_group = "root:x:0:\nadm:x:4:syslog\n";

Plan plan_for(const std::string& home, uid_t uid = 1001) {
    return plan(user(home, uid), host_groups(), req(), jail_passwd, jail_group);
}

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
    for (const auto& s : v)
        if (s.find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("map_home: every place a host home can be", "[jailuser]") {
    SECTION("outside the jail: same path inside, moved from there") {
        auto m = map_home("/home/alice", J);
        CHECK(m.inner == "/home/alice");
        REQUIRE(m.move_source);
        CHECK(*m.move_source == "/home/alice");
    }
    SECTION("JAIL/./X (ISPConfig ran usermod first): X, nothing to move") {
        auto m = map_home("/srv/jail/./home/alice", J);
        CHECK(m.inner == "/home/alice");
        CHECK_FALSE(m.move_source);
    }
    SECTION("JAIL/X without the marker: /X, nothing to move") {
        auto m = map_home("/srv/jail/home/alice", J);
        CHECK(m.inner == "/home/alice");
        CHECK_FALSE(m.move_source);
        CHECK(map_home("/srv/jail", J).inner == "/");
        CHECK(map_home("/srv/jail/", J).inner == "/");
    }
    SECTION("OTHERJAIL/./X: X, moved from OTHERJAIL/X") {
        auto m = map_home("/srv/other/./home/alice", J);
        CHECK(m.inner == "/home/alice");
        REQUIRE(m.move_source);
        CHECK(*m.move_source == "/srv/other/home/alice");
    }
    SECTION("another jail's root as home is not moved onto this jail's root") {
        auto m = map_home("/srv/other/./", J);
        CHECK(m.inner == "/");
        CHECK_FALSE(m.move_source);
    }
    SECTION("a sibling whose name starts like the jail is outside it") {
        auto m = map_home("/srv/jail2/home/alice", J);
        CHECK(m.inner == "/srv/jail2/home/alice");
        REQUIRE(m.move_source);
    }
    SECTION("lexically cleaned") {
        auto m = map_home("/home//alice/", J);
        CHECK(m.inner == "/home/alice");
        CHECK(*m.move_source == "/home/alice");
        // Any "/./" is the jail marker (the last one counts), even at the end.
        CHECK(map_home("/home/alice/./", J).inner == "/");
        CHECK_FALSE(map_home("/home/alice/./", J).move_source);  // never onto the jail root
    }
    SECTION("'/' and directories holding the jail are never moved") {
        CHECK_FALSE(map_home("/", J).move_source);
        CHECK(map_home("/", J).inner == "/");
        CHECK_FALSE(map_home("/srv", J).move_source);
        CHECK_FALSE(map_home("/srv/other/./", "/srv/other/x").move_source);
    }
    SECTION("unusable homes are refused") {
        CHECK_THROWS_AS(map_home("", J), jk::Error);
        CHECK_THROWS_AS(map_home("home/alice", J), jk::Error);
        CHECK_THROWS_AS(map_home("/home/../etc", J), jk::Error);
        CHECK_THROWS_AS(map_home("/./home/alice", J), jk::Error);  // the jail part would be "/"
    }
}

TEST_CASE("plan: a home outside the jail", "[jailuser]") {
    Plan p = plan_for("/home/alice");
    CHECK(p.user == "alice");
    CHECK(p.inner_home == "/home/alice");
    CHECK(p.new_host_home == "/srv/jail/./home/alice");
    REQUIRE(p.move_source);
    CHECK(*p.move_source == "/home/alice");
    CHECK(p.host_change);
    CHECK(p.passwd.changed);
    CHECK(p.passwd.text == jail_passwd + "alice:x:1001:1001:Alice,,,:/home/alice:/bin/bash\n");
    CHECK(p.group.changed);
    CHECK(has_line(p.group.text, "alice:x:1001:"));
    CHECK_FALSE(p.group_file_missing);
}

TEST_CASE("plan: every supplementary group gets the user, added to the jail when missing", "[jailuser]") {
    Plan p = plan_for("/home/alice");
    CHECK(has_line(p.group.text, "adm:x:4:syslog,alice"));
    CHECK(has_line(p.group.text, "video:x:44:alice"));
    CHECK(p.group.text.find("audio") == std::string::npos);  // alice is not in it
    CHECK(any_contains(p.actions, "adding user alice to group adm"));
    CHECK(any_contains(p.actions, "adding group video"));
    CHECK(any_contains(p.actions, "adding user alice to group video"));
    CHECK(p.warnings.empty());
    CHECK(p.group.text == "root:x:0:\nadm:x:4:syslog,alice\nalice:x:1001:\nvideo:x:44:alice\n");
}

TEST_CASE("plan: no duplicate member, and a jail group of another gid is left alone", "[jailuser]") {
    // alice already listed in adm; video exists in the jail with another gid.
    const std::string jg = "root:x:0:\nadm:x:4:alice,syslog\nvideo:x:4242:bob\n";
    Plan p = plan(user("/home/alice"), host_groups(), req(), jail_passwd, jg);
    CHECK(has_line(p.group.text, "adm:x:4:alice,syslog"));
    CHECK(has_line(p.group.text, "video:x:4242:bob"));
    CHECK(any_contains(p.warnings, "group video has gid 4242"));
    CHECK(p.group.text == jg + "alice:x:1001:\n");
    // Host groups listed twice (NIS merges, hand edits) add one line.
    GroupFile twice = jk::users::parse_group("alice:x:1001:\nvideo:x:44:alice\nvideo:x:44:alice\n", "/etc/group");
    Plan q = plan(user("/home/alice"), twice, req(), jail_passwd, std::string("root:x:0:\n"));
    CHECK(q.group.text == "root:x:0:\nalice:x:1001:\nvideo:x:44:alice\n");
}

TEST_CASE("plan: ISPConfig's JAIL/./X home keeps the host home", "[jailuser]") {
    PasswdEntry u = user("/srv/jail/./home/alice");
    u.shell = "/usr/sbin/jk_chrootsh";
    Plan p = plan(u, host_groups(), req(), jail_passwd, jail_group);
    CHECK(p.inner_home == "/home/alice");
    CHECK(p.new_host_home == "/srv/jail/./home/alice");
    CHECK_FALSE(p.move_source);
    CHECK_FALSE(p.host_change);  // home and shell already right
    CHECK(p.passwd.changed);
    CHECK(has_line(p.passwd.text, "alice:x:1001:1001:Alice,,,:/home/alice:/bin/bash"));
    // Only the shell differs: usermod still runs.
    CHECK(plan_for("/srv/jail/./home/alice").host_change);
}

TEST_CASE("plan: a home inside the jail without the marker gets it", "[jailuser]") {
    Plan p = plan_for("/srv/jail/home/alice");
    CHECK(p.inner_home == "/home/alice");
    CHECK(p.new_host_home == "/srv/jail/./home/alice");
    CHECK_FALSE(p.move_source);
    Plan root_home = plan_for("/srv/jail");
    CHECK(root_home.inner_home == "/");
    CHECK(root_home.new_host_home == "/srv/jail/./");
}

TEST_CASE("plan: another jail's home moves here", "[jailuser]") {
    Plan p = plan_for("/srv/old/./home/alice");
    CHECK(p.inner_home == "/home/alice");
    CHECK(p.new_host_home == "/srv/jail/./home/alice");
    REQUIRE(p.move_source);
    CHECK(*p.move_source == "/srv/old/home/alice");
}

TEST_CASE("plan: a second run with the result of the first changes nothing", "[jailuser]") {
    Plan first = plan_for("/home/alice");
    PasswdEntry after = user(first.new_host_home);
    after.shell = req().chrootsh;
    Plan second = plan(after, host_groups(), req(), first.passwd.text, first.group.text);
    CHECK_FALSE(second.passwd.changed);
    CHECK_FALSE(second.group.changed);
    CHECK_FALSE(second.host_change);
    CHECK_FALSE(second.move_source);
    CHECK(second.actions.empty());
    CHECK(second.passwd.text == first.passwd.text);
    CHECK(second.group.text == first.group.text);
    CHECK(second.inner_home == first.inner_home);
}

TEST_CASE("plan: the jail's own line for the user is kept", "[jailuser]") {
    const std::string jp = jail_passwd + "alice:x:1001:1001::/elsewhere:/bin/sh\n";
    Plan p = plan(user("/home/alice"), host_groups(), req(), jp, jail_group);
    CHECK_FALSE(p.passwd.changed);
    CHECK(p.passwd.text == jp);
    CHECK(any_contains(p.notes, "keeps its own line"));
}

TEST_CASE("plan: names and homes with spaces and shell characters", "[jailuser]") {
    PasswdEntry u{"web 1$(x)", "x", 2001, 2001, "", "/home/a b;$(touch PWNED)", "/bin/sh"};
    GroupFile g = jk::users::parse_group("web 1$(x):x:2001:\n", "/etc/group");
    Plan p = plan(u, g, req(), jail_passwd, std::nullopt);
    CHECK(p.inner_home == "/home/a b;$(touch PWNED)");
    CHECK(p.new_host_home == "/srv/jail/./home/a b;$(touch PWNED)");
    CHECK(has_line(p.passwd.text, "web 1$(x):x:2001:2001::/home/a b;$(touch PWNED):/bin/bash"));
    CHECK(p.group_file_missing);
    CHECK(p.group.text == "web 1$(x):x:2001:\n");
}

TEST_CASE("plan: root and unusable entries are refused", "[jailuser]") {
    CHECK_THROWS_AS(plan_for("/root", 0), jk::Error);
    CHECK_THROWS_AS(plan_for(""), jk::Error);
    CHECK_THROWS_AS(plan_for("relative"), jk::Error);
    // A malformed jail passwd is a ConfigError (the file is not rewritten).
    CHECK_THROWS_AS(plan(user("/home/alice"), host_groups(), req(), "broken line\n", jail_group), jk::ConfigError);
    CHECK_THROWS_AS(plan(user("/home/alice"), host_groups(), req(), jail_passwd, std::string("x:y\n")),
                    jk::ConfigError);
}

TEST_CASE("plan: a primary gid without a host group is noted, not invented", "[jailuser]") {
    PasswdEntry u = user("/home/alice");
    u.gid = 5555;
    Plan p = plan(u, host_groups(), req(), jail_passwd, jail_group);
    CHECK(any_contains(p.notes, "primary gid 5555"));
    CHECK(p.group.text.find("5555") == std::string::npos);
    CHECK(has_line(p.passwd.text, "alice:x:1001:5555:Alice,,,:/home/alice:/bin/bash"));
}

// ---------------------------------------------------------------- [root]

namespace {

using jk::test::sh;
using jk::test::TempJail;

// A scratch directory on tmpfs (/dev/shm), so moving from it into a jail
// under /run (the root filesystem here) crosses filesystems.
struct ShmDir {
    std::string path;
    ShmDir() {
        char tmpl[] = "/dev/shm/jk-unit.XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
        ::chmod(path.c_str(), 0755);
    }
    ~ShmDir() {
        std::string cmd = "rm -rf --one-file-system '" + path + "'";
        int rc = std::system(cmd.c_str());
        (void)rc;
    }
};

std::string capture(const std::string& cmd) {
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
    return out;
}

bool exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

struct stat lst(const std::string& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st;
}

std::string xattr(const std::string& p, const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

// A jail with etc/passwd and an executable /bin/sh.
void make_jail(const TempJail& j) {
    sh("mkdir -p '" + j.path() + "/etc' '" + j.path() + "/bin' && echo 'root:x:0:0::/root:/bin/sh' > '" + j.path() +
       "/etc/passwd' && cp /bin/true '" + j.path() + "/bin/sh'");
}

// A hostile home: owned by nobody, a 0600 file, a setgid subdir with a
// default ACL, an ACL and an xattr, symlinks to /etc/shadow and to a host
// directory, a fifo, a socket, a file with spaces and shell characters.
void make_home(const std::string& h) {
    sh("mkdir -p '" + h + "/sub/deeper' && echo secret > '" + h + "/private' && chmod 0600 '" + h + "/private'" +
       " && echo x > '" + h + "/sub/deeper/a b;$(touch PWNED)'" + " && chmod 2770 '" + h + "/sub'" +
       " && setfacl -m u:daemon:r '" + h + "/private' && setfacl -d -m u:daemon:rx '" + h + "/sub'" +
       " && setfattr -n user.x -v hello '" + h + "/private'" + " && ln -s /etc/shadow '" + h + "/shadow'" +
       " && ln -s /etc '" + h + "/etc-link'" + " && mkfifo '" + h + "/fifo'" +
       " && touch -h -d '2001-02-03 04:05:06' '" + h + "/private' '" + h + "/shadow' '" + h + "/sub/deeper'" +
       " && chown -hR 65534:65534 '" + h + "' && touch -d '2002-03-04 05:06:07' '" + h + "'");
    // A socket: bound by us, then skipped by the copy.
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string sp = h + "/sock";
    REQUIRE(sp.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, sp.c_str(), sp.size() + 1);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(s);
}

// Everything a move must keep, one line per entry (inode and directory
// sizes excluded: they differ between filesystems).
std::string listing(const std::string& dir) {
    return capture("cd '" + dir +
                   "' && find . -path ./sock -prune -o -type d -printf '%p %y %m %u %g %T@\\n' -o"
                   " -printf '%p %y %m %u %g %s %T@ %l\\n' | LC_ALL=C sort");
}

std::string acls(const std::string& dir) {
    // getfacl follows symlinks given by name: list everything else.
    return capture("cd '" + dir +
                   "' && find . \\( -path ./sock -o -type l \\) -prune -o -print0 | LC_ALL=C sort -z |"
                   " xargs -0 getfacl -p 2>/dev/null");
}

}  // namespace

TEST_CASE("open_jail checks etc/passwd and the shell beneath the jail", "[jailuser][root]") {
    TempJail j;
    try {
        open_jail(j.path(), "/bin/sh");
        FAIL("accepted a jail without etc/passwd");
    } catch (const BadJail& e) {
        CHECK(e.exit_code() == 33);
        CHECK(std::string(e.what()).find("etc/passwd") != std::string::npos);
        CHECK(std::string(e.what()).find(j.path()) != std::string::npos);
    }
    make_jail(j);
    CHECK(open_jail(j.path(), "/bin/sh").path() == j.path());
    CHECK_THROWS_AS(open_jail(j.path(), "/bin/bash"), BadJail);
    sh("chmod 0644 '" + j.path() + "/bin/sh'");
    CHECK_THROWS_AS(open_jail(j.path(), "/bin/sh"), BadJail);
    sh("chmod 0755 '" + j.path() + "/bin/sh'");
    // A shell symlink leaving the jail is resolved inside it: /bin/true of
    // the host does not count.
    sh("ln -s /bin/true '" + j.path() + "/bin/t'");
    CHECK_THROWS_AS(open_jail(j.path(), "/bin/t"), BadJail);
    sh("chmod g+w '" + j.path() + "'");
    CHECK_THROWS_AS(open_jail(j.path(), "/bin/sh"), BadJail);
    sh("chmod g-w '" + j.path() + "'");
    CHECK_THROWS_AS(open_jail("relative/jail", "/bin/sh"), BadJail);
    CHECK_THROWS_AS(open_jail("", "/bin/sh"), BadJail);
}

TEST_CASE("move_home renames on the same filesystem", "[jailuser][root]") {
    TempJail j, src;
    make_jail(j);
    const std::string home = src.path() + "/alice";
    make_home(home);
    const std::string before = listing(home);
    const ino_t ino = lst(home).st_ino;
    jk::Jail jail = open_jail(j.path(), "/bin/sh");
    std::vector<std::string> skipped;
    CHECK(move_home(home, jail, "/home/alice", skipped) == MoveResult::moved);
    const std::string dest = j.path() + "/home/alice";
    CHECK_FALSE(exists(home));
    CHECK(lst(dest).st_ino == ino);
    CHECK(listing(dest) == before);
    // The parent made in the jail is root:root 0755.
    CHECK(lst(j.path() + "/home").st_uid == 0);
    CHECK((lst(j.path() + "/home").st_mode & 07777) == 0755);
    // Second run: the source is gone, the destination there.
    CHECK(move_home(home, jail, "/home/alice", skipped) == MoveResult::already_there);
    CHECK(move_home(src.path() + "/nobody", jail, "/home/nobody", skipped) == MoveResult::no_source);
}

TEST_CASE("move_home copies across filesystems keeping everything, following nothing", "[jailuser][root]") {
    TempJail j;
    ShmDir shm;
    make_jail(j);
    const std::string home = shm.path + "/a b;$(touch PWNED)";
    make_home(home);
    sh("mkdir '" + shm.path + "/outside' && echo keep > '" + shm.path + "/outside/canary' && ln -s '" + shm.path +
       "/outside' '" + home + "/outside-link'");
    const std::string before = listing(home);
    const std::string acl_before = acls(home);
    jk::Jail jail = open_jail(j.path(), "/bin/sh");
    std::vector<std::string> skipped;
    CHECK(move_home(home, jail, "/home/a b;$(touch PWNED)", skipped) == MoveResult::copied);
    const std::string dest = j.path() + "/home/a b;$(touch PWNED)";
    CHECK_FALSE(exists(home));
    REQUIRE(exists(dest));
    CHECK(listing(dest) == before);  // owner, mode (0600, setgid dir), size, mtime, link targets
    CHECK(acls(dest) == acl_before);
    CHECK(acl_before.find("user:daemon:r--") != std::string::npos);
    CHECK(acl_before.find("default:user:daemon:r-x") != std::string::npos);
    CHECK(xattr(dest + "/private", "user.x") == "hello");
    CHECK((lst(dest + "/sub").st_mode & 07777) == 02770);
    CHECK(lst(dest).st_uid == 65534);
    // Symlinks stay symlinks with their targets; /etc/shadow untouched.
    CHECK(S_ISLNK(lst(dest + "/shadow").st_mode));
    CHECK(S_ISLNK(lst(dest + "/etc-link").st_mode));
    CHECK(S_ISFIFO(lst(dest + "/fifo").st_mode));
    CHECK_FALSE(exists(dest + "/sock"));
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0] == home + "/sock");
    // Removing the source did not go through the link to outside/.
    CHECK(exists(shm.path + "/outside/canary"));
    CHECK_FALSE(exists("PWNED"));
    // No temporary copy is left beside the destination.
    CHECK(capture("ls -A '" + j.path() + "/home'") == "a b;$(touch PWNED)\n");
}

TEST_CASE("move_home refuses to merge and never follows a symlinked home", "[jailuser][root]") {
    TempJail j, src;
    make_jail(j);
    jk::Jail jail = open_jail(j.path(), "/bin/sh");
    std::vector<std::string> skipped;
    sh("mkdir -p '" + src.path() + "/bob' '" + j.path() + "/home/bob' && echo mine > '" + src.path() + "/bob/f'");
    CHECK_THROWS_AS(move_home(src.path() + "/bob", jail, "/home/bob", skipped), jk::Error);
    CHECK(exists(src.path() + "/bob/f"));
    sh("ln -s /etc '" + src.path() + "/carol'");
    CHECK_THROWS_AS(move_home(src.path() + "/carol", jail, "/home/carol", skipped), jk::Error);
    CHECK_FALSE(exists(j.path() + "/home/carol"));
    CHECK_THROWS_AS(move_home(src.path() + "/bob", jail, "/", skipped), jk::Error);
    // A symlinked parent inside the jail is resolved inside the jail.
    sh("rm -rf '" + j.path() + "/home' && ln -s /nonexistent-jk-host-dir '" + j.path() + "/home'");
    CHECK_THROWS(move_home(src.path() + "/bob", jail, "/home/bob", skipped));
    CHECK_FALSE(exists("/nonexistent-jk-host-dir"));
    CHECK(exists(src.path() + "/bob/f"));
}

TEST_CASE("a copy that fails half way leaves the source intact and no debris", "[jailuser][root]") {
    // A 256 KiB tmpfs mounted in a child's private mount namespace (so
    // nothing leaks into the host or the other tests): copying a 1 MiB file
    // into it fails with ENOSPC half way.
    TempJail j;
    ShmDir shm;
    make_jail(j);
    sh("mkdir '" + j.path() + "/small'");
    const std::string home = shm.path + "/dave";
    sh("mkdir -p '" + home + "/d' && echo a > '" + home + "/a' && head -c 1048576 /dev/zero > '" + home + "/d/big'");
    const std::string before = listing(home);
    const std::string small = j.path() + "/small";
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Child: no Catch2 here; the exit code says which step failed.
        if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
        if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=256k,mode=0755") != 0) ::_exit(12);
        int rc = 13;  // no exception
        try {
            jk::Jail jail = jk::Jail::open(j.path());
            std::vector<std::string> skipped;
            move_home(home, jail, "/small/dave", skipped);
        } catch (const jk::SysError& e) {
            rc = e.err() == ENOSPC ? 0 : 14;
        } catch (...) {
            rc = 15;
        }
        if (rc == 0 && ::rmdir(small.c_str()) == 0) rc = 16;  // must still be a mount point...
        DIR* d = ::opendir(small.c_str());
        if (rc == 0 && d == nullptr) rc = 17;
        if (d) {
            while (const dirent* e = ::readdir(d))
                if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) rc = 18;  // debris
            ::closedir(d);
        }
        ::_exit(rc);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(listing(home) == before);
}

TEST_CASE("copy_tree and remove_tree work on fds and never follow links", "[jailuser][root]") {
    TempJail a, b;
    sh("mkdir '" + a.path() + "/t' && ln -s '" + b.path() + "' '" + a.path() + "/t/out' && echo keep > '" + b.path() +
       "/keep'");
    jk::UniqueFd src(::open((a.path() + "/t").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    jk::UniqueFd dst(::open(b.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(src);
    REQUIRE(dst);
    CopyStats st = copy_tree(src.get(), dst.get(), "copy", a.path() + "/t");
    CHECK(st.entries == 1);
    CHECK(S_ISLNK(lst(b.path() + "/copy/out").st_mode));
    remove_tree(dst.get(), "copy", b.path() + "/copy");
    CHECK_FALSE(exists(b.path() + "/copy"));
    CHECK(exists(b.path() + "/keep"));
}
