// ld.so.conf and ld.so.cache. The cache layout and the lookup follow glibc
// 2.36 (elf/dl-cache.c, sysdeps/generic/dl-cache.h): an optional old
// "ld.so-1.7.0" table, then the "glibc-ld.so.cache1.1" header of 48 bytes,
// 24-byte entries whose string offsets count from that header, and an
// optional extension directory naming glibc-hwcaps subdirectories.
#include "jk/ldso.hpp"

#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"

namespace jk::elf {

// ---- ld.so.conf ------------------------------------------------------------

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool starts_with_word(std::string_view s, std::string_view word, bool ignore_case) {
    if (s.size() <= word.size() || !is_blank(s[word.size()])) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        char a = s[i];
        if (ignore_case && a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (a != word[i]) return false;
    }
    return true;
}

std::vector<std::string_view> split_any(std::string_view s, auto is_sep) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_sep(s[i])) ++i;
        std::size_t start = i;
        while (i < s.size() && !is_sep(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

std::string dir_entry(std::string_view token) {
    // "DIR=TYPE" named a library type for libc5's ldconfig; only DIR matters.
    token = token.substr(0, token.find('='));
    while (token.size() > 1 && token.back() == '/') token.remove_suffix(1);
    return std::string(token);
}

std::string glob_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

struct GlobResult {
    glob_t g{};
    ~GlobResult() { globfree(&g); }
};

// Files matching root + pattern, as paths relative to root, sorted.
std::vector<std::string> glob_beneath(const std::string& root, const std::string& pattern) {
    GlobResult r;
    int rc = ::glob((glob_escape(root) + pattern).c_str(), 0, nullptr, &r.g);
    std::vector<std::string> out;
    if (rc == GLOB_NOMATCH) return out;
    if (rc != 0) throw SysError("cannot expand include pattern", pattern, rc == GLOB_NOSPACE ? ENOMEM : EIO);
    for (std::size_t i = 0; i < r.g.gl_pathc; ++i) {
        std::string p = r.g.gl_pathv[i];
        out.push_back(p.substr(root.size()));
    }
    return out;
}

// The text of root + path, or nullopt when it does not exist.
std::optional<std::string> read_if_exists(const std::string& full) {
    try {
        return sys::read_file(full);
    } catch (const SysError& e) {
        if (e.err() == ENOENT || e.err() == ENOTDIR) return std::nullopt;
        throw;
    }
}

// A stable identity for cycle detection: the canonical path if there is one.
std::string canonical_or_self(const std::string& full) {
    std::unique_ptr<char, decltype(&::free)> real(::realpath(full.c_str(), nullptr), &::free);
    return real ? std::string(real.get()) : full;
}

class ConfLoader {
public:
    explicit ConfLoader(const std::string& root) : root_(root) {}

    void load(const std::string& path, int depth, const std::string& from_file, int from_line) {
        if (depth > max_include_depth)
            throw ConfigError(from_file, from_line,
                              "includes nested deeper than " + std::to_string(max_include_depth) + " levels");
        std::string full = root_ + path;
        // Reading each file once is what breaks include cycles; including a
        // file twice could not add a directory anyway.
        if (!seen_files_.insert(canonical_or_self(full)).second) return;
        std::optional<std::string> text = read_if_exists(full);
        if (!text) return;
        for (const ConfDirective& d : parse_ld_so_conf(*text)) {
            if (d.kind == ConfDirective::Kind::Dir) {
                if (seen_dirs_.insert(d.value).second) dirs_.push_back(d.value);
                continue;
            }
            // ldconfig resolves a relative include against the directory of
            // the file that names it.
            std::string pattern = d.value[0] == '/' ? d.value : path::dirname(path) + "/" + d.value;
            for (const std::string& f : glob_beneath(root_, pattern)) load(f, depth + 1, full, d.line);
        }
    }

    std::vector<std::string> take() { return std::move(dirs_); }

private:
    const std::string& root_;
    std::set<std::string> seen_files_;
    std::set<std::string> seen_dirs_;
    std::vector<std::string> dirs_;
};

}  // namespace

std::vector<ConfDirective> parse_ld_so_conf(std::string_view text) {
    std::vector<ConfDirective> out;
    int lineno = 0;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++lineno;
        line = line.substr(0, line.find('#'));
        while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
        if (line.empty()) continue;
        if (starts_with_word(line, "include", false)) {
            for (std::string_view p : split_any(line.substr(7), is_space))
                out.push_back({ConfDirective::Kind::Include, std::string(p), lineno});
        } else if (starts_with_word(line, "hwcap", true)) {
            continue;  // ldconfig ignores hwcap directives since glibc 2.26
        } else {
            for (std::string_view tok : split_any(line, [](char c) { return is_space(c) || c == ',' || c == ':'; })) {
                std::string dir = dir_entry(tok);
                if (!dir.empty()) out.push_back({ConfDirective::Kind::Dir, dir, lineno});
            }
        }
    }
    return out;
}

