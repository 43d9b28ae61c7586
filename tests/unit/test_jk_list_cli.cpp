// jk_list's options: valid and invalid command lines side by side.
#include <signal.h>

#include "catch.hpp"
#include "cli_support.hpp"
#include "jk_list/cli.hpp"

using jk::test::Args;
using jk::test::usage_exit;
using jk_list::parse_args;

TEST_CASE("jk_list: no options lists everything") {
    auto o = parse_args({"jk_list"});
    CHECK_FALSE(o.wide);
    CHECK_FALSE(o.verbose);
    CHECK_FALSE(o.json);
    CHECK_FALSE(o.summary);
    CHECK(o.jails.empty());
}

TEST_CASE("jk_list: every option, short and long") {
    auto o = parse_args({"jk_list", "-w", "-v", "-s", "-j", "/srv/a", "--jail=/srv/b", "--json"});
    CHECK(o.wide);
    CHECK(o.verbose);  // jailkit handled -v but left it out of getopt (exit 1)
    CHECK(o.summary);
    CHECK(o.json);
    CHECK(o.jails == std::vector<std::string>{"/srv/a", "/srv/b"});
    auto l = parse_args({"jk_list", "--wide", "--verbose", "--summary", "--jail", "/srv/c"});
    CHECK(l.wide);
    CHECK(l.verbose);
    CHECK(l.summary);
    CHECK(l.jails == std::vector<std::string>{"/srv/c"});
    CHECK(parse_args({"jk_list", "-j/srv/d"}).jails == std::vector<std::string>{"/srv/d"});
    CHECK(parse_args({"jk_list", "-h"}).help);
    CHECK(parse_args({"jk_list", "--help"}).help);
    CHECK(parse_args({"jk_list", "--version"}).version);
}

TEST_CASE("jk_list: refused command lines exit 1") {
    auto parse = [](const Args& a) { return parse_args(a); };
    CHECK(usage_exit(parse, {"jk_list", "-j"}) == 1);        // jailkit ignored a bare -j
    CHECK(usage_exit(parse, {"jk_list", "-j", "-w"}) == 1);  // not a jail named "-w"
    CHECK(usage_exit(parse, {"jk_list", "--jail="}) == 1);
    CHECK(usage_exit(parse, {"jk_list", "-j", "relative"}) == 1);
    CHECK(usage_exit(parse, {"jk_list", "/srv/jail"}) == 1);  // no operands
    CHECK(usage_exit(parse, {"jk_list", "-x"}) == 1);
    CHECK(usage_exit(parse, {"jk_list", "--bogus"}) == 1);
    CHECK(usage_exit(parse, {"jk_list", "-w"}) == -1);
}

TEST_CASE("jk_list --kill: pkill -j, with -s naming the signal") {
    auto o = parse_args({"jk_list", "--kill", "-j", "/srv/a"});
    CHECK(o.kill);
    CHECK(o.signal == SIGTERM);
    CHECK_FALSE(o.summary);
    CHECK(parse_args({"jk_list", "--kill", "-j", "/srv/a", "-s", "KILL"}).signal == SIGKILL);
    CHECK(parse_args({"jk_list", "-s", "HUP", "--kill", "-j", "/srv/a"}).signal == SIGHUP);
    CHECK(parse_args({"jk_list", "--kill", "-j", "/srv/a", "--signal=sigusr1"}).signal == SIGUSR1);
    CHECK(parse_args({"jk_list", "--kill", "-j/srv/a", "-s9"}).signal == 9);
    CHECK(jk_list::parse_signal("term") == SIGTERM);
    CHECK_FALSE(jk_list::parse_signal("NOPE"));
    CHECK_FALSE(jk_list::parse_signal("0"));
    CHECK_FALSE(jk_list::parse_signal("99"));
    CHECK_FALSE(jk_list::parse_signal(""));

    auto parse = [](const Args& a) { return parse_args(a); };
    CHECK(usage_exit(parse, {"jk_list", "--kill"}) == 1);                                // which jail?
    CHECK(usage_exit(parse, {"jk_list", "--kill", "-j", "/srv/a", "-s", "NOPE"}) == 1);  // no such signal
    CHECK(usage_exit(parse, {"jk_list", "--kill", "-j", "/srv/a", "-s"}) == 1);          // -s needs the signal
    CHECK(usage_exit(parse, {"jk_list", "--signal=TERM"}) == 1);                         // only with --kill
    CHECK(parse_args({"jk_list", "-s"}).summary);                                        // -s without --kill
}
