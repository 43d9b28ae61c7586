#include "catch.hpp"
#include "jk/path.hpp"
#include "jk/text.hpp"

TEST_CASE("printable keeps a log line one line and says what it cut", "[text]") {
    CHECK(jk::text::printable("a\nb\tc\x01") == "a\\nb\\tc\\x01");
    CHECK(jk::text::printable("\x1b[2J\x7f\xff") == "\\x1b[2J\\x7f\\xff");
    CHECK(jk::text::printable(std::string(10, 'x'), 4) == "xxxx...(6 more bytes)");
    CHECK(jk::text::printable("plain") == "plain");
    CHECK(jk::text::printable("") == "");
}

TEST_CASE("trim drops every kind of blank at both ends only", "[text]") {
    CHECK(jk::text::trim(" \t\r\n\v\fa b\r\n") == "a b");
    CHECK(jk::text::trim("   ").empty());
    CHECK(jk::text::trim("x") == "x");
}

TEST_CASE("dirname and basename as dirname(1) and basename(1) for paths without trailing slash", "[text][path]") {
    CHECK(jk::path::dirname("/usr/bin/true") == "/usr/bin");
    CHECK(jk::path::dirname("/true") == "/");
    CHECK(jk::path::dirname("true") == ".");
    CHECK(jk::path::dirname("a/b") == "a");
    CHECK(jk::path::basename("/usr/bin/true") == "true");
    CHECK(jk::path::basename("true") == "true");
    CHECK(jk::path::basename("/") == "");
}
