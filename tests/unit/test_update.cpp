// jk_update: the command line, the pure decisions (update.hpp) and, as root,
// one run over a small jail.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/update.hpp"
#include "jk_update/cli.hpp"
#include "tests/unit/cli_support.hpp"
#include "tmpjail.hpp"

using jk::test::Args;
using jk::update::Observed;
using jk::update::Verdict;
using jk_update::parse_args;

namespace {

int usage_exit(const Args& a) {
    return jk::test::usage_exit(parse_args, a);
}

Observed reg(long long size, long long mtime, unsigned long long ino, long long ctime = 5) {
    Observed o;
    o.type = S_IFREG;
    o.size = size;
    o.mtime_ns = mtime;
    o.ino = ino;
    o.dev = 1;
    o.ctime_ns = ctime;
    return o;
}

Observed link(const std::string& target) {
    Observed o;
    o.type = S_IFLNK;
    o.link_target = target;
    o.size = static_cast<long long>(target.size());
    return o;
}

Observed dir() {
    Observed o;
    o.type = S_IFDIR;
    return o;
}

jk::manifest::Entry rec(char type, long long size, long long mtime, unsigned long long ino, long long ctime) {
    jk::manifest::Entry e;
    e.path = "/usr/bin/x";
    e.source = e.path;
    e.type = type;
    e.size = size;
    e.mtime_ns = mtime;
    e.ino = ino;
    e.ctime_ns = ctime;
    return e;
}

}  // namespace

TEST_CASE("jk_update accepts jailkit's and ISPConfig's command lines", "[jk_update]") {
    SECTION("-j J and --jail=J, trailing slash dropped") {
        for (const Args& a : {Args{"jk_update", "-j", "/j/"}, Args{"jk_update", "--jail=/j"},
                              Args{"jk_update", "--jail", "/j//"}, Args{"jk_update", "-j/j"}}) {
            auto o = parse_args(a);
            CHECK(o.jail == "/j");
            CHECK(o.section.empty());
            CHECK(o.directories.empty());
            CHECK(o.max_remove == 100);
            CHECK_FALSE(o.dry_run);
        }
    }
    SECTION("ISPConfig 3.2: --jail=J -k --skip=/x --skip=/y") {
        auto o = parse_args({"jk_update", "--jail=/var/www/clients/client1/web1", "-k", "--skip=/home", "--skip=/y/"});
        CHECK(o.jail == "/var/www/clients/client1/web1");
        CHECK(o.hardlink);
        CHECK(o.skips == std::vector<std::string>{"/home", "/y/"});
    }
    SECTION("every option, positional directories anywhere") {
        auto o = parse_args({"jk_update", "/usr", "-v", "-d", "-k", "-s", "/a", "--max-remove=7", "-c", "/j",
                             "--config=/x.ini", "/opt/"});
        CHECK(o.verbose);
        CHECK(o.dry_run);
        CHECK(o.hardlink);
        CHECK(o.section == "/j");
        CHECK(o.configfile == "/x.ini");
        CHECK(o.max_remove == 7);
        CHECK(o.skips == std::vector<std::string>{"/a"});
        CHECK(o.directories == std::vector<std::string>{"/usr", "/opt/"});
    }
    SECTION("--max-remove=0 is allowed") {
        CHECK(parse_args({"jk_update", "-j", "/j", "--max-remove=0"}).max_remove == 0);
    }
    SECTION("--help and --version need no jail") {
        CHECK(parse_args({"jk_update", "--help"}).help);
        CHECK(parse_args({"jk_update", "-h"}).help);
        CHECK(parse_args({"jk_update", "--version"}).version);
    }
    SECTION("the same -j twice is accepted") {
        CHECK(parse_args({"jk_update", "-j", "/j", "--jail=/j/"}).jail == "/j");
    }
}

