// ld.so.conf parsing and loading (includes, cycles, depth), ld.so.cache
// parsing (all three layouts, hostile bytes) and glibc's cache lookup rules.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/ldso.hpp"
#include "jk/sys.hpp"
#include "tests/elf/test_support.hpp"

using jk::ConfigError;
using jk::elf::CacheQuery;
using jk::elf::ConfDirective;
using jk::elf::LdCache;

namespace {

// ---- ld.so.conf helpers ----

std::vector<std::string> dirs_of(const std::vector<ConfDirective>& ds) {
    std::vector<std::string> out;
    for (const ConfDirective& d : ds)
        if (d.kind == ConfDirective::Kind::Dir) out.push_back(d.value);
    return out;
}

// ---- ld.so.cache builder ----

struct Entry {
    std::int32_t flags = 0x0303;
    std::string key, value;
    std::uint64_t hwcap = 0;
};

std::uint64_t named_hwcap(std::uint32_t index, std::uint32_t isa_level = 0) {
    return (1ULL << 62) | (std::uint64_t{isa_level} << 32) | index;
}

template <typename T>
void put(std::string& b, std::size_t off, T v) {
    if (b.size() < off + sizeof v) b.resize(off + sizeof v, '\0');
    std::memcpy(&b[off], &v, sizeof v);
}

// ldconfig's order: descending by the cache comparison, entries with equal
// keys in the order given.
std::vector<Entry> sorted(std::vector<Entry> es) {
    std::stable_sort(es.begin(), es.end(),
                     [](const Entry& a, const Entry& b) { return jk::elf::cache_libcmp(a.key, b.key) > 0; });
    return es;
}

// The new format starting at `base` of `out`; string offsets count from base,
// extension offsets from the start of the file (as in glibc).
void append_new(std::string& out, const std::vector<Entry>& entries, const std::vector<std::string>& hwcaps,
                std::uint8_t endian_flag = 2) {
    std::size_t base = out.size();
    std::vector<Entry> es = sorted(entries);
    std::size_t strings = base + 48 + es.size() * 24;
    std::string table;
    auto add = [&](const std::string& s) {
        std::size_t at = strings + table.size() - base;
        table += s;
        table += '\0';
        return static_cast<std::uint32_t>(at);
    };
    out.append(48 + es.size() * 24, '\0');
    std::memcpy(&out[base], "glibc-ld.so.cache1.1", 20);
    put<std::uint32_t>(out, base + 20, static_cast<std::uint32_t>(es.size()));
    put<std::uint8_t>(out, base + 28, endian_flag);
    for (std::size_t i = 0; i < es.size(); ++i) {
        std::size_t at = base + 48 + i * 24;
        put<std::int32_t>(out, at, es[i].flags);
        put<std::uint32_t>(out, at + 4, add(es[i].key));
        put<std::uint32_t>(out, at + 8, add(es[i].value));
        put<std::uint64_t>(out, at + 16, es[i].hwcap);
    }
    std::vector<std::uint32_t> names;
    for (const std::string& h : hwcaps) names.push_back(add(h) + static_cast<std::uint32_t>(base));
    put<std::uint32_t>(out, base + 24, static_cast<std::uint32_t>(table.size()));
    out += table;
    if (hwcaps.empty()) return;
    while (out.size() % 4) out += '\0';
    std::size_t ext = out.size();
    put<std::uint32_t>(out, base + 32, static_cast<std::uint32_t>(ext));
    put<std::uint32_t>(out, ext, static_cast<std::uint32_t>(-358342284));
    put<std::uint32_t>(out, ext + 4, 1);
    put<std::uint32_t>(out, ext + 8, 1);  // tag: glibc-hwcaps
    put<std::uint32_t>(out, ext + 16, static_cast<std::uint32_t>(ext + 24));
    put<std::uint32_t>(out, ext + 20, static_cast<std::uint32_t>(names.size() * 4));
    for (std::size_t i = 0; i < names.size(); ++i) put<std::uint32_t>(out, ext + 24 + 4 * i, names[i]);
}

std::string new_cache(const std::vector<Entry>& entries, const std::vector<std::string>& hwcaps = {}) {
    std::string out;
    append_new(out, entries, hwcaps);
    return out;
}

std::string old_cache(const std::vector<Entry>& entries, bool with_new) {
    std::vector<Entry> es = sorted(entries);
    std::string out(16 + es.size() * 12, '\0');
    std::memcpy(&out[0], "ld.so-1.7.0", 11);
    put<std::uint32_t>(out, 12, static_cast<std::uint32_t>(es.size()));
    std::string table;
    auto add = [&](const std::string& s) {
        auto at = static_cast<std::uint32_t>(table.size());
        table += s;
        table += '\0';
        return at;
    };
    std::string new_part;
    if (with_new) {
        // The new table sits at the start of the old string table, aligned.
        while ((out.size() + new_part.size()) % 8) new_part += '\0';
        std::string tmp(out.size() + new_part.size(), '\0');
        append_new(tmp, entries, {});
        new_part += tmp.substr(out.size() + new_part.size());
        table = new_part;
    }
    for (std::size_t i = 0; i < es.size(); ++i) {
        std::size_t at = 16 + i * 12;
        put<std::int32_t>(out, at, 1);
        put<std::uint32_t>(out, at + 4, add(es[i].key));
        put<std::uint32_t>(out, at + 8, add(es[i].value));
    }
    return out + table;
}

CacheQuery x86_64_query() {
    CacheQuery q;
    q.default_flags = 0x0303;
    q.hwcap_allowed = 1u << 1;
    q.platform_mask = 0xfULL << 48;
    q.glibc_hwcaps = {"x86-64-v3", "x86-64-v2"};
    q.isa_levels = 1 | 2 | 4;
    return q;
}

CacheQuery i386_query() {
    CacheQuery q;
    q.default_flags = 0x0003;
    q.also_accept_flag_1 = true;
    q.hwcap_allowed = 1;
    q.platform_mask = 0xfULL << 48;
    q.platform_bit = 1ULL << 49;
    return q;
}

std::string config_error_of(const std::string& bytes) {
    try {
        jk::elf::parse_ld_so_cache(bytes, "/etc/ld.so.cache");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// ---- ld.so.conf ----

TEST_CASE("parse_ld_so_conf: comments, separators, suffixes, include and hwcap lines", "[ldso]") {
    std::vector<ConfDirective> ds = jk::elf::parse_ld_so_conf(
        "# a comment\n"
        "\n"
        "   /usr/local/lib   # trailing comment\n"
        "/opt/a:/opt/b,/opt/c\t/opt/d///\n"
        "/usr/libc5=libc5\n"
        "include /etc/ld.so.conf.d/*.conf   other.d/*.conf\n"
        "hwcap 1 nosegneg\n"
        "HWCAP 2 x\n"
        "includedir\n"
        "/\n");
    CHECK(dirs_of(ds) == std::vector<std::string>{"/usr/local/lib", "/opt/a", "/opt/b", "/opt/c", "/opt/d",
                                                  "/usr/libc5", "includedir", "/"});
    std::vector<ConfDirective> inc;
    for (const ConfDirective& d : ds)
        if (d.kind == ConfDirective::Kind::Include) inc.push_back(d);
    REQUIRE(inc.size() == 2);
    CHECK(inc[0].value == "/etc/ld.so.conf.d/*.conf");
    CHECK(inc[1].value == "other.d/*.conf");
    CHECK(inc[0].line == 6);
    CHECK(ds[0].line == 3);
}

TEST_CASE("load_ld_so_conf follows includes beneath a root, relative to the including file", "[ldso]") {
    jk::test::TempDir root;
    root.write("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n/usr/top\ninclude extra/*.conf\n");
    root.write("etc/ld.so.conf.d/b.conf", "/usr/b\n/usr/shared\n");
    root.write("etc/ld.so.conf.d/a.conf", "/usr/a # first by glob order\n/usr/shared\n");
    root.write("etc/ld.so.conf.d/ignored.txt", "/usr/not-a-conf\n");
    root.write("etc/extra/x.conf", "/usr/x\ninclude /etc/nowhere/*.conf\ninclude /etc/missing.conf\n");
    CHECK(jk::elf::load_ld_so_conf("/etc/ld.so.conf", root.path()) ==
          std::vector<std::string>{"/usr/a", "/usr/shared", "/usr/b", "/usr/top", "/usr/x"});
}

TEST_CASE("load_ld_so_conf survives include cycles and self-inclusion", "[ldso]") {
    jk::test::TempDir root;
    root.write("etc/ld.so.conf", "include /etc/c/*.conf\n/top\n");
    root.write("etc/c/one.conf", "/one\ninclude two.conf\ninclude /etc/ld.so.conf\n");
    root.write("etc/c/two.conf", "/two\ninclude /etc/c/*.conf\n");
    CHECK(jk::elf::load_ld_so_conf("/etc/ld.so.conf", root.path()) == std::vector<std::string>{"/one", "/two", "/top"});
}

TEST_CASE("load_ld_so_conf refuses includes nested too deep, naming file and line", "[ldso]") {
    jk::test::TempDir root;
    root.write("etc/ld.so.conf", "include /etc/d/0.conf\n");
    for (int i = 0; i < 20; ++i)
        root.write("etc/d/" + std::to_string(i) + ".conf",
                   "/d" + std::to_string(i) + "\ninclude /etc/d/" + std::to_string(i + 1) + ".conf\n");
    try {
        jk::elf::load_ld_so_conf("/etc/ld.so.conf", root.path());
        FAIL("no ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.line() == 2);
        CHECK_THAT(e.file(), Catch::EndsWith("/etc/d/15.conf"));
        CHECK_THAT(std::string(e.what()), Catch::Contains("nested deeper than 16"));
    }
}

TEST_CASE("load_ld_so_conf of a missing file is empty; the host's has its multiarch directory", "[ldso]") {
    jk::test::TempDir root;
    CHECK(jk::elf::load_ld_so_conf("/etc/ld.so.conf", root.path()).empty());
    std::vector<std::string> host = jk::elf::load_ld_so_conf();
    CHECK(std::find(host.begin(), host.end(), "/usr/lib/x86_64-linux-gnu") != host.end());
}

// ---- ld.so.cache ----

TEST_CASE("cache_libcmp compares digit runs as numbers", "[ldso]") {
    using jk::elf::cache_libcmp;
    CHECK(cache_libcmp("libfoo.so.10", "libfoo.so.9") > 0);
    CHECK(cache_libcmp("libfoo.so.9", "libfoo.so.10") < 0);
    CHECK(cache_libcmp("libfoo.so.01", "libfoo.so.1") == 0);
    CHECK(cache_libcmp("libfoo.so", "libfoo.so.1") < 0);
    CHECK(cache_libcmp("liba1", "libab") > 0);  // a digit sorts after any other character
    CHECK(cache_libcmp("libab", "liba1") < 0);
    CHECK(cache_libcmp("libz.so.1", "libz.so.1") == 0);
    CHECK(cache_libcmp("libx.so.99999999999999999999999", "libx.so.99999999999999999999998") == 0);  // saturates
}

TEST_CASE("parse_ld_so_cache reads the new format with its glibc-hwcaps extension", "[ldso]") {
    std::string bytes = new_cache({{0x0303, "libfoo.so.1", "/l/libfoo.so.1"},
                                   {0x0303, "libh.so", "/l/glibc-hwcaps/x86-64-v3/libh.so", named_hwcap(1, 2)},
                                   {0x0003, "libfoo.so.1", "/l32/libfoo.so.1"}},
                                  {"x86-64-v2", "x86-64-v3"});
    LdCache c = jk::elf::parse_ld_so_cache(bytes, "cache");
    CHECK(c.new_format);
    REQUIRE(c.entries.size() == 3);
    CHECK(c.entries[0].key == "libh.so");
    CHECK(c.entries[0].hwcaps_subdir == "x86-64-v3");
    CHECK(c.entries[0].isa_level == 2);
    CHECK(c.entries[1].value == "/l/libfoo.so.1");
    CHECK(c.entries[2].flags == 0x0003);
    CHECK_FALSE(c.entries[2].hwcaps_subdir);
}

TEST_CASE("parse_ld_so_cache reads the old format alone and with the new one after it", "[ldso]") {
    std::vector<Entry> es = {{1, "libold.so.1", "/old/libold.so.1"}, {1, "libold.so.2", "/old/libold.so.2"}};
    LdCache old = jk::elf::parse_ld_so_cache(old_cache(es, false), "cache");
    CHECK_FALSE(old.new_format);
    REQUIRE(old.entries.size() == 2);
    CHECK(old.entries[0].key == "libold.so.2");
    CHECK(old.entries[1].value == "/old/libold.so.1");

    LdCache both = jk::elf::parse_ld_so_cache(old_cache(es, true), "cache");
    CHECK(both.new_format);
    REQUIRE(both.entries.size() == 2);
    CHECK(both.entries[0].value == "/old/libold.so.2");
}

TEST_CASE("the host's ld.so.cache parses and finds libc the way ld.so does", "[ldso]") {
    std::optional<LdCache> c = jk::elf::load_ld_so_cache();
    REQUIRE(c);
    CHECK(c->new_format);
    REQUIRE_FALSE(c->entries.empty());
    auto first_with = [&](std::int32_t flags) -> std::optional<std::string> {
        for (const jk::elf::CacheEntry& e : c->entries)
            if (e.key == "libc.so.6" && e.flags == flags && e.hwcap == 0) return e.value;
        return std::nullopt;
    };
    std::optional<std::string> want64 = first_with(0x0303);
    REQUIRE(want64);
    CHECK(jk::elf::cache_lookup(*c, "libc.so.6", x86_64_query()) == want64);
    CHECK(jk::elf::cache_lookup(*c, "libc.so.6", i386_query()) == first_with(0x0003));
    CHECK_FALSE(jk::elf::cache_lookup(*c, "libjk-no-such-library.so.0", x86_64_query()));
    jk::test::TempDir root;
    CHECK_FALSE(jk::elf::load_ld_so_cache("/etc/ld.so.cache", root.path()));
}

TEST_CASE("cache_lookup: flags select the ABI, names compare like ldconfig sorts them", "[ldso]") {
    std::vector<Entry> es;
    for (int i = 0; i < 300; ++i) {
        std::string n = "libn" + std::to_string(i) + ".so." + std::to_string(i % 7);
        es.push_back({0x0303, n, "/64/" + n});
        es.push_back({0x0003, n, "/32/" + n});
    }
    LdCache c = jk::elf::parse_ld_so_cache(new_cache(es), "cache");
    for (int i = 0; i < 300; ++i) {
        std::string n = "libn" + std::to_string(i) + ".so." + std::to_string(i % 7);
        CHECK(jk::elf::cache_lookup(c, n, x86_64_query()) == "/64/" + n);
        CHECK(jk::elf::cache_lookup(c, n, i386_query()) == "/32/" + n);
    }
    CHECK(jk::elf::cache_lookup(c, "libn7.so.00", x86_64_query()) == "/64/libn7.so.0");
    CHECK_FALSE(jk::elf::cache_lookup(c, "libn300.so.6", x86_64_query()));
    CacheQuery other;
    other.default_flags = 0x0a03;  // aarch64 sees none of these
    CHECK_FALSE(jk::elf::cache_lookup(c, "libn1.so.1", other));
}

TEST_CASE("cache_lookup prefers the best supported glibc-hwcaps entry, then the plain one", "[ldso]") {
    LdCache c = jk::elf::parse_ld_so_cache(
        new_cache({{0x0303, "libh.so", "/l/glibc-hwcaps/x86-64-v3/libh.so", named_hwcap(1, 3)},
                   {0x0303, "libh.so", "/l/glibc-hwcaps/x86-64-v2/libh.so", named_hwcap(0, 2)},
                   {0x0303, "libh.so", "/l/libh.so"}},
                  {"x86-64-v2", "x86-64-v3"}),
        "cache");
    CacheQuery q = x86_64_query();
    q.isa_levels = 1 | 2 | 4 | 8;
    CHECK(jk::elf::cache_lookup(c, "libh.so", q) == "/l/glibc-hwcaps/x86-64-v3/libh.so");
    q.isa_levels = 1 | 2 | 4;  // the v3 entry demands ISA level bit 3
    CHECK(jk::elf::cache_lookup(c, "libh.so", q) == "/l/glibc-hwcaps/x86-64-v2/libh.so");
    q.isa_levels = 1 | 2 | 4 | 8;
    q.glibc_hwcaps = {"x86-64-v2"};
    CHECK(jk::elf::cache_lookup(c, "libh.so", q) == "/l/glibc-hwcaps/x86-64-v2/libh.so");
    q.glibc_hwcaps = {};
    CHECK(jk::elf::cache_lookup(c, "libh.so", q) == "/l/libh.so");
}

TEST_CASE("cache_lookup skips legacy hwcap and platform entries this CPU cannot use", "[ldso]") {
    LdCache c = jk::elf::parse_ld_so_cache(new_cache({{0x0303, "libp.so", "/l/haswell/libp.so", 1ULL << 50},
                                                      {0x0303, "libp.so", "/l/avx512_1/libp.so", 1ULL << 2},
                                                      {0x0303, "libp.so", "/l/libp.so"}}),
                                           "cache");
    CacheQuery q = x86_64_query();
    CHECK(jk::elf::cache_lookup(c, "libp.so", q) == "/l/libp.so");
    q.hwcap_allowed |= 1ULL << 2;
    CHECK(jk::elf::cache_lookup(c, "libp.so", q) == "/l/avx512_1/libp.so");
    q.platform_bit = 1ULL << 50;
    CHECK(jk::elf::cache_lookup(c, "libp.so", q) == "/l/haswell/libp.so");
}

TEST_CASE("cache_lookup on an i386 loader takes flag-1 entries but prefers neither after a match", "[ldso]") {
    LdCache c = jk::elf::parse_ld_so_cache(new_cache({{1, "libq.so", "/old/libq.so"}, {3, "libq.so", "/new/libq.so"}}),
                                           "cache");
    // glibc keeps the first acceptable non-default entry and stops at the
    // next acceptable one.
    CHECK(jk::elf::cache_lookup(c, "libq.so", i386_query()) == "/old/libq.so");
    CHECK_FALSE(jk::elf::cache_lookup(c, "libq.so", x86_64_query()));
}

TEST_CASE("every truncation of a cache is refused or parses to a consistent prefix", "[ldso]") {
    std::string fresh = new_cache(
        {{0x0303, "liba.so.1", "/a/liba.so.1"}, {0x0303, "libh.so", "/v3/libh.so", named_hwcap(0, 2)}}, {"x86-64-v3"});
    for (std::size_t n = 0; n < fresh.size(); ++n) {
        CAPTURE(n);
        CHECK_THROWS_AS(jk::elf::parse_ld_so_cache(std::string_view(fresh).substr(0, n), "cache"), ConfigError);
    }
    // A cut through the new part of a combined cache can leave a valid old
    // part: either outcome is fine, anything else is not.
    std::string both = old_cache({{1, "libold.so.1", "/old/libold.so.1"}}, true);
    for (std::size_t n = 0; n < both.size(); ++n) {
        CAPTURE(n);
        try {
            LdCache c = jk::elf::parse_ld_so_cache(std::string_view(both).substr(0, n), "cache");
            CHECK(c.entries.size() <= 1);
        } catch (const ConfigError&) {
        }
    }
}

TEST_CASE("random corruption of a cache gives a cache or ConfigError, and lookups stay safe", "[ldso]") {
    std::string good = new_cache({{0x0303, "liba.so.1", "/a/liba.so.1"},
                                  {0x0303, "libh.so", "/v3/libh.so", named_hwcap(0, 2)},
                                  {0x0003, "liba.so.1", "/a32/liba.so.1"}},
                                 {"x86-64-v3"});
    std::uint64_t state = 0x2545f4914f6cdd1dULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int parsed = 0, refused = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string b = good;
        for (int f = 0, n = 1 + static_cast<int>(next() % 3); f < n; ++f)
            b[next() % b.size()] = static_cast<char>(next() & 0xff);
        try {
            LdCache c = jk::elf::parse_ld_so_cache(b, "cache");
            jk::elf::cache_lookup(c, "liba.so.1", x86_64_query());
            jk::elf::cache_lookup(c, "libh.so", x86_64_query());
            ++parsed;
        } catch (const ConfigError&) {
            ++refused;
        }
    }
    CHECK(parsed > 0);
    CHECK(refused > 0);
}

TEST_CASE("hostile caches are refused with a reason", "[ldso]") {
    CHECK_THAT(config_error_of("garbage garbage garbage garbage garbage garbage garbage"),
               Catch::Contains("unknown magic"));
    CHECK_THAT(config_error_of(""), Catch::Contains("unknown magic"));
    std::string good = new_cache({{0x0303, "liba.so.1", "/a/liba.so.1"}}, {"x86-64-v3"});

    std::string count = good;
    put<std::uint32_t>(count, 20, 0xffffffffu);
    CHECK_THAT(config_error_of(count), Catch::Contains("entry count"));

    std::string key = good;
    put<std::uint32_t>(key, 48 + 4, 0x7fffffffu);
    CHECK_THAT(config_error_of(key), Catch::Contains("key offset"));

    std::string unterminated = new_cache({{0x0303, "liba.so.1", "/a/liba.so.1"}});
    unterminated.pop_back();  // the last string loses its NUL
    CHECK_THAT(config_error_of(unterminated), Catch::Contains("not NUL-terminated"));

    std::string endian = good;
    put<std::uint8_t>(endian, 28, 3);  // big-endian cache on this little-endian host
    CHECK_THAT(config_error_of(endian), Catch::Contains("byte order"));

    std::uint32_t ext = 0;
    std::memcpy(&ext, &good[32], 4);
    std::string bad_magic = good;
    put<std::uint32_t>(bad_magic, ext, 0x12345678u);
    CHECK_THAT(config_error_of(bad_magic), Catch::Contains("extension directory magic"));

    std::string misaligned = good;
    put<std::uint32_t>(misaligned, 32, ext + 1);
    CHECK_THAT(config_error_of(misaligned), Catch::Contains("misaligned"));

    std::string sections = good;
    put<std::uint32_t>(sections, ext + 4, 0x10000000u);
    CHECK_THAT(config_error_of(sections), Catch::Contains("section count"));

    std::string old = old_cache({{1, "libold.so.1", "/old/libold.so.1"}}, false);
    put<std::uint32_t>(old, 12, 1000);
    CHECK_THAT(config_error_of(old), Catch::Contains("entry count"));
}
