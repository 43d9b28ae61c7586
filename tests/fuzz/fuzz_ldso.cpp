// ld.so.conf text and the binary ld.so.cache (old, new and combined
// formats), then lookups in a parsed cache of every key it holds, the way
// the resolver asks (cache_libcmp ordering, hwcaps, flags).
#include <string>

#include "jk/ldso.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
using jk_fuzz::check;

void one_input(std::string_view input) {
    for (const auto& d : jk::elf::parse_ld_so_conf(input)) check(!d.value.empty());
    const auto cache = jk::elf::parse_ld_so_cache(input, "ld.so.cache");
    jk::elf::CacheQuery q;
    q.glibc_hwcaps = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
    q.isa_levels = 1 | 2 | 4;
    jk::elf::CacheQuery generic;
    generic.also_accept_flag_1 = true;
    generic.hwcap_allowed = ~0ull;
    generic.isa_levels = ~0u;
    std::size_t n = 0;
    for (const auto& e : cache.entries) {
        if (++n > 64) break;  // lookups are a binary search; a few keys suffice
        check(jk::elf::cache_libcmp(e.key, e.key) == 0);
        (void)jk::elf::cache_lookup(cache, e.key, q);
        (void)jk::elf::cache_lookup(cache, e.key, generic);
    }
    (void)jk::elf::cache_lookup(cache, "libc.so.6", q);
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
