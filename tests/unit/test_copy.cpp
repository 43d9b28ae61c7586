#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "catch.hpp"
#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "tests/unit/tmpjail.hpp"

using jk::test::sh;
using jk::test::TempJail;
namespace copy = jk::copy;

namespace {

copy::DependencyFinder no_deps() {
    return [](const std::string&, std::vector<std::string>&, std::vector<std::string>&) {
        return std::vector<std::string>{};
    };
}

struct stat lstat_of(const std::string& p) {
    struct stat st {};
    INFO(p);
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st;
}

const copy::Step* find_step(const copy::Plan& plan, const std::string& source) {
    auto it =
        std::find_if(plan.steps.begin(), plan.steps.end(), [&](const copy::Step& s) { return s.source == source; });
    return it == plan.steps.end() ? nullptr : &*it;
}

copy::Result run(const TempJail& t, const std::string& jail, const std::vector<std::string>& paths, copy::Options o,
                 std::vector<std::string>* lines = nullptr, copy::DependencyFinder deps = no_deps()) {
    copy::Planner planner(o, std::move(deps));
    for (const auto& p : paths) planner.add(p);
    copy::Plan plan = planner.take();
    jk::Jail j = jk::Jail::open(t / jail);
    return copy::execute(plan, j, o, [&](const std::string& l) {
        if (lines) lines->push_back(l);
    });
}

}  // namespace

TEST_CASE("a plan reproduces every symlink on the way and lists parents first", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "host/usr/bin " + t / "host/usr/lib && ln -s usr/bin " + t / "host/bin");
    sh("echo '#!/bin/sh' > " + t / "host/usr/bin/tool && chmod 755 " + t / "host/usr/bin/tool");
    sh("echo lib > " + t / "host/usr/lib/libx.so.1.0 && ln -s libx.so.1.0 " + t / "host/usr/lib/libx.so.1");
    std::vector<std::string> asked;
    copy::Planner planner({}, [&](const std::string& p, std::vector<std::string>& missing, std::vector<std::string>&) {
        asked.push_back(p);
        missing.push_back("libgone.so (needed by " + p + ")");
        return std::vector<std::string>{t / "host/usr/lib/libx.so.1"};
    });
    planner.add(t / "host/bin/tool");
    copy::Plan plan = planner.take();

    const copy::Step* link = find_step(plan, t / "host/bin");
    REQUIRE(link);
    CHECK(link->kind == copy::Kind::symlink);
    CHECK(link->link_target == "usr/bin");
    const copy::Step* file = find_step(plan, t / "host/usr/bin/tool");
    REQUIRE(file);
    CHECK(file->kind == copy::Kind::file);
    CHECK(asked == std::vector<std::string>{t / "host/usr/bin/tool"});
    REQUIRE(find_step(plan, t / "host/usr/lib/libx.so.1"));
    const copy::Step* lib = find_step(plan, t / "host/usr/lib/libx.so.1.0");
    REQUIRE(lib);
    CHECK(lib->is_library);
    CHECK(plan.missing_libraries.size() == 1);
    // Every directory comes before anything inside it.
    auto index = [&](const std::string& s) { return find_step(plan, s) - plan.steps.data(); };
    CHECK(index(t / "host/usr") < index(t / "host/usr/bin"));
    CHECK(index(t / "host/usr/bin") < index(t / "host/usr/bin/tool"));
}

TEST_CASE("copies keep mode and times, drop setuid and become root-owned", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host/bin");
    sh("echo data > " + t / "host/bin/su && chown 65534:65534 " + t / "host/bin/su && chmod 6750 " + t / "host/bin/su");
    sh("touch -d '2001-02-03 04:05:06' " + t / "host/bin/su");
    std::vector<std::string> lines;
    auto r = run(t, "j", {t / "host/bin/su"}, {}, &lines);
    CHECK(r.copied == 1);
    struct stat st = lstat_of(t / "j" + t / "host/bin/su");
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
    CHECK(st.st_mtim.tv_sec == lstat_of(t / "host/bin/su").st_mtim.tv_sec);
    CHECK(std::count(lines.begin(), lines.end(),
                     "removing setuid and setgid permissions from " + t / "j" + t / "host/bin/su") == 1);

    SECTION("-s keeps setuid and the owner") {
        copy::Options o;
        o.keep_setuid = true;
        o.force = true;
        run(t, "j", {t / "host/bin/su"}, o);
        struct stat kept = lstat_of(t / "j" + t / "host/bin/su");
        CHECK((kept.st_mode & 07777) == 06750);
        CHECK(kept.st_uid == 65534);
    }
    SECTION("-k copies a setuid file instead of linking it") {
        copy::Options o;
        o.hardlink = true;
        o.force = true;
        run(t, "j", {t / "host/bin/su"}, o);
        struct stat copied = lstat_of(t / "j" + t / "host/bin/su");
        CHECK(copied.st_ino != lstat_of(t / "host/bin/su").st_ino);
        CHECK((copied.st_mode & 06000) == 0);
    }
}

