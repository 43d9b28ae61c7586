#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/path.hpp"
#include "jk_uchroot/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_uchroot::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_uchroot accepts jailkit's command lines", "[jk_uchroot]") {
    SECTION("-j JAIL -x EXEC") {
        auto o = parse_args({"jk_uchroot", "-j", "/srv/j", "-x", "/bin/bash"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.executable == "/bin/bash");
        CHECK(o.args.empty());
        CHECK_FALSE(o.help);
        CHECK_FALSE(o.version);
    }
    SECTION("long forms, --exec as an abbreviation of --executable, attached values") {
        for (const Args& a :
             {Args{"jk_uchroot", "--jail=/srv/j", "--executable=/bin/bash"},
              Args{"jk_uchroot", "--jail", "/srv/j", "--exec", "/bin/bash"},
              Args{"jk_uchroot", "--jail", "/srv/j", "--exec=/bin/bash"}, Args{"jk_uchroot", "-j/srv/j", "-x/bin/bash"},
              Args{"jk_uchroot", "-x", "/bin/bash", "-j", "/srv/j"}}) {
            auto o = parse_args(a);
            CHECK(o.jail == "/srv/j");
            CHECK(o.executable == "/bin/bash");
        }
    }
    SECTION("arguments after -- go to the program, options and all") {
        auto o = parse_args({"jk_uchroot", "-j", "/srv/j", "-x", "/bin/bash", "--", "-c", "id; -j x"});
        CHECK(o.args == Args{"-c", "id; -j x"});
        CHECK(o.jail == "/srv/j");
    }
    SECTION("plain operands too") {
        CHECK(parse_args({"jk_uchroot", "-j", "/j", "-x", "/bin/ls", "/", "/etc"}).args == Args{"/", "/etc"});
    }
    SECTION("-h, --help, --version need nothing else") {
        CHECK(parse_args({"jk_uchroot", "-h"}).help);
        CHECK(parse_args({"jk_uchroot", "--help"}).help);
        CHECK(parse_args({"jk_uchroot", "--version"}).version);
        CHECK_FALSE(parse_args({"jk_uchroot", "--version"}).help);
    }
    SECTION("the same -j twice is harmless") {
        CHECK(parse_args({"jk_uchroot", "-j", "/j", "-j", "/j", "-x", "/x"}).jail == "/j");
    }
}

TEST_CASE("jk_uchroot refuses bad command lines with exit 1", "[jk_uchroot]") {
    CHECK(usage_exit({"jk_uchroot"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j", "/j"}) == 1);       // no -x
    CHECK(usage_exit({"jk_uchroot", "-x", "/bin/sh"}) == 1);  // no -j
    CHECK(usage_exit({"jk_uchroot", "-j", "", "-x", "/bin/sh"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j", "/j", "-x", ""}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j", "/a", "-j", "/b", "-x", "/x"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j", "/j", "-x", "/a", "-x", "/b"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-j", "/j", "-x", "/bin/bash", "-c", "id"}) == 1);  // needs --
    CHECK(usage_exit({"jk_uchroot", "--bogus", "-j", "/j", "-x", "/x"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "--version=1"}) == 1);
    CHECK(usage_exit({"jk_uchroot", "-u", "x", "-j", "/j", "-x", "/x"}) == 1);           // jk_chrootlaunch's, not ours
    CHECK(usage_exit({"jk_uchroot", "-c", "/etc/x.ini", "-j", "/j", "-x", "/x"}) == 1);  // no config path
}

// main.cpp refuses a -j that path::noncanonical names (exit 21, as jailkit's
// getcwd() check does): the jail must be the directory allowed_jails means.
TEST_CASE("jk_uchroot's -j must be canonical; one trailing slash is fine", "[jk_uchroot]") {
    using jk::path::noncanonical;
    using jk::path::TrailingSlash;
    for (const char* ok : {"/srv/j", "/srv/j/", "/", "/srv/j..x", "/srv/.j"})
        CHECK_FALSE(noncanonical(ok, TrailingSlash::allowed).has_value());
    for (const char* bad : {"/srv/j//", "/srv//j", "//srv/j", "/srv/./j", "/srv/j/.", "/srv/j/./", "/srv/x/../j",
                            "/srv/j/..", "/..", "srv/j", "", "./srv/j"})
        CHECK(noncanonical(bad, TrailingSlash::allowed).has_value());
    CHECK(noncanonical("/srv/j/", TrailingSlash::refused).has_value());
    CHECK_FALSE(noncanonical("/srv/j", TrailingSlash::refused).has_value());
    // The parser itself keeps -j as given: the refusal is logged by main.
    CHECK(parse_args({"jk_uchroot", "-j", "/srv/x/../j", "-x", "/bin/sh"}).jail == "/srv/x/../j");
}
