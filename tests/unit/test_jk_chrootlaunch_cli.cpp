#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_chrootlaunch/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_chrootlaunch::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_chrootlaunch accepts jailkit's command lines", "[jk_chrootlaunch]") {
    SECTION("the full synopsis") {
        auto o = parse_args({"jk_chrootlaunch", "-j", "/srv/j", "-u", "www", "-g", "www", "-p", "/run/d.pid", "-x",
                             "/usr/sbin/d", "--", "-f", "conf"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.user == std::optional<std::string>("www"));
        CHECK(o.group == std::optional<std::string>("www"));
        CHECK(o.pidfile == std::optional<std::string>("/run/d.pid"));
        CHECK(o.executable == "/usr/sbin/d");
        CHECK(o.args == Args{"-f", "conf"});
    }
    SECTION("long options") {
        auto o = parse_args(
            {"jk_chrootlaunch", "--jail=/srv/j", "--user", "33", "--group=33", "--pidfile", "/p", "--exec", "/d"});
        CHECK(o.jail == "/srv/j");
        CHECK(*o.user == "33");
        CHECK(*o.group == "33");
        CHECK(*o.pidfile == "/p");
        CHECK(o.executable == "/d");
    }
    SECTION("-u, -g and -p are optional") {
        auto o = parse_args({"jk_chrootlaunch", "-j", "/srv/j", "-x", "/d"});
        CHECK_FALSE(o.user);
        CHECK_FALSE(o.group);
        CHECK_FALSE(o.pidfile);
    }
    SECTION("a missing -j or -x is not a usage error: jailkit exits 21 and 23 later") {
        CHECK(parse_args({"jk_chrootlaunch", "-x", "/d"}).jail.empty());
        CHECK(parse_args({"jk_chrootlaunch", "-j", "/j"}).executable.empty());
    }
    SECTION("-h, --help, --version") {
        CHECK(parse_args({"jk_chrootlaunch", "-h"}).help);
        CHECK(parse_args({"jk_chrootlaunch", "--help"}).help);
        CHECK(parse_args({"jk_chrootlaunch", "--version"}).version);
    }
    SECTION("negative ids are the launch's business (exit 1 there)") {
        CHECK(*parse_args({"jk_chrootlaunch", "-u", "-5", "-j", "/j", "-x", "/d"}).user == "-5");
    }
    SECTION("repeating an option with the same value is harmless") {
        CHECK(*parse_args({"jk_chrootlaunch", "-u", "a", "-u", "a"}).user == "a");
    }
}

TEST_CASE("jk_chrootlaunch refuses bad command lines with exit 1", "[jk_chrootlaunch]") {
    CHECK(usage_exit({"jk_chrootlaunch", "--bogus"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j", "/j", "-x"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j", "", "-x", "/d"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j", "/j", "-x", ""}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-u", "", "-j", "/j", "-x", "/d"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-u", "a", "-u", "b"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-g", "a", "-g", "b"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-p", "/a", "-p", "/b"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j", "/a", "-j", "/b"}) == 1);
    CHECK(usage_exit({"jk_chrootlaunch", "-j", "/j", "-x", "/d", "-f", "conf"}) == 1);  // needs --
    CHECK(usage_exit({"jk_chrootlaunch", "--executable", "/d"}) == 1);                  // jk_uchroot's, not ours
}
