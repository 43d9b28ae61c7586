// jk_procmailwrapper takes procmail's arguments: only a lone --help or
// --version is its own.
#include "catch.hpp"
#include "jk_procmailwrapper/cli.hpp"

using jk_procmailwrapper::Action;
using jk_procmailwrapper::parse_action;

TEST_CASE("jk_procmailwrapper answers only a lone --help or --version") {
    CHECK(parse_action({"jk_procmailwrapper", "--help"}) == Action::help);
    CHECK(parse_action({"jk_procmailwrapper", "--version"}) == Action::version);
    CHECK(parse_action({"/usr/bin/jk_procmailwrapper", "--version"}) == Action::version);
}

TEST_CASE("everything else is procmail's") {
    CHECK(parse_action({"jk_procmailwrapper"}) == Action::deliver);
    CHECK(parse_action({"jk_procmailwrapper", "-a", "--help"}) == Action::deliver);
    CHECK(parse_action({"jk_procmailwrapper", "--version", "x"}) == Action::deliver);
    CHECK(parse_action({"jk_procmailwrapper", "-d", "alice"}) == Action::deliver);
    CHECK(parse_action({"jk_procmailwrapper", "--vers"}) == Action::deliver);
    CHECK(parse_action({"jk_procmailwrapper", "-h"}) == Action::deliver);
    CHECK(parse_action({}) == Action::deliver);
}
