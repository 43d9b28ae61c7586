// Catch2 2 (Debian 12) and Catch2 3 (Debian 13) behind the names the unit
// tests use, so the same test files build on both releases.
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#include <string>

// Catch2 3 moved the string matchers to Catch::Matchers (and renamed
// Contains, which now matches ranges) and Approx to Catch::Approx.
namespace Catch {
inline Matchers::StringContainsMatcher Contains(const std::string& s, CaseSensitive cs = CaseSensitive::Yes) {
    return Matchers::ContainsSubstring(s, cs);
}
inline Matchers::EndsWithMatcher EndsWith(const std::string& s, CaseSensitive cs = CaseSensitive::Yes) {
    return Matchers::EndsWith(s, cs);
}
}  // namespace Catch
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
