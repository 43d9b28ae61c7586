// jk_trace's pure rules (jk/trace_rules.hpp): syscall decoding, the jail
// prefix, the deny list and allowed roots, the section text and its
// replacement in a file.
#include <sys/syscall.h>

#include "catch.hpp"
#include "jk/trace.hpp"
#include "jk/trace_rules.hpp"

using namespace jk::trace;

TEST_CASE("jk_trace knows where each syscall's path is", "[trace]") {
    auto oa = path_arg(SYS_openat);
    REQUIRE(oa);
    CHECK(std::string(oa->name) == "openat");
    CHECK(oa->dirfd_arg == 0);
    CHECK(oa->path_arg == 1);
    CHECK(oa->use == PathUse::lookup);
#ifdef SYS_open
    auto o = path_arg(SYS_open);
    REQUIRE(o);
    CHECK(o->dirfd_arg == -1);
    CHECK(o->path_arg == 0);
#endif
    auto ex = path_arg(SYS_execve);
    REQUIRE(ex);
    CHECK(ex->use == PathUse::exec);
    auto sx = path_arg(SYS_statx);
    REQUIRE(sx);
    CHECK(sx->empty_path_ok);
    CHECK_FALSE(path_arg(SYS_read));
    CHECK_FALSE(path_arg(SYS_connect));
    CHECK(std::string(socket_call(SYS_connect)) == "connect");
    CHECK(std::string(socket_call(SYS_bind)) == "bind");
    CHECK(socket_call(SYS_openat) == nullptr);
}

TEST_CASE("jk_trace maps host paths into the jail by whole components", "[trace]") {
    CHECK(inside_jail("/srv/j", "/srv/j/home/u") == "/home/u");
    CHECK(inside_jail("/srv/j", "/srv/j") == "/");
    CHECK_FALSE(inside_jail("/srv/j", "/srv/j2/x"));
    CHECK_FALSE(inside_jail("/srv/j", "/etc"));
    CHECK_FALSE(inside_jail("/srv/j", "relative"));
    CHECK(inside_jail("/", "/etc/x") == "/etc/x");
    CHECK(join_clean("/home/u", "a/../b/./c") == "/home/u/b/c");
    CHECK(join_clean("/home/u", "/etc//x") == "/etc/x");
    CHECK(join_clean("/", "../../etc") == "/etc");
    CHECK(join_clean("/x", "") == "");
}

TEST_CASE("jk_trace's deny list and allowed roots", "[trace]") {
    Rules r = default_rules("/srv/jail");
    SECTION("the secrets and the user's places are refused") {
        for (const char* p :
             {"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/sudoers.d/x", "/etc/ssh/ssh_host_rsa_key",
              "/etc/ssl/private/k.pem", "/root/x", "/home/u/.bashrc", "/proc/1/environ", "/sys/x", "/dev/sda", "/tmp/x",
              "/var/tmp/x", "/var/mail/u", "/etc/passwd", "/etc/group", "/srv/jail/etc/x", "/run/x"})
            CHECK(refused(r, p));
    }
    SECTION("the system's files are allowed") {
        for (const char* p : {"/usr/lib/python3/x.py", "/lib/x86_64-linux-gnu/libc.so.6", "/etc/ssl/certs/ca.pem",
                              "/etc/sshd_config_not_dir", "/etc/hosts", "/opt/x", "/var/lib/dpkg/status", "/bin/sh"})
            CHECK_FALSE(refused(r, p));
    }
    SECTION("outside the allowed roots") {
        CHECK(*refused(r, "/var/www/x") == "is outside the allowed roots");
        CHECK(*refused(r, "/nonexistent/.local/x") == "is outside the allowed roots");
        CHECK(refused(r, "/usrx/y"));
    }
    SECTION("the reason names the rule") {
        CHECK(*refused(r, "/etc/shadow") == "is denied (/etc/shadow*)");
    }
    SECTION("by whole components") {
        CHECK(under("/etc/ssh/x", "/etc/ssh"));
        CHECK(under("/etc/ssh", "/etc/ssh"));
        CHECK_FALSE(under("/etc/sshd", "/etc/ssh"));
        CHECK(under("/etc/shadow.bak/x", "/etc/shadow*"));
        CHECK(under("/x", "/"));
    }
}

TEST_CASE("jk_trace copies a locale or gconv-modules.d whole", "[trace]") {
    CHECK(whole_directory("/usr/lib/locale/C.utf8/LC_CTYPE") == "/usr/lib/locale/C.utf8");
    CHECK_FALSE(whole_directory("/usr/lib/locale/locale-archive"));
    CHECK(whole_directory("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d") ==
          "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d");
    CHECK(whole_directory("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d/a.conf") ==
          "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d");
    CHECK_FALSE(whole_directory("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules"));
    CHECK_FALSE(whole_directory("/etc/gconv/gconv-modules.d"));
}

TEST_CASE("jk_trace writes a stable jk_init section", "[trace]") {
    const std::string s = section_text("py", "found", {"/usr/bin/b", "/etc/a", "/usr/bin/b"}, {"/usr/share/x"});
    CHECK(s == "[py]\ncomment = found\npaths = /etc/a, /usr/bin/b\nemptydirs = /usr/share/x\n");
    CHECK(section_text("x", "c", {"/a"}) == "[x]\ncomment = c\npaths = /a\n");
    CHECK(valid_section_name("php-cli_8.2"));
    CHECK_FALSE(valid_section_name(""));
    CHECK_FALSE(valid_section_name("a]b"));
    CHECK_FALSE(valid_section_name("a b"));
}

TEST_CASE("jk_trace replaces its section and keeps the rest of the file", "[trace]") {
    const std::string sec = "[py]\ncomment = new\npaths = /x\n";
    SECTION("appended to a file without it") {
        CHECK(replace_section("[a]\npaths = /a\n", "py", sec) == "[a]\npaths = /a\n\n" + sec);
        CHECK(replace_section("", "py", sec) == sec);
        CHECK(replace_section("[a]\npaths = /a", "py", sec) == "[a]\npaths = /a\n\n" + sec);
    }
    SECTION("replaced in place, the next section's comment kept") {
        const std::string file =
            "# top\n[a]\npaths = /a\n\n[py]\ncomment = old\n# inside\npaths = /old\n\n# about b\n[b]\npaths = /b\n";
        CHECK(replace_section(file, "py", sec) ==
              "# top\n[a]\npaths = /a\n\n" + sec + "\n# about b\n[b]\npaths = /b\n");
    }
    SECTION("last in the file") {
        CHECK(replace_section("[a]\n\n[py]\npaths = /old\n", "py", sec) == "[a]\n\n" + sec);
    }
    SECTION("another section whose name starts the same is not touched") {
        CHECK(replace_section("[py3]\npaths = /p\n", "py", sec) == "[py3]\npaths = /p\n\n" + sec);
    }
}

TEST_CASE("jk_trace's section lists", "[trace]") {
    Outcome o;
    o.program = "/usr/bin/p";
    o.added = {{"/usr/lib/p", true, ""},
               {"/usr/lib/p/m.py", false, ""},
               {"/usr/share/empty", true, ""},
               {"/etc/p.conf", false, ""}};
    SectionLists l = section_lists(o);
    CHECK(l.paths == std::vector<std::string>{"/usr/bin/p", "/usr/lib/p/m.py", "/etc/p.conf"});
    CHECK(l.emptydirs == std::vector<std::string>{"/usr/share/empty"});
}
