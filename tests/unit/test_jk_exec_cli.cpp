#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_exec/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_exec::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_exec accepts jexec's command lines", "[jk_exec]") {
    SECTION("JAIL COMMAND: root, no user asked") {
        auto o = parse_args({"jk_exec", "/srv/j", "/bin/sh"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.command == Args{"/bin/sh"});
        CHECK_FALSE(o.user);
        CHECK_FALSE(o.host_user);
        CHECK_FALSE(o.help);
        CHECK_FALSE(o.version);
    }
    SECTION("the command's own options pass through untouched, jk_exec's own included") {
        auto o = parse_args({"jk_exec", "/srv/j", "ls", "-l", "-u", "x", "--help", "--", "-h"});
        CHECK(o.command == Args{"ls", "-l", "-u", "x", "--help", "--", "-h"});
        CHECK_FALSE(o.user);
        CHECK_FALSE(o.help);
    }
    SECTION("-u and --user, separate or attached") {
        for (const Args& a : {Args{"jk_exec", "-u", "www", "/j", "id"}, Args{"jk_exec", "-uwww", "/j", "id"},
                              Args{"jk_exec", "--user", "www", "/j", "id"}, Args{"jk_exec", "--user=www", "/j", "id"},
                              Args{"jk_exec", "--us=www", "/j", "id"}}) {
            auto o = parse_args(a);
            CHECK(o.user == std::optional<std::string>("www"));
            CHECK_FALSE(o.host_user);
            CHECK(o.jail == "/j");
            CHECK(o.command == Args{"id"});
        }
    }
    SECTION("-U and --host-user, a uid") {
        for (const Args& a : {Args{"jk_exec", "-U", "33", "/j", "id"}, Args{"jk_exec", "--host-user=33", "/j", "id"}}) {
            auto o = parse_args(a);
            CHECK(o.host_user == std::optional<std::string>("33"));
            CHECK_FALSE(o.user);
        }
    }
    SECTION("-- ends the options before JAIL") {
        auto o = parse_args({"jk_exec", "-u", "a", "--", "/j", "sh", "-c", "exit 7"});
        CHECK(o.jail == "/j");
        CHECK(o.command == Args{"sh", "-c", "exit 7"});
    }
    SECTION("the jail is taken as given: canonical or not is the run's business (exit 3)") {
        CHECK(parse_args({"jk_exec", "/srv/../j", "sh"}).jail == "/srv/../j");
        CHECK(parse_args({"jk_exec", "rel", "sh"}).jail == "rel");
    }
    SECTION("-h, --help, --version need nothing else") {
        CHECK(parse_args({"jk_exec", "-h"}).help);
        CHECK(parse_args({"jk_exec", "--help"}).help);
        CHECK(parse_args({"jk_exec", "--version"}).version);
        CHECK_FALSE(parse_args({"jk_exec", "--version"}).help);
    }
    SECTION("repeating -u with the same value is harmless") {
        CHECK(*parse_args({"jk_exec", "-u", "a", "-u", "a", "/j", "id"}).user == "a");
    }
}

TEST_CASE("jk_exec refuses bad command lines with exit 1", "[jk_exec]") {
    CHECK(usage_exit({"jk_exec"}) == 1);                                    // no jail
    CHECK(usage_exit({"jk_exec", "/j"}) == 1);                              // no command
    CHECK(usage_exit({"jk_exec", "-u", "a", "/j"}) == 1);                   // no command
    CHECK(usage_exit({"jk_exec", "", "sh"}) == 1);                          // empty jail
    CHECK(usage_exit({"jk_exec", "/j", ""}) == 1);                          // empty command
    CHECK(usage_exit({"jk_exec", "-u"}) == 1);                              // missing argument
    CHECK(usage_exit({"jk_exec", "-u", "", "/j", "id"}) == 1);              // empty user
    CHECK(usage_exit({"jk_exec", "-U", "", "/j", "id"}) == 1);              // empty user
    CHECK(usage_exit({"jk_exec", "-u", "a", "-u", "b", "/j", "id"}) == 1);  // twice, two values
    CHECK(usage_exit({"jk_exec", "-u", "a", "-U", "a", "/j", "id"}) == 1);  // jail's or host's, not both
    CHECK(usage_exit({"jk_exec", "--bogus", "/j", "id"}) == 1);
    CHECK(usage_exit({"jk_exec", "-g", "x", "/j", "id"}) == 1);  // no -g: the user's groups
    CHECK(usage_exit({"jk_exec", "-j", "/j", "id"}) == 1);       // JAIL is an operand, not -j
    CHECK(usage_exit({"jk_exec", "--version=1"}) == 1);
}
