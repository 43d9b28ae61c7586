// Regression tests for what the fuzz targets (tests/fuzz) found: each case
// is the minimised input of a finding, checked against the fixed rule.
#include <string>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"
#include "jk/jailuser.hpp"
#include "jk/socketd_config.hpp"
#include "jk/users.hpp"

// fuzz_init: a jail name holding a line break was written into
// jk_socketd.ini as several lines (the name could add sections and keys of
// its own to root's daemon config), and registering it again appended it
// again because no single line matched the header.
TEST_CASE("add_log_socket refuses a jail name that cannot be a section header", "[init][fuzz]") {
    const std::string text = "[/home/jail/dev/log]\nbase=512\n";
    CHECK_THROWS_AS(jk::init::add_log_socket(text, "/basicshot\n[bFOUND=return] bn\xd2\xd2\xd2s # ex\nll"), jk::Error);
    CHECK_THROWS_AS(jk::init::add_log_socket(text, "/j\n[/etc]\nbase=1"), jk::Error);
    CHECK_THROWS_AS(jk::init::add_log_socket(text, "/j\r"), jk::Error);
    CHECK_THROWS_AS(jk::init::add_log_socket(text, "/a]b"), jk::Error);
    CHECK_THROWS_AS(jk::init::add_log_socket(text, std::string("/a\0b", 4)), jk::Error);
    // What is written parses back to exactly one new section, and a second
    // registration finds it.
    const auto once = jk::init::add_log_socket(text, "/srv/jail one/");
    REQUIRE(once);
    const auto ini = jk::config::IniFile::parse(*once, "jk_socketd.ini");
    CHECK(ini.sections().size() == 2);
    CHECK(ini.find("/srv/jail one/dev/log") != nullptr);
    CHECK_FALSE(jk::init::add_log_socket(*once, "/srv/jail one"));
}

// fuzz_jailuser: with the jail "/" every home counted as inside it and
// "/root" mapped to the relative inner home "root" (new host home
// "//.root"). open_jail refuses "/", and now the planner does as well.
TEST_CASE("the jailuser planner refuses the jail /", "[jailuser][fuzz]") {
    CHECK_THROWS_AS(jk::jailuser::map_home("/root", "/"), jk::Error);
    CHECK_THROWS_AS(jk::jailuser::map_home("/home/j/./home/a", "/"), jk::Error);
    const jk::users::PasswdEntry daemon{"daemon", "x", 1, 1, "daemon", "/usr/sbin", "/bin/sh"};
    const auto groups = jk::users::parse_group("causr:x:1002:\n", "group");
    const jk::jailuser::Request req{"/", "/bin/bash", "/usr/sbin/jk_chrootsh"};
    CHECK_THROWS_AS(jk::jailuser::plan(daemon, groups, req, "root:x:0:0:root:/root:/bin/bash\n", std::nullopt),
                    jk::Error);
    // A real jail still maps its own subdirectories to absolute inner homes.
    CHECK(jk::jailuser::map_home("/j/home/a", "/j").inner == "/home/a");
    CHECK(jk::jailuser::map_home("/j", "/j").inner == "/");
}

// fuzz_socketd (UBSan): a peak or base too large for long long was
// converted to long long to decide whether to warn - undefined behaviour.
TEST_CASE("jk_socketd.ini numbers beyond long long are warned about, not converted", "[socketd][fuzz]") {
    const auto ini = jk::config::IniFile::parse(
        "[/x]\nbase=-2\npe?ak=1e5\nintervaal=n16172\n"
        "peak=2003333333333333333333333333333333333333333333333333333300\n"
        "[/y]\nbase=100000000000000000000000000000000\npeak=512.9\n",
        "jk_socketd.ini");
    std::vector<std::string> warnings;
    const auto specs = jk::socketd::sockets_from_ini(ini, warnings);
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].peak <= jk::socketd::peak_max);
    CHECK(specs[1].base >= jk::socketd::base_min);
    CHECK(specs[1].base <= jk::socketd::base_max);
    int out_of_range = 0;
    for (const auto& w : warnings)
        if (w.find("out of range") != std::string::npos) ++out_of_range;
    CHECK(out_of_range >= 3);  // base=-2, the huge peak, base=1e32 written out
}
