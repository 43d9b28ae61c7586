#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"
#include "tmpjail.hpp"

using jk::config::IniFile;
using Strings = std::vector<std::string>;

namespace {
IniFile ini(const std::string& text) {
    return IniFile::parse(text, "t.ini");
}

bool any_contains(const Strings& v, const std::string& needle) {
    for (const auto& s : v)
        if (s.find(needle) != std::string::npos) return true;
    return false;
}
}  // namespace

TEST_CASE("includesections are processed first, depth-first, once", "[jk_init]") {
    auto f =
        ini("[a]\npaths = /a\nincludesections = b, c\n"
            "[b]\npaths = /b\nincludesections = d\n"
            "[c]\npaths = /c\nincludesections = d, a\n"
            "[d]\npaths = /d\n");
    auto r = jk::init::resolve(f, {"a"});
    CHECK(r.sections == Strings{"d", "b", "c", "a"});
    CHECK(r.paths == Strings{"/d", "/b", "/c", "/a"});
    CHECK(r.missing_sections.empty());

    SECTION("a cycle is harmless") {
        auto g = ini("[x]\nincludesections = y\npaths=/x\n[y]\nincludesections = x\npaths=/y\n");
        auto ry = jk::init::resolve(g, {"x", "y", "x"});
        CHECK(ry.sections == Strings{"y", "x"});
        CHECK(ry.paths == Strings{"/y", "/x"});
    }
    SECTION("a section named twice on the command line is processed once") {
        auto r2 = jk::init::resolve(f, {"d", "a", "d"});
        CHECK(r2.sections == Strings{"d", "b", "c", "a"});
    }
    SECTION("missing sections, requested or included, are reported") {
        auto g = ini("[x]\nincludesections = nope\npaths=/x\n");
        auto rx = jk::init::resolve(g, {"x", "gone"});
        CHECK(rx.missing_sections == Strings{"nope", "gone"});
        CHECK(rx.sections == Strings{"x"});
    }
    SECTION("DEFAULT is not a section one can ask for") {
        auto g = ini("[DEFAULT]\npaths=/def\n[x]\n");
        CHECK(jk::init::resolve(g, {"DEFAULT"}).missing_sections == Strings{"DEFAULT"});
    }
}

TEST_CASE("section keys: synonyms, DEFAULT inheritance, dedup, warnings", "[jk_init]") {
    auto f =
        ini("[DEFAULT]\ndevices = /dev/null\n"
            "[s]\npaths = /p1\nexecutables = /e\nregularfiles = /r\ndirectories = /d\nlibraries = /l, /p1\n"
            "paths_w_owner = /o\npaths_w_setuid = /usr/bin/ping\nusers = root, 33\ngroups = root\n"
            "emptydirs = /tmp, /var/tmp\nexec = /typo\ncomment = hi\n"
            "[t]\npaths = /usr/bin/php /etc/php.ini\ndevices = /dev/zero\n");
    auto r = jk::init::resolve(f, {"s", "t"});
    CHECK(r.paths == Strings{"/p1", "/e", "/r", "/d", "/l", "/usr/bin/php /etc/php.ini"});
    CHECK(r.owner_paths == Strings{"/o"});
    CHECK(r.setuid_paths == Strings{"/usr/bin/ping"});
    CHECK(r.users == Strings{"root", "33"});
    CHECK(r.groups == Strings{"root"});
    CHECK(r.emptydirs == Strings{"/tmp", "/var/tmp"});
    // [t] has its own devices; [s] inherits DEFAULT's.
    CHECK(r.devices == Strings{"/dev/null", "/dev/zero"});
    std::string all;
    for (const auto& w : r.warnings) all += w + "\n";
    INFO(all);
    CHECK(any_contains(r.warnings, "t.ini:14: unknown key 'exec'"));
    CHECK(any_contains(r.warnings, "t.ini:17: item '/usr/bin/php /etc/php.ini'"));  // the space-separated list
    CHECK_FALSE(r.need_logsocket);
}

