#include <fstream>

#include "catch.hpp"
#include "jk/check.hpp"
#include "jk/config.hpp"
#include "jk/users.hpp"
#include "tmpjail.hpp"

using namespace jk::check;
using jk::users::parse_passwd;

namespace {

std::vector<std::string> messages(const std::vector<Finding>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.push_back(f.message);
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("json_escape keeps JSON valid for hostile bytes", "[jk_check]") {
    CHECK(json_escape("plain /usr/bin/ls") == "plain /usr/bin/ls");
    CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
    CHECK(json_escape("new\nline\ttab\rcr") == "new\\nline\\ttab\\rcr");
    CHECK(json_escape(std::string("nul\0x", 5)) == "nul\\u0000x");
    CHECK(json_escape("\x1b[31m\x7f") == "\\u001b[31m\\u007f");
    CHECK(json_escape("\b\f") == "\\b\\f");
    // valid UTF-8 kept: 2, 3 and 4 byte sequences
    CHECK(json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    // invalid: lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF, 0xff
    CHECK(json_escape("\x80") == "\\u0080");
    CHECK(json_escape("a\xc3") == "a\\u00c3");
    CHECK(json_escape("\xc0\xaf") == "\\u00c0\\u00af");
    CHECK(json_escape("\xe0\x80\xaf") == "\\u00e0\\u0080\\u00af");
    CHECK(json_escape("\xed\xa0\x80") == "\\u00ed\\u00a0\\u0080");
    CHECK(json_escape("\xf4\x90\x80\x80") == "\\u00f4\\u0090\\u0080\\u0080");
    CHECK(json_escape("\xff\xfe") == "\\u00ff\\u00fe");
    CHECK(json_escape("\xe2\x82") == "\\u00e2\\u0082");
}

TEST_CASE("to_json writes the documented document", "[jk_check]") {
    CHECK(to_json({}) == "{\"jails\":[]}\n");
    JailReport r{"/srv/j\"x", {writable("/srv/j\"x/tmp", false)}};
    JailReport e{"/srv/k", {}};
    CHECK(to_json({r, e}) ==
          "{\"jails\":[{\"jail\":\"/srv/j\\\"x\",\"findings\":[{\"severity\":\"warning\",\"kind\":\"writable-others\","
          "\"path\":\"/srv/j\\\"x/tmp\",\"message\":\"WARNING: /srv/j\\\"x/tmp is writable for others!\"}]},"
          "{\"jail\":\"/srv/k\",\"findings\":[]}]}\n");
}

TEST_CASE("findings use jailkit's phrases", "[jk_check]") {
    CHECK(writable("/j/tmp", true).message == "WARNING: /j/tmp is writable for group!");
    CHECK(writable("/j/tmp", true).kind == "writable-group");
    CHECK(writable("/j/tmp", false).message == "WARNING: /j/tmp is writable for others!");
    CHECK(setuid("/j/su", "others", 0, 0, true).message == "WARNING: /j/su is executable for others and setuid root!!");
    CHECK(setuid("/j/x", "user", 1001, 1001, true).message ==
          "WARNING: /j/x is executable for user and setuid user 1001!!");
    CHECK(setuid("/j/x", "group", 1001, 1002, false).message ==
          "WARNING: /j/x is executable for group and setgid group 1002!!");
    CHECK(different_size("/j/bin/ls", "/bin/ls").message == "ERROR: /j/bin/ls and /bin/ls have a different size!");
    CHECK(different_size("/j/bin/ls", "/bin/ls").severity == Severity::error);
    CHECK(different_content("/j/bin/ls", "/bin/ls").message == "ERROR: /j/bin/ls and /bin/ls are not the same!");
    CHECK(different_symlink("/j/a", "/a").message == "ERROR: symlinks /j/a and /a point to different files!");
    CHECK(different_type("/j/a", "/a", true).message == "ERROR: /j/a and /a are not both symlinks!");
    CHECK(missing_library("/j/bin/bash", "libtinfo.so.6").message ==
          "ERROR: /j/bin/bash needs libtinfo.so.6, which is not in the jail");
    CHECK(missing_library("/j/bin/bash", "libtinfo.so.6").kind == "missing-library");
    CHECK(unsafe_jail("/j", "'/j' is writable by others").kind == "unsafe-jail");
    // A hostile name cannot forge a line of the text output; the raw path stays in .path.
    Finding f = writable("/j/a\nWARNING: fake\x1b", false);
    CHECK(f.message == "WARNING: /j/a\\nWARNING: fake\\x1b is writable for others!");
    CHECK(f.path == "/j/a\nWARNING: fake\x1b");
    CHECK(shown("back\\slash\ttab") == "back\\\\slash\\ttab");
    CHECK(std::string(severity_name(Severity::warning)) == "warning");
}

TEST_CASE("ignore lists: whole path components and exact matching", "[jk_check]") {
    std::vector<std::string> items{"/j/home", "/j/tmp/", "", "/j/var//"};
    CHECK(path_ignored(items, "/j/home"));
    CHECK(path_ignored(items, "/j/home/alice"));
    CHECK_FALSE(path_ignored(items, "/j/homework"));  // issue 11: jailkit's string prefix hid it
    CHECK_FALSE(path_ignored(items, "/j/home-evil/x"));
    CHECK(path_ignored(items, "/j/tmp"));  // directory written with a slash
    CHECK(path_ignored(items, "/j/tmp/x"));
    CHECK_FALSE(path_ignored(items, "/j/tmpevil"));
    CHECK(path_ignored(items, "/j/var/log"));
    CHECK_FALSE(path_ignored(items, "/j/tm"));
    CHECK_FALSE(path_ignored(items, "/j/etc"));
    CHECK_FALSE(path_ignored({}, "/j"));
    CHECK_FALSE(path_ignored({""}, "/j"));  // an empty item never matches everything
    CHECK(path_ignored({"/"}, "/j/x"));     // the root covers everything
    CHECK(exactly_ignored({"/j/usr/bin/su"}, "/j/usr/bin/su"));
    CHECK_FALSE(exactly_ignored({"/j/usr/bin/su"}, "/j/usr/bin/sudo"));
    CHECK_FALSE(exactly_ignored({"/j/usr/bin"}, "/j/usr/bin/su"));
}

TEST_CASE("ini sections become jails with their ignores", "[jk_check]") {
    auto ini = jk::config::IniFile::parse(
        "[DEFAULT]\nignorewritableforothers = /x/tmp\n"
        "[/srv/a/]\nignorepathoncompare = /srv/a/etc, /srv/a/home\n"
        "bogus = 1\n"
        "[/srv/b]\n[notapath]\n",
        "t.ini");
    auto host = parse_passwd(
        "root:x:0:0::/root:/bin/bash\n"
        "al:x:1000:1000::/srv/c/./home/al:/usr/sbin/jk_chrootsh\n"
        "bo:x:1001:1001::/srv/a/./home/bo:/usr/sbin/jk_chrootsh\n",
        "passwd");
    std::vector<std::string> warnings;
    auto t = select_targets(&ini, {}, host, "/cwd", warnings);
    REQUIRE(t.size() == 3);
    CHECK(t[0].jail == "/srv/a");
    CHECK(t[0].ignores.on_compare == std::vector<std::string>{"/srv/a/etc", "/srv/a/home"});
    CHECK(t[0].ignores.writable_others == std::vector<std::string>{"/x/tmp"});  // from DEFAULT
    CHECK(t[1].jail == "/srv/b");
    CHECK(t[2].jail == "/srv/c");  // from passwd, DEFAULT's ignores
    CHECK(t[2].ignores.writable_others == std::vector<std::string>{"/x/tmp"});
    bool unknown = false, notpath = false;
    for (const auto& w : warnings) {
        unknown |= w.find("bogus") != std::string::npos;
        notpath |= w.find("notapath") != std::string::npos;
    }
    CHECK(unknown);
    CHECK(notpath);

    warnings.clear();
    auto p = select_targets(&ini, {"rel/j", "/srv/a", "/srv/a/"}, host, "/cwd", warnings);
    REQUIRE(p.size() == 2);
    CHECK(p[0].jail == "/cwd/rel/j");
    CHECK(p[1].jail == "/srv/a");
    CHECK(p[1].ignores.on_compare.size() == 2);

    auto none = select_targets(nullptr, {}, host, "/", warnings);
    REQUIRE(none.size() == 2);
    CHECK(none[0].jail == "/srv/c");
    CHECK(none[1].jail == "/srv/a");
}

TEST_CASE("jails_from_passwd takes the jail part of /./ homes", "[jk_check]") {
    auto host = parse_passwd(
        "a:x:1:1::/srv/j/./home/a:/bin/sh\nb:x:2:2::/srv/j//./home/b:/bin/sh\n"
        "c:x:3:3::/home/c:/bin/sh\nd:x:4:4::/./x:/bin/sh\n",
        "passwd");
    CHECK(jails_from_passwd(host) == std::vector<std::string>{"/srv/j"});
}

// jk_jailuser's default login shell is the suite's own, under its prefix
// (/usr/local/sbin from source): jk_check accepts it as it does jailkit's.
TEST_CASE("the shell jk_jailuser gives is a jail shell", "[jk_check]") {
    auto host = parse_passwd("erin:x:1004:1004::/srv/j/./home/erin:" JK_SBINDIR "/jk_chrootsh\n", "passwd");
    auto jail = parse_passwd("erin:x:1004:1004::/home/erin:/bin/sh\n", "jail");
    CHECK(messages(compare_passwd("/srv/j", jail, host)).empty());
}

TEST_CASE("passwd comparison both ways", "[jk_check]") {
    auto host = parse_passwd(
        "root:x:0:0::/root:/bin/bash\n"
        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"
        "alice:x:1000:1000::/srv/j/./home/alice:/usr/sbin/jk_chrootsh\n"
        "bob:x:1001:1001::/srv/j/./home/bob:/bin/bash\n"
        "carol:x:1002:1002::/srv/other/./home/carol:/usr/sbin/jk_chrootsh\n"
        "dave:x:1003:1003::/srv/j/./home/dave:/sbin/jk_chrootsh\n",
        "passwd");
    SECTION("a consistent jail gives nothing") {
        auto jail = parse_passwd(
            "root:x:0:0::/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/bin/false\n"
            "alice:x:1000:1000::/home/alice/:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n"
            "dave:x:1003:1003::/home/dave:/bin/sh\n",
            "jail");
        auto m = messages(compare_passwd("/srv/j", jail, host));
        // only bob's shell
        CHECK(m == std::vector<std::string>{"WARNING: user bob has a /./ but does not have the " JK_SBINDIR
                                            "/jk_chrootsh shell"});
    }
    SECTION("jail to host") {
        auto jail = parse_passwd(
            "root:x:0:0::/wherever:/bin/bash\n"
            "alice:x:2000:1000::/home/alice:/bin/bash\n"
            "bob:x:1001:1001::/home/robert:/bin/sh\n"
            "carol:x:1002:1002::/home/carol:/bin/sh\n"
            "ghost:x:3000:3000::/home/ghost:/bin/sh\n"
            "dave:x:1003:1003::/home/dave:/bin/sh\n",
            "jail");
        auto f = compare_passwd("/srv/j", jail, host);
        auto m = messages(f);
        CHECK(has(m,
                  "ERROR: user alice is changed in jail /srv/j (uid 2000 gid 1000 in the jail, uid 1000 gid 1000 "
                  "on the real system)"));
        CHECK(has(m, "ERROR: the real homedir and jail homedir for user bob do not correspond in jail /srv/j"));
        CHECK(has(m, "ERROR: the real homedir and jail homedir for user carol do not correspond in jail /srv/j"));
        CHECK(has(m, "ERROR: user ghost in jail /srv/j does not exist on the real system"));
        CHECK(m.size() == 5);  // + bob's shell
        for (const auto& x : f) CHECK(x.kind == "passwd");
        CHECK(f[0].path == "/srv/j/etc/passwd");
    }
    SECTION("host to jail") {
        auto jail = parse_passwd("root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n", "jail");
        auto m = messages(compare_passwd("/srv/j", jail, host));
        CHECK(has(m, "ERROR: user bob does not exist in /srv/j/etc/passwd"));
        CHECK(has(m, "ERROR: user dave does not exist in /srv/j/etc/passwd"));
        CHECK_FALSE(has(m, "ERROR: user carol does not exist in /srv/j/etc/passwd"));
        CHECK(m.size() == 3);
    }
    SECTION("a jail without passwd: every /./ user of it is missing") {
        auto m = messages(compare_passwd("/srv/j", std::nullopt, host));
        CHECK(has(m, "ERROR: user alice does not exist in /srv/j/etc/passwd"));
        CHECK(m.size() == 4);
    }
}

// ---- the walking layer on a small real jail

namespace {
std::vector<Finding> run_check(const std::string& jail, const Ignores& ig = {}) {
    std::vector<Finding> out;
    Options o;
    o.ignores = ig;
    o.report = [&](const Finding& f) { out.push_back(f); };
    auto host = parse_passwd("root:x:0:0::/root:/bin/bash\n", "passwd");
    std::size_t n = check_jail(jail, host, o);
    CHECK(n == out.size());
    for (const auto& f : out) UNSCOPED_INFO(f.message);
    return out;
}
}  // namespace

TEST_CASE("check_jail finds writable dirs, setuid files and changed copies", "[jk_check][root]") {
    jk::test::TempJail j;
    jk::test::sh("mkdir -p " + j / "tmp" + " " + j / "grp" + " " + j / "etc" + " " + j / "bin" + " " +
                 j / "usr/share/zoneinfo");
    SECTION("an empty jail is clean") {
        CHECK(run_check(j.path()).empty());
    }
    SECTION("writable directories and an owner-agnostic setuid check") {
        jk::test::sh("chmod 1777 " + j / "tmp" + " && chmod 775 " + j / "grp");
        jk::test::sh("printf x > " + j / "bin/mine" + " && chown 1234:1234 " + j / "bin/mine" + " && chmod 4711 " +
                     j / "bin/mine");
        auto m = messages(run_check(j.path()));
        CHECK(has(m, "WARNING: " + j / "tmp" + " is writable for others!"));
        CHECK(has(m, "WARNING: " + j / "grp" + " is writable for group!"));
        CHECK(has(m, "WARNING: " + j / "bin/mine" + " is executable for user and setuid user 1234!!"));
        CHECK(has(m, "WARNING: " + j / "bin/mine" + " is executable for others and setuid user 1234!!"));
        CHECK(has(m, "WARNING: " + j / "tmp" + " is writable for group!"));  // 1777 is g+w too
        CHECK(m.size() == 6);
        Ignores ig;
        ig.writable_others = {j / "tmp/"};
        ig.writable_group = {j / "grp", j / "tmp"};
        ig.setuid_user = {j / "bin/mine"};
        ig.setuid_group = {j / "bin/mine"};
        ig.setuid_others = {j / "bin/mine"};
        CHECK(run_check(j.path(), ig).empty());
        Ignores everywhere;
        everywhere.everywhere = {j / "tmp", j / "grp", j / "bin"};
        CHECK(run_check(j.path(), everywhere).empty());
        // A name that merely begins with an ignored one is still checked.
        jk::test::sh("mkdir -m 0777 " + j / "tmpevil" + " && chmod 0777 " + j / "tmpevil");
        m = messages(run_check(j.path(), everywhere));
        CHECK(has(m, "WARNING: " + j / "tmpevil" + " is writable for others!"));
        CHECK(has(m, "WARNING: " + j / "tmpevil" + " is writable for group!"));
        CHECK(m.size() == 2);
    }
    SECTION("writable regular files: for others always, for group when root owns them") {
        jk::test::sh("printf x > " + j / "bin/ww" + " && chmod 0757 " + j / "bin/ww");
        jk::test::sh("printf x > " + j / "etc/gw" + " && chmod 0664 " + j / "etc/gw");
        jk::test::sh("printf x > " + j / "etc/ugw" + " && chown 1234:1234 " + j / "etc/ugw" + " && chmod 0664 " +
                     j / "etc/ugw");
        jk::test::sh("printf x > " + j / "etc/uww" + " && chown 1234:1234 " + j / "etc/uww" + " && chmod 0606 " +
                     j / "etc/uww");
        jk::test::sh("mknod -m 0666 " + j / "etc/null" + " c 1 3");  // devices: writable by design
        auto m = messages(run_check(j.path()));
        CHECK(has(m, "WARNING: " + j / "bin/ww" + " is writable for others!"));
        CHECK(has(m, "WARNING: " + j / "etc/gw" + " is writable for group!"));
        CHECK(has(m, "WARNING: " + j / "etc/uww" + " is writable for others!"));
        CHECK(m.size() == 3);  // not etc/ugw (its owner's own), not the device
        Ignores ig;
        ig.writable_others = {j / "bin", j / "etc/uww"};
        ig.writable_group = {j / "etc/"};
        CHECK(run_check(j.path(), ig).empty());
        ig.writable_others = {j / "bi", j / "etc/uw"};  // not whole components: nothing hidden
        m = messages(run_check(j.path(), ig));
        CHECK(m.size() == 2);
    }
    SECTION("content: same size, other bytes; symlink target; size") {
        jk::test::sh("cp -p /etc/hostname " + j / "etc/hostname");
        // jail-specific: never compared with the host's
        jk::test::sh("echo root:x:0:0::/root:/bin/sh > " + j / "etc/passwd");
        CHECK(run_check(j.path()).empty());
        // flip one byte, keep the size and mtime
        std::string p = j / "etc/hostname";
        jk::test::sh("printf '%s' \"$(head -c -1 /etc/hostname | head -c -1)\" > " + p + ".x && printf 'ZZ' >> " + p +
                     ".x && mv " + p + ".x " + p + " && touch -r /etc/hostname " + p);
        auto m = messages(run_check(j.path()));
        CHECK(has(m, "ERROR: " + p + " and /etc/hostname are not the same!"));
        jk::test::sh("echo longer-than-before-for-sure >> " + p);
        m = messages(run_check(j.path()));
        CHECK(has(m, "ERROR: " + p + " and /etc/hostname have a different size!"));
        Ignores ig;
        ig.on_compare = {j / "etc"};
        CHECK(run_check(j.path(), ig).empty());
    }
}

TEST_CASE("thin_bind: a refused bind of a thin jail is an error naming the jail and the refusal", "[jk_check]") {
    const jk::check::Finding f = jk::check::thin_bind("/srv/t", "/srv/t/usr", "'/srv/t/usr' is writable by group");
    CHECK(f.severity == jk::check::Severity::error);
    CHECK(f.kind == "thin-bind");
    CHECK(f.path == "/srv/t/usr");
    CHECK(f.message ==
          "ERROR: every entry into the thin jail /srv/t fails, a bind is refused: '/srv/t/usr' is writable by group");
    // A hostile name cannot forge a line.
    CHECK(jk::check::thin_bind("/srv/t", "/x\ny", "'/x\ny' is not owned by root").message.find('\n') ==
          std::string::npos);
}
