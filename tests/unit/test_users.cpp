#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/users.hpp"

using namespace jk::users;
using jk::ConfigError;

namespace {

int error_line(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ConfigError& e) {
        return e.line();
    }
    FAIL("expected a ConfigError");
    return -1;
}

int passwd_error_line(const std::string& text) {
    return error_line([&] { parse_passwd(text, "passwd"); });
}

PasswdEntry alice() {
    return PasswdEntry{"alice", "x", 1001, 1001, "Alice,,,", "/home/alice", "/usr/sbin/jk_lsh"};
}

struct TempJail {
    std::string path;
    TempJail() {
        char tmpl[] = "/tmp/jk-test-users-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
        REQUIRE(::mkdir((path + "/etc").c_str(), 0755) == 0);
    }
    ~TempJail() { std::filesystem::remove_all(path); }
    std::string read(const std::string& inner) const {
        std::string out;
        int fd = ::open((path + inner).c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        ::close(fd);
        return out;
    }
    struct stat stat_of(const std::string& inner) const {
        struct stat st {};
        REQUIRE(::lstat((path + inner).c_str(), &st) == 0);
        return st;
    }
};

}  // namespace

TEST_CASE("parse_passwd reads the seven fields and keeps other lines verbatim", "[users]") {
    const std::string text =
        "root:x:0:0:root:/root:/bin/bash\n"
        "# a comment\n"
        "\n"
        "alice:x:1001:1001:Alice,,,:/home/jail/./home/alice:/usr/sbin/jk_chrootsh\n"
        "+@netgroup\n"
        "-bob\n"
        "nobody:*:65534:65534::/nonexistent:\n";
    PasswdFile f = parse_passwd(text, "passwd");
    REQUIRE(f.records.size() == 7);
    CHECK(f.records[1].raw == "# a comment");
    CHECK_FALSE(f.records[1].entry);
    CHECK_FALSE(f.records[2].entry);
    CHECK_FALSE(f.records[4].entry);  // NIS lines are kept, never interpreted
    CHECK_FALSE(f.records[5].entry);
    const PasswdEntry* a = f.find("alice");
    REQUIRE(a);
    CHECK(a->uid == 1001);
    CHECK(a->gecos == "Alice,,,");
    CHECK(a->home == "/home/jail/./home/alice");
    CHECK(a->shell == "/usr/sbin/jk_chrootsh");
    CHECK(f.records[3].line == 4);
    CHECK(f.find("nobody")->shell == "");
    CHECK(f.find("bob") == nullptr);
    CHECK(find_uid(f, 0)->name == "root");
    CHECK(find_uid(f, 4242) == nullptr);
    CHECK(render(f) == text);
    CHECK(render(parse_passwd("root:x:0:0::/root:/bin/sh", "p")) == "root:x:0:0::/root:/bin/sh\n");
    CHECK(parse_passwd("", "p").records.empty());
}

TEST_CASE("malformed passwd lines are ConfigErrors naming the line", "[users]") {
    CHECK(passwd_error_line("root:x:0:0:root:/root:/bin/bash\nalice:x:1:1::/home\n") == 2);  // 6 fields
    CHECK(passwd_error_line("a:x:1:1::/h:/bin/sh:extra\n") == 1);                            // 8 fields
    CHECK(passwd_error_line(":x:1:1::/h:/bin/sh\n") == 1);                                   // empty name
    CHECK(passwd_error_line("a:x:abc:1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x:-1:1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x:+1:1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x::1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x:1: 1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x:4294967295:1::/h:/bin/sh\n") == 1);  // (uid_t)-1
    CHECK(passwd_error_line("a:x:99999999999999999999999:1::/h:/bin/sh\n") == 1);
    CHECK(passwd_error_line("a:x:1:1::/h:/bin/sh\r\n") == 1);
    CHECK(passwd_error_line(std::string("a:x:1:1::/h\0:/bin/sh\n", 21)) == 1);
    CHECK(parse_passwd("a:x:4294967294:0::/h:/bin/sh\n", "p").find("a")->uid == 4294967294u);
    try {
        parse_passwd("\n\nbroken\n", "/jail/etc/passwd");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == "/jail/etc/passwd:3: expected 7 ':'-separated fields, found 1");
    }
}

