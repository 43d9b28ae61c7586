#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/socketd_config.hpp"

using namespace jk::socketd;

namespace {
std::vector<SocketSpec> parse(const std::string& text, std::vector<std::string>& w) {
    return sockets_from_ini(jk::config::IniFile::parse(text, "jk_socketd.ini"), w);
}
}  // namespace

TEST_CASE("socketd: jailkit's clamping", "[socketd]") {
    SECTION("values in range are kept") {
        auto s = clamp("/j/dev/log", RawLimits{512, 2048, std::nullopt, 10});
        CHECK(s.base == 512);
        CHECK(s.peak == 2048);
        CHECK(s.interval == 10.0);
    }
    SECTION("absent keys take jailkit's defaults") {
        auto s = clamp("/j/dev/log", RawLimits{});
        CHECK(s.base == 511);
        CHECK(s.peak == 2048);
        CHECK(s.interval == 5.0);
    }
    SECTION("base outside [10, 1e6] -> 511") {
        CHECK(clamp("/x", RawLimits{9, {}, {}, {}}).base == 511);
        CHECK(clamp("/x", RawLimits{10, {}, {}, {}}).base == 10);
        CHECK(clamp("/x", RawLimits{1000000, 1e7, {}, {}}).base == 1000000);
        CHECK(clamp("/x", RawLimits{1000001, {}, {}, {}}).base == 511);
        CHECK(clamp("/x", RawLimits{-5, {}, {}, {}}).base == 511);
    }
    SECTION("peak outside [100, 1e7] or below base -> peek, else 2048") {
        CHECK(clamp("/x", RawLimits{{}, 99, {}, {}}).peak == 2048);
        CHECK(clamp("/x", RawLimits{10, 100, {}, {}}).peak == 100);
        CHECK(clamp("/x", RawLimits{{}, 100, {}, {}}).peak == 2048);  // below the default base 511
        CHECK(clamp("/x", RawLimits{{}, 1e7, {}, {}}).peak == 10000000);
        CHECK(clamp("/x", RawLimits{{}, 1e7 + 1, {}, {}}).peak == 2048);
        CHECK(clamp("/x", RawLimits{{}, {}, 4096, {}}).peak == 4096);    // the old spelling
        CHECK(clamp("/x", RawLimits{{}, 5000, 4096, {}}).peak == 5000);  // peak wins
        CHECK(clamp("/x", RawLimits{{}, 50, 4096, {}}).peak == 4096);    // bad peak: peek
        CHECK(clamp("/x", RawLimits{{}, 50, 50, {}}).peak == 2048);
        // 2048 below a large base: never more permissive than base.
        CHECK(clamp("/x", RawLimits{500000, {}, {}, {}}).peak == 500000);
    }
    SECTION("interval outside [0.01, 60] -> 5") {
        CHECK(clamp("/x", RawLimits{{}, {}, {}, 0.009}).interval == 5.0);
        CHECK(clamp("/x", RawLimits{{}, {}, {}, 0.01}).interval == 0.01);
        CHECK(clamp("/x", RawLimits{{}, {}, {}, 60}).interval == 60.0);
        CHECK(clamp("/x", RawLimits{{}, {}, {}, 60.5}).interval == 5.0);
    }
}

TEST_CASE("socketd: numbers as jailkit read them, strictly", "[socketd]") {
    CHECK(parse_number("512") == 512.0);
    CHECK(parse_number(" 0.5 ") == 0.5);
    CHECK(parse_number("-3") == -3.0);
    CHECK_FALSE(parse_number(""));
    CHECK_FALSE(parse_number("abc"));
    CHECK_FALSE(parse_number("0x10"));
    CHECK_FALSE(parse_number("inf"));
    CHECK_FALSE(parse_number("nan"));
    CHECK_FALSE(parse_number("1e5"));
    CHECK_FALSE(parse_number("5 5"));
    CHECK_FALSE(parse_number("."));
}

TEST_CASE("socketd: socket paths", "[socketd]") {
    CHECK(normalize_socket_path("/j/dev/log") == "/j/dev/log");
    CHECK(normalize_socket_path("//j///dev/log/") == "/j/dev/log");
    CHECK_FALSE(normalize_socket_path("j/dev/log"));
    CHECK_FALSE(normalize_socket_path("/"));
    CHECK_FALSE(normalize_socket_path("/j/../etc/log"));
    CHECK_FALSE(normalize_socket_path("/j/./dev/log"));
    CHECK_FALSE(normalize_socket_path(""));
    std::string why;
    CHECK_FALSE(normalize_socket_path("DEFAULT", &why));
    CHECK(why == "is not an absolute path");
}

TEST_CASE("socketd: the ini as jk_init writes it", "[socketd]") {
    std::vector<std::string> w;
    auto s = parse(
        "# jk_socketd.ini\n[/home/j1/dev/log]\nbase=512\npeak=2048\ninterval=10\n"
        "; a comment\n[/home/j2/dev/log]\nbase = 100\npeek = 300\n"
        "[/home/j3/dev/log]\n",
        w);
    REQUIRE(s.size() == 3);
    CHECK(s[0] == SocketSpec{"/home/j1/dev/log", 512, 2048, 10.0});
    CHECK(s[1] == SocketSpec{"/home/j2/dev/log", 100, 300, 5.0});
    CHECK(s[2] == SocketSpec{"/home/j3/dev/log", 511, 2048, 5.0});
    CHECK(w.empty());
}

TEST_CASE("socketd: warnings for what is ignored or replaced", "[socketd]") {
    std::vector<std::string> w;
    auto s = parse(
        "[/a/dev/log]\nbase=5\ncolour=red\ninterval=fast\n"
        "[/a//dev/log/]\nbase=100\n"
        "[relative/log]\n[DEFAULT]\nbase=1\n[/b/../c]\n",
        w);
    REQUIRE(s.size() == 1);
    CHECK(s[0].base == 511);
    CHECK(s[0].interval == 5.0);
    auto has = [&](const std::string& needle) {
        for (const auto& x : w)
            if (x.find(needle) != std::string::npos) return true;
        return false;
    };
    CHECK(has("unknown key 'colour'"));
    CHECK(has("'interval' is not a number"));
    CHECK(has("'base' = 5 is out of range, using 511"));
    CHECK(has("socket /a/dev/log is configured twice"));
    CHECK(has("[relative/log] is not an absolute path"));
    CHECK(has("[DEFAULT] is not an absolute path"));
    CHECK(has("'.' or '..'"));
}

TEST_CASE("socketd: no cap on the number of sockets (jailkit stopped at 128)", "[socketd]") {
    std::string text;
    for (int i = 0; i < 10000; ++i) text += "[/jails/j" + std::to_string(i) + "/dev/log]\nbase=512\n";
    std::vector<std::string> w;
    auto s = parse(text, w);
    CHECK(s.size() == 10000);
    CHECK(w.empty());
}
