#include "jk/ldso.hpp"
#include "tests/fuzz/fuzz_common.hpp"

JK_FUZZ_TARGET({
    (void)jk::elf::parse_ld_so_conf(input);
    (void)jk::elf::parse_ld_so_cache(input, "ld.so.cache");
})