TEST_CASE("Malformed::skip keeps bad lines verbatim and warns", "[users]") {
    PasswdFile f = parse_passwd("bad line\nalice:x:1001:1001::/h:/bin/sh\nb:x:x:1::/h:/s\n", "p", Malformed::skip);
    REQUIRE(f.records.size() == 3);
    CHECK_FALSE(f.records[0].entry);
    CHECK(f.records[0].raw == "bad line");
    CHECK(f.find("alice") != nullptr);
    REQUIRE(f.warnings.size() == 2);
    CHECK(f.warnings[0] == "p:1: expected 7 ':'-separated fields, found 1, ignoring");
    CHECK(f.warnings[1] == "p:3: uid 'x' is not a decimal number, ignoring");
}

TEST_CASE("parse_group and parse_shadow", "[users]") {
    GroupFile g = parse_group("root:x:0:\nstaff:x:50:alice,bob\nodd:x:7:a,,b,\n", "group");
    CHECK(g.find("root")->members.empty());
    CHECK(g.find("staff")->members == std::vector<std::string>{"alice", "bob"});
    CHECK(g.find("odd")->members == std::vector<std::string>{"a", "b"});
    CHECK(find_gid(g, 50)->name == "staff");
    CHECK(find_gid(g, 51) == nullptr);
    CHECK(error_line([] { parse_group("root:x:0:\nstaff:x:50\n", "group"); }) == 2);
    CHECK(error_line([] { parse_group("staff:x:5x:\n", "group"); }) == 1);

    ShadowFile s = parse_shadow("alice:$6$salt$hash:19000:0:99999:7:::\n", "shadow");
    const ShadowEntry* a = s.find("alice");
    REQUIRE(a);
    CHECK(a->password == "$6$salt$hash");
    CHECK(a->aging[0] == "19000");
    CHECK(a->aging[6] == "");
    CHECK(format(*a) == "alice:$6$salt$hash:19000:0:99999:7:::");
    CHECK(error_line([] { parse_shadow("alice:!:19000:0:99999:7::\n", "shadow"); }) == 1);
}

TEST_CASE("format writes entries back and refuses fields that would break the file", "[users]") {
    CHECK(format(alice()) == "alice:x:1001:1001:Alice,,,:/home/alice:/usr/sbin/jk_lsh");
    CHECK(format(GroupEntry{"staff", "x", 50, {"alice", "bob"}}) == "staff:x:50:alice,bob");
    CHECK(format(GroupEntry{"empty", "x", 51, {}}) == "empty:x:51:");

    PasswdEntry e = alice();
    e.name = "evil:x:0:0::/root:/bin/sh";
    CHECK_THROWS_AS(format(e), jk::Error);
    e = alice();
    e.gecos = "x\nroot::0:0::/:/bin/sh";
    CHECK_THROWS_AS(format(e), jk::Error);
    e = alice();
    e.home = "/home/a:b";
    CHECK_THROWS_AS(format(e), jk::Error);
    e = alice();
    e.shell = std::string("/bin/sh\0x", 9);
    CHECK_THROWS_AS(format(e), jk::Error);
    CHECK_THROWS_AS(format(GroupEntry{"staff", "x", 50, {"alice,root"}}), jk::Error);
    CHECK_THROWS_AS(format(GroupEntry{"staff", "x", 50, {"a:b"}}), jk::Error);

    CHECK_NOTHROW(validate_name("alice"));
    CHECK_NOTHROW(validate_name("www-data"));
    CHECK_THROWS_AS(validate_name(""), jk::Error);
    CHECK_THROWS_AS(validate_name("+alice"), jk::Error);  // would be a NIS line
    CHECK_THROWS_AS(validate_name("-alice"), jk::Error);
    CHECK_THROWS_AS(validate_name("a:b"), jk::Error);
    CHECK_THROWS_AS(validate_name("a\nb"), jk::Error);
    CHECK_THROWS_AS(validate_name("a,b"), jk::Error);
}

TEST_CASE("split_jail_home uses the last /./ and refuses hostile homes", "[users]") {
    auto h = split_jail_home("/home/jail/./home/alice");
    REQUIRE(h);
    CHECK(h->jail == "/home/jail");
    CHECK(h->home == "/home/alice");

    CHECK(split_jail_home("/home/alice") == std::nullopt);
    CHECK(split_jail_home("") == std::nullopt);
    CHECK(split_jail_home("/home/jail/.") == std::nullopt);  // no "/./"

    auto root_home = split_jail_home("/jail/./");  // "/./" at the end: home is the jail root
    REQUIRE(root_home);
    CHECK(root_home->jail == "/jail");
    CHECK(root_home->home == "/");

    auto trailing = split_jail_home("/jail//./home/alice/");
    REQUIRE(trailing);
    CHECK(trailing->jail == "/jail");
    CHECK(trailing->home == "/home/alice");

    auto multi = split_jail_home("/a/./b/./home/c");  // the last one splits
    REQUIRE(multi);
    CHECK(multi->jail == "/a/b");
    CHECK(multi->home == "/home/c");

    CHECK_THROWS_AS(split_jail_home("/./"), jk::Error);
    CHECK_THROWS_AS(split_jail_home("/./home/x"), jk::Error);   // jail part empty
    CHECK_THROWS_AS(split_jail_home("////./home"), jk::Error);  // jail part is "/"
    CHECK_THROWS_AS(split_jail_home("/./././"), jk::Error);
    CHECK_THROWS_AS(split_jail_home("a/./b"), jk::Error);  // relative
    CHECK_THROWS_AS(split_jail_home("/jail/../etc/./x"), jk::Error);
    CHECK_THROWS_AS(split_jail_home("/jail/./../../etc"), jk::Error);
}