TEST_CASE("jk_update refuses bad command lines with jailkit's exit codes", "[jk_update]") {
    CHECK(usage_exit({"jk_update"}) == 1);
    CHECK(usage_exit({"jk_update", "/var/www/web1"}) == 1);  // ISPConfig 3.1's fallback
    CHECK(usage_exit({"jk_update", "-j", "/j", "-c", "/j"}) == 21);
    CHECK(usage_exit({"jk_update", "--jail=/j", "--configsection=/k"}) == 21);
    CHECK(usage_exit({"jk_update", "-j"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", ""}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/a", "-j", "/b"}) == 1);
    CHECK(usage_exit({"jk_update", "-c", "/a", "-c", "/b"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "--skip="}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "--max-remove=x"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "--max-remove=-1"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "--max-remove=99999999999999999999999"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "--bogus"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", "-x"}) == 1);
    CHECK(usage_exit({"jk_update", "-j", "/j", ""}) == 1);
}

TEST_CASE("skips and directories are normalised as jailkit did", "[jk_update]") {
    using jk::update::normalize_directory;
    using jk::update::normalize_skip;
    CHECK(normalize_skip("/usr/bin/x/", "/j") == "/usr/bin/x");
    CHECK(normalize_skip("/j/usr/bin/x", "/j") == "/usr/bin/x");
    CHECK(normalize_skip("/jx/usr", "/j") == "/jx/usr");
    CHECK(normalize_directory("/usr/", "/j") == "/usr");
    CHECK(normalize_directory("usr", "/j") == "/usr");
    CHECK(normalize_directory("/j/opt/", "/j") == "/opt");
    CHECK(normalize_directory("/", "/j") == "");
}

TEST_CASE("a skip covers the path and everything below it", "[jk_update]") {
    using jk::update::is_skipped;
    const std::vector<std::string> skips = {"/usr/bin/x", "/opt/app"};
    CHECK(is_skipped(skips, "/usr/bin/x"));
    CHECK(is_skipped(skips, "/opt/app"));
    CHECK(is_skipped(skips, "/opt/app/bin/tool"));
    CHECK_FALSE(is_skipped(skips, "/usr/bin/xy"));
    CHECK_FALSE(is_skipped(skips, "/opt/application"));
    CHECK_FALSE(is_skipped(skips, "/usr/bin"));
    CHECK_FALSE(is_skipped({}, "/usr"));
}

TEST_CASE("the jail's own files are never compared", "[jk_update]") {
    using jk::inventory::jail_specific;
    CHECK(jail_specific("/etc/passwd"));
    CHECK(jail_specific("/etc/ld.so.cache"));
    CHECK(jail_specific("/etc/jailkit/jk_manifest"));
    CHECK(jail_specific("/etc/jailkit/jk_lsh.ini"));
    CHECK_FALSE(jail_specific("/etc/passwd-"));
    CHECK_FALSE(jail_specific("/etc/jailkitx"));
    CHECK_FALSE(jail_specific("/usr/bin/passwd"));
}

TEST_CASE("jk_update decides from stat data and the manifest", "[jk_update]") {
    using jk::update::decide;
    SECTION("gone on the host: removed only while the manifest proves it is the one installed") {
        auto r = rec('f', 10, 100, 7, 5);
        CHECK(decide(reg(10, 100, 7), std::nullopt, &r) == Verdict::deprecated);
        CHECK(decide(reg(10, 100, 7), std::nullopt, nullptr) == Verdict::foreign);
        CHECK(decide(link("x"), std::nullopt, nullptr) == Verdict::foreign);
        // issue 11: the admin's file in place of the installed one (another
        // inode), or the installed one edited or chmod'ed (ctime moved)
        CHECK(decide(reg(10, 100, 8), std::nullopt, &r) == Verdict::changed);
        CHECK(decide(reg(10, 100, 7, 6), std::nullopt, &r) == Verdict::changed);
        CHECK(decide(link("x"), std::nullopt, &r) == Verdict::changed);  // a link where a file was
    }
    SECTION("the recorded copy: current while the host keeps its size and mtime") {
        auto r = rec('f', 10, 100, 7, 5);
        CHECK(decide(reg(10, 100, 7, 5), reg(10, 100, 99), &r) == Verdict::current);
        // same size, new mtime: the bytes decide (a touched host file is not rewritten)
        CHECK(decide(reg(10, 100, 7, 5), reg(10, 200, 99), &r) == Verdict::compare_content);
        CHECK(decide(reg(10, 100, 7, 5), reg(10, 200, 99), &r, false) == Verdict::outdated);
        CHECK(decide(reg(10, 100, 7, 5), reg(10, 200, 99), &r, true) == Verdict::current);
        CHECK(decide(reg(10, 100, 7, 5), reg(11, 100, 99), &r) == Verdict::outdated);
    }
    SECTION("a listed jail file the manifest no longer proves is never overwritten") {
        auto r = rec('f', 10, 100, 7, 5);
        CHECK(decide(reg(10, 100, 7, 6), reg(10, 100, 99), &r) == Verdict::compare_content);  // ctime moved
        CHECK(decide(reg(10, 100, 7, 6), reg(10, 100, 99), &r, true) == Verdict::current);    // same bytes
        CHECK(decide(reg(10, 100, 7, 6), reg(10, 100, 99), &r, false) == Verdict::changed);
        CHECK(decide(reg(10, 100, 8, 5), reg(10, 100, 99), &r, false) == Verdict::changed);  // other inode
        CHECK(decide(reg(12, 100, 8, 5), reg(10, 100, 99), &r) == Verdict::changed);         // other size
        CHECK(decide(link("a"), reg(10, 100, 99), &r) == Verdict::changed);                  // other type
    }
    SECTION("an unlisted jail file (jailkit 2.23 jail): size, then content, as jailkit") {
        CHECK(decide(reg(10, 1, 8), reg(10, 100, 99), nullptr) == Verdict::compare_content);
        CHECK(decide(reg(10, 1, 8), reg(10, 100, 99), nullptr, false) == Verdict::outdated);
        CHECK(decide(reg(12, 1, 8), reg(10, 100, 99), nullptr) == Verdict::outdated);
    }
    SECTION("a hardlink (-k) is proven by inode, size and mtime: the host's rename moves its ctime") {
        auto h = rec('h', 10, 100, 7, 5);
        CHECK(decide(reg(10, 100, 7, 9), std::nullopt, &h) == Verdict::deprecated);
        CHECK(decide(reg(10, 300, 7, 9), std::nullopt, &h) == Verdict::changed);  // a reused inode number
        CHECK(decide(reg(10, 100, 7, 9), reg(12, 200, 99), &h) == Verdict::outdated);
    }
    SECTION("a hardlink to the host file is current") {
        CHECK(decide(reg(10, 1, 42), reg(10, 1, 42), nullptr) == Verdict::current);
    }
    SECTION("symlinks compare their targets; a changed type is outdated") {
        CHECK(decide(link("a"), link("a"), nullptr) == Verdict::current);
        CHECK(decide(link("a"), link("b"), nullptr) == Verdict::outdated);
        CHECK(decide(link("a"), reg(1, 1, 1), nullptr) == Verdict::outdated);
        CHECK(decide(reg(1, 1, 1), link("a"), nullptr) == Verdict::outdated);
    }
    SECTION("a directory on the host is a conflict, never replaced") {
        CHECK(decide(reg(1, 1, 1), dir(), nullptr) == Verdict::conflict);
    }
}

TEST_CASE("jk_update removes a directory only when listed, gone and emptied", "[jk_update]") {
    using jk::update::decide_dir;
    auto r = rec('d', 0, 0, 1, 1);
    Observed d = dir();
    d.ino = 1;
    d.ctime_ns = 77;  // a directory's ctime moves with every entry added
    Observed other = dir();
    other.ino = 2;
    CHECK(decide_dir(d, std::nullopt, &r, true) == Verdict::deprecated);
    CHECK(decide_dir(d, std::nullopt, &r, false) == Verdict::foreign);
    CHECK(decide_dir(d, std::nullopt, nullptr, true) == Verdict::foreign);
    CHECK(decide_dir(other, std::nullopt, &r, true) == Verdict::changed);
    CHECK(decide_dir(d, dir(), &r, true) == Verdict::current);
    CHECK(decide_dir(d, reg(1, 1, 1), &r, true) == Verdict::conflict);
}

TEST_CASE("the copy engine's temporary names are recognised", "[jk_update]") {
    using jk::update::is_temp_name;
    CHECK(is_temp_name(jk::temp_name_for("bash")));
    CHECK(is_temp_name(".jk-x.abcdefghij"));
    CHECK_FALSE(is_temp_name(".jk-x.abcdefghi"));
    CHECK_FALSE(is_temp_name(".jk-x.ABCDEFGHIJ"));
    CHECK_FALSE(is_temp_name("bash"));
    CHECK_FALSE(is_temp_name(".jk-.abcdefghij"));
}

TEST_CASE("jk_update.ini: the section names the jail", "[jk_update]") {
    auto ini = jk::config::IniFile::parse(
        "[/home/testchroot]\nskips = /usr/bin/myscript, /opt/x/\nhardlinks = 1\ndirectories = /usr, /bin\n"
        "[/home/other]\nhardlink = yes\nbogus = 1\n",
        "jk_update.ini");
    auto a = jk::update::read_section(ini, "/home/testchroot");
    CHECK(a.skips == std::vector<std::string>{"/usr/bin/myscript", "/opt/x/"});
    CHECK(a.directories == std::vector<std::string>{"/usr", "/bin"});
    CHECK(a.hardlinks == std::optional<bool>(true));
    CHECK(a.warnings.empty());
    auto b = jk::update::read_section(ini, "/home/other");
    CHECK(b.hardlinks == std::optional<bool>(true));
    CHECK(b.warnings.size() == 1);
    CHECK_THROWS_AS(jk::update::read_section(ini, "/home/missing"), jk::ConfigError);
    auto bad = jk::config::IniFile::parse("[/j]\nhardlinks = maybe\n", "x.ini");
    CHECK_THROWS_AS(jk::update::read_section(bad, "/j"), jk::ConfigError);
}

TEST_CASE("jk_update replaces, removes and keeps as the manifest says", "[jk_update][root]") {
    jk::test::TempJail jail;
    jk::test::TempJail hostroot;  // host files live here; the jail mirrors their paths
    const std::string h = hostroot.path();
    jk::test::sh("mkdir -p '" + h + "/app' && echo one >'" + h + "/app/a' && echo two >'" + h + "/app/b' && ln -s a '" +
                 h + "/app/l'");
    auto j = jk::Jail::open(jail.path());
    {
        jk::copy::Planner p({}, [](const std::string&, std::vector<std::string>&, std::vector<std::string>&) {
            return std::vector<std::string>{};
        });
        p.add(h + "/app");
        jk::copy::install(p.take(), j, {}, [](const std::string&) {});
    }
    const std::string in = jail.path() + h + "/app";
    jk::test::sh("echo mine >'" + in + "/admin'");
    jk::test::sh("echo changed-content >'" + h + "/app/a' && rm '" + h + "/app/b' && echo c >'" + h +
                 "/app/c' && ln -sfn c '" + h + "/app/l'");
    struct stat before {};
    REQUIRE(::stat((in + "/a").c_str(), &before) == 0);

    jk::update::Settings s;
    s.directories = {h};
    std::vector<std::string> lines;
    auto out = [&](const std::string& l) { lines.push_back(l); };

    s.dry_run = true;
    auto dry = jk::update::run(j, s, out);
    CHECK(dry.outdated == 2);
    CHECK(dry.removed == 1);
    CHECK(::access((in + "/b").c_str(), F_OK) == 0);

    s.dry_run = false;
    s.max_remove = 0;
    auto refused = jk::update::run(j, s, out);
    CHECK(refused.refused);
    CHECK(::access((in + "/b").c_str(), F_OK) == 0);

    s.max_remove = 100;
    lines.clear();
    auto r = jk::update::run(j, s, out);
    CHECK(r.errors == 0);
    CHECK(r.removed == 1);
    CHECK(r.outdated == 2);
    CHECK(std::find(lines.begin(), lines.end(), "removing deprecated file " + in + "/b") != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "removing outdated file " + in + "/a") != lines.end());
    CHECK(::access((in + "/b").c_str(), F_OK) != 0);
    CHECK(::access((in + "/admin").c_str(), F_OK) == 0);
    struct stat after {};
    REQUIRE(::stat((in + "/a").c_str(), &after) == 0);
    CHECK(after.st_ino != before.st_ino);
    std::ifstream f(in + "/a");
    std::string text;
    std::getline(f, text);
    CHECK(text == "changed-content");
    std::vector<char> buf(16);
    CHECK(::readlink((in + "/l").c_str(), buf.data(), buf.size()) == 1);
    CHECK(buf[0] == 'c');

    lines.clear();
    auto again = jk::update::run(j, s, out);
    CHECK_FALSE(again.pending());
    CHECK(lines.empty());
}

TEST_CASE("jk_update leaves alone a listed file the admin replaced or edited", "[jk_update][root]") {
    jk::test::TempJail jail;
    jk::test::TempJail hostroot;
    const std::string h = hostroot.path();
    jk::test::sh("mkdir -p '" + h + "/app' && for f in gone replaced edited kept; do echo $f >'" + h +
                 "/app/'$f; done && echo up1 >'" + h + "/app/upd-replaced' && echo up2 >'" + h + "/app/upd-edited'");
    auto j = jk::Jail::open(jail.path());
    {
        jk::copy::Planner p({}, [](const std::string&, std::vector<std::string>&, std::vector<std::string>&) {
            return std::vector<std::string>{};
        });
        p.add(h + "/app");
        jk::copy::install(p.take(), j, {}, [](const std::string&) {});
    }
    const std::string in = jail.path() + h + "/app";
    // The admin's own file in place of an installed one, and an installed
    // one edited in place; then the host loses or changes its originals.
    jk::test::sh("rm '" + in + "/replaced' && echo admin >'" + in + "/replaced'");
    jk::test::sh("echo admin-edit >>'" + in + "/edited'");
    jk::test::sh("rm '" + in + "/upd-replaced' && echo admin >'" + in + "/upd-replaced'");
    jk::test::sh("echo admin-edit >>'" + in + "/upd-edited'");
    jk::test::sh("cd '" + h + "/app' && rm gone replaced edited && echo new-version-1 >upd-replaced && " +
                 "echo new-version-2 >upd-edited");

    jk::update::Settings s;
    s.directories = {h};
    std::vector<std::string> lines;
    auto r = jk::update::run(j, s, [&](const std::string& l) { lines.push_back(l); });
    for (const auto& l : lines) UNSCOPED_INFO(l);
    CHECK(r.errors == 0);
    CHECK(r.removed == 1);
    CHECK(r.outdated == 0);
    CHECK(r.left_alone == 4);
    CHECK(::access((in + "/gone").c_str(), F_OK) != 0);
    auto first_line = [](const std::string& path) {
        std::ifstream f(path);
        std::string text;
        std::getline(f, text);
        return text;
    };
    CHECK(first_line(in + "/replaced") == "admin");
    CHECK(first_line(in + "/edited") == "edited");
    CHECK(first_line(in + "/upd-replaced") == "admin");
    CHECK(first_line(in + "/upd-edited") == "up2");
    CHECK(first_line(in + "/kept") == "kept");
    for (const char* name : {"replaced", "edited", "upd-replaced", "upd-edited"})
        CHECK(std::find(lines.begin(), lines.end(), "left alone (changed since installed): " + in + "/" + name) !=
              lines.end());
}

TEST_CASE("thin_entries: only a thin jail's own listed files, never what the host binds", "[jk_update]") {
    jk::manifest::Manifest m;
    auto add = [&](const std::string& path, char type) {
        jk::manifest::Entry e;
        e.path = path;
        e.type = type;
        m.entries[path] = e;
    };
    add("/etc", 'd');
    add("/etc/host.conf", 'f');
    add("/etc/localtime", 'l');
    add("/etc/ld.so.cache", 'f');
    add("/usr/bin/true", 'f');
    add("/usr", 'd');
    add("/usrlocal.conf", 'f');
    add("/opt/x/y", 'f');
    const std::vector<std::string> binds = {"/etc/ld.so.cache", "/opt/x", "/usr"};
    CHECK(jk::update::thin_entries(m, binds, {}) ==
          std::vector<std::string>{"/etc/host.conf", "/etc/localtime", "/usrlocal.conf"});
    CHECK(jk::update::thin_entries(m, binds, {""}) ==
          std::vector<std::string>{"/etc/host.conf", "/etc/localtime", "/usrlocal.conf"});
    CHECK(jk::update::thin_entries(m, binds, {"/etc"}) == std::vector<std::string>{"/etc/host.conf", "/etc/localtime"});
    CHECK(jk::update::thin_entries(m, binds, {"/usr"}).empty());
    CHECK(jk::update::thin_entries(jk::manifest::Manifest{}, binds, {}).empty());
}
