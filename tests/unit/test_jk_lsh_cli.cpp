#include <string>
#include <vector>

#include "catch.hpp"
#include "jk_lsh/cli.hpp"

using jk_lsh::Options;
using jk_lsh::parse_args;
using Args = std::vector<std::string>;
using Mode = Options::Mode;

TEST_CASE("jk_lsh runs the argument after -c, ignoring what comes before", "[jk_lsh]") {
    Options o = parse_args({"jk_lsh", "-c", "ls -l"});
    CHECK(o.mode == Mode::command);
    CHECK(o.command == "ls -l");
    o = parse_args({"-jk_lsh", "--login", "-c", "id"});
    CHECK(o.mode == Mode::command);
    CHECK(o.command == "id");
    o = parse_args({"jk_lsh", "x", "y", "-c", ""});
    CHECK(o.mode == Mode::command);
    CHECK(o.command.empty());
    // The command may itself look like an option.
    o = parse_args({"jk_lsh", "-c", "--help"});
    CHECK(o.mode == Mode::command);
    CHECK(o.command == "--help");
    o = parse_args({"jk_lsh", "-c", "-c"});
    CHECK(o.mode == Mode::command);
    CHECK(o.command == "-c");
}

TEST_CASE("jk_lsh without '-c CMD' at the end is an interactive session", "[jk_lsh]") {
    for (const Args& a : {Args{"jk_lsh"}, Args{"-jk_lsh"}, Args{"jk_lsh", "-c"}, Args{"jk_lsh", "-c", "ls", "x"},
                          Args{"jk_lsh", "--login"}, Args{"jk_lsh", "ls"}, Args{"jk_lsh", "--help", "x"},
                          Args{"jk_lsh", "-C", "ls"}, Args{}}) {
        CHECK(parse_args(a).mode == Mode::interactive);
    }
}

TEST_CASE("jk_lsh --help and --version only as the sole argument", "[jk_lsh]") {
    CHECK(parse_args({"jk_lsh", "--help"}).mode == Mode::help);
    CHECK(parse_args({"jk_lsh", "--version"}).mode == Mode::version);
    CHECK(parse_args({"jk_lsh", "--version", "--help"}).mode == Mode::interactive);
    CHECK(parse_args({"jk_lsh", "-h"}).mode == Mode::interactive);
    CHECK(std::string(jk_lsh::usage_text()).find("-c COMMAND") != std::string::npos);
    CHECK(std::string(jk_lsh::config_path) == "/etc/jailkit/jk_lsh.ini");
}