TEST_CASE("noncanonical_jail_home: one /./ and nothing else to clean", "[users]") {
    for (const char* ok : {"/home/jail/./home/alice", "/jail/./", "/jail/./home/alice/", "/a/b/c/./d/e", "/j/./h..x",
                           "/home/alice", "", "/home/jail/."})  // the last three hold no "/./": not its concern
        CHECK_FALSE(noncanonical_jail_home(ok).has_value());
    for (const char* bad :
         {"/a/./b/./home/c", "/jail/././home", "/jail/./home/./alice", "/jail/./home/alice/.", "/jail//./home/alice",
          "//jail/./home/alice", "/jail/.//home/alice", "/jail/./home//alice", "/jail/./home/alice//",
          "/jail/./home/../../etc", "/jail/../etc/./x", "/jail/./..", "/./././"})
        CHECK(noncanonical_jail_home(bad).has_value());
}

TEST_CASE("merge_passwd keeps existing entries verbatim and appends new ones", "[users]") {
    const std::string jail =
        "# jail passwd\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:old:/home/alice:/bin/sh\n";
    PasswdEntry bob{"bob", "x", 1002, 1002, "", "/home/bob", "/usr/sbin/jk_lsh"};
    PasswdEntry host_alice = alice();  // differs from the jail's line

    MergeResult r = merge_passwd(jail, "/j/etc/passwd", {host_alice, bob, bob});
    CHECK(r.changed);
    CHECK(r.warnings.empty());
    CHECK(r.text == jail + "bob:x:1002:1002::/home/bob:/usr/sbin/jk_lsh\n");

    MergeResult same =
        merge_passwd("root:x:0:0:root:/root:/bin/bash", "p", {PasswdEntry{"root", "x", 0, 0, "", "/", ""}});
    CHECK_FALSE(same.changed);
    CHECK(same.text == "root:x:0:0:root:/root:/bin/bash");  // untouched, not even a newline added

    MergeResult into_empty = merge_passwd("", "p", {bob});
    CHECK(into_empty.text == "bob:x:1002:1002::/home/bob:/usr/sbin/jk_lsh\n");
}

TEST_CASE("merge_passwd warns on a uid held by another name", "[users]") {
    PasswdEntry carol{"carol", "x", 1001, 1001, "", "/home/carol", "/bin/sh"};
    MergeResult r = merge_passwd("alice:x:1001:1001::/home/alice:/bin/sh\n", "/j/etc/passwd", {carol});
    CHECK(r.changed);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "/j/etc/passwd: uid 1001 already belongs to 'alice', adding 'carol' with the same uid");
    CHECK(parse_passwd(r.text, "p").find("alice") != nullptr);
    CHECK(parse_passwd(r.text, "p").find("carol") != nullptr);
}

TEST_CASE("merge_passwd refuses a malformed jail file or an unwritable entry", "[users]") {
    CHECK(error_line([] { merge_passwd("root:x:0:0\n", "p", {alice()}); }) == 1);
    PasswdEntry evil = alice();
    evil.gecos = "x\nroot::0:0::/:/bin/sh";
    CHECK_THROWS_AS(merge_passwd("", "p", {evil}), jk::Error);
    // Refused even when the name already exists (nothing half-checked).
    CHECK_THROWS_AS(merge_passwd("alice:x:1:1::/h:/bin/sh\n", "p", {evil}), jk::Error);
}

