// jk_exec's pure rules (jk/jexec.hpp): the command's candidates inside the
// jail, the user from the jail's passwd and group, the home of a host user,
// the environment.
#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/jexec.hpp"
#include "jk/privilege.hpp"
#include "jk/users.hpp"

using namespace jk::jexec;
using Strings = std::vector<std::string>;

TEST_CASE("jk_exec's command: an absolute path inside the jail, or a name searched there", "[jk_exec]") {
    CHECK(command_candidates("/bin/sh") == Strings{"/bin/sh"});
    CHECK(command_candidates("/usr//bin/./id") == Strings{"/usr/bin/id"});
    CHECK(command_candidates("/usr/bin/../../../etc/x") == Strings{"/etc/x"});  // ".." stops at the jail's root
    CHECK(command_candidates("id") ==
          Strings{"/usr/local/bin/id", "/usr/bin/id", "/bin/id", "/usr/sbin/id", "/sbin/id"});
    CHECK_THROWS_AS(command_candidates(""), jk::Error);
    CHECK_THROWS_AS(command_candidates("bin/sh"), jk::Error);  // relative to nothing yet
    CHECK_THROWS_AS(command_candidates("./sh"), jk::Error);
    CHECK_THROWS_AS(command_candidates("."), jk::Error);
    CHECK_THROWS_AS(command_candidates(".."), jk::Error);
    CHECK_THROWS_AS(command_candidates("/"), jk::Error);
    CHECK_THROWS_AS(command_candidates("/.."), jk::Error);
    CHECK_THROWS_AS(command_candidates(std::string("s\0h", 3)), jk::Error);
}

TEST_CASE("jk_exec's user: the jail's passwd entry with the jail's groups", "[jk_exec]") {
    const auto pw = jk::users::parse_passwd(
        "root:x:0:0:root:/root:/bin/bash\n"
        "alice:x:1001:1001::/home/alice:/bin/bash\n"
        "bob:x:1002:100::/home/bob:\n"
        "nohome:x:1003:1003:::\n",
        "/j/etc/passwd");
    const auto gr = jk::users::parse_group(
        "root:x:0:\n"
        "users:x:100:alice,bob\n"
        "alice:x:1001:\n"
        "web:x:33:carol,alice\n"
        "other:x:34:carol\n",
        "/j/etc/group");

    SECTION("by name: primary group first, then every group naming the user") {
        Target t = jail_target(pw, gr, "alice");
        CHECK(t.id.uid == 1001);
        CHECK(t.id.gid == 1001);
        CHECK(t.id.groups == std::vector<gid_t>{1001, 100, 33});
        CHECK(t.name == "alice");
        CHECK(t.home == "/home/alice");
        CHECK(t.shell == "/bin/bash");
    }
    SECTION("by uid, which must have an entry") {
        Target t = jail_target(pw, gr, "1002");
        CHECK(t.name == "bob");
        CHECK(t.id.groups == std::vector<gid_t>{100});  // the primary group, once
        CHECK(t.shell == "/bin/sh");                    // an empty shell
        CHECK_THROWS_AS(jail_target(pw, gr, "4242"), jk::Error);
    }
    SECTION("root by name: its own groups, none of a caller's") {
        Target t = jail_target(pw, gr, "root");
        CHECK(t.id.uid == 0);
        CHECK(t.id.groups == std::vector<gid_t>{0});
    }
    SECTION("an empty home is the jail's root") {
        CHECK(jail_target(pw, gr, "nohome").home == "/");
    }
    SECTION("unknown, negative or out-of-range users are refused") {
        CHECK_THROWS_AS(jail_target(pw, gr, "mallory"), jk::Error);
        CHECK_THROWS_AS(jail_target(pw, gr, "-1"), jk::Error);
        CHECK_THROWS_AS(jail_target(pw, gr, "4294967295"), jk::Error);
    }
    SECTION("without -u: root, group 0 alone, the jail's passwd not needed") {
        Target t = default_target();
        CHECK(t.id.uid == 0);
        CHECK(t.id.gid == 0);
        CHECK(t.id.groups == std::vector<gid_t>{0});
        CHECK(t.home == "/root");
    }
}

TEST_CASE("jk_exec -U: a host home as seen inside the jail", "[jk_exec]") {
    CHECK(home_inside("/srv/j", "/srv/j/./home/alice") == "/home/alice");
    CHECK(home_inside("/srv/j", "/srv/j/./") == "/");
    CHECK(home_inside("/srv/j", "/srv/other/./home/alice") == "/");  // another jail's
    CHECK(home_inside("/srv/j", "/home/alice") == "/home/alice");
    CHECK(home_inside("/srv/j", "") == "/");
    CHECK(home_inside("/srv/j", "relative") == "/");
}

TEST_CASE("jk_exec's environment: built from scratch", "[jk_exec]") {
    jk::privilege::CallerEnvironment caller({"TERM=xterm", "LANG=../../etc/shadow", "LANG=C.UTF-8", "LD_PRELOAD=/x.so",
                                             "PATH=/evil", "HOME=/nope", "BASH_ENV=/x"});
    Target t;
    t.name = "alice";
    t.home = "/home/alice";
    t.shell = "/bin/bash";
    const Strings env = environment(caller, t);
    CHECK(env == Strings{"HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/bash",
                         "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "TERM=xterm", "LANG=C.UTF-8"});
    t.name.clear();
    const Strings anon = environment(jk::privilege::CallerEnvironment(), t);
    CHECK(std::none_of(anon.begin(), anon.end(), [](const std::string& e) { return e.rfind("USER=", 0) == 0; }));
}
