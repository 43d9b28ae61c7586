#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/isolation.hpp"
#include "jk/thin_plan.hpp"
#include "tmpjail.hpp"

using jk::thin::Place;
using Strings = std::vector<std::string>;

TEST_CASE("place_of: the system is bound, /etc copied, the rest bound on its own", "[thin]") {
    using jk::thin::place_of;
    CHECK(place_of("/usr/bin/bash") == Place::system);
    CHECK(place_of("/usr") == Place::system);
    CHECK(place_of("/lib64/ld-linux-x86-64.so.2") == Place::system);
    CHECK(place_of("/bin/sh") == Place::system);
    CHECK(place_of("/etc/passwd") == Place::copy);
    CHECK(place_of("/etc") == Place::copy);
    CHECK(place_of("/dev/null") == Place::copy);
    CHECK(place_of("/home/x/.profile") == Place::copy);
    CHECK(place_of("/opt/foo") == Place::bind);
    CHECK(place_of("/var/lib/x") == Place::bind);
    SECTION("whole components only") {
        CHECK(place_of("/usrlocal/x") == Place::bind);
        CHECK(place_of("/etcetera") == Place::bind);
        CHECK(place_of("/library") == Place::bind);
    }
}

TEST_CASE("tidy_binds: sorted, once, nothing below another bind", "[thin]") {
    CHECK(jk::thin::tidy_binds({"/usr", "/opt/a/b", "/etc/ld.so.cache", "/opt/a", "/usr", "/opt/ab"}) ==
          Strings{"/etc/ld.so.cache", "/opt/a", "/opt/ab", "/usr"});
    CHECK(jk::thin::tidy_binds({}).empty());
    // "/opt/a-x" sorts between "/opt/a" and "/opt/a/b": both still go.
    CHECK(jk::thin::tidy_binds({"/opt/a/b", "/opt/a-x", "/opt/a"}) == Strings{"/opt/a", "/opt/a-x"});
}

TEST_CASE("set_section: [thin] written, every other line kept byte for byte", "[thin]") {
    using jk::thin::set_section;
    const Strings binds{"/etc/ld.so.cache", "/usr"};
    const std::string thin = "[thin]\nro_binds = /etc/ld.so.cache, /usr\n";
    SECTION("a new file") {
        CHECK(set_section("", binds) == thin);
    }
    SECTION("appended after the admin's sections") {
        const std::string admin = "# web1\n[isolation]\nisolate = recommended\n\n[limits]\nnproc  =  64   \n";
        CHECK(set_section(admin, binds) == admin + "\n" + thin);
        SECTION("a last line without a line break gets one") {
            CHECK(set_section("[limits]\nnproc = 64", binds) == "[limits]\nnproc = 64\n\n" + thin);
        }
    }
    SECTION("replaced in place; the next section's comment stays with it") {
        const std::string before = "[isolation]\r\nisolate = none\r\n\n";
        const std::string after = "\n; the limits\n[limits]\nnproc = 64\n";
        const std::string text = before + "[thin]\nro_binds = /usr,\n  /opt/old\n# about thin\n" + after;
        CHECK(set_section(text, binds) == before + thin + "# about thin\n" + after);
    }
    SECTION("idempotent") {
        const std::string once = set_section("[isolation]\nisolate = none\n", binds);
        CHECK(set_section(once, binds) == once);
    }
    SECTION("the header as the parser reads it") {
        CHECK(set_section("  [ thin ]  ; ours\nro_binds = /x\n", binds) == thin);
        // An indented "[thin]" after a key continues that key's value.
        const std::string cont = "[isolation]\nnote = a\n  [thin]\n";
        CHECK(set_section(cont, binds) == cont + "\n" + thin);
    }
}

