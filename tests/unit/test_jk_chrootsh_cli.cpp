// jk_chrootsh takes no options: only a lone --help or --version is its own.
#include "catch.hpp"
#include "jk_chrootsh/cli.hpp"

using jk_chrootsh::Action;
using jk_chrootsh::parse_action;

TEST_CASE("jk_chrootsh answers only a lone --help or --version") {
    CHECK(parse_action({"jk_chrootsh", "--help"}) == Action::help);
    CHECK(parse_action({"jk_chrootsh", "--version"}) == Action::version);
    CHECK(parse_action({"-jk_chrootsh", "--version"}) == Action::version);
}

TEST_CASE("everything else is the shell's") {
    CHECK(parse_action({"jk_chrootsh"}) == Action::login);
    CHECK(parse_action({"-jk_chrootsh"}) == Action::login);
    CHECK(parse_action({"jk_chrootsh", "-c", "--version"}) == Action::login);
    CHECK(parse_action({"jk_chrootsh", "--version", "x"}) == Action::login);
    CHECK(parse_action({"jk_chrootsh", "-c", "sftp-server"}) == Action::login);
    CHECK(parse_action({"jk_chrootsh", "--he"}) == Action::login);
    CHECK(parse_action({}) == Action::login);
}
