// jk_check --lint: the pure lint functions (jk/lint.hpp) and the option.
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/check.hpp"
#include "jk/config.hpp"
#include "jk/init.hpp"
#include "jk/lint.hpp"
#include "jk/login.hpp"
#include "jk/procmail.hpp"
#include "jk/socketd_config.hpp"
#include "jk/update.hpp"
#include "jk/users.hpp"
#include "jk_check/cli.hpp"
#include "tests/unit/cli_support.hpp"

namespace {

using jk::lint::Finding;

std::vector<Finding> lint(const std::string& text, const std::string& name) {
    return jk::lint::lint_text(text, name, name);
}

// The findings as "line: problem" lines, for readable failures.
std::string shown(const std::vector<Finding>& fs) {
    std::string out;
    for (const auto& f : fs) out += std::to_string(f.line) + ": " + f.problem + "\n";
    return out;
}

bool has(const std::vector<Finding>& fs, int line, const std::string& part) {
    for (const auto& f : fs)
        if (f.line == line && f.problem.find(part) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("lint: a clean file of each kind has no findings", "[lint]") {
    CHECK(lint("[basicshell]\ncomment = a shell\npaths = /bin/sh, /bin/ls\n  /bin/cat\nincludesections = x\n"
               "[x]\nneed_logsocket = 1\n",
               "jk_init.ini")
              .empty());
    CHECK(lint("# comment\n[group web]\nexecutables = /usr/bin/scp, /usr/lib/sftp-server\numask = 077\n"
               "[arguments /usr/bin/scp]\ndeny = -S\n",
               "jk_lsh.ini")
              .empty());
    CHECK(lint("[DEFAULT]\nenv = HOME, USER\nrelax_home_group = yes\n", "jk_chrootsh.ini").empty());
    CHECK(lint("[/home/jail/dev/log]\nbase = 512\npeak = 2048\ninterval = 10\n", "jk_socketd.ini").empty());
    CHECK(lint("[/home/jail]\nskips = /x, /y\nhardlinks = yes\n", "jk_update.ini").empty());
    CHECK(lint("[/home/jail]\nignorepatheverywhere = /tmp, /var/tmp\n", "jk_check.ini").empty());
    CHECK(lint("[john]\nallowed_jails = /home/jail\n", "jk_uchroot.ini").empty());
    CHECK(lint("", "jk_procmailwrapper.ini").empty());
}

TEST_CASE("lint: unknown keys, and C-tool prefix keys jailkit honoured", "[lint]") {
    auto f = lint("[DEFAULT]\nexec = /bin/ls\nbogus = 1\nu = 077\n", "jk_lsh.ini");
    INFO(shown(f));
    REQUIRE(f.size() == 3);
    CHECK(has(f, 2, "unknown key 'exec'"));
    CHECK(has(f, 2, "read it as 'executables'"));
    CHECK(has(f, 3, "unknown key 'bogus'"));
    CHECK_FALSE(has(f, 3, "read it as"));
    CHECK(has(f, 4, "read it as 'umask'"));
    // The Python tools never matched prefixes: just unknown.
    auto p = lint("[s]\nexec = /bin/ls\n", "jk_init.ini");
    REQUIRE(p.size() == 1);
    CHECK(has(p, 2, "unknown key 'exec'"));
    CHECK_FALSE(has(p, 2, "read it as"));
    // jk_lsh.ini's [arguments ...] sections hold rule keys, not user keys.
    auto r = lint("[arguments /usr/bin/scp]\ndeny = -S\numask = 077\n", "jk_lsh.ini");
    REQUIRE(r.size() == 1);
    CHECK(has(r, 3, "unknown key 'umask'"));
    // Each file has its own keys: jk_chrootsh's env is unknown to jk_uchroot.
    CHECK(has(lint("[x]\nenv = A\n", "jk_uchroot.ini"), 2, "unknown key 'env'"));
}

TEST_CASE("lint: space-separated lists", "[lint]") {
    auto f = lint("[s]\npaths = /a /b\nusers = root\ncomment = two words are fine\n", "jk_init.ini");
    INFO(shown(f));
    REQUIRE(f.size() == 1);
    CHECK(has(f, 2, "'/a /b'"));
    CHECK(has(lint("[u]\nallowed_jails = /j1 /j2\n", "jk_uchroot.ini"), 2, "contains a blank"));
    CHECK(has(lint("[/j]\nskips = /a /b\n", "jk_update.ini"), 2, "contains a blank"));
    CHECK(lint("[/j]\nskips = /a,/b\n", "jk_update.ini").empty());
}

TEST_CASE("lint: need_logsocket = 0 and need_proc = no", "[lint]") {
    for (const char* v : {"0", "no", "False", "off"}) {
        auto f = lint(std::string("[s]\nneed_logsocket = ") + v + "\n", "jk_init.ini");
        INFO(v);
        REQUIRE(f.size() == 1);
        CHECK(has(f, 2, "any non-empty value as true"));
    }
    CHECK(has(lint("[s]\nneed_proc = 0\n", "jk_init.ini"), 2, "/etc/fstab"));
    CHECK(lint("[s]\nneed_logsocket = 1\n", "jk_init.ini").empty());
    CHECK(lint("[s]\nneed_logsocket = yes\n", "jk_init.ini").empty());
}

TEST_CASE("lint: header blanks, duplicates and other parser warnings", "[lint]") {
    auto f = lint("[group  web]\numask = 077\numask = 022\n[ john ]\n[group web]\n", "jk_lsh.ini");
    INFO(shown(f));
    CHECK(has(f, 1, "[group  web] has extra blanks"));
    CHECK(has(f, 1, "[group web]"));
    CHECK(has(f, 3, "duplicate key"));
    CHECK(has(f, 4, "[ john ] has extra blanks"));
    CHECK(has(f, 5, "duplicate section"));
    CHECK(f.size() == 4);
    CHECK(lint("[group web]\n", "jk_lsh.ini").empty());
    CHECK(has(lint("[s] junk\n", "jk_init.ini"), 1, "after section header"));
}

TEST_CASE("lint: comments in C-tool files", "[lint]") {
    auto f = lint("[DEFAULT]\n  # indented\n\t; indented too\n# fine\nenv = HOME # the home\n", "jk_chrootsh.ini");
    INFO(shown(f));
    REQUIRE(f.size() == 4);  // line 5 is also a list item with a blank
    CHECK(has(f, 2, "indented comment"));
    CHECK(has(f, 3, "indented comment"));
    CHECK(has(f, 5, "'# the home'"));
    // A '#' inside a word is not taken for a comment.
    CHECK(lint("[DEFAULT]\nenv = A#B\n", "jk_chrootsh.ini").empty());
    // The Python dialect allowed indented comments; inline '#' checks are for C files.
    CHECK(lint("[s]\n  # indented\ncomment = a # b\n", "jk_init.ini").empty());
}

TEST_CASE("lint: a file the parser refuses is one finding", "[lint]") {
    auto f = lint("[s]\nno delimiter here\n", "jk_init.ini");
    REQUIRE(f.size() == 1);
    CHECK(f[0].line == 2);
    CHECK(f[0].problem.find("refuse") != std::string::npos);
    CHECK(f[0].text().rfind("jk_init.ini:2: ", 0) == 0);
    CHECK_THROWS_AS(jk::lint::lint_text("", "x", "other.ini"), std::out_of_range);
}

TEST_CASE("lint: findings come in line order", "[lint]") {
    auto f = lint("[s]\nx = 1\n[ t ]\npaths = /a /b\n", "jk_init.ini");
    REQUIRE(f.size() == 3);
    CHECK(f[0].line == 2);
    CHECK(f[1].line == 3);
    CHECK(f[2].line == 4);
}

// The lint's key lists repeat the modules' (lint.cpp): every key lint knows
// must be one the module reading that file knows too.
TEST_CASE("lint: the key lists match the modules that read the files", "[lint]") {
    auto ini_with = [](const std::string& header, const std::string& file,
                       const std::vector<std::pair<std::string, std::string>>& kv) {
        std::string text = header + "\n";
        for (const auto& [k, v] : kv) text += k + " = " + v + "\n";
        return jk::config::IniFile::parse(text, file);
    };
    auto no_unknown = [](const std::vector<std::string>& warnings) {
        for (const auto& w : warnings) {
            INFO(w);
            CHECK(w.find("unknown key") == std::string::npos);
        }
    };
    auto keys = [](std::string_view file, std::string_view section = "s") {
        std::vector<std::string> out;
        for (auto k : jk::lint::keys_for(file, section)) out.emplace_back(k);
        return out;
    };
    auto bogus = std::pair<std::string, std::string>{"bogus", "1"};

    SECTION("jk_init.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_init.ini")) kv.emplace_back(k, k == "includesections" ? "s" : "1");
        no_unknown(jk::init::resolve(ini_with("[s]", "i", kv), {"s"}).warnings);
        kv.push_back(bogus);
        CHECK(jk::init::resolve(ini_with("[s]", "i", kv), {"s"}).warnings.size() >= 1);
    }
    SECTION("jk_chrootsh.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_chrootsh.ini"))
            kv.emplace_back(k, k == "injail_shell" ? "/bin/sh" : k == "env" ? "HOME" : "no");
        auto ini = ini_with("[DEFAULT]", "c", kv);
        std::vector<std::string> w;
        (void)jk::login::read_settings(ini.find("DEFAULT"), w);
        no_unknown(w);
    }
    SECTION("jk_procmailwrapper.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_procmailwrapper.ini"))
            kv.emplace_back(k, k == "procmail" ? "/usr/bin/procmail" : "no");
        auto ini = ini_with("[DEFAULT]", "p", kv);
        std::vector<std::string> w;
        (void)jk::procmail::read_settings(ini.find("DEFAULT"), w);
        no_unknown(w);
    }
    SECTION("jk_socketd.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_socketd.ini")) kv.emplace_back(k, "10");
        std::vector<std::string> w;
        (void)jk::socketd::sockets_from_ini(ini_with("[/home/jail/dev/log]", "s", kv), w);
        no_unknown(w);
    }
    SECTION("jk_update.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_update.ini")) kv.emplace_back(k, k.rfind("hardlink", 0) == 0 ? "yes" : "/x");
        no_unknown(jk::update::read_section(ini_with("[/home/jail]", "u", kv), "/home/jail").warnings);
    }
    SECTION("jk_check.ini") {
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& k : keys("jk_check.ini")) kv.emplace_back(k, "/x");
        auto ini = ini_with("[/home/jail]", "k", kv);
        std::vector<std::string> w;
        (void)jk::check::select_targets(&ini, {}, jk::users::PasswdFile{}, "/", w);
        no_unknown(w);
    }
}

TEST_CASE("jk_check --lint on the command line", "[lint][jk_check]") {
    using jk::test::usage_exit;
    auto parse = [](const jk::test::Args& a) { return jk_check::parse_args(a); };
    auto o = parse({"jk_check", "--lint"});
    CHECK(o.lint);
    CHECK(o.lint_dir == JK_SYSCONFDIR);
    o = parse({"jk_check", "--lint=/tmp/conf"});
    CHECK(o.lint);
    CHECK(o.lint_dir == "/tmp/conf");
    CHECK_FALSE(parse({"jk_check"}).lint);
    CHECK(usage_exit(parse, {"jk_check", "--lint="}) == 1);
    CHECK(usage_exit(parse, {"jk_check", "--lint", "/home/jail"}) == 1);
}