TEST_CASE("remove_section undoes set_section", "[thin]") {
    using jk::thin::remove_section;
    const Strings binds{"/usr"};
    CHECK_FALSE(remove_section("[isolation]\nisolate = none\n").has_value());
    const std::string admin = "[isolation]\nisolate = recommended\n";
    CHECK(remove_section(jk::thin::set_section(admin, binds)) == admin);
    CHECK(remove_section("[thin]\nro_binds = /usr\n") == "");
    CHECK(remove_section("[thin]\nro_binds = /usr\n\n[limits]\nnproc = 5\n") == "\n[limits]\nnproc = 5\n");
    CHECK_FALSE(jk::thin::has_any_section(*remove_section("# mine\n[thin]\nro_binds = /usr\n")));
    CHECK(jk::thin::has_any_section(admin));
    CHECK(jk::thin::has_section("[thin]\nro_binds = /usr\n"));
    CHECK_FALSE(jk::thin::has_section("[thinner]\n"));
}

TEST_CASE("what set_section writes, the entry reads back", "[thin]") {
    const std::string text = jk::thin::set_section("[limits]\nnproc = 64\n", {"/etc/ld.so.cache", "/usr"});
    const auto p = jk::isolation::parse_policy(text, "t.ini", "/srv/j");
    CHECK(p.ro_binds == Strings{"/etc/ld.so.cache", "/usr"});
    CHECK(p.limits.size() == 1);
}

namespace {
std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("replace_policy: jails.d made, the file replaced and removed", "[thin][root]") {
    jk::test::TempJail conf;  // root-owned 0755: a config directory
    const std::string jail = "/srv/web1";
    const std::string file = jk::isolation::policy_path(conf.path(), jail);
    CHECK_FALSE(jk::thin::read_policy(conf.path(), jail).has_value());

    const std::string text = jk::thin::planned_policy(conf.path(), jail, {"/usr"});
    jk::thin::replace_policy(conf.path(), jail, text);
    struct stat st {};
    REQUIRE(::stat((conf / "jails.d").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_uid == 0);
    CHECK(read(file) == "[thin]\nro_binds = /usr\n");
    CHECK(jk::thin::read_policy(conf.path(), jail) == text);

    SECTION("a bind the entry would refuse is refused before anything is written") {
        CHECK_THROWS_AS(jk::thin::planned_policy(conf.path(), jail, {"/home/x"}), jk::ConfigError);
        CHECK_THROWS_AS(jk::thin::planned_policy(conf.path(), jail, {"/srv"}), jk::ConfigError);
    }
    SECTION("removed") {
        jk::thin::replace_policy(conf.path(), jail, std::nullopt);
        CHECK(::access(file.c_str(), F_OK) != 0);
        jk::thin::replace_policy(conf.path(), jail, std::nullopt);  // absent: nothing
    }
    SECTION("a group-writable file is not trusted") {
        REQUIRE(::chmod(file.c_str(), 0664) == 0);
        CHECK_THROWS_AS(jk::thin::read_policy(conf.path(), jail), jk::UnsafePath);
    }
}

TEST_CASE("make_mount_point: made and checked as the entry checks it", "[thin][root]") {
    jk::test::TempJail dir;
    jk::Jail jail = jk::Jail::open(dir.path());
    CHECK(jk::thin::make_mount_point(jail, "/usr", true));
    CHECK_FALSE(jk::thin::make_mount_point(jail, "/usr", true));
    CHECK(jk::thin::make_mount_point(jail, "/etc/ld.so.cache", false));
    struct stat st {};
    REQUIRE(::lstat((dir / "etc/ld.so.cache").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_size == 0);
    REQUIRE(::lstat((dir / "etc").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);

    SECTION("a symlinked component is refused") {
        jk::test::sh("ln -s usr " + (dir / "opt"));
        CHECK_THROWS_AS(jk::thin::make_mount_point(jail, "/opt/x", true), jk::SymlinkNotAllowed);
    }
    SECTION("a group-writable one is refused") {
        jk::test::sh("install -d -m 0775 " + (dir / "var"));
        CHECK_THROWS_AS(jk::thin::make_mount_point(jail, "/var/lib/x", true), jk::UnsafePath);
    }
}
