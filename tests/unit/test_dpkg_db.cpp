// dpkg's database parsers, the Depends closure, MD5 (RFC 1321's test suite),
// and jk_init's packages = keys on a scratch database.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/copy.hpp"
#include "jk/dpkg_db.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"
#include "jk/md5.hpp"
#include "tests/unit/tmpjail.hpp"

namespace dpkg = jk::dpkg;
using Strings = std::vector<std::string>;

namespace {

const char* const status_text =
    "Package: tool\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 1.0-1\n"
    "Pre-Depends: libc6 (>= 2.34)\n"
    "Depends: libfoo1 (>= 1.2) | libfoo-alt, mail-transport-agent, blocked-dep,\n"
    " docs-pkg [amd64], libmissing\n"
    "Description: a tool\n"
    " with a long description\n"
    " .\n"
    " that continues: Depends: not-a-field\n"
    "\n"
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "\n"
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Architecture: i386\n"
    "Multi-Arch: same\n"
    "\n"
    "Package: libfoo1\n"
    "Status: deinstall ok config-files\n"
    "Architecture: amd64\n"
    "\n"
    "Package: libfoo-alt\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Depends: libc6\n"
    "\n"
    "Package: postfix\n"
    "Status: install ok triggers-pending\n"
    "Architecture: amd64\n"
    "Provides: mail-transport-agent, default-mta (= 1)\n"
    "Conffiles:\n"
    " /etc/postfix/main.cf 0123456789abcdef0123456789abcdef\n"
    " /etc/postfix/old.cf 0123456789abcdef0123456789abcdef obsolete\n"
    "\n"
    "Package: blocked-dep\n"
    "Status: install ok installed\n"
    "Architecture: all\n"
    "\n"
    "Package: docs-pkg\n"
    "Status: install ok half-configured\n"
    "Architecture: all\n"
    "\n"
    "Package: perl-base\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Multi-Arch: foreign\n"
    "\n"
    "Package: BAD NAME\n"
    "Status: install ok installed\n";

bool has_package(const std::vector<const dpkg::Package*>& v, const std::string& name) {
    return std::any_of(v.begin(), v.end(), [&](const dpkg::Package* p) { return p->name == name; });
}

// A scratch directory; under /run when `trusted` (root only), where the
// database files pass trust's walk (/tmp is writable by all).
struct Scratch {
    std::string dir;
    explicit Scratch(bool trusted = false) {
        if (trusted) jk::test::require_root();
        std::string tmpl = trusted ? "/run/jk-dpkg.XXXXXX" : "/tmp/jk-dpkg.XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        REQUIRE(::chmod(dir.c_str(), 0755) == 0);
    }
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    void write(const std::string& rel, const std::string& text) const {
        std::filesystem::create_directories(std::filesystem::path(dir + "/" + rel).parent_path());
        std::ofstream(dir + "/" + rel) << text;
    }
};

}  // namespace