TEST_CASE("-k hardlinks a root-owned plain file", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host && echo x > " + t / "host/f");
    copy::Options o;
    o.hardlink = true;
    auto r = run(t, "j", {t / "host/f"}, o);
    CHECK(r.linked == 1);
    CHECK(lstat_of(t / "j" + t / "host/f").st_ino == lstat_of(t / "host/f").st_ino);
}

TEST_CASE("a second run changes nothing; -f replaces a planted symlink without following it", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host/d && echo new > " + t / "host/d/f && echo victim > " + t / "victim");
    run(t, "j", {t / "host/d/f"}, {});
    const ino_t first = lstat_of(t / "j" + t / "host/d/f").st_ino;
    std::vector<std::string> lines;
    auto again = run(t, "j", {t / "host/d/f"}, {}, &lines);
    CHECK(again.copied == 0);
    CHECK(lines.empty());
    CHECK(lstat_of(t / "j" + t / "host/d/f").st_ino == first);

    sh("rm " + t / "j" + t / "host/d/f && ln -s " + t / "victim " + t / "j" + t / "host/d/f");
    run(t, "j", {t / "host/d/f"}, {});  // no -f: the link stays, nothing is written through it
    CHECK(S_ISLNK(lstat_of(t / "j" + t / "host/d/f").st_mode));
    copy::Options force;
    force.force = true;
    run(t, "j", {t / "host/d/f"}, force);
    CHECK(S_ISREG(lstat_of(t / "j" + t / "host/d/f").st_mode));
    sh("grep -qx victim " + t / "victim");
    sh("grep -qx new " + t / "j" + t / "host/d/f");
}

TEST_CASE("directories are copied recursively; devices only when named; sockets skipped", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host/tree/sub && echo a > " + t / "host/tree/sub/a && chmod 700 " +
       t / "host/tree/sub");
    sh("mknod " + t / "host/tree/null c 1 3 && mknod " + t / "host/dev9 c 4 300");
    sh("python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('" + t / "host/tree/sock" + "')\"");
    copy::Planner planner({}, no_deps());
    planner.add(t / "host/tree");
    planner.add(t / "host/dev9");
    copy::Plan plan = planner.take();
    CHECK(plan.warnings.size() == 2);  // the device met by recursion, the socket
    jk::Jail j = jk::Jail::open(t / "j");
    copy::execute(plan, j, {}, [](const std::string&) {});
    CHECK((lstat_of(t / "j" + t / "host/tree/sub").st_mode & 07777) == 0700);
    CHECK(S_ISREG(lstat_of(t / "j" + t / "host/tree/sub/a").st_mode));
    CHECK(::access((t / "j" + t / "host/tree/null").c_str(), F_OK) != 0);
    CHECK(::access((t / "j" + t / "host/tree/sock").c_str(), F_OK) != 0);
    struct stat dev = lstat_of(t / "j" + t / "host/dev9");
    CHECK(S_ISCHR(dev.st_mode));
    CHECK(major(dev.st_rdev) == 4);
    CHECK(minor(dev.st_rdev) == 300);  // jailkit's rdev//256 got this wrong
}

TEST_CASE("a missing source is an error before anything is written", "[copy][root]") {
    TempJail t;
    copy::Planner planner({}, no_deps());
    CHECK_THROWS_AS(planner.add(t / "nothing/here"), jk::SysError);
    CHECK_THROWS_AS(planner.add("relative/path"), jk::Error);
}

TEST_CASE("add(path, replace) replaces that entry only, not what it needs", "[copy][root]") {
    TempJail t;
    sh("mkdir -p " + t / "j " + t / "host && echo old > " + t / "host/prog && echo lib1 > " + t / "host/lib.so.1");
    sh("chmod 755 " + t / "host/prog");
    auto deps = [&](const std::string&, std::vector<std::string>&, std::vector<std::string>&) {
        return std::vector<std::string>{t / "host/lib.so.1"};
    };
    run(t, "j", {t / "host/prog"}, {}, nullptr, deps);
    sh("echo new > " + t / "host/prog && echo lib2 > " + t / "host/lib.so.1");
    copy::Planner planner({}, deps);
    planner.add(t / "host/prog", true);
    copy::Plan plan = planner.take();
    jk::Jail j = jk::Jail::open(t / "j");
    copy::execute(plan, j, {}, [](const std::string&) {});
    sh("grep -qx new " + t / "j" + t / "host/prog");
    sh("grep -qx lib1 " + t / "j" + t / "host/lib.so.1");
}
