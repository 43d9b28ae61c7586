// libFuzzer entry helpers: a parser may reject input only with jk::Error
// (the library's typed errors); anything else escaping is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jk/error.hpp"

#define JK_FUZZ_TARGET(body)                                                             \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        const std::string_view input(reinterpret_cast<const char*>(data), size);         \
        try {                                                                            \
            body                                                                         \
        } catch (const jk::Error&) {                                                     \
        }                                                                                \
        return 0;                                                                        \
    }
