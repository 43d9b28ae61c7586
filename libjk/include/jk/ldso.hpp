// The dynamic loader's configuration files: /etc/ld.so.conf (read by
// ldconfig; its directories are what the cache indexes) and the binary
// /etc/ld.so.cache that ld.so itself consults. Parsing is pure; the file
// layer reads beneath a root prefix so the same code can read another tree's
// files. The prefix is joined as a string and followed like any path, so it
// is for trusted trees only; for a jail, read the files through the jail's
// fd and hand the bytes to the pure parsers.
//
// MUST: a corrupt or hostile cache is refused with ConfigError, never read
// out of bounds; every offset is checked before use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::elf {

// ---- ld.so.conf ------------------------------------------------------------

// One meaningful line of an ld.so.conf file.
struct ConfDirective {
    enum class Kind { Dir, Include };
    Kind kind = Kind::Dir;
    std::string value;  // a directory, or one glob pattern of an include line
    int line = 0;
};

// Parses the text of one ld.so.conf file (pure). '#' starts a comment;
// directories are separated by whitespace, ',' or ':' (a "=TYPE" suffix, from
// libc5 days, is dropped); "include PATTERN..." lines yield one Include per
// pattern; "hwcap" lines are ignored as ldconfig ignores them. Trailing
// slashes are removed from directories. Never throws.
std::vector<ConfDirective> parse_ld_so_conf(std::string_view text);

// Reads root + path and, recursively, every file its include patterns match
// (patterns are globbed beneath root; a relative pattern is relative to the
// directory of the file that names it). Returns the directories in order,
// without duplicates. A missing top-level file gives an empty list; patterns
// that match nothing are skipped, as ldconfig does. A file already being read
// or already read is not read again, which breaks include cycles.
// Requires: path absolute; root "" or an absolute directory without trailing '/'.
// Throws ConfigError(file, line, ...) when includes nest deeper than
// max_include_depth, SysError when an existing file cannot be read.
inline constexpr int max_include_depth = 16;
std::vector<std::string> load_ld_so_conf(const std::string& path = "/etc/ld.so.conf", const std::string& root = "");

// ---- ld.so.cache -----------------------------------------------------------

// ld.so.cache flag values (glibc's ldconfig.h).
inline constexpr std::int32_t cache_flag_elf_libc6 = 0x0003;
inline constexpr std::int32_t cache_flag_x8664_lib64 = 0x0300;
inline constexpr std::int32_t cache_flag_x8664_libx32 = 0x0800;
inline constexpr std::int32_t cache_flag_aarch64_lib64 = 0x0a00;

struct CacheEntry {
    std::int32_t flags = 0;   // library type and architecture (e.g. 0x0303: libc6, x86-64)
    std::string key;          // the name looked up (usually the soname)
    std::string value;        // the path ld.so opens
    std::uint64_t hwcap = 0;  // new format only: legacy hwcap bits or glibc-hwcaps reference
    // Set when the entry lives in a glibc-hwcaps subdirectory (hwcap names
    // the cache's glibc-hwcaps extension): that subdirectory's name, e.g.
    // "x86-64-v3", and the ISA level bits it requires.
    std::optional<std::string> hwcaps_subdir;
    std::uint32_t isa_level = 0;
};

struct LdCache {
    bool new_format = false;          // entries come from "glibc-ld.so.cache1.1"
    std::vector<CacheEntry> entries;  // in file order (sorted by the cache's own comparison)
};

// Parses the bytes of an ld.so.cache: the new format alone, or after the old
// "ld.so-1.7.0" table (the new one is then used, as ld.so does), or the old
// format alone. Entries are validated: counts against the file size, string
// offsets inside the file, strings NUL-terminated, the byte-order flag.
// Throws ConfigError(path_for_errors, 0, reason) for anything else.
LdCache parse_ld_so_cache(std::string_view bytes, const std::string& path_for_errors);

// Reads root + path. Returns nullopt when the file does not exist.
// Throws SysError when it cannot be read, ConfigError when it is corrupt.
std::optional<LdCache> load_ld_so_cache(const std::string& path = "/etc/ld.so.cache", const std::string& root = "");

// What one loader build accepts from the cache (glibc's
// _dl_cache_check_flags and search_cache, 2.36).
struct CacheQuery {
    std::int32_t default_flags = cache_flag_elf_libc6 | cache_flag_x8664_lib64;
    bool also_accept_flag_1 = false;  // generic ports also take flags == 1 (old libc6)
    // Legacy hwcap filter: entries with hwcap bits outside these are skipped.
    std::uint64_t hwcap_allowed = 0;
    // Legacy platform bit of this CPU (1 << (48 + index)); 0 when the
    // platform is not one the cache knows, which skips all platform entries.
    std::uint64_t platform_bit = 0;
    std::uint64_t platform_mask = 0;  // all platform bits of this architecture
    // glibc-hwcaps subdirectories this CPU supports, best first.
    std::vector<std::string> glibc_hwcaps;
    // ISA level bits this CPU supports (x86: baseline 1, v2 2, v3 4, v4 8);
    // ~0 where the architecture has no ISA levels.
    std::uint32_t isa_levels = ~0u;
};

// glibc's _dl_cache_libcmp: compares names with digit runs compared as
// numbers ("libfoo.so.10" > "libfoo.so.9"). Returns <0, 0, >0.
int cache_libcmp(std::string_view a, std::string_view b) noexcept;

// The path ld.so would take from the cache for name, or nullopt.
// Mirrors glibc 2.36's binary search and entry selection, including the
// preference order of glibc-hwcaps entries.
std::optional<std::string> cache_lookup(const LdCache& cache, std::string_view name, const CacheQuery& query);

}  // namespace jk::elf
