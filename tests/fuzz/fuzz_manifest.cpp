#include "jk/manifest.hpp"
#include "tests/fuzz/fuzz_common.hpp"

JK_FUZZ_TARGET({
    auto m = jk::manifest::parse(input, "jk_manifest");
    // A parsed manifest renders to text that parses to the same entries.
    if (jk::manifest::parse(jk::manifest::render(m), "again").entries.size() != m.entries.size()) __builtin_trap();
})
