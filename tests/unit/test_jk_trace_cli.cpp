#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_trace/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_trace::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_trace's command line", "[jk_trace]") {
    SECTION("the issue's synopsis") {
        auto o = parse_args({"jk_trace", "-j", "/srv/j", "-u", "web", "--host", "--test", "curl x", "--test", "b",
                             "--rounds", "4", "--write-section", "py:/etc/jailkit/jk_init.ini", "--", "/usr/bin/p",
                             "-x", "--help"});
        CHECK(o.trace.jail == "/srv/j");
        CHECK(o.trace.user == "web");
        CHECK(o.trace.host);
        CHECK(o.trace.tests == Args{"curl x", "b"});
        CHECK(o.trace.rounds == 4);
        CHECK(o.section == "py");
        CHECK(o.section_file == "/etc/jailkit/jk_init.ini");
        CHECK(o.trace.command == Args{"/usr/bin/p", "-x", "--help"});
        CHECK_FALSE(o.help);
    }
    SECTION("defaults") {
        auto o = parse_args({"jk_trace", "-j", "/srv/j", "p"});
        CHECK_FALSE(o.trace.user);
        CHECK(o.trace.rounds == 10);
        CHECK(o.trace.timeout == 30);
        CHECK(o.trace.max_procs == 256);
        CHECK_FALSE(o.section);
        CHECK_FALSE(o.trace.dry_run);
    }
    SECTION("the other options") {
        auto o = parse_args({"jk_trace", "-j/srv/j", "--test-outside=curl -s x", "--wait=0.5", "--timeout", "5",
                             "--max-procs=20", "--deny", "/etc/x", "-n", "-v", "--write-section", "s", "--", "p"});
        CHECK(o.trace.tests_outside == Args{"curl -s x"});
        CHECK(o.trace.wait == 0.5);
        CHECK(o.trace.timeout == 5);
        CHECK(o.trace.max_procs == 20);
        CHECK(o.trace.deny == Args{"/etc/x"});
        CHECK(o.trace.dry_run);
        CHECK(o.trace.verbose);
        CHECK(o.section == "s");
        CHECK_FALSE(o.section_file);
    }
    SECTION("--help and --version need nothing else") {
        CHECK(parse_args({"jk_trace", "--help"}).help);
        CHECK(parse_args({"jk_trace", "--version"}).version);
    }
    SECTION("refused") {
        CHECK(usage_exit({"jk_trace", "p"}) == 1);                       // no jail
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j"}) == 1);            // no program
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--", ""}) == 1);  // empty program
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--rounds", "0", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--rounds", "x", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--timeout", "-1", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--max-procs", "1", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--deny", "etc", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--write-section", "a b", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--write-section", "a:rel.ini", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--test", "", "p"}) == 1);
        CHECK(usage_exit({"jk_trace", "-j", "/srv/j", "--bogus", "p"}) == 1);
    }
}
