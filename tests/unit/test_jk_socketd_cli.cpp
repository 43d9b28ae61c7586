#include "catch.hpp"
#include "jk/error.hpp"
#include "jk_socketd/cli.hpp"
#include "tests/unit/cli_support.hpp"

using jk::test::Args;
using jk_socketd::parse_args;

namespace {
int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}
}  // namespace

TEST_CASE("jk_socketd: jailkit's options", "[jk_socketd]") {
    SECTION("defaults") {
        auto o = parse_args({"jk_socketd"});
        CHECK_FALSE(o.nodetach);
        CHECK(o.pidfile.empty());
        CHECK(o.socket.empty());
        CHECK(o.target == "/dev/log");
        CHECK(o.user.empty());
        CHECK_FALSE(o.base);
    }
    SECTION("-n, -p") {
        auto o = parse_args({"jk_socketd", "-n", "-p", "/run/x.pid"});
        CHECK(o.nodetach);
        CHECK(o.pidfile == "/run/x.pid");
        CHECK(parse_args({"jk_socketd", "--nodetach", "--pidfile=/p"}).pidfile == "/p");
    }
    SECTION("--socket with --base, --peak/--peek, --interval") {
        auto o = parse_args({"jk_socketd", "--socket=/j/dev/log", "--base=100", "--peek", "300", "--interval=0.5"});
        CHECK(o.socket == "/j/dev/log");
        CHECK(o.base == 100.0);
        CHECK(o.peak == 300.0);
        CHECK(o.interval == 0.5);
        CHECK(parse_args({"jk_socketd", "--socket=/s", "--peak=400"}).peak == 400.0);
    }
    SECTION("ours: --target, --user") {
        auto o = parse_args({"jk_socketd", "--target=/run/systemd/journal/dev-log", "--user=syslog"});
        CHECK(o.target == "/run/systemd/journal/dev-log");
        CHECK(o.user == "syslog");
    }
    SECTION("-h, --version") {
        CHECK(parse_args({"jk_socketd", "-h"}).help);
        CHECK(parse_args({"jk_socketd", "--help"}).help);
        CHECK(parse_args({"jk_socketd", "--version"}).version);
    }
}

TEST_CASE("jk_socketd: refused command lines", "[jk_socketd]") {
    CHECK(usage_exit({"jk_socketd", "--bogus"}) == 1);
    CHECK(usage_exit({"jk_socketd", "operand"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--base=100"}) == 1);  // without --socket
    CHECK(usage_exit({"jk_socketd", "--interval=1"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--socket=rel/log"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--socket=/a", "--socket=/b"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--socket=/a", "--base=lots"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--target=dev/log"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--user="}) == 1);
    CHECK(usage_exit({"jk_socketd", "-p"}) == 1);
    CHECK(usage_exit({"jk_socketd", "--config=/x"}) == 1);  // the ini is fixed: it runs as root
    CHECK(usage_exit({"jk_socketd", "--socket=/a", "--socket=/a"}) == -1);
}
