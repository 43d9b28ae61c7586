#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_cp/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_cp::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_cp accepts jailkit's and panels' command lines", "[jk_cp]") {
    SECTION("-j before files") {
        auto o = parse_args({"jk_cp", "-k", "-f", "-j", "/srv/j", "/bin/ls", "/bin/id"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.files == Args{"/bin/ls", "/bin/id"});
        CHECK(o.hardlink);
        CHECK(o.force);
    }
    SECTION("positional jail (ISPConfig 3.1)") {
        auto o = parse_args({"jk_cp", "/srv/j", "/bin/ls"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.files == Args{"/bin/ls"});
    }
    SECTION("--jail=J and --jail J") {
        CHECK(parse_args({"jk_cp", "--jail=/srv/j", "ls"}).jail == "/srv/j");
        CHECK(parse_args({"jk_cp", "--jail", "/srv/j", "ls"}).files == Args{"ls"});
    }
    SECTION("options after files") {
        auto o = parse_args({"jk_cp", "-j", "/srv/j", "ls", "-v", "id", "-o"});
        CHECK(o.files == Args{"ls", "id"});
        CHECK(o.verbose);
        CHECK(o.keep_owner);
    }
    SECTION("-s implies keeping the owner") {
        auto o = parse_args({"jk_cp", "-s", "-j", "/j", "su"});
        CHECK(o.keep_setuid);
        CHECK(o.keep_owner);
    }
    SECTION("'--' ends options") {
        auto o = parse_args({"jk_cp", "-j", "/j", "--", "-odd-name"});
        CHECK(o.files == Args{"-odd-name"});
    }
    SECTION("help and version") {
        CHECK(parse_args({"jk_cp", "-h"}).help);
        CHECK(parse_args({"jk_cp", "-?"}).help);
        CHECK(parse_args({"jk_cp", "--help"}).help);
        CHECK(parse_args({"jk_cp", "--version"}).version);
    }
}

TEST_CASE("jk_cp refuses bad command lines with jailkit's exit codes", "[jk_cp]") {
    CHECK(usage_exit({"jk_cp", "-x", "-j", "/j", "ls"}) == 1);
    CHECK(usage_exit({"jk_cp", "--bogus", "/j", "ls"}) == 1);
    CHECK(usage_exit({"jk_cp", "-j"}) == 1);
    CHECK(usage_exit({"jk_cp", "-j", "/a", "-j", "/b", "ls"}) == 1);
    CHECK(usage_exit({"jk_cp"}) == 2);
    CHECK(usage_exit({"jk_cp", "-j", "/j"}) == 2);
    CHECK(usage_exit({"jk_cp", "/j"}) == 2);
    CHECK(usage_exit({"jk_cp", "-v", "-f"}) == 2);
}

TEST_CASE("jk_cp keeps a 10 kB argument whole", "[jk_cp]") {
    std::string big(10000, 'a');
    auto o = parse_args({"jk_cp", "-j", "/j", "/" + big});
    CHECK(o.files.front().size() == 10001);
}
