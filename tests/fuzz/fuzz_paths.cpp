#include "jk/jail.hpp"
#include "jk/path.hpp"
#include "tests/fuzz/fuzz_common.hpp"

JK_FUZZ_TARGET({
    (void)jk::path::components(input);
    try {
        auto split = jk::split_leaf(input);
        if (split.leaf.find('/') != std::string::npos || split.leaf == "..") __builtin_trap();
    } catch (const jk::Error&) {
    }
    const std::string norm = jk::normalize_absolute(input);
    // Normalised paths are absolute, have no "." or ".." and are fixed points.
    if (norm.empty() || norm[0] != '/' || jk::normalize_absolute(norm) != norm) __builtin_trap();
})
