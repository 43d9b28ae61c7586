#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/manifest.hpp"
#include "tests/unit/tmpjail.hpp"

namespace mf = jk::manifest;
using jk::test::sh;
using jk::test::TempJail;

TEST_CASE("manifest text round-trips, hostile names included", "[manifest]") {
    mf::Manifest m;
    mf::Entry a{"/usr/bin/bash", 'f', "/usr/bin/bash", 1234, 1700000000123456789LL, 42, 1700000001000000000LL};
    mf::Entry b{"/odd/na\tme\n%41", 'l', "/odd/na\tme\n%41", 7, 1, 2, 3};
    m.entries[a.path] = a;
    m.entries[b.path] = b;
    const std::string text = mf::render(m);
    CHECK(text.find("na%09me%0A%2541") != std::string::npos);
    mf::Manifest back = mf::parse(text, "m");
    REQUIRE(back.entries.size() == 2);
    CHECK(back.entries.at("/odd/na\tme\n%41").source == b.source);
    CHECK(back.entries.at("/usr/bin/bash").mtime_ns == a.mtime_ns);
    CHECK(back.entries.at("/usr/bin/bash").ino == 42);
}

TEST_CASE("malformed manifests are refused with file and line", "[manifest]") {
    const std::string h = "# jailkit-ng manifest 1\n";
    CHECK_THROWS_WITH(mf::parse("garbage\n", "m"), Catch::Contains("m:1:"));
    CHECK_THROWS_WITH(mf::parse(h + "/a\tf\t/a\t1\t2\t3\n", "m"), Catch::Contains("m:2: expected 7"));
    CHECK_THROWS_WITH(mf::parse(h + "/a\tz\t/a\t1\t2\t3\t4\n", "m"), Catch::Contains("bad entry type"));
    CHECK_THROWS_WITH(mf::parse(h + "/a\tf\t/a\tx\t2\t3\t4\n", "m"), Catch::Contains("bad number"));
    CHECK_THROWS_WITH(mf::parse(h + "/a\tf\t/a\t99999999999999999999\t2\t3\t4\n", "m"), Catch::Contains("bad number"));
    CHECK_THROWS_WITH(mf::parse(h + "a\tf\ta\t1\t2\t3\t4\n", "m"), Catch::Contains("not absolute"));
    CHECK_THROWS_WITH(mf::parse(h + "/a%4\tf\t/a\t1\t2\t3\t4\n", "m"), Catch::Contains("%-escape"));
    CHECK_THROWS_WITH(mf::parse(h + "/a%zz\tf\t/a\t1\t2\t3\t4\n", "m"), Catch::Contains("%-escape"));
    CHECK(mf::parse(h, "m").entries.empty());
}

TEST_CASE("install records what it put in the jail, and nothing it skipped", "[manifest][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host && echo x > " + t / "host/f && ln -s f " + t / "host/l");
    jk::Jail jail = jk::Jail::open(t / "j");
    jk::copy::Planner planner({},
                              [](const std::string&, std::vector<std::string>&) { return std::vector<std::string>{}; });
    planner.add(t / "host/l");
    jk::copy::install(planner.take(), jail, {}, [](const std::string&) {});
    mf::Manifest m = mf::load(jail);
    REQUIRE(m.entries.count(t / "host/f"));
    CHECK(m.entries.at(t / "host/f").type == 'f');
    CHECK(m.entries.at(t / "host/l").type == 'l');
    struct stat st {};
    REQUIRE(::lstat((t / "j" + t / "host/f").c_str(), &st) == 0);
    CHECK(m.entries.at(t / "host/f").ino == st.st_ino);
    CHECK(m.entries.at(t / "host/f").ctime_ns == st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec);
    REQUIRE(::lstat((t / "j/etc/jailkit/jk_manifest").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);

    SECTION("a manifest a user could write is not trusted") {
        sh("chmod 666 " + t / "j/etc/jailkit/jk_manifest");
        CHECK_THROWS_AS(mf::load(jail), jk::ConfigError);
    }
}
