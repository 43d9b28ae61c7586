#include "jk/elf.hpp"
#include "tests/fuzz/fuzz_common.hpp"

JK_FUZZ_TARGET({ (void)jk::elf::parse(input, "fuzz.elf"); })
