#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_jailuser/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_jailuser::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_jailuser accepts jailkit's command lines and ours", "[jk_jailuser]") {
    SECTION("defaults") {
        auto o = parse_args({"jk_jailuser", "-j", "/srv/j", "alice"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.jail_given);
        CHECK(o.shell == JK_SBINDIR "/jk_lsh");
        CHECK(o.chrootsh == JK_SBINDIR "/jk_chrootsh");
        CHECK_FALSE(o.verbose);
        CHECK_FALSE(o.noninteractive);
        CHECK_FALSE(o.move);
        CHECK(o.users == Args{"alice"});
    }
    SECTION("ISPConfig: -n -s SHELL -j JAIL USER") {
        auto o = parse_args({"jk_jailuser", "-n", "-s", "/bin/bash", "-j", "/var/www/clients/client1/web1", "web1u"});
        CHECK(o.noninteractive);
        CHECK(o.shell == "/bin/bash");
        CHECK(o.jail == "/var/www/clients/client1/web1");
        CHECK(o.users == Args{"web1u"});
    }
    SECTION("i-MSCP: -m -n -s SHELL -j JAIL USER") {
        auto o = parse_args({"jk_jailuser", "-m", "-n", "-s", "/bin/bash", "-j", "/var/jail/c1", "ssh1"});
        CHECK(o.move);
        CHECK(o.noninteractive);
        CHECK(o.users == Args{"ssh1"});
    }
    SECTION("long forms, attached arguments, --nomove ignored") {
        for (const Args& a :
             {Args{"jk_jailuser", "--jail=/j", "--shell=/bin/sh", "--move", "--noninteractive", "--verbose", "u"},
              Args{"jk_jailuser", "--jail", "/j", "--shell", "/bin/sh", "-mnv", "u"},
              Args{"jk_jailuser", "-j/j", "-s/bin/sh", "-m", "-n", "-v", "--nomove", "u"}}) {
            auto o = parse_args(a);
            CHECK(o.jail == "/j");
            CHECK(o.shell == "/bin/sh");
            CHECK(o.move);
            CHECK(o.noninteractive);
            CHECK(o.verbose);
            CHECK(o.users == Args{"u"});
        }
        CHECK_FALSE(parse_args({"jk_jailuser", "--nomove", "-j", "/j", "u"}).move);
    }
    SECTION("--chrootsh sets the host shell") {
        auto o = parse_args({"jk_jailuser", "--chrootsh=/opt/jk/jk_chrootsh", "-j", "/j", "u"});
        CHECK(o.chrootsh == "/opt/jk/jk_chrootsh");
        CHECK(o.chrootsh_given);
    }
    SECTION("options after users, several users, -- ends options") {
        auto o = parse_args({"jk_jailuser", "alice", "-j", "/j", "bob", "-v"});
        CHECK(o.users == Args{"alice", "bob"});
        CHECK(o.verbose);
        CHECK(parse_args({"jk_jailuser", "-j", "/j", "--", "-v"}).users == Args{"-v"});
    }
    SECTION("names with spaces and shell characters are plain words") {
        CHECK(parse_args({"jk_jailuser", "-j", "/a b;$(x)", "u"}).jail == "/a b;$(x)");
    }
    SECTION("no -j is not a usage error: the jail is asked for (or exit 33 with -n)") {
        auto o = parse_args({"jk_jailuser", "u"});
        CHECK_FALSE(o.jail_given);
        CHECK(o.jail.empty());
    }
    SECTION("-h, -?, --help, --version need no user") {
        CHECK(parse_args({"jk_jailuser", "-h"}).help);
        CHECK(parse_args({"jk_jailuser", "-?"}).help);
        CHECK(parse_args({"jk_jailuser", "--help"}).help);
        CHECK(parse_args({"jk_jailuser", "--version"}).version);
    }
    SECTION("the same -j twice is fine") {
        CHECK(parse_args({"jk_jailuser", "-j", "/j", "-j", "/j", "u"}).jail == "/j");
    }
}

TEST_CASE("jk_jailuser refuses bad command lines", "[jk_jailuser]") {
    // jailkit: no user name is exit 2 (usage); getopt errors exit 1.
    CHECK(usage_exit({"jk_jailuser"}) == 2);
    CHECK(usage_exit({"jk_jailuser", "-j", "/j"}) == 2);
    CHECK(usage_exit({"jk_jailuser", "-n", "-m", "-j", "/j", "--"}) == 2);
    CHECK(usage_exit({"jk_jailuser", "-x", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "--bogus", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "u", "-j"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "u", "-s"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-j", "", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-j", "/a", "-j", "/b", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-s", "bash", "-j", "/j", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-s", "", "-j", "/j", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-s", "/bin/sh", "-s", "/bin/bash", "-j", "/j", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "--chrootsh=jk_chrootsh", "-j", "/j", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "--chrootsh", "-j", "/j", "u"}) == 1);  // "-j" is not absolute
    CHECK(usage_exit({"jk_jailuser", "--move=yes", "-j", "/j", "u"}) == 1);
    CHECK(usage_exit({"jk_jailuser", "-j", "/j", ""}) == 1);
}
