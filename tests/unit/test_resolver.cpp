// jk::elf::Resolver: ld.so's search rules on hand-built trees with an
// explicit configuration, the host's own binaries, and files that are not
// dynamic, not for this machine, or broken.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/resolver.hpp"
#include "tests/elf/elf_builder.hpp"
#include "tests/elf/test_support.hpp"

using jk::elf::FileKind;
using jk::elf::Resolution;
using jk::elf::Resolver;
using jk::elf::SearchConfig;
using jk::test::build_elf;
using jk::test::ElfSpec;
using jk::test::TempDir;

namespace {

ElfSpec lib(std::vector<std::string> needed = {}) {
    ElfSpec s;
    s.needed = std::move(needed);
    return s;
}

ElfSpec with_rpath(ElfSpec s, std::string v) {
    s.rpath = std::move(v);
    return s;
}

ElfSpec with_runpath(ElfSpec s, std::string v) {
    s.runpath = std::move(v);
    return s;
}

// A small world: a loader stand-in, one system directory with glibc-hwcaps
// and legacy subdirectories, no cache unless a test adds one.
struct World {
    TempDir t;
    SearchConfig cfg;

    World() {
        ElfSpec ld;
        ld.soname = "ld-test.so.2";
        t.write("ld/ld-test.so.2", build_elf(ld), 0755);
        jk::elf::Abi abi;
        abi.name = "x86_64";
        abi.interpreter = t / "ld/ld-test.so.2";
        abi.system_dirs = {t / "sys/"};
        abi.lib = "lib64";
        abi.platform = "x86_64";
        abi.subdirs = jk::elf::hwcap_subdirs({"x86-64-v2"}, {"x86_64"}, "x86_64");
        abi.cache.default_flags = 0x0303;
        abi.cache.glibc_hwcaps = {"x86-64-v2"};
        jk::elf::Abi abi32;
        abi32.name = "i386";
        abi32.elf_class = jk::elf::ElfClass::Elf32;
        abi32.machine = jk::elf::machine_386;
        abi32.interpreter = t / "ld/ld-test32.so.2";
        abi32.system_dirs = {t / "sys32/"};
        abi32.lib = "lib32";
        abi32.platform = "i686";
        abi32.cache.default_flags = 0x0003;
        cfg.abis = {abi, abi32};
        t.mkdir("sys");
    }

