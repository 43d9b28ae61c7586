// libFuzzer entry helpers: a parser may reject input only with jk::Error
// (the library's typed errors); anything else escaping is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jk/error.hpp"

#define JK_FUZZ_TARGET(body)                                                            \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        const std::string_view input(reinterpret_cast<const char*>(data), size);        \
        try {                                                                           \
            body                                                                        \
        } catch (const jk::Error&) {                                                    \
        }                                                                               \
        return 0;                                                                       \
    }

namespace jk_fuzz {

// An invariant the code under test promises; a violation is a finding.
inline void check(bool ok) {
    if (!ok) __builtin_trap();
}

// The text up to the next NUL (or the end), removed from `in` with the NUL.
// Targets that need several inputs (a file and a name, argv words) take
// them NUL-separated, so the seeds stay readable.
inline std::string_view next_part(std::string_view& in) {
    const auto nul = in.find('\0');
    const std::string_view part = in.substr(0, nul);
    in.remove_prefix(nul == std::string_view::npos ? in.size() : nul + 1);
    return part;
}

// All NUL-separated words (an empty input is one empty word).
inline std::vector<std::string> split_nul(std::string_view in) {
    std::vector<std::string> words;
    do {
        words.emplace_back(next_part(in));
    } while (!in.empty());
    return words;
}

// Runs f and swallows jk::Error, so one rejected piece does not stop the
// rest of an input from being exercised.
template <class F>
void tolerate(F&& f) {
    try {
        f();
    } catch (const jk::Error&) {
    }
}

}  // namespace jk_fuzz