TEST_CASE("merge_group adds groups and memberships idempotently", "[users]") {
    const std::string jail = "root:x:0:\nusers:x:100:bob\n";
    GroupEntry staff{"staff", "x", 50, {}};
    MergeResult r = merge_group(jail, "/j/etc/group", {staff},
                                {{"users", "alice"}, {"users", "bob"}, {"staff", "alice"}, {"nogroup", "alice"}});
    CHECK(r.changed);
    CHECK(r.text == "root:x:0:\nusers:x:100:bob,alice\nstaff:x:50:alice\n");
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "/j/etc/group: group 'nogroup' does not exist in the jail, not adding 'alice' to it");

    MergeResult again = merge_group(r.text, "/j/etc/group", {staff}, {{"users", "alice"}, {"staff", "alice"}});
    CHECK_FALSE(again.changed);
    CHECK(again.text == r.text);

    MergeResult clash = merge_group(jail, "g", {GroupEntry{"other", "x", 100, {}}});
    REQUIRE(clash.warnings.size() == 1);
    CHECK(clash.warnings[0] == "g: gid 100 already belongs to 'users', adding 'other' with the same gid");

    CHECK_THROWS_AS(merge_group(jail, "g", {}, {{"users", "a,b"}}), jk::Error);
}

TEST_CASE("merge_shadow replaces hashes unless asked to keep them", "[users]") {
    ShadowEntry host{"alice", "$6$salt$hash", {"19000", "0", "99999", "7", "", "", ""}};
    CHECK(jail_shadow_entry(host).password == "*");
    CHECK(jail_shadow_entry(host, Hashes::keep).password == "$6$salt$hash");
    CHECK(jail_shadow_entry(ShadowEntry{"b", "", {}}).password == "*");  // no empty password either

    MergeResult r = merge_shadow("root:*:19000:0:99999:7:::\n", "s", {host});
    CHECK(r.text == "root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n");
    MergeResult kept = merge_shadow("", "s", {host}, Hashes::keep);
    CHECK(kept.text == "alice:$6$salt$hash:19000:0:99999:7:::\n");
    MergeResult existing = merge_shadow("alice:!:1:::::: \n", "s", {host});
    CHECK_FALSE(existing.changed);
}

TEST_CASE("read_host_users reads the real host files", "[users]") {
    HostUsers h = read_host_users();
    const PasswdEntry* root = h.passwd.find("root");
    REQUIRE(root);
    CHECK(root->uid == 0);
    CHECK(find_gid(h.group, 0) != nullptr);
}