TEST_CASE("a DEFAULT finding is reported once, not once per section", "[jk_init]") {
    auto f = ini("[DEFAULT]\ntypo = 1\n[a]\n[b]\n");
    auto r = jk::init::resolve(f, {"a", "b"});
    CHECK(r.warnings.size() == 1);
    CHECK(r.sections == Strings{"a", "b"});
}

TEST_CASE("need_logsocket is a boolean (COMPAT W15)", "[jk_init]") {
    for (const char* v : {"0", "no", "false", "False", "off", ""}) {
        INFO(v);
        auto f = ini(std::string("[s]\nneed_logsocket = ") + v + "\n");
        CHECK_FALSE(jk::init::resolve(f, {"s"}).need_logsocket);
    }
    for (const char* v : {"1", "yes", "true", "TRUE", "on"}) {
        INFO(v);
        auto f = ini(std::string("[s]\nneed_logsocket = ") + v + "\n");
        CHECK(jk::init::resolve(f, {"s"}).need_logsocket);
    }
    SECTION("an included section's flag counts") {
        auto f = ini("[log]\nneed_logsocket = 1\n[s]\nincludesections = log\n");
        CHECK(jk::init::resolve(f, {"s"}).need_logsocket);
    }
    SECTION("a value that is no boolean is an error naming the line") {
        auto f = ini("[s]\ncomment = x\nneed_logsocket = maybe\n");
        try {
            jk::init::resolve(f, {"s"});
            FAIL("no error");
        } catch (const jk::ConfigError& e) {
            CHECK(e.line() == 3);
        }
    }
    SECTION("need_proc is reported, never acted upon") {
        auto f = ini("[s]\nneed_proc = 1\n");
        auto r = jk::init::resolve(f, {"s"});
        CHECK(r.need_proc);
        CHECK(any_contains(r.warnings, "need_proc"));
    }
}

TEST_CASE("list_sections is sorted and skips DEFAULT", "[jk_init]") {
    auto f = ini("[DEFAULT]\ncomment = inherited\n[zz]\ncomment = last\n[aa]\ncomment = first\n[mm]\n");
    auto l = jk::init::list_sections(f);
    REQUIRE(l.size() == 3);
    CHECK(l[0].name == "aa");
    CHECK(l[0].comment == "first");
    CHECK(l[1].name == "mm");
    CHECK(l[1].comment == "inherited");
    CHECK(l[2].name == "zz");
}

TEST_CASE("nsswitch.conf: the services glibc has to dlopen", "[jk_init]") {
    const std::string debian12 =
        "# /etc/nsswitch.conf\n"
        "passwd:         files systemd\n"
        "group:          files systemd\n"
        "shadow:         files systemd\n"
        "gshadow:        files systemd\n"
        "\n"
        "hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname\n"
        "networks:       files\n"
        "protocols:      db files\n"
        "netgroup:       nis\n";
    CHECK(jk::init::nss_services(debian12) == Strings{"systemd", "mdns4_minimal", "myhostname"});
    CHECK(jk::init::nss_services("passwd: compat # ldap\ngroup:compat\tsss\n") == Strings{"compat", "sss"});
    CHECK(jk::init::nss_services("passwd: files\nhosts: dns files\n").empty());
    CHECK(jk::init::nss_services("#passwd: ldap\nnetgroup: ldap\nservices: sss\n").empty());
    CHECK(jk::init::nss_services("passwd: ../../x a/b ok\n") == Strings{"ok"});
    CHECK(jk::init::nss_services("").empty());
}