std::vector<std::string> load_ld_so_conf(const std::string& path, const std::string& root) {
    ConfLoader loader(root);
    loader.load(path, 0, root + path, 0);
    return loader.take();
}

// ---- ld.so.cache -----------------------------------------------------------

namespace {

constexpr std::string_view magic_old = "ld.so-1.7.0";
constexpr std::string_view magic_new = "glibc-ld.so.cache1.1";
constexpr std::size_t old_header_size = 16;  // magic[11], pad, uint32 nlibs
constexpr std::size_t old_entry_size = 12;
constexpr std::size_t new_header_size = 48;
constexpr std::size_t new_entry_size = 24;
constexpr std::uint32_t extension_magic = static_cast<std::uint32_t>(-358342284);
constexpr std::uint32_t extension_tag_glibc_hwcaps = 1;
constexpr std::uint64_t hwcap_extension_bit = 1ULL << 62;
constexpr std::uint32_t isa_level_mask = (1u << 10) - 1;

// ldconfig writes the cache in the byte order of the machine it runs on,
// and ld.so reads it natively; so do we.
template <typename T>
T native_at(std::string_view b, std::size_t off) {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

bool fits(std::uint64_t off, std::uint64_t len, std::uint64_t size) {
    return off <= size && len <= size - off;
}

bool is_hwcap_extension(std::uint64_t hwcap) {
    return ((hwcap >> 32) & ~std::uint64_t{isa_level_mask}) == (hwcap_extension_bit >> 32);
}

class CacheParser {
public:
    CacheParser(std::string_view b, const std::string& path) : b_(b), path_(path) {}

    LdCache run() {
        if (b_.substr(0, magic_new.size()) == magic_new) return parse_new(0);
        if (b_.substr(0, magic_old.size()) != magic_old) fail("not an ld.so cache (unknown magic)");
        if (b_.size() < old_header_size) fail("truncated header");
        auto nlibs = native_at<std::uint32_t>(b_, 12);
        if ((b_.size() - old_header_size) / old_entry_size < nlibs)
            fail("entry count " + std::to_string(nlibs) + " does not fit in the file");
        // The new table, when present, follows the old one at the next
        // 8-byte boundary.
        std::size_t after_old = old_header_size + std::size_t{nlibs} * old_entry_size;
        std::size_t new_at = (after_old + 7) & ~std::size_t{7};
        if (fits(new_at, new_header_size, b_.size()) && b_.substr(new_at, magic_new.size()) == magic_new)
            return parse_new(new_at);
        return parse_old(nlibs, after_old);
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { throw ConfigError(path_, 0, reason); }

    std::string string_at(std::size_t base, std::uint32_t off, const char* what) const {
        // fits(start, length, size): the string table starts at base and off is a length into it.
        if (!fits(base, off, b_.size()) || base + off >= b_.size())  // NOLINT(readability-suspicious-call-argument)
            fail(std::string(what) + " offset " + std::to_string(off) + " is outside the file");
        std::size_t start = base + off;
        std::size_t nul = b_.find('\0', start);
        if (nul == std::string_view::npos)
            fail(std::string(what) + " at offset " + std::to_string(off) + " is not NUL-terminated");
        return std::string(b_.substr(start, nul - start));
    }

    LdCache parse_old(std::uint32_t nlibs, std::size_t strings) const {
        LdCache c;
        c.new_format = false;
        c.entries.reserve(nlibs);
        for (std::size_t i = 0; i < nlibs; ++i) {
            std::size_t at = old_header_size + i * old_entry_size;
            CacheEntry e;
            e.flags = native_at<std::int32_t>(b_, at);
            e.key = string_at(strings, native_at<std::uint32_t>(b_, at + 4), "key");
            e.value = string_at(strings, native_at<std::uint32_t>(b_, at + 8), "path");
            c.entries.push_back(std::move(e));
        }
        return c;
    }

    LdCache parse_new(std::size_t base) const {
        if (!fits(base, new_header_size, b_.size())) fail("truncated header");
        auto nlibs = native_at<std::uint32_t>(b_, base + 20);
        auto flags = native_at<std::uint8_t>(b_, base + 28);
        auto ext_off = native_at<std::uint32_t>(b_, base + 32);
        if ((b_.size() - base - new_header_size) / new_entry_size < nlibs)
            fail("entry count " + std::to_string(nlibs) + " does not fit in the file");
        const std::uint8_t endian_native = std::endian::native == std::endian::little ? 2 : 3;
        if (flags != 0 && (flags & 3) != endian_native) fail("byte order flag does not match this host");
        std::vector<std::string> hwcaps = read_hwcaps_extension(ext_off);
        LdCache c;
        c.new_format = true;
        c.entries.reserve(nlibs);
        for (std::size_t i = 0; i < nlibs; ++i) {
            std::size_t at = base + new_header_size + i * new_entry_size;
            CacheEntry e;
            e.flags = native_at<std::int32_t>(b_, at);
            e.key = string_at(base, native_at<std::uint32_t>(b_, at + 4), "key");
            e.value = string_at(base, native_at<std::uint32_t>(b_, at + 8), "path");
            e.hwcap = native_at<std::uint64_t>(b_, at + 16);
            if (is_hwcap_extension(e.hwcap)) {
                e.isa_level = static_cast<std::uint32_t>((e.hwcap >> 32) & isa_level_mask);
                auto index = static_cast<std::uint32_t>(e.hwcap);
                if (index < hwcaps.size()) e.hwcaps_subdir = hwcaps[index];
            }
            c.entries.push_back(std::move(e));
        }
        return c;
    }

    // The glibc-hwcaps extension: an array of string offsets (from the start
    // of the file) naming subdirectories such as "x86-64-v3".
    std::vector<std::string> read_hwcaps_extension(std::uint32_t ext_off) const {
        std::vector<std::string> names;
        if (ext_off == 0) return names;
        if (ext_off % 4 != 0) fail("misaligned extension directory");
        if (!fits(ext_off, 8, b_.size())) fail("extension directory is outside the file");
        if (native_at<std::uint32_t>(b_, ext_off) != extension_magic) fail("bad extension directory magic");
        auto count = native_at<std::uint32_t>(b_, ext_off + 4);
        if ((b_.size() - ext_off - 8) / 16 < count) fail("extension section count does not fit in the file");
        for (std::size_t i = 0; i < count; ++i) {
            std::size_t at = ext_off + 8 + i * 16;
            auto tag = native_at<std::uint32_t>(b_, at);
            auto off = native_at<std::uint32_t>(b_, at + 8);
            auto size = native_at<std::uint32_t>(b_, at + 12);
            if (!fits(off, size, b_.size())) fail("extension section extends past the end of the file");
            // glibc drops a malformed hwcaps section rather than the cache.
            if (tag != extension_tag_glibc_hwcaps || size == 0 || off % 4 != 0 || size % 4 != 0) continue;
            names.clear();
            for (std::size_t j = 0; j < size / 4; ++j)
                names.push_back(string_at(0, native_at<std::uint32_t>(b_, off + j * 4), "glibc-hwcaps name"));
        }
        return names;
    }

    std::string_view b_;
    const std::string& path_;
};

}  // namespace

LdCache parse_ld_so_cache(std::string_view bytes, const std::string& path_for_errors) {
    return CacheParser(bytes, path_for_errors).run();
}

std::optional<LdCache> load_ld_so_cache(const std::string& path, const std::string& root) {
    std::optional<std::string> text = read_if_exists(root + path);
    if (!text) return std::nullopt;
    return parse_ld_so_cache(*text, root + path);
}

int cache_libcmp(std::string_view a, std::string_view b) noexcept {
    auto digit = [](std::string_view s, std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    auto at = [](std::string_view s, std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
    std::size_t i = 0, j = 0;
    while (i < a.size()) {
        if (digit(a, i)) {
            if (!digit(b, j)) return 1;
            // Digit runs compare as numbers; saturate instead of overflowing.
            std::uint64_t va = 0, vb = 0;
            constexpr std::uint64_t cap = std::uint64_t{1} << 60;
            while (digit(a, i)) va = std::min(cap, va * 10 + static_cast<std::uint64_t>(a[i++] - '0'));
            while (digit(b, j)) vb = std::min(cap, vb * 10 + static_cast<std::uint64_t>(b[j++] - '0'));
            if (va != vb) return va < vb ? -1 : 1;
        } else if (digit(b, j)) {
            return -1;
        } else if (at(a, i) != at(b, j)) {
            return at(a, i) < at(b, j) ? -1 : 1;
        } else {
            ++i;
            ++j;
        }
    }
    return j < b.size() ? -1 : 0;
}

namespace {

bool flags_accepted(std::int32_t flags, const CacheQuery& q) {
    return flags == q.default_flags || (q.also_accept_flag_1 && flags == 1);
}

bool isa_level_ok(std::uint32_t level, const CacheQuery& q) {
    if (q.isa_levels == ~0u) return true;
    return level < 32 && ((1u << level) & q.isa_levels) != 0;
}

// Lower is better; 0 means this CPU cannot use the subdirectory.
std::uint32_t hwcaps_priority(const CacheEntry& e, const CacheQuery& q) {
    if (!e.hwcaps_subdir) return 0;
    auto it = std::find(q.glibc_hwcaps.begin(), q.glibc_hwcaps.end(), *e.hwcaps_subdir);
    if (it == q.glibc_hwcaps.end()) return 0;
    return static_cast<std::uint32_t>(it - q.glibc_hwcaps.begin()) + 1;
}

}  // namespace

std::optional<std::string> cache_lookup(const LdCache& cache, std::string_view name, const CacheQuery& q) {
    const std::vector<CacheEntry>& libs = cache.entries;
    const std::uint64_t exclude = ~(q.hwcap_allowed | q.platform_mask | (1ULL << 63));
    std::ptrdiff_t left = 0;
    std::ptrdiff_t right = static_cast<std::ptrdiff_t>(libs.size()) - 1;
    const std::string* best = nullptr;
    std::uint32_t best_priority = 0;
    // The same binary search as glibc's search_cache, so that a cache whose
    // order disagrees with cache_libcmp gives the same answer ld.so gets.
    while (left <= right) {
        std::ptrdiff_t middle = (left + right) / 2;
        int cmp = cache_libcmp(name, libs[static_cast<std::size_t>(middle)].key);
        if (cmp != 0) {
            // ldconfig sorts the entries in descending order.
            if (cmp < 0)
                left = middle + 1;
            else
                right = middle - 1;
            continue;
        }
        left = middle;
        while (middle > 0 && cache_libcmp(name, libs[static_cast<std::size_t>(middle - 1)].key) == 0) --middle;
        do {
            const CacheEntry& lib = libs[static_cast<std::size_t>(middle)];
            if (middle > left && cache_libcmp(name, lib.key) != 0) break;
            if (!flags_accepted(lib.flags, q)) continue;
            bool named = false;
            if (cache.new_format) {
                named = is_hwcap_extension(lib.hwcap);
                if (named && !isa_level_ok(lib.isa_level, q)) continue;
                // Named-hwcaps entries sort first; once past them, the best
                // one found so far wins.
                if (!named && best != nullptr) break;
                if (!named && (lib.hwcap & exclude) != 0) continue;
                std::uint64_t plat = lib.hwcap & q.platform_mask;
                if (q.platform_mask != 0 && plat != 0 && plat != q.platform_bit) continue;
                if (named) {
                    std::uint32_t prio = hwcaps_priority(lib, q);
                    if (prio == 0) continue;
                    if (best != nullptr && prio >= best_priority) continue;
                    best_priority = prio;
                }
            }
            best = &lib.value;
            if (!named && lib.flags == q.default_flags) break;
        } while (++middle <= right);
        break;
    }
    if (best == nullptr) return std::nullopt;
    return *best;
}

}  // namespace jk::elf
