#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_check/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_check::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_check accepts jailkit's command lines and ours", "[jk_check]") {
    SECTION("no arguments: the default ini, no positional jails") {
        auto o = parse_args({"jk_check"});
        CHECK(o.configfile == "/etc/jailkit/jk_check.ini");
        CHECK_FALSE(o.configfile_given);
        CHECK(o.jails.empty());
        CHECK_FALSE(o.verbose);
        CHECK_FALSE(o.json);
    }
    SECTION("-c FILE, -cFILE, --configfile=FILE, --configfile FILE") {
        for (const Args& a : {Args{"jk_check", "-c", "/x.ini"}, Args{"jk_check", "-c/x.ini"},
                              Args{"jk_check", "--configfile=/x.ini"}, Args{"jk_check", "--configfile", "/x.ini"}}) {
            auto o = parse_args(a);
            CHECK(o.configfile == "/x.ini");
            CHECK(o.configfile_given);
        }
    }
    SECTION("-v, --verbose, --json") {
        CHECK(parse_args({"jk_check", "-v"}).verbose);
        CHECK(parse_args({"jk_check", "--verbose"}).verbose);
        CHECK(parse_args({"jk_check", "--json"}).json);
    }
    SECTION("positional jails are honoured, options may follow them") {
        auto o = parse_args({"jk_check", "/srv/a", "-v", "/srv/b", "--json"});
        CHECK(o.jails == Args{"/srv/a", "/srv/b"});
        CHECK(o.verbose);
        CHECK(o.json);
    }
    SECTION("-- ends the options") {
        CHECK(parse_args({"jk_check", "--", "-v"}).jails == Args{"-v"});
    }
    SECTION("-h, --help and --version") {
        CHECK(parse_args({"jk_check", "-h"}).help);
        CHECK(parse_args({"jk_check", "--help"}).help);
        CHECK(parse_args({"jk_check", "--version"}).version);
        CHECK_FALSE(parse_args({"jk_check", "--version"}).help);
    }
    SECTION("the same -c twice is fine") {
        CHECK(parse_args({"jk_check", "-c", "/x", "-c", "/x"}).configfile == "/x");
    }
}

TEST_CASE("jk_check refuses bad command lines with exit 1", "[jk_check]") {
    CHECK(usage_exit({"jk_check", "-x"}) == 1);
    CHECK(usage_exit({"jk_check", "--bogus"}) == 1);
    CHECK(usage_exit({"jk_check", "-c"}) == 1);
    CHECK(usage_exit({"jk_check", "--configfile"}) == 1);
    CHECK(usage_exit({"jk_check", "-c", ""}) == 1);
    CHECK(usage_exit({"jk_check", "-c", "/a", "-c", "/b"}) == 1);
    CHECK(usage_exit({"jk_check", "--json=yes"}) == 1);
    CHECK(usage_exit({"jk_check", ""}) == 1);
    // jailkit's -j does not exist in jk_check.
    CHECK(usage_exit({"jk_check", "-j", "/srv/j"}) == 1);
}