TEST_CASE("MD5 matches RFC 1321's test suite, whatever the input's split", "[dpkg]") {
    CHECK(jk::md5::hex("") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(jk::md5::hex("a") == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(jk::md5::hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(jk::md5::hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(jk::md5::hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK(jk::md5::hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
          "d174ab98d277d9f5a5611c2c9f419d9f");
    const std::string eighty = "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
    CHECK(jk::md5::hex(eighty) == "57edf4a22be3c955ac49da2e2107b67a");
    // 55, 56 and 64 bytes: the padding's edge cases.
    CHECK(jk::md5::hex(std::string(55, 'a')) == "ef1772b6dff9a122358552954ad0df65");
    CHECK(jk::md5::hex(std::string(56, 'a')) == "3b0c8ac703f828b04c6c197006d17218");
    CHECK(jk::md5::hex(std::string(64, 'a')) == "014842d480b571495a4a0363793f7367");
    for (std::size_t cut : {std::size_t{1}, std::size_t{7}, std::size_t{63}, std::size_t{64}, std::size_t{65}}) {
        jk::md5::Md5 m;
        for (std::size_t i = 0; i < eighty.size(); i += cut) m.update(std::string_view(eighty).substr(i, cut));
        CHECK(m.hex() == "57edf4a22be3c955ac49da2e2107b67a");
    }
}

TEST_CASE("MD5 of a file, and only of a regular file", "[dpkg]") {
    Scratch s;
    s.write("f", "abc");
    CHECK(jk::md5::file_hex(s.dir + "/f") == "900150983cd24fb0d6963f7d28e17f72");
    REQUIRE(::symlink("f", (s.dir + "/l").c_str()) == 0);
    CHECK_THROWS_AS(jk::md5::file_hex(s.dir + "/l"), jk::SysError);  // O_NOFOLLOW
    CHECK_THROWS_AS(jk::md5::file_hex(s.dir), jk::Error);
}

TEST_CASE("relations: alternatives, architecture qualifiers, versions parsed and ignored", "[dpkg]") {
    std::vector<std::string> warnings;
    auto r = dpkg::parse_relations(
        "libc6 (>= 2.34), aa | bb:any (<< 3~) | cc:amd64, dd [amd64 !i386] <!nocheck>,, ee (> 1), bad name, "
        "ff (>= , g",
        &warnings);
    REQUIRE(r.size() == 4);
    CHECK(r[0][0].name == "libc6");
    CHECK(r[0][0].op == ">=");
    CHECK(r[0][0].version == "2.34");
    REQUIRE(r[1].size() == 3);
    CHECK(r[1][1].name == "bb");
    CHECK(r[1][1].arch == "any");
    CHECK(r[1][1].op == "<<");
    CHECK(r[1][2].arch == "amd64");
    CHECK(r[2][0].name == "dd");
    CHECK(r[3][0].op == ">=");    // dpkg's old ">"
    CHECK(warnings.size() == 3);  // "bad name", "ff (>= ", "g" (one letter)
    CHECK(dpkg::parse_relations("").empty());
    CHECK(dpkg::parse_relations("xx (= )").empty());
    CHECK(dpkg::parse_relations("xx (~ 1)").empty());
}

TEST_CASE("package names follow Debian policy", "[dpkg]") {
    CHECK(dpkg::is_package_name("libstdc++6"));
    CHECK(dpkg::is_package_name("g++-12"));
    CHECK(dpkg::is_package_name("0ad"));
    CHECK_FALSE(dpkg::is_package_name("a"));
    CHECK_FALSE(dpkg::is_package_name("-x"));
    CHECK_FALSE(dpkg::is_package_name("Upper"));
    CHECK_FALSE(dpkg::is_package_name("../etc"));
    CHECK_FALSE(dpkg::is_package_name("a/b"));
}

TEST_CASE("the status file: stanzas, continuations, installed states, Conffiles", "[dpkg]") {
    std::vector<std::string> warnings;
    auto pkgs = dpkg::parse_status(status_text, &warnings);
    REQUIRE(pkgs.size() == 9);
    CHECK(warnings.size() == 1);  // "BAD NAME"
    const dpkg::Package& tool = pkgs[0];
    CHECK(tool.name == "tool");
    CHECK(tool.installed);
    CHECK(tool.version == "1.0-1");
    // Pre-Depends first; the continuation line is part of Depends.
    REQUIRE(tool.depends.size() == 6);
    CHECK(tool.depends[0][0].name == "libc6");
    CHECK(tool.depends[4][0].name == "docs-pkg");
    CHECK(tool.depends[5][0].name == "libmissing");
    CHECK_FALSE(pkgs[3].installed);  // deinstall ok config-files
    CHECK(pkgs[5].installed);        // triggers-pending
    CHECK(pkgs[5].provides.size() == 2);
    CHECK(pkgs[5].conffiles == Strings{"/etc/postfix/main.cf", "/etc/postfix/old.cf"});
    CHECK_FALSE(pkgs[7].installed);  // half-configured
    CHECK(dpkg::parse_status("").empty());
    CHECK(dpkg::parse_status("\n\n  stray\nno colon here\n").empty());
    // CRLF and a missing final newline.
    auto crlf = dpkg::parse_status("Package: xy\r\nStatus: install ok installed\r\nArchitecture: all");
    REQUIRE(crlf.size() == 1);
    CHECK(crlf[0].installed);
    CHECK(crlf[0].architecture == "all");
}

TEST_CASE("file lists and md5sums: absolute, normalised paths only", "[dpkg]") {
    CHECK(dpkg::parse_list("/.\n/usr\n/usr/bin/x\nrelative\n/a/../etc/shadow\n/b//c/./d\n\n/e\r\n") ==
          Strings{"/usr", "/usr/bin/x", "/b/c/d"});
    auto sums = dpkg::parse_md5sums(
        "0123456789ABCDEF0123456789abcdef  usr/bin/x\n"
        "0123456789abcdef0123456789abcdef *usr/lib/y\n"
        "0123456789abcdef0123456789abcdeg  usr/bin/bad-hex\n"
        "0123456789abcdef0123456789abcdef  ../etc/shadow\n"
        "short  usr/bin/z\n"
        "0123456789abcdef0123456789abcdefusr/bin/nospace\n");
    REQUIRE(sums.size() == 2);
    CHECK(sums.at("/usr/bin/x") == "0123456789abcdef0123456789abcdef");
    CHECK(sums.count("/usr/lib/y") == 1);
}

TEST_CASE("names resolve as dpkg resolves them; the closure follows installed alternatives", "[dpkg]") {
    dpkg::Database db(dpkg::parse_status(status_text), "amd64");
    REQUIRE(db.find("libc6"));
    CHECK(db.find("libc6")->architecture == "amd64");  // native first
    CHECK(db.find("libc6:i386")->architecture == "i386");
    CHECK(db.find("libc6:armhf") == nullptr);
    CHECK(db.find("libfoo1") == nullptr);      // config-files only
    CHECK(db.find("docs-pkg") == nullptr);     // half-configured
    CHECK(db.find("blocked-dep") != nullptr);  // Architecture: all

    SECTION("without usedepends only the named packages") {
        auto c = dpkg::closure(db, {"tool", "nope", "libc6:i386"}, false, {});
        REQUIRE(c.packages.size() == 2);
        CHECK(c.packages[0]->name == "tool");
        CHECK(c.not_installed == Strings{"nope"});
    }
    SECTION("with usedepends: alternatives, virtual packages, blocks") {
        auto c = dpkg::closure(db, {"tool"}, true, {"blocked-dep"});
        CHECK(has_package(c.packages, "libc6"));
        CHECK(has_package(c.packages, "libfoo-alt"));  // libfoo1 is not installed
        CHECK(has_package(c.packages, "postfix"));     // Provides: mail-transport-agent
        CHECK_FALSE(has_package(c.packages, "blocked-dep"));
        CHECK_FALSE(has_package(c.packages, "libfoo1"));
        // The i386 libc6 is not what an amd64 package depends on.
        CHECK(std::count_if(c.packages.begin(), c.packages.end(),
                            [](const dpkg::Package* p) { return p->name == "libc6"; }) == 1);
        // docs-pkg (half-configured) and libmissing: warned about, not blocked.
        CHECK(c.warnings.size() == 2);
    }
    SECTION("a package named is taken even when blocked; blocks name an architecture or all") {
        auto c = dpkg::closure(db, {"tool", "blocked-dep"}, true, {"blocked-dep", "libc6:amd64"});
        CHECK(has_package(c.packages, "blocked-dep"));
        CHECK_FALSE(has_package(c.packages, "libc6"));
    }
    SECTION("Multi-Arch: foreign satisfies any architecture") {
        dpkg::Package i386;
        i386.name = "tool32";
        i386.architecture = "i386";
        i386.installed = true;
        CHECK(db.satisfy(dpkg::Relation{"perl-base", "", "", ""}, i386) != nullptr);
        CHECK(db.satisfy(dpkg::Relation{"libc6", "", "", ""}, i386)->architecture == "i386");
        CHECK(db.satisfy(dpkg::Relation{"libfoo-alt", "", "", ""}, i386) == nullptr);
    }
}

TEST_CASE("jk_init.ini: packages, usedepends, blockdepends with DEFAULT and includesections", "[dpkg][jk_init]") {
    auto ini = jk::config::IniFile::parse(
        "[DEFAULT]\nblockdepends = debconf\n"
        "[a]\nPackages = tool, libc6\nUseDepends = 1\nincludesections = b\n"
        "[b]\npackages = libc6:i386, tool\nusedepends = no\nblockdepends = perl-base\n"
        "[c]\nusedepends = maybe\n",
        "t.ini");
    auto r = jk::init::resolve(ini, {"a"});
    CHECK(r.packages == Strings{"libc6:i386", "tool", "libc6"});
    CHECK(r.depends_packages == Strings{"tool", "libc6"});
    CHECK(r.block_depends == Strings{"perl-base", "debconf"});
    CHECK(r.warnings.empty());
    CHECK_THROWS_AS(jk::init::resolve(ini, {"c"}), jk::ConfigError);
}

TEST_CASE("donotcopy: every section's patterns, matched with '*' across '/'", "[dpkg][jk_init]") {
    auto ini = jk::config::IniFile::parse(
        "[DEFAULT]\ndonotcopy = /usr/share/locale/*\n"
        "[a]\npackages = tool\nincludesections = b\n"
        "[b]\nDoNotCopy = *.pyc, /etc/tool?.conf\n",
        "t.ini");
    auto r = jk::init::resolve(ini, {"a"});
    CHECK(r.do_not_copy == Strings{"*.pyc", "/etc/tool?.conf", "/usr/share/locale/*"});
    CHECK(r.warnings.empty());
    CHECK(jk::init::not_copied(r.do_not_copy, "/usr/share/locale/de/LC_MESSAGES/tool.mo"));
    CHECK(jk::init::not_copied(r.do_not_copy, "/usr/lib/python3/x/__pycache__/y.cpython-311.pyc"));
    CHECK(jk::init::not_copied(r.do_not_copy, "/etc/tool1.conf"));
    CHECK_FALSE(jk::init::not_copied(r.do_not_copy, "/etc/tool12.conf"));
    CHECK_FALSE(jk::init::not_copied(r.do_not_copy, "/usr/share/locale"));
    CHECK_FALSE(jk::init::not_copied({}, "/usr/bin/tool"));
}

TEST_CASE("package documentation is left out", "[dpkg][jk_init]") {
    CHECK(jk::init::package_doc_path("/usr/share/doc"));
    CHECK(jk::init::package_doc_path("/usr/share/doc/x/copyright"));
    CHECK(jk::init::package_doc_path("/usr/share/man/man1/x.1.gz"));
    CHECK(jk::init::package_doc_path("/usr/share/info/x.info.gz"));
    CHECK(jk::init::package_doc_path("/usr/share/lintian/overrides/x"));
    CHECK_FALSE(jk::init::package_doc_path("/usr/share/doc-base/x"));
    CHECK_FALSE(jk::init::package_doc_path("/usr/share/locale/de/LC_MESSAGES/x.mo"));
    CHECK_FALSE(jk::init::package_doc_path("/usr/bin/man"));
}

TEST_CASE("package files: md5sums refuse a changed file, conffiles pass, absent files are named",
          "[dpkg][jk_init][root]") {
    Scratch s(true);
    const std::string root = s.dir + "/root";
    s.write("root/bin/good", "abc");
    s.write("root/bin/bad", "tampered");
    s.write("root/etc/conf", "edited by the admin");
    s.write("root/lib/nosum", "x");
    s.write("root/lib/dep", "dep");
    REQUIRE(::symlink("good", (root + "/bin/link").c_str()) == 0);
    const std::string db = s.dir + "/db";
    auto rel = [&](const std::string& p) { return (root + p).substr(1); };
    s.write("db/status",
            "Package: xpkg\nStatus: install ok installed\nArchitecture: all\nDepends: ydep\n"
            "Conffiles:\n " +
                root +
                "/etc/conf 00000000000000000000000000000000\n\n"
                "Package: ydep\nStatus: install ok installed\nArchitecture: all\n");
    s.write("db/info/xpkg.list", "/.\n" + root + "\n" + root + "/bin\n" + root + "/bin/good\n" + root + "/bin/bad\n" +
                                     root + "/bin/link\n" + root + "/etc/conf\n" + root + "/lib/nosum\n" + root +
                                     "/bin/gone\n");
    s.write("db/info/xpkg.md5sums", "900150983cd24fb0d6963f7d28e17f72  " + rel("/bin/good") +
                                        "\n900150983cd24fb0d6963f7d28e17f72  " + rel("/bin/bad") + "\n");
    s.write("db/info/ydep.list", root + "/lib/dep\n");

    jk::init::Request req;
    req.packages = {"xpkg", "absent-pkg"};
    auto f = jk::init::package_files(req, db);
    CHECK(f.not_installed == Strings{"absent-pkg"});
    CHECK(f.packages == Strings{"xpkg:all"});
    CHECK(f.changed == Strings{root + "/bin/bad (package xpkg:all)"});
    CHECK(f.absent == Strings{root + "/bin/gone (package xpkg:all)"});
    CHECK(f.paths == Strings{root, root + "/bin", root + "/bin/good", root + "/bin/link", root + "/etc/conf",
                             root + "/lib/nosum"});
    CHECK(f.notes.size() == 1);  // lib/nosum

    req.depends_packages = {"xpkg"};
    auto g = jk::init::package_files(req, db);
    CHECK(g.packages == Strings{"xpkg:all", "ydep:all"});
    CHECK(std::find(g.paths.begin(), g.paths.end(), root + "/lib/dep") != g.paths.end());
    req.block_depends = {"ydep"};
    auto h = jk::init::package_files(req, db);
    CHECK(h.packages == Strings{"xpkg:all"});

    auto none = jk::init::package_files(req, s.dir + "/no-such-db");
    CHECK(none.not_installed == req.packages);
    CHECK(none.warnings.size() == 1);

    // A database someone else could write is refused, not read.
    REQUIRE(::chmod((db + "/info/xpkg.list").c_str(), 0664) == 0);
    CHECK_THROWS_AS(jk::init::package_files(req, db), jk::UnsafePath);
    REQUIRE(::chmod((db + "/info/xpkg.list").c_str(), 0644) == 0);
    REQUIRE(::chmod(db.c_str(), 0777) == 0);
    CHECK_THROWS_AS(jk::init::package_files(req, db), jk::UnsafePath);
    REQUIRE(::chmod(db.c_str(), 0755) == 0);

    SECTION("add_shallow plans a directory without what it holds") {
        jk::copy::Planner planner({}, [](const std::string&, Strings&, Strings&) { return Strings{}; });
        planner.add_shallow(root + "/bin");
        auto plan = planner.take();
        CHECK(std::none_of(plan.steps.begin(), plan.steps.end(),
                           [&](const jk::copy::Step& st) { return st.source == root + "/bin/good"; }));
        CHECK(std::any_of(plan.steps.begin(), plan.steps.end(),
                          [&](const jk::copy::Step& st) { return st.source == root + "/bin"; }));
        jk::copy::Planner deep({}, [](const std::string&, Strings&, Strings&) { return Strings{}; });
        deep.add_shallow(root + "/bin");
        deep.add(root + "/bin");  // a later add() still walks it
        auto plan2 = deep.take();
        CHECK(std::any_of(plan2.steps.begin(), plan2.steps.end(),
                          [&](const jk::copy::Step& st) { return st.source == root + "/bin/good"; }));
    }
}
