#include <cerrno>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/main.hpp"

TEST_CASE("SysError names the action, the path and errno", "[error]") {
    jk::SysError e("cannot open", "/etc/x", ENOENT);
    CHECK(std::string(e.what()) == "cannot open '/etc/x': No such file or directory");
    CHECK(e.err() == ENOENT);
    CHECK(e.exit_code() == 1);
}

TEST_CASE("ConfigError names file and line", "[error]") {
    CHECK(std::string(jk::ConfigError("/etc/jailkit/x.ini", 12, "bad value").what()) ==
          "/etc/jailkit/x.ini:12: bad value");
    CHECK(std::string(jk::ConfigError("/etc/jailkit/x.ini", 0, "not owned by root").what()) ==
          "/etc/jailkit/x.ini: not owned by root");
}

TEST_CASE("quoted escapes control characters so messages cannot forge lines", "[error]") {
    CHECK(jk::quoted("a b") == "'a b'");
    CHECK(jk::quoted("evil\nroot: ok\x1b[2J") == "'evil\\x0aroot: ok\\x1b[2J'");
}

TEST_CASE("run_main maps errors to exit codes", "[error]") {
    CHECK(jk::run_main("/usr/sbin/jk_x", [] { return 0; }) == 0);
    CHECK(std::string(jk::program_name()) == "jk_x");
    CHECK(jk::run_main("jk_x", []() -> int { throw jk::UsageError("bad"); }) == 1);
    CHECK(jk::run_main("jk_x", []() -> int { throw jk::UsageError("no jail", 2); }) == 2);
    CHECK(jk::run_main("jk_x", []() -> int { throw jk::Error("unsafe", 6); }) == 6);
    CHECK(jk::run_main("jk_x", []() -> int { throw std::runtime_error("x"); }) == 1);
    CHECK(jk::run_main("jk_x", []() -> int { throw std::bad_alloc(); }) == 1);
}
