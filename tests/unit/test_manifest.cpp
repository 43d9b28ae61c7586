#include <sys/stat.h>

#include "catch.hpp"
#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/inventory.hpp"
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
    jk::copy::Planner planner({}, [](const std::string&, std::vector<std::string>&, std::vector<std::string>&) {
        return std::vector<std::string>{};
    });
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

// jk/inventory.hpp: ownership and currency, the decisions jk_check and
// jk_update share (issue 11).
namespace {

jk::inventory::Observed seen(mode_t type, long long size, long long mtime, unsigned long long ino, long long ctime,
                             unsigned long long dev = 1) {
    jk::inventory::Observed o;
    o.type = type;
    o.size = size;
    o.mtime_ns = mtime;
    o.ino = ino;
    o.ctime_ns = ctime;
    o.dev = dev;
    return o;
}

}  // namespace

TEST_CASE("inventory: the manifest proves an entry only while it is the one installed", "[manifest]") {
    using jk::inventory::proves_installed;
    mf::Entry f{"/usr/bin/x", 'f', "/usr/bin/x", 10, 100, 7, 5};
    CHECK(proves_installed(f, seen(S_IFREG, 10, 100, 7, 5)));
    CHECK_FALSE(proves_installed(f, seen(S_IFREG, 10, 100, 8, 5)));  // another file in its place
    CHECK_FALSE(proves_installed(f, seen(S_IFREG, 10, 100, 7, 6)));  // written, chmod'ed, touched
    CHECK_FALSE(proves_installed(f, seen(S_IFLNK, 10, 100, 7, 5)));  // a link with the same numbers
    mf::Entry d{"/usr", 'd', "/usr", 0, 0, 3, 1};
    CHECK(proves_installed(d, seen(S_IFDIR, 4096, 9, 3, 99)));  // entries added since: ctime moved
    CHECK_FALSE(proves_installed(d, seen(S_IFDIR, 4096, 9, 4, 1)));
    mf::Entry h{"/usr/bin/y", 'h', "/usr/bin/y", 10, 100, 7, 5};
    CHECK(proves_installed(h, seen(S_IFREG, 10, 100, 7, 66)));  // the host renamed a new version over its name
    CHECK_FALSE(proves_installed(h, seen(S_IFREG, 10, 101, 7, 66)));
    // Being replaced by jk_update when it stopped: ours in either version.
    mf::Entry r{"/usr/bin/z", 'f', "/usr/bin/z", 10, 100, mf::replacing, 0};
    CHECK(proves_installed(r, seen(S_IFREG, 12, 300, 12345, 777)));
    CHECK_FALSE(proves_installed(r, seen(S_IFLNK, 12, 300, 12345, 777)));
    mf::Entry l{"/lib64", 'l', "/lib64", 7, 1, 9, 2};
    CHECK(proves_installed(l, seen(S_IFLNK, 7, 1, 9, 2)));
    CHECK_FALSE(proves_installed(l, seen(S_IFLNK, 7, 1, 9, 3)));
}

TEST_CASE("inventory: one currency decision for jk_check and jk_update", "[manifest]") {
    using jk::inventory::compare;
    using jk::inventory::Sameness;
    mf::Entry f{"/usr/bin/x", 'f', "/usr/bin/x", 10, 100, 7, 5};
    const auto host = seen(S_IFREG, 10, 100, 99, 50);
    CHECK(compare(seen(S_IFREG, 10, 100, 7, 5), host, &f) == Sameness::same);                // proven copy
    CHECK(compare(seen(S_IFREG, 10, 100, 7, 6), host, &f) == Sameness::compare_bytes);       // not proven
    CHECK(compare(seen(S_IFREG, 10, 100, 7, 5), host, nullptr) == Sameness::compare_bytes);  // not listed
    CHECK(compare(seen(S_IFREG, 10, 100, 7, 5), seen(S_IFREG, 10, 200, 99, 50), &f) == Sameness::compare_bytes);
    CHECK(compare(seen(S_IFREG, 11, 100, 7, 5), host, nullptr) == Sameness::other_size);
    CHECK(compare(seen(S_IFREG, 10, 1, 99, 3), host, nullptr) == Sameness::same);              // a hardlink of it
    CHECK(compare(seen(S_IFREG, 10, 1, 99, 3, 2), host, nullptr) == Sameness::compare_bytes);  // other device
    CHECK(compare(seen(S_IFLNK, 1, 1, 1, 1), host, nullptr) == Sameness::other_type);
    CHECK(compare(seen(S_IFREG, 1, 1, 1, 1), seen(S_IFDIR, 1, 1, 1, 1), nullptr) == Sameness::other_type);
    auto a = seen(S_IFLNK, 1, 1, 1, 1), b = seen(S_IFLNK, 1, 1, 2, 2);
    a.link_target = "x";
    b.link_target = "x";
    CHECK(compare(a, b, nullptr) == Sameness::same);
    b.link_target = "y";
    CHECK(compare(a, b, nullptr) == Sameness::other_target);
    CHECK(compare(seen(S_IFCHR, 0, 1, 1, 1), seen(S_IFCHR, 0, 2, 2, 2), nullptr) == Sameness::same);
    // An entry jk_update was replacing when killed may hold either version:
    // the recorded size and mtime prove nothing, the bytes decide.
    mf::Entry r{"/usr/bin/x", 'f', "/usr/bin/x", 10, 100, mf::replacing, 0};
    CHECK(compare(seen(S_IFREG, 10, 200, 7, 5), host, &r) == Sameness::compare_bytes);
}

TEST_CASE("inventory: the manifest's entries by jail path", "[manifest]") {
    mf::Manifest m;
    m.entries["/usr/bin/x"] = mf::Entry{"/usr/bin/x", 'f', "/usr/bin/x", 10, 100, 7, 5};
    jk::inventory::Owned owned(m);
    REQUIRE(owned.recorded("/usr/bin/x") != nullptr);
    CHECK(jk::inventory::proves_installed(*owned.recorded("/usr/bin/x"), seen(S_IFREG, 10, 100, 7, 5)));
    CHECK(owned.recorded("/usr/bin") == nullptr);
    CHECK(owned.recorded("/usr/bin/x/") == nullptr);
}
