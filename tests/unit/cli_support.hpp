// Shared by the tools' argument-parser tests: the exit code a command line
// is refused with.
#pragma once

#include <string>
#include <vector>

#include "jk/error.hpp"

namespace jk::test {

using Args = std::vector<std::string>;

// The UsageError exit code parse(argv) throws, or -1 when it accepts argv.
template <typename Parse>
int usage_exit(Parse parse, const Args& argv) {
    try {
        parse(argv);
    } catch (const jk::UsageError& e) {
        return e.exit_code();
    }
    return -1;
}

}  // namespace jk::test