TEST_CASE("jk_socketd.ini registration is idempotent", "[jk_init]") {
    const std::string block = "\n[/srv/j/dev/log]\nbase=512\npeak=2048\ninterval=10\n";
    auto once = jk::init::add_log_socket("", "/srv/j");
    REQUIRE(once);
    CHECK(*once == block);
    CHECK_FALSE(jk::init::add_log_socket(*once, "/srv/j"));
    CHECK_FALSE(jk::init::add_log_socket("# x\n  [/srv/j/dev/log]  \nbase=1\n", "/srv/j"));
    SECTION("another jail or a longer name is not the same section") {
        auto two = jk::init::add_log_socket(*once, "/srv/j2");
        REQUIRE(two);
        CHECK(*two == block + "\n[/srv/j2/dev/log]\nbase=512\npeak=2048\ninterval=10\n");
        CHECK(jk::init::add_log_socket("[/srv/j/dev/log2]\n", "/srv/j"));
    }
    SECTION("a file without a final newline gets one first") {
        CHECK(*jk::init::add_log_socket("[x]\nbase=1", "/j") ==
              "[x]\nbase=1\n\n[/j/dev/log]\nbase=512\npeak=2048\ninterval=10\n");
    }
    CHECK(jk::init::log_socket_name("/srv/j/") == "/srv/j/dev/log");
}

TEST_CASE("has_glob", "[jk_init]") {
    CHECK(jk::init::has_glob("/usr/bin/git*"));
    CHECK(jk::init::has_glob("/usr/bin/php[0-9]"));
    CHECK(jk::init::has_glob("/a?"));
    CHECK_FALSE(jk::init::has_glob("/usr/bin/git"));
}

TEST_CASE("expand_item: globs, bare names, missing paths", "[jk_init]") {
    CHECK(jk::init::expand_item("/usr/bin/tru?", true) == Strings{"/usr/bin/true"});
    CHECK(jk::init::expand_item("/usr/bin/tru?", false).empty());
    CHECK(jk::init::expand_item("/no/such/*", true).empty());
    CHECK(jk::init::expand_item("/no/such/file", true).empty());
    CHECK(jk::init::expand_item("/etc/passwd", true) == Strings{"/etc/passwd"});
}

TEST_CASE("expand_item: 'A | B' alternatives, missing only when none exists", "[jk_init]") {
    CHECK(jk::init::expand_item("/no/such/file | /etc/passwd", true) == Strings{"/etc/passwd"});
    CHECK(jk::init::expand_item("/etc/passwd|/no/such/file", true) == Strings{"/etc/passwd"});
    CHECK(jk::init::expand_item(" /etc/passwd | /usr/bin/tru? ", true) == Strings{"/etc/passwd", "/usr/bin/true"});
    CHECK(jk::init::expand_item("/etc/passwd | /usr/bin/tru?", false) == Strings{"/etc/passwd"});
    CHECK(jk::init::expand_item("/no/such/file | /no/such/*", true).empty());
    CHECK(jk::init::expand_item("| |", true).empty());
}

TEST_CASE("create_jail_dir makes missing components 0755 root:root below safe parents", "[jk_init][root]") {
    jk::test::TempJail t;
    const std::string j = t / "a/b/jail";
    CHECK(jk::init::create_jail_dir(j));
    struct stat st {};
    REQUIRE(::lstat(j.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    CHECK(st.st_uid == 0);
    CHECK_FALSE(jk::init::create_jail_dir(j));  // nothing to do the second time

    SECTION("a group-writable parent stops it before anything is created") {
        jk::test::sh("mkdir -m 0775 " + t / "gw");
        CHECK_THROWS_AS(jk::init::create_jail_dir(t / "gw/jail"), jk::UnsafePath);
        CHECK(::access((t / "gw/jail").c_str(), F_OK) != 0);
    }
    SECTION("a symlinked component is refused") {
        jk::test::sh("ln -s a " + t / "link");
        CHECK_THROWS_AS(jk::init::create_jail_dir(t / "link/x"), jk::SymlinkNotAllowed);
        CHECK(::access((t / "a/x").c_str(), F_OK) != 0);
    }
}

TEST_CASE("register_log_socket writes jk_socketd.ini atomically and once", "[jk_init][root]") {
    jk::test::TempJail t;
    CHECK(jk::init::register_log_socket(t.path(), "/srv/j"));
    CHECK_FALSE(jk::init::register_log_socket(t.path(), "/srv/j"));
    std::ifstream in(t / "jk_socketd.ini");
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == "\n[/srv/j/dev/log]\nbase=512\npeak=2048\ninterval=10\n");
    struct stat st {};
    REQUIRE(::stat((t / "jk_socketd.ini").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
}
