// jk::elf parsing: real host files, hand-built images of every class and byte
// order, and hostile input (truncation at every length, corrupted tables,
// random mutations), which must give ElfError and nothing worse.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "catch.hpp"
#include "jk/elf.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/sys.hpp"
#include "tests/elf/elf_builder.hpp"
#include "tests/elf/test_support.hpp"

using jk::ElfError;
using jk::elf::ElfClass;
using jk::elf::Endian;
using jk::test::build_elf;
using jk::test::ElfLayout;
using jk::test::ElfSpec;

namespace {

const std::string host_bash = "/bin/bash";
const std::string host_libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

ElfSpec full_spec(ElfClass c, Endian e) {
    ElfSpec s;
    s.cls = c;
    s.endian = e;
    s.machine = c == ElfClass::Elf64 ? jk::elf::machine_x86_64 : jk::elf::machine_386;
    s.interp = "/lib/ld-test.so.1";
    s.needed = {"libone.so.1", "libtwo.so.2"};
    s.soname = "libself.so.3";
    s.rpath = "/opt/r1:$ORIGIN/r2";
    s.runpath = "/opt/run";
    s.flags_1 = jk::elf::df_1_nodeflib;
    return s;
}

void put(std::string& b, std::size_t off, std::uint64_t v, std::size_t n, Endian e = Endian::Little) {
    jk::test::detail::put(b, off, v, n, e);
}

// Offset of the value of the first dynamic entry with tag (64-bit LE image).
std::size_t dyn_value_offset(const std::string& b, const ElfLayout& l, std::uint64_t tag) {
    for (std::size_t at = l.dyn_off; at + 16 <= l.dyn_off + l.dyn_size; at += 16) {
        std::uint64_t t = 0;
        for (std::size_t i = 0; i < 8; ++i) t |= std::uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
        if (t == tag) return at + 8;
    }
    FAIL("no dynamic entry with tag " << tag);
    return 0;
}

std::string elf_error_of(const std::string& bytes) {
    try {
        jk::elf::parse(bytes, "x.so");
    } catch (const ElfError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("parse reads a real executable and a real library of this host", "[elf]") {
    jk::elf::ElfInfo bash = jk::elf::parse(jk::sys::read_file(host_bash), host_bash);
    CHECK(bash.elf_class() == ElfClass::Elf64);
    CHECK(bash.endian() == Endian::Little);
    CHECK(bash.machine() == jk::elf::machine_x86_64);
    CHECK(bash.has_interp);
    CHECK(bash.interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(bash.has_dynamic);
    CHECK(std::find(bash.needed.begin(), bash.needed.end(), "libc.so.6") != bash.needed.end());
    CHECK(bash.needed.size() == bash.dependencies.size());

    jk::elf::ElfInfo libc = jk::elf::parse(jk::sys::read_file(host_libc), host_libc);
    CHECK(libc.type() == jk::elf::type_dyn);
    CHECK(libc.soname == "libc.so.6");
    CHECK(libc.needed == std::vector<std::string>{"ld-linux-x86-64.so.2"});
    CHECK_FALSE(libc.rpath);
    CHECK_FALSE(libc.runpath);
}

TEST_CASE("read_elf over an fd agrees with parse over the whole file", "[elf]") {
    for (const std::string& path : {host_bash, host_libc}) {
        jk::elf::ElfInfo whole = jk::elf::parse(jk::sys::read_file(path), path);
        std::optional<jk::elf::ElfInfo> by_fd = jk::elf::read_elf_file(path);
        REQUIRE(by_fd);
        CHECK(by_fd->interpreter == whole.interpreter);
        CHECK(by_fd->needed == whole.needed);
        CHECK(by_fd->soname == whole.soname);
        CHECK(by_fd->flags_1 == whole.flags_1);
        CHECK(by_fd->ident.phentsize == whole.ident.phentsize);
    }
}

TEST_CASE("hand-built images of both classes and byte orders parse to what was built", "[elf]") {
    for (ElfClass c : {ElfClass::Elf32, ElfClass::Elf64}) {
        for (Endian e : {Endian::Little, Endian::Big}) {
            CAPTURE(static_cast<int>(c), static_cast<int>(e));
            ElfSpec spec = full_spec(c, e);
            jk::elf::ElfInfo info = jk::elf::parse(build_elf(spec), "built");
            CHECK(info.elf_class() == c);
            CHECK(info.endian() == e);
            CHECK(info.machine() == spec.machine);
            CHECK(info.type() == jk::elf::type_dyn);
            CHECK(info.ident.version == 1);
            CHECK(info.ident.phentsize == jk::elf::program_header_size(c));
            CHECK(info.interpreter == "/lib/ld-test.so.1");
            CHECK(info.needed == spec.needed);
            CHECK(info.soname == "libself.so.3");
            CHECK(info.rpath == "/opt/r1:$ORIGIN/r2");
            CHECK(info.runpath == "/opt/run");
            CHECK(info.flags_1 == jk::elf::df_1_nodeflib);
            CHECK(info.has_load);
        }
    }
}

TEST_CASE("an image without PT_DYNAMIC or strings is static and needs no string table", "[elf]") {
    ElfSpec s;
    s.type = jk::elf::type_exec;
    s.dynamic = false;
    jk::elf::ElfInfo info = jk::elf::parse(build_elf(s), "static");
    CHECK_FALSE(info.has_dynamic);
    CHECK_FALSE(info.has_interp);
    CHECK(info.needed.empty());

    jk::elf::ElfInfo empty = jk::elf::parse(build_elf({}), "no-needed");
    CHECK(empty.has_dynamic);
    CHECK(empty.needed.empty());
    CHECK_FALSE(empty.soname);
}

TEST_CASE("empty PT_INTERP and PT_DYNAMIC, as in separate debug-info files, count as absent", "[elf]") {
    ElfSpec s = full_spec(ElfClass::Elf64, Endian::Little);
    ElfLayout l;
    std::string img = build_elf(s, &l);
    put(img, l.phoff + 32, 0, 8);                                  // PT_INTERP (index 0) p_filesz
    put(img, l.phoff + l.dynamic_index * l.phentsize + 32, 0, 8);  // PT_DYNAMIC p_filesz
    jk::elf::ElfInfo info = jk::elf::parse(img, "x.debug");
    CHECK_FALSE(info.has_interp);
    CHECK_FALSE(info.has_dynamic);
    CHECK(info.needed.empty());

    std::string short_dyn = build_elf(s, &l);
    put(short_dyn, l.phoff + l.dynamic_index * l.phentsize + 32, 7, 8);
    CHECK_THAT(elf_error_of(short_dyn), Catch::Contains("shorter than one entry"));
}

TEST_CASE("looks_like_elf checks the magic only", "[elf]") {
    CHECK(
        jk::elf::looks_like_elf(std::string("\x7f"
                                            "ELF",
                                            4)));
    CHECK(jk::elf::looks_like_elf(build_elf({})));
    CHECK_FALSE(
        jk::elf::looks_like_elf(std::string("\x7f"
                                            "EL",
                                            3)));
    CHECK_FALSE(jk::elf::looks_like_elf("#!/bin/sh\n"));
    CHECK_FALSE(jk::elf::looks_like_elf(""));
}

TEST_CASE("every truncation of a real header is an ElfError", "[elf]") {
    std::string bash = jk::sys::read_file(host_bash);
    REQUIRE(bash.size() > 8192);
    // bash's dynamic segment lies far beyond its first pages, so every one
    // of these prefixes is missing something the parser needs.
    for (std::size_t n = 0; n <= 8192; ++n) {
        CAPTURE(n);
        CHECK_THROWS_AS(jk::elf::parse(std::string_view(bash).substr(0, n), host_bash), ElfError);
    }
}

TEST_CASE("every truncation of a built image is an ElfError, also when read from an fd", "[elf]") {
    for (ElfClass c : {ElfClass::Elf32, ElfClass::Elf64}) {
        for (Endian e : {Endian::Little, Endian::Big}) {
            std::string img = build_elf(full_spec(c, e));
            for (std::size_t n = 0; n < img.size(); ++n) {
                CAPTURE(n);
                CHECK_THROWS_AS(jk::elf::parse(std::string_view(img).substr(0, n), "cut"), ElfError);
            }
        }
    }
    jk::test::TempDir dir;
    std::string img = build_elf(full_spec(ElfClass::Elf64, Endian::Little));
    for (std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{20}, std::size_t{63}, std::size_t{64},
                          std::size_t{200}, img.size() - 1}) {
        CAPTURE(n);
        std::string path = dir.write("cut" + std::to_string(n), img.substr(0, n));
        if (n < 4) {
            CHECK_FALSE(jk::elf::read_elf_file(path));  // no magic: not ELF
        } else {
            CHECK_THROWS_AS(jk::elf::read_elf_file(path), ElfError);
        }
    }
}

TEST_CASE("random corruption of a valid image gives a result or ElfError, never anything else", "[elf]") {
    std::string good = build_elf(full_spec(ElfClass::Elf64, Endian::Little));
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int parsed = 0, refused = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string b = good;
        int flips = 1 + static_cast<int>(next() % 4);
        for (int f = 0; f < flips; ++f) b[next() % b.size()] = static_cast<char>(next() & 0xff);
        try {
            jk::elf::parse(b, "fuzz");
            ++parsed;
        } catch (const ElfError&) {
            ++refused;
        }
    }
    // Both outcomes occur: the mutations reach the checks and the parser
    // does not simply refuse everything.
    CHECK(parsed > 0);
    CHECK(refused > 0);
}

TEST_CASE("the fd reader and the in-memory parser agree on corrupted images", "[elf]") {
    jk::test::TempDir dir;
    std::string good = build_elf(full_spec(ElfClass::Elf32, Endian::Big));
    std::uint64_t state = 0x853c49e6748fea9bULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int i = 0; i < 300; ++i) {
        std::string b = good;
        b[4 + next() % (b.size() - 4)] = static_cast<char>(next() & 0xff);  // keep the magic
        std::string path = dir.write("m" + std::to_string(i), b);
        std::string mem_error = elf_error_of(b);
        std::string fd_error;
        std::optional<jk::elf::ElfInfo> by_fd;
        try {
            by_fd = jk::elf::read_elf_file(path);
        } catch (const ElfError& e) {
            fd_error = e.what();
        }
        CAPTURE(i, mem_error, fd_error);
        CHECK(mem_error.empty() == fd_error.empty());
        if (mem_error.empty() && by_fd) CHECK(by_fd->needed == jk::elf::parse(b, "x.so").needed);
    }
}

TEST_CASE("garbage and invalid identification bytes are refused clearly", "[elf]") {
    CHECK_THAT(elf_error_of("this is not an ELF file at all, just words and words and words......."),
               Catch::Contains("bad magic"));
    std::string img = build_elf({});
    std::string bad_class = img;
    bad_class[4] = 7;
    CHECK_THAT(elf_error_of(bad_class), Catch::Contains("invalid ELF class 7"));
    std::string bad_data = img;
    bad_data[5] = 0;
    CHECK_THAT(elf_error_of(bad_data), Catch::Contains("invalid ELF data encoding"));
    CHECK_THAT(elf_error_of(img.substr(0, 10)), Catch::Contains("too short"));
    CHECK_THROWS_AS(jk::elf::identify(img.substr(0, 30), "short"), ElfError);
    CHECK(jk::elf::identify(img.substr(0, 64), "hdr").machine == jk::elf::machine_x86_64);
}

TEST_CASE("hostile program header tables are refused", "[elf]") {
    ElfLayout l;
    std::string img = build_elf(full_spec(ElfClass::Elf64, Endian::Little), &l);

    std::string huge = img;
    put(huge, 56, 0xffff, 2);  // e_phnum
    CHECK_THAT(elf_error_of(huge), Catch::Contains("program header table"));

    std::string far = img;
    put(far, 32, 0xfffffffffffffff0ULL, 8);  // e_phoff near the top: no overflow
    CHECK_THAT(elf_error_of(far), Catch::Contains("extends past the end"));

    std::string small = img;
    put(small, 54, 20, 2);  // e_phentsize
    CHECK_THAT(elf_error_of(small), Catch::Contains("program header entry size 20"));

    std::string dyn_past = img;
    std::size_t dyn_ph = l.phoff + l.dynamic_index * l.phentsize;
    put(dyn_past, dyn_ph + 8, img.size() + 100, 8);  // PT_DYNAMIC p_offset
    CHECK_THAT(elf_error_of(dyn_past), Catch::Contains("PT_DYNAMIC segment"));

    std::string dyn_huge = img;
    put(dyn_huge, dyn_ph + 32, 0xffffffffffffff00ULL, 8);  // PT_DYNAMIC p_filesz
    CHECK_THAT(elf_error_of(dyn_huge), Catch::Contains("PT_DYNAMIC segment"));

    std::string interp_no_nul = img;
    interp_no_nul[l.interp_off + std::string("/lib/ld-test.so.1").size()] = 'x';
    CHECK_THAT(elf_error_of(interp_no_nul), Catch::Contains("PT_INTERP is not NUL-terminated"));
}

TEST_CASE("hostile string tables are refused", "[elf]") {
    ElfLayout l;
    std::string img = build_elf(full_spec(ElfClass::Elf64, Endian::Little), &l);

    std::string outside = img;
    put(outside, dyn_value_offset(img, l, 1 /*DT_NEEDED*/), l.strtab_size + 5, 8);
    CHECK_THAT(elf_error_of(outside), Catch::Contains("DT_NEEDED string offset") && Catch::Contains("outside"));

    std::string no_nul = img;
    put(no_nul, dyn_value_offset(img, l, 10 /*DT_STRSZ*/), l.strtab_size - 1, 8);  // cuts the last NUL
    CHECK_THAT(elf_error_of(no_nul), Catch::Contains("not NUL-terminated"));

    std::string too_big = img;
    put(too_big, dyn_value_offset(img, l, 10 /*DT_STRSZ*/), 0x7fffffffffffffffULL, 8);
    CHECK_THAT(elf_error_of(too_big), Catch::Contains("extends past the end"));

    std::string unmapped = img;
    put(unmapped, dyn_value_offset(img, l, 5 /*DT_STRTAB*/), 0xdead0000, 8);
    CHECK_THAT(elf_error_of(unmapped), Catch::Contains("not inside any PT_LOAD segment"));

    std::string no_strtab = img;
    put(no_strtab, dyn_value_offset(img, l, 5 /*DT_STRTAB*/) - 8, 0x6ffffff0, 8);  // retag as DT_VERSYM
    CHECK_THAT(elf_error_of(no_strtab), Catch::Contains("no DT_STRTAB"));
}

TEST_CASE("section headers locate the string table when no segment maps DT_STRTAB", "[elf]") {
    ElfSpec s;
    s.needed = {"libviasections.so"};
    ElfLayout l;
    std::string img = build_elf(s, &l);
    put(img, dyn_value_offset(img, l, 5 /*DT_STRTAB*/), 0xdead0000, 8);
    // Three section headers: null, .dynamic (linked to 2), .dynstr.
    std::size_t shoff = img.size();
    img.resize(shoff + 3 * 64, '\0');
    put(img, shoff + 64 + 4, 6, 4);  // SHT_DYNAMIC
    put(img, shoff + 64 + 24, l.dyn_off, 8);
    put(img, shoff + 64 + 32, l.dyn_size, 8);
    put(img, shoff + 64 + 40, 2, 4);  // sh_link
    put(img, shoff + 128 + 4, 3, 4);  // SHT_STRTAB
    put(img, shoff + 128 + 24, l.strtab_off, 8);
    put(img, shoff + 128 + 32, l.strtab_size, 8);
    put(img, 40, shoff, 8);  // e_shoff
    put(img, 60, 3, 2);      // e_shnum
    jk::elf::ElfInfo info = jk::elf::parse(img, "sections");
    CHECK(info.needed == std::vector<std::string>{"libviasections.so"});

    // A section table that itself points outside the file is refused.
    std::string bad = img;
    put(bad, shoff + 128 + 24, img.size() + 1, 8);
    CHECK_THROWS_AS(jk::elf::parse(bad, "sections"), ElfError);
}

TEST_CASE("read_elf_file skips non-ELF and non-regular files without blocking", "[elf]") {
    jk::test::TempDir dir;
    CHECK_FALSE(jk::elf::read_elf_file(dir.write("script", "#!/bin/sh\necho hi\n")));
    CHECK_FALSE(jk::elf::read_elf_file(dir.path()));
    std::string fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(jk::elf::read_elf_file(fifo));  // O_NONBLOCK: returns at once
    CHECK_THROWS_AS(jk::elf::read_elf_file(dir / "absent"), jk::SysError);
    std::optional<jk::elf::ElfInfo> lib =
        jk::elf::read_elf_file(dir.write("lib.so", build_elf(full_spec(ElfClass::Elf32, Endian::Big))));
    REQUIRE(lib);
    CHECK(lib->needed == std::vector<std::string>{"libone.so.1", "libtwo.so.2"});
}

TEST_CASE("split_search_path keeps empty elements", "[elf]") {
    CHECK(jk::elf::split_search_path("/a:/b") == std::vector<std::string>{"/a", "/b"});
    CHECK(jk::elf::split_search_path("/a::/b:") == std::vector<std::string>{"/a", "", "/b", ""});
    CHECK(jk::elf::split_search_path("") == std::vector<std::string>{""});
}
