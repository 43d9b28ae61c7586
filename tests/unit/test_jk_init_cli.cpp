#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_init/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_init::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_init accepts jailkit's and panels' command lines", "[jk_init]") {
    SECTION("ISPConfig 3.1/3.2: -f -k -c FILE -j JAIL sect1 sect2") {
        auto o =
            parse_args({"jk_init", "-f", "-k", "-c", "/etc/jailkit/jk_init.ini", "-j", "/var/www/x", "sect1", "sect2"});
        CHECK(o.jail == "/var/www/x");
        CHECK(o.sections == Args{"sect1", "sect2"});
        CHECK(o.config_file == "/etc/jailkit/jk_init.ini");
        CHECK(o.force);
        CHECK(o.hardlink);
        CHECK_FALSE(o.verbose);
        CHECK_FALSE(o.strict);
    }
    SECTION("ISPConfig 3.1 retry: positional jail") {
        auto o = parse_args({"jk_init", "-f", "-k", "-c", "/etc/jailkit/jk_init.ini", "/var/www/x", "a", "b"});
        CHECK(o.jail == "/var/www/x");
        CHECK(o.sections == Args{"a", "b"});
    }
    SECTION("Virtualmin: -f -j DIR one section") {
        auto o = parse_args({"jk_init", "-f", "-j", "/home/chroot/1", "perl"});
        CHECK(o.jail == "/home/chroot/1");
        CHECK(o.sections == Args{"perl"});
        CHECK(o.config_file == "/etc/jailkit/jk_init.ini");
    }
    SECTION("HestiaCP: many sections") {
        auto o = parse_args({"jk_init", "-f", "-j", "/srv/jail/u", "extendedshell", "netutils", "ssh", "sftp", "scp",
                             "git", "php", "php8_2"});
        CHECK(o.sections.size() == 8);
    }
    SECTION("--jail=J and --jail J (broken in jailkit)") {
        CHECK(parse_args({"jk_init", "--jail=/srv/j", "s"}).jail == "/srv/j");
        auto o = parse_args({"jk_init", "--jail", "/srv/j", "s"});
        CHECK(o.jail == "/srv/j");
        CHECK(o.sections == Args{"s"});
    }
    SECTION("options after sections") {
        auto o = parse_args({"jk_init", "-j", "/srv/j", "a", "-v", "b", "--strict", "-c", "/x.ini"});
        CHECK(o.sections == Args{"a", "b"});
        CHECK(o.verbose);
        CHECK(o.strict);
        CHECK(o.config_file == "/x.ini");
    }
    SECTION("long options") {
        auto o = parse_args({"jk_init", "--verbose", "--force", "--hardlink", "--configfile=/c.ini", "--jail=/j", "s"});
        CHECK((o.verbose && o.force && o.hardlink));
        CHECK(o.config_file == "/c.ini");
    }
    SECTION("--thin") {
        auto o = parse_args({"jk_init", "--thin", "-j", "/srv/j", "basicshell"});
        CHECK(o.thin);
        CHECK(o.sections == Args{"basicshell"});
        CHECK_FALSE(parse_args({"jk_init", "-j", "/srv/j", "s"}).thin);
    }
    SECTION("\"--\" ends the options") {
        auto o = parse_args({"jk_init", "-j", "/j", "--", "-v"});
        CHECK(o.sections == Args{"-v"});
        CHECK_FALSE(o.verbose);
    }
    SECTION("-l needs neither jail nor section") {
        auto o = parse_args({"jk_init", "-l"});
        CHECK(o.list);
        CHECK(parse_args({"jk_init", "--list", "-c", "/x.ini"}).config_file == "/x.ini");
    }
    SECTION("-h, --help, --version") {
        CHECK(parse_args({"jk_init", "-h"}).help);
        CHECK(parse_args({"jk_init", "--help"}).help);
        CHECK(parse_args({"jk_init", "--version"}).version);
    }
    SECTION("the same -j twice is accepted") {
        CHECK(parse_args({"jk_init", "-j", "/j", "-j", "/j", "s"}).jail == "/j");
    }
}

TEST_CASE("jk_init refuses bad command lines with jailkit's exit codes", "[jk_init]") {
    SECTION("unknown options: exit 1") {
        CHECK(usage_exit({"jk_init", "-Z", "-j", "/j", "s"}) == 1);
        CHECK(usage_exit({"jk_init", "--no-such", "-j", "/j", "s"}) == 1);
    }
    SECTION("missing option argument: exit 1") {
        CHECK(usage_exit({"jk_init", "-j"}) == 1);
        CHECK(usage_exit({"jk_init", "s", "-c"}) == 1);
        CHECK(usage_exit({"jk_init", "-c", "", "-j", "/j", "s"}) == 1);
    }
    SECTION("conflicting duplicates: exit 1") {
        CHECK(usage_exit({"jk_init", "-j", "/a", "-j", "/b", "s"}) == 1);
        CHECK(usage_exit({"jk_init", "-c", "/a", "-c", "/b", "-j", "/j", "s"}) == 1);
    }
    SECTION("no jail or no section: exit 2") {
        CHECK(usage_exit({"jk_init"}) == 2);
        CHECK(usage_exit({"jk_init", "-j", "/j"}) == 2);
        CHECK(usage_exit({"jk_init", "/j"}) == 2);
        CHECK(usage_exit({"jk_init", "-f", "-k", "-c", "/etc/jailkit/jk_init.ini"}) == 2);
    }
}
