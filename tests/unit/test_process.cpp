#include <unistd.h>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/process.hpp"
#include "jk/search_path.hpp"

TEST_CASE("process::run passes argv without a shell", "[process]") {
    // A shell would expand these; run() must hand them over byte for byte.
    auto out = jk::process::run({"/bin/echo", "a;touch /tmp/x", "$(id)", "*"});
    CHECK(out.status == 0);
    CHECK(out.output == "a;touch /tmp/x $(id) *\n");
}

TEST_CASE("process::run reports exit status, signals and a clean environment", "[process]") {
    CHECK(jk::process::run({"/bin/sh", "-c", "exit 7"}).status == 7);
    CHECK(jk::process::run({"/bin/sh", "-c", "kill -9 $$"}).status == 128 + 9);
    CHECK(jk::process::run({"/bin/sh", "-c", "echo err >&2"}).output == "err\n");
    ::setenv("JK_SECRET_TEST_VAR", "leak", 1);
    CHECK(jk::process::run({"/usr/bin/env"}).output.find("JK_SECRET_TEST_VAR") == std::string::npos);
    CHECK(jk::process::run({"/nonexistent/program"}).status == 127);
    CHECK_THROWS_AS(jk::process::run({"relative"}), jk::Error);
}

TEST_CASE("find_program takes the first executable candidate", "[process]") {
    CHECK(jk::process::find_program({"/nonexistent/ldconfig", "/bin/sh"}, "sh") == "/bin/sh");
    CHECK_THROWS_WITH(jk::process::find_program({"/nonexistent/a"}, "a tool"), "cannot find a tool");
}

TEST_CASE("search_path locates names the way jailkit does", "[process]") {
    ::setenv("PATH", "relative/dir::/nonexistent:/bin", 1);
    CHECK(jk::search_path::locate("sh") == std::optional<std::string>("/bin/sh"));
    CHECK(jk::search_path::locate("/bin/sh") == std::optional<std::string>("/bin/sh"));
    CHECK_FALSE(jk::search_path::locate("no-such-program-jk"));
    CHECK_FALSE(jk::search_path::locate(""));
    REQUIRE(::chdir("/") == 0);
    CHECK(jk::search_path::locate("bin/sh") == std::optional<std::string>("/bin/sh"));
}