TEST_CASE("read_host_users refuses untrusted files", "[users]") {
    REQUIRE(::geteuid() == 0);  // tests run as root (DESIGN.md): ownership is part of the check
    TempJail dir;               // used as a fake /etc
    const std::string etc = dir.path + "/etc";
    auto write = [&](const std::string& name, const std::string& text, mode_t mode) {
        int fd = ::open((etc + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        ::close(fd);
        REQUIRE(::chmod((etc + "/" + name).c_str(), mode) == 0);
    };
    write("passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    write("group", "root:x:0:\n", 0644);
    CHECK(read_host_users(Malformed::error, etc).passwd.find("root") != nullptr);
    write("group", "root:x:0:\n", 0666);
    CHECK_THROWS_AS(read_host_users(Malformed::error, etc), ConfigError);
    write("group", "root:x:0:\nbad\n", 0644);
    CHECK_THROWS_AS(read_host_users(Malformed::error, etc), ConfigError);
    CHECK(read_host_users(Malformed::skip, etc).group.warnings.size() == 1);
}

TEST_CASE("read_trusted_jail_users believes only root's unwritable files, reached without a symlink", "[users][root]") {
    REQUIRE(::geteuid() == 0);
    TempJail tj;
    jk::Jail jail = jk::Jail::open_unchecked(tj.path);
    const std::string etc = tj.path + "/etc";
    auto write = [&](const std::string& path, const std::string& text, mode_t mode, uid_t uid) {
        ::unlink(path.c_str());
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        ::close(fd);
        REQUIRE(::chmod(path.c_str(), mode) == 0);
        REQUIRE(::chown(path.c_str(), uid, 0) == 0);
    };
    const std::string pw = "alice:x:1001:1001::/home/alice:/bin/bash\n";
    CHECK_FALSE(read_trusted_jail_users(jail).passwd);  // missing: nullopt, as read_jail_users
    write(etc + "/passwd", pw, 0644, 0);
    write(etc + "/group", "alice:x:1001:\n", 0644, 0);
    JailUserTexts ok = read_trusted_jail_users(jail);
    CHECK(ok.passwd == pw);
    CHECK(ok.group == "alice:x:1001:\n");
    CHECK_FALSE(ok.shadow);

    write(etc + "/passwd", pw, 0664, 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::UnsafePath);
    write(etc + "/passwd", pw, 0646, 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::UnsafePath);
    write(etc + "/passwd", pw, 0644, 1001);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::UnsafePath);
    CHECK(read_jail_users(jail).passwd == pw);  // the writers' reader is unchanged

    // A symlink, even to a root-owned file inside the jail, is not believed.
    write(tj.path + "/mine", pw, 0644, 1001);
    REQUIRE(::unlink((etc + "/passwd").c_str()) == 0);
    REQUIRE(::symlink("/mine", (etc + "/passwd").c_str()) == 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::SymlinkNotAllowed);
    REQUIRE(::unlink((etc + "/passwd").c_str()) == 0);
    write(etc + "/passwd", pw, 0644, 0);

    // etc itself: writable by others, or a symlink to a directory elsewhere.
    REQUIRE(::chmod(etc.c_str(), 0757) == 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::UnsafePath);
    REQUIRE(::chmod(etc.c_str(), 0755) == 0);
    REQUIRE(::rename(etc.c_str(), (tj.path + "/etc2").c_str()) == 0);
    REQUIRE(::symlink("etc2", etc.c_str()) == 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::SymlinkNotAllowed);

    // A FIFO is refused, not waited on.
    REQUIRE(::unlink(etc.c_str()) == 0);
    REQUIRE(::rename((tj.path + "/etc2").c_str(), etc.c_str()) == 0);
    REQUIRE(::unlink((etc + "/group").c_str()) == 0);
    REQUIRE(::mkfifo((etc + "/group").c_str(), 0644) == 0);
    CHECK_THROWS_AS(read_trusted_jail_users(jail), jk::UnsafePath);
}

TEST_CASE("write_jail_users writes atomically with the right modes and owners", "[users]") {
    REQUIRE(::geteuid() == 0);  // chown to root and to the shadow gid needs root
    TempJail tj;
    jk::Jail jail = jk::Jail::open_unchecked(tj.path);

    JailUserTexts before = read_jail_users(jail);
    CHECK_FALSE(before.passwd);
    CHECK_FALSE(before.group);
    CHECK_FALSE(before.shadow);

    const std::string passwd = "root:x:0:0:root:/root:/bin/bash\n";
    const std::string group = "root:x:0:\nshadow:x:42:\n";
    const std::string shadow = "root:*:19000:0:99999:7:::\n";
    write_jail_users(jail, JailUserTexts{passwd, group, shadow});

    CHECK(tj.read("/etc/passwd") == passwd);
    CHECK(tj.read("/etc/group") == group);
    CHECK(tj.read("/etc/shadow") == shadow);
    CHECK((tj.stat_of("/etc/passwd").st_mode & 07777) == 0644);
    CHECK((tj.stat_of("/etc/group").st_mode & 07777) == 0644);
    CHECK((tj.stat_of("/etc/shadow").st_mode & 07777) == 0640);
    CHECK(tj.stat_of("/etc/passwd").st_uid == 0);
    CHECK(tj.stat_of("/etc/shadow").st_gid == 42);

    JailUserTexts after = read_jail_users(jail);
    CHECK(after.passwd == passwd);
    CHECK(after.group == group);
    CHECK(after.shadow == shadow);

    // Shadow alone: the gid comes from the group file already in the jail.
    write_jail_users(jail, JailUserTexts{std::nullopt, std::nullopt, "alice:*:1::::::\n"});
    CHECK(tj.stat_of("/etc/shadow").st_gid == 42);
    CHECK(tj.read("/etc/passwd") == passwd);  // left alone

    // A malformed text refuses the whole write: passwd is not replaced either.
    CHECK_THROWS_AS(write_jail_users(jail, JailUserTexts{"new:x:1:1::/h:/bin/sh\n", std::nullopt, "broken\n"}),
                    ConfigError);
    CHECK(tj.read("/etc/passwd") == passwd);

    // A symlink planted at /etc/passwd is replaced, not followed.
    const std::string victim = tj.path + "/victim";
    {
        int fd = ::open(victim.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        ::close(fd);
    }
    REQUIRE(::unlink((tj.path + "/etc/passwd").c_str()) == 0);
    REQUIRE(::symlink("/victim", (tj.path + "/etc/passwd").c_str()) == 0);
    write_jail_users(jail, JailUserTexts{passwd, std::nullopt, std::nullopt});
    CHECK(S_ISREG(tj.stat_of("/etc/passwd").st_mode));
    CHECK(tj.read("/victim").empty());

    // A FIFO in place of a jail file is refused, not waited on.
    REQUIRE(::unlink((tj.path + "/etc/group").c_str()) == 0);
    REQUIRE(::mkfifo((tj.path + "/etc/group").c_str(), 0644) == 0);
    CHECK_THROWS_AS(read_jail_users(jail), ConfigError);
}