    std::string put(const std::string& rel, ElfSpec s) { return t.write(rel, build_elf(s), 0755); }
    std::string program(const std::string& rel, ElfSpec s) {
        if (!s.interp) s.interp = t / "ld/ld-test.so.2";
        return put(rel, s);
    }
    std::string operator/(const std::string& rel) const { return t / rel; }
};

std::vector<std::string> paths(const Resolution& r) {
    std::vector<std::string> out;
    for (const jk::elf::Library& l : r.libraries) out.push_back(l.path);
    return out;
}

std::vector<std::string> missing(const Resolution& r) {
    std::vector<std::string> out;
    for (const jk::elf::Missing& m : r.missing) out.push_back(m.name + " <- " + m.needed_by);
    return out;
}

std::string elf_error_of(Resolver& r, const std::string& path) {
    try {
        r.resolve(path);
    } catch (const jk::ElfError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("hwcap_subdirs lays out glibc-hwcaps and legacy subdirectories like ld.so 2.36", "[resolver]") {
    // The x86_64 list is what this host's ld.so prints with LD_DEBUG=libs.
    CHECK(jk::elf::hwcap_subdirs({"x86-64-v3", "x86-64-v2"}, {"x86_64"}, "x86_64") ==
          std::vector<std::string>{"glibc-hwcaps/x86-64-v3/", "glibc-hwcaps/x86-64-v2/", "tls/x86_64/x86_64/",
                                   "tls/x86_64/", "tls/x86_64/", "tls/", "x86_64/x86_64/", "x86_64/", "x86_64/"});
    CHECK(jk::elf::hwcap_subdirs({}, {"sse2"}, "i686") ==
          std::vector<std::string>{"tls/i686/sse2/", "tls/i686/", "tls/sse2/", "tls/", "i686/sse2/", "i686/", "sse2/"});
    CHECK(jk::elf::hwcap_subdirs({}, {}, "") == std::vector<std::string>{"tls/"});
}

TEST_CASE("expand_dst substitutes ORIGIN, LIB and PLATFORM as ld.so does", "[resolver]") {
    jk::elf::DstValues v{"/o", "lib/x86_64-linux-gnu", "x86_64"};
    using jk::elf::expand_dst;
    CHECK(expand_dst("$ORIGIN/../lib", v) == "/o/../lib");
    CHECK(expand_dst("${ORIGIN}/x:$LIB/$PLATFORM", v) == "/o/x:lib/x86_64-linux-gnu/x86_64");
    CHECK(expand_dst("/a/$ORIGINAL/b", v) == "/a/$ORIGINAL/b");  // not a token: identifier continues
    CHECK(expand_dst("/a/$ORIGIN_X", v) == "/a/$ORIGIN_X");
    CHECK(expand_dst("${ORIGIN", v) == "${ORIGIN");  // unclosed brace: literal
    CHECK(expand_dst("$$ORIGIN$", v) == "$/o$");
    CHECK(expand_dst("$HOME/lib", v) == "$HOME/lib");
    CHECK(expand_dst("/plain", v) == "/plain");
    jk::elf::DstValues no_platform{"/o", "lib", ""};
    CHECK_FALSE(expand_dst("/x/$PLATFORM", no_platform));
    CHECK(expand_dst("/x/$LIB", no_platform) == "/x/lib");
}

TEST_CASE("host_abis describe this Debian x86_64 host", "[resolver]") {
    std::vector<jk::elf::Abi> abis = jk::elf::host_abis();
    REQUIRE(abis.size() == 2);
    const jk::elf::Abi& a = abis[0];
    CHECK(a.machine == jk::elf::machine_x86_64);
    CHECK(a.interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(a.system_dirs ==
          std::vector<std::string>{"/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/"});
    CHECK(a.lib == "lib/x86_64-linux-gnu");
    CHECK_FALSE(a.platform.empty());
    REQUIRE_FALSE(a.subdirs.empty());
    CHECK(a.subdirs.back() == "x86_64/");
    CHECK(a.cache.default_flags == 0x0303);
    CHECK(abis[1].machine == jk::elf::machine_386);
    CHECK(abis[1].elf_class == jk::elf::ElfClass::Elf32);
    CHECK(abis[1].platform == "i686");
}

TEST_CASE("the host's bash resolves to libc and the loader, in load order", "[resolver]") {
    Resolver r = Resolver::for_host();
    Resolution bash = r.resolve("/bin/bash");
    CHECK(bash.kind == FileKind::Dynamic);
    CHECK(bash.interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(bash.missing.empty());
    auto find = [&](const std::string& name) {
        for (std::size_t i = 0; i < bash.libraries.size(); ++i)
            if (bash.libraries[i].name == name) return i;
        return bash.libraries.size();
    };
    std::size_t libc = find("libc.so.6"), ld = find("ld-linux-x86-64.so.2");
    REQUIRE(libc < bash.libraries.size());
    REQUIRE(ld < bash.libraries.size());
    CHECK(libc < ld);  // breadth first: libc before what libc needs
    CHECK(bash.libraries[libc].needed_by == "/bin/bash");
    CHECK(::access(bash.libraries[libc].path.c_str(), R_OK) == 0);
    CHECK(bash.libraries[ld].path == "/lib64/ld-linux-x86-64.so.2");
    CHECK(bash.libraries[ld].needed_by == bash.libraries[libc].path);

    Resolution libc_so = r.resolve(bash.libraries[libc].path);
    REQUIRE(libc_so.libraries.size() == 1);
    CHECK(libc_so.libraries[0].path == "/lib64/ld-linux-x86-64.so.2");
    // (libc.so.6 is also a program, printing its version: it has a PT_INTERP.)
    CHECK(libc_so.missing.empty());
}

TEST_CASE("RPATH serves the loading chain, RUNPATH only direct needs, and voids RPATH", "[resolver]") {
    World w;
    w.put("a/libjkt_a.so", lib({"libjkt_b.so"}));
    w.put("a/libjkt_b.so", lib());
    w.put("b/libjkt_x.so", lib());
    Resolver r(w.cfg);

    SECTION("RPATH of the program finds a dependency's dependency") {
        std::string prog = w.program("bin/p", with_rpath(lib({"libjkt_a.so"}), w / "a"));
        Resolution res = r.resolve(prog);
        CHECK(res.kind == FileKind::Dynamic);
        CHECK(res.interpreter == w / "ld/ld-test.so.2");
        CHECK(paths(res) == std::vector<std::string>{w / "a/libjkt_a.so", w / "a/libjkt_b.so"});
        CHECK(res.libraries[0].needed_by == prog);
        CHECK(res.libraries[1].needed_by == w / "a/libjkt_a.so");
        CHECK(res.missing.empty());
    }
    SECTION("RUNPATH does not reach a dependency's dependency") {
        std::string prog = w.program("bin/p", with_runpath(lib({"libjkt_a.so"}), w / "a"));
        Resolution res = r.resolve(prog);
        CHECK(paths(res) == std::vector<std::string>{w / "a/libjkt_a.so"});
        CHECK(missing(res) == std::vector<std::string>{"libjkt_b.so <- " + (w / "a/libjkt_a.so")});
    }
    SECTION("an object's RUNPATH voids its RPATH") {
        std::string prog =
            w.program("bin/p", with_runpath(with_rpath(lib({"libjkt_x.so", "libjkt_b.so"}), w / "b"), w / "a"));
        Resolution res = r.resolve(prog);
        CHECK(paths(res) == std::vector<std::string>{w / "a/libjkt_b.so"});
        CHECK(missing(res) == std::vector<std::string>{"libjkt_x.so <- " + prog});
    }
    SECTION("RPATH climbs past a loader whose RUNPATH voids its own RPATH") {
        // m1's RPATH names a decoy directory: void, because m1 has a RUNPATH.
        w.put("m1/libjkt_m1.so",
              with_rpath(with_runpath(lib({"libjkt_m2.so", "libjkt_m4.so"}), w / "m2"), w / "decoy"));
        w.put("m2/libjkt_m2.so", lib({"libjkt_m3.so"}));
        w.put("m1/libjkt_m3.so", lib());
        w.put("decoy/libjkt_m3.so", lib());
        w.put("m1/libjkt_m4.so", lib());
        w.put("decoy/libjkt_m4.so", lib());
        std::string prog = w.program("bin/p", with_rpath(lib({"libjkt_m1.so"}), w / "m1"));
        Resolution res = r.resolve(prog);
        CHECK(paths(res) ==
              std::vector<std::string>{w / "m1/libjkt_m1.so", w / "m2/libjkt_m2.so", w / "m1/libjkt_m3.so"});
        // m1 itself has a RUNPATH, so no RPATH at all serves its own needs,
        // not even the program's.
        CHECK(missing(res) == std::vector<std::string>{"libjkt_m4.so <- " + (w / "m1/libjkt_m1.so")});
    }
}

TEST_CASE("$ORIGIN of a program is its canonical directory; tokens work in DT_NEEDED too", "[resolver]") {
    World w;
    w.put("real/lib/libjkt_o.so", lib());
    w.put("real/lib64/libjkt_l.so", lib());
    w.put("real/x86_64/libjkt_p.so", lib());
    w.program("real/bin/p", with_runpath(lib({"libjkt_o.so", "$ORIGIN/../lib64/libjkt_l.so", "libjkt_p.so"}),
                                         "${ORIGIN}/../lib:" + (w / "real/$PLATFORM")));
    std::filesystem::create_symlink(w / "real", w / "link");
    Resolver r(w.cfg);
    Resolution res = r.resolve(w / "link/bin/p");
    CHECK(paths(res) == std::vector<std::string>{w / "real/bin/../lib/libjkt_o.so", w / "real/bin/../lib64/libjkt_l.so",
                                                 w / "real/x86_64/libjkt_p.so"});
    CHECK(res.missing.empty());

    SearchConfig no_platform = w.cfg;
    no_platform.abis[0].platform = "";
    Resolver r2(no_platform);
    w.program("bin/q", lib({"libjkt_$PLATFORM.so"}));
    CHECK_THAT(elf_error_of(r2, w / "bin/q"), Catch::Contains("empty dynamic string token substitution"));
}

TEST_CASE("candidates of another class or machine are skipped, not refused", "[resolver]") {
    World w;
    ElfSpec c32 = lib();
    c32.cls = jk::elf::ElfClass::Elf32;
    c32.machine = jk::elf::machine_386;
    w.put("c/libjkt_w.so", c32);
    ElfSpec arm = lib();
    arm.machine = jk::elf::machine_aarch64;
    w.put("e/libjkt_w.so", arm);
    ElfSpec big = lib();
    big.endian = jk::elf::Endian::Big;  // reads as another machine to ld.so
    w.put("f/libjkt_w.so", big);
    ElfSpec x32 = lib();  // 32-bit class, x86_64 machine: only the class differs
    x32.cls = jk::elf::ElfClass::Elf32;
    w.put("x/libjkt_w.so", x32);
    w.put("d/libjkt_w.so", lib());
    Resolver r(w.cfg);
    std::string prog =
        w.program("bin/p", with_rpath(lib({"libjkt_w.so"}), w / "c:" + w / "e:" + w / "f:" + w / "x:" + w / "d"));
    CHECK(paths(r.resolve(prog)) == std::vector<std::string>{w / "d/libjkt_w.so"});

    SECTION("a 32-bit program is resolved for the i386 ABI and takes the 32-bit file") {
        ElfSpec p32 = with_rpath(lib({"libjkt_w.so"}), w / "d:" + w / "c");
        p32.cls = jk::elf::ElfClass::Elf32;
        p32.machine = jk::elf::machine_386;
        p32.interp = w / "ld/ld-test32.so.2";
        Resolution res = r.resolve(w.put("bin/p32", p32));
        CHECK(res.kind == FileKind::Dynamic);
        CHECK(paths(res) == std::vector<std::string>{w / "c/libjkt_w.so"});
    }
}

TEST_CASE("a loaded object answers to its soname and to any name of its inode", "[resolver]") {
    World w;
    ElfSpec q = lib();
    q.soname = "libjkt_q.so.1";
    w.put("g/libjkt_q-real.so", q);
    w.put("a/libjkt_r.so", lib({"libjkt_q.so.1"}));
    w.put("i/libjkt_i.so.1", lib());
    std::filesystem::create_symlink("libjkt_i.so.1", w / "i/libjkt_i.so");
    Resolver r(w.cfg);
    std::string prog = w.program(
        "bin/p",
        with_rpath(lib({w / "g/libjkt_q-real.so", "libjkt_r.so", "libjkt_i.so.1", "libjkt_i.so"}), w / "a:" + w / "i"));
    Resolution res = r.resolve(prog);
    CHECK(paths(res) == std::vector<std::string>{w / "g/libjkt_q-real.so", w / "a/libjkt_r.so", w / "i/libjkt_i.so.1"});
    CHECK(res.missing.empty());

    SECTION("the dynamic loader is found by its soname, never searched") {
        std::string p2 = w.program("bin/p2", lib({"ld-test.so.2"}));
        Resolution r2 = r.resolve(p2);
        REQUIRE(r2.libraries.size() == 1);
        CHECK(r2.libraries[0].name == "ld-test.so.2");
        CHECK(r2.libraries[0].path == w / "ld/ld-test.so.2");
    }
}

TEST_CASE("system directories come last, with hwcaps subdirectories first; NODEFLIB skips them", "[resolver]") {
    World w;
    w.put("sys/libjkt_s.so", lib());
    w.put("sys/glibc-hwcaps/x86-64-v2/libjkt_h.so", lib());
    w.put("sys/glibc-hwcaps/x86-64-v3/libjkt_h.so", lib());  // not a supported level here
    w.put("sys/libjkt_h.so", lib());
    w.put("sys/tls/libjkt_t.so", lib());
    w.put("sys/libjkt_t.so", lib());
    w.put("r/libjkt_s.so", lib());
    Resolver r(w.cfg);
    CHECK(paths(r.resolve(w.program("bin/p", lib({"libjkt_s.so", "libjkt_h.so", "libjkt_t.so"})))) ==
          std::vector<std::string>{w / "sys/libjkt_s.so", w / "sys/glibc-hwcaps/x86-64-v2/libjkt_h.so",
                                   w / "sys/tls/libjkt_t.so"});
    CHECK(paths(r.resolve(w.program("bin/rp", with_rpath(lib({"libjkt_s.so"}), w / "r")))) ==
          std::vector<std::string>{w / "r/libjkt_s.so"});
    ElfSpec nodef = lib({"libjkt_s.so"});
    nodef.flags_1 = jk::elf::df_1_nodeflib;
    Resolution res = r.resolve(w.program("bin/nodef", nodef));
    CHECK(res.libraries.empty());
    CHECK(missing(res) == std::vector<std::string>{"libjkt_s.so <- " + (w / "bin/nodef")});
}

TEST_CASE("the cache is consulted after the search paths and before the system directories", "[resolver]") {
    World w;
    w.put("cached/libjkt_c.so.1", lib());
    w.put("sys/libjkt_c.so.1", lib());
    w.put("sys/libjkt_d.so.1", lib());
    w.put("conf/libjkt_only_conf.so", lib());
    jk::elf::LdCache cache;
    cache.new_format = true;
    cache.entries.push_back({0x0303, "libjkt_d.so.1", w / "sys/libjkt_d.so.1", 0, std::nullopt, 0});
    cache.entries.push_back({0x0303, "libjkt_c.so.1", w / "cached/libjkt_c.so.1", 0, std::nullopt, 0});
    cache.entries.push_back({0x0003, "libjkt_c.so.1", w / "cached32/libjkt_c.so.1", 0, std::nullopt, 0});
    w.cfg.conf_dirs = {w / "conf"};

    SECTION("a cache entry wins over the system directories") {
        w.cfg.cache = cache;
        Resolver r(w.cfg);
        Resolution res = r.resolve(w.program("bin/p", lib({"libjkt_c.so.1", "libjkt_only_conf.so"})));
        CHECK(paths(res) == std::vector<std::string>{w / "cached/libjkt_c.so.1"});
        // ld.so never reads ld.so.conf: with a cache, its directories are not searched.
        CHECK(missing(res) == std::vector<std::string>{"libjkt_only_conf.so <- " + (w / "bin/p")});
    }
    SECTION("NODEFLIB discards cache entries in system directories only") {
        w.cfg.cache = cache;
        Resolver r(w.cfg);
        ElfSpec nodef = lib({"libjkt_c.so.1", "libjkt_d.so.1"});
        nodef.flags_1 = jk::elf::df_1_nodeflib;
        Resolution res = r.resolve(w.program("bin/nodef", nodef));
        CHECK(paths(res) == std::vector<std::string>{w / "cached/libjkt_c.so.1"});
        CHECK(missing(res) == std::vector<std::string>{"libjkt_d.so.1 <- " + (w / "bin/nodef")});
    }
    SECTION("without a cache, ld.so.conf's directories stand in for it") {
        Resolver r(w.cfg);
        Resolution res = r.resolve(w.program("bin/p", lib({"libjkt_c.so.1", "libjkt_only_conf.so"})));
        CHECK(paths(res) == std::vector<std::string>{w / "sys/libjkt_c.so.1", w / "conf/libjkt_only_conf.so"});
    }
}

TEST_CASE("not-found names are reported once per needing object", "[resolver]") {
    World w;
    w.put("a/libjkt_n.so", lib({"libjkt_nope.so"}));
    Resolver r(w.cfg);
    std::string prog = w.program(
        "bin/p",
        with_rpath(lib({"libjkt_nope.so", "libjkt_n.so", "libjkt_nope.so", w / "nowhere/libjkt_abs.so"}), w / "a"));
    Resolution res = r.resolve(prog);
    CHECK(paths(res) == std::vector<std::string>{w / "a/libjkt_n.so"});
    CHECK(missing(res) == std::vector<std::string>{"libjkt_nope.so <- " + prog, w / "nowhere/libjkt_abs.so <- " + prog,
                                                   "libjkt_nope.so <- " + (w / "a/libjkt_n.so")});
}

TEST_CASE("a candidate ld.so would choke on makes resolve throw, naming it and its needer", "[resolver]") {
    World w;
    std::string whole = build_elf(lib());
    w.t.write("z/libjkt_trunc.so", whole.substr(0, 10));
    w.t.write("z/libjkt_text.so", std::string(100, 'x'));
    ElfSpec exe = lib();
    exe.type = jk::elf::type_exec;
    w.put("z/libjkt_exec.so", exe);
    ElfSpec pie = lib();
    pie.flags_1 = jk::elf::df_1_pie;
    w.put("z/libjkt_pie.so", pie);
    w.t.mkdir("z/libjkt_dir.so");
    std::string short_dyn = build_elf(lib({"libjkt_x.so"}));
    w.t.write("z/libjkt_cut.so", short_dyn.substr(0, short_dyn.size() - 8));
    Resolver r(w.cfg);
    const std::pair<const char*, const char*> cases[] = {
        {"libjkt_trunc.so", "file too short"},
        {"libjkt_text.so", "invalid ELF header"},
        {"libjkt_exec.so", "cannot dynamically load executable"},
        {"libjkt_pie.so", "cannot dynamically load position-independent executable"},
        {"libjkt_dir.so", "Is a directory"},
        {"libjkt_cut.so", "PT_DYNAMIC segment"},
    };
    for (const auto& [name, why] : cases) {
        CAPTURE(name);
        std::string prog = w.program(std::string("bin/") + name, with_rpath(lib({name}), w / "z"));
        std::string msg = elf_error_of(r, prog);
        CHECK_THAT(msg, Catch::Contains(why));
        CHECK_THAT(msg, Catch::Contains(w / ("z/" + std::string(name))));
        CHECK_THAT(msg, Catch::Contains("needed by '" + prog + "'"));
    }
}

TEST_CASE("files that are not dynamic ELF for this host are classified, not resolved", "[resolver]") {
    World w;
    Resolver r(w.cfg);
    CHECK(r.resolve(w.t.write("script", "#!/bin/sh\nexit 0\n")).kind == FileKind::NotElf);
    CHECK(r.resolve(w.t.write("empty", "")).kind == FileKind::NotElf);
    CHECK(r.resolve(w.t.path()).kind == FileKind::NotElf);
    std::string fifo = w / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(r.resolve(fifo).kind == FileKind::NotElf);
    CHECK_THROWS_AS(r.resolve(w / "absent"), jk::SysError);

    ElfSpec arm = lib({"libwhatever.so"});
    arm.machine = jk::elf::machine_aarch64;
    Resolution foreign = r.resolve(w.put("arm", arm));
    CHECK(foreign.kind == FileKind::Foreign);
    CHECK(foreign.libraries.empty());
    ElfSpec big = lib({"libwhatever.so"});
    big.endian = jk::elf::Endian::Big;
    CHECK(r.resolve(w.put("big", big)).kind == FileKind::Foreign);
    std::string arm_bytes = build_elf(arm);
    CHECK(r.resolve(w.t.write("arm-cut", arm_bytes.substr(0, 100))).kind == FileKind::Foreign);

    ElfSpec st;
    st.type = jk::elf::type_exec;
    st.dynamic = false;
    Resolution stat = r.resolve(w.put("static", st));
    CHECK(stat.kind == FileKind::Static);
    CHECK_FALSE(stat.dynamic());
    CHECK(stat.interpreter.empty());

    // A separate debug-info file: headers kept, contents gone.
    jk::test::ElfLayout l;
    std::string dbg = build_elf(with_rpath(lib({"libx.so"}), "/x"), &l);
    jk::test::detail::put(dbg, l.phoff + l.dynamic_index * l.phentsize + 32, 0, 8, jk::elf::Endian::Little);
    CHECK(r.resolve(w.t.write("x.debug", dbg)).kind == FileKind::Static);

    Resolution no_needed = r.resolve(w.program("noneeded", lib()));
    CHECK(no_needed.kind == FileKind::Dynamic);
    CHECK(no_needed.libraries.empty());

    std::string ours = build_elf(lib({"libx.so"}));
    CHECK_THAT(elf_error_of(r, w.t.write("cut", ours.substr(0, 40))), Catch::Contains("too short"));
    CHECK_THROWS_AS(r.resolve(w.t.write("cut2", ours.substr(0, ours.size() - 3))), jk::ElfError);
    std::string padded = ours;
    padded[9] = 1;  // nonzero e_ident padding: ld.so refuses the program
    CHECK_THAT(elf_error_of(r, w.t.write("padded", padded)), Catch::Contains("nonzero padding"));
}

TEST_CASE("the resolver caches what it read until clear_cache", "[resolver]") {
    World w;
    w.put("a/libjkt_a.so", lib());
    Resolver r(w.cfg);
    std::string prog = w.program("bin/p", with_rpath(lib({"libjkt_a.so"}), w / "a"));
    Resolution first = r.resolve(prog);
    REQUIRE(paths(first) == std::vector<std::string>{w / "a/libjkt_a.so"});
    std::filesystem::remove(w / "a/libjkt_a.so");
    CHECK(paths(r.resolve(prog)) == paths(first));
    r.clear_cache();
    Resolution after = r.resolve(prog);
    CHECK(after.libraries.empty());
    CHECK(after.missing.size() == 1);

    Resolver moved = std::move(r);
    CHECK(moved.resolve(prog).missing.size() == 1);
    CHECK(moved.config().abis.size() == 2);
}
