// jk_trace's command line, parsed without side effects so it can be tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jk/trace.hpp"

namespace jk_trace {

struct Options {
    jk::trace::Options trace;
    std::optional<std::string> section;       // --write-section NAME
    std::optional<std::string> section_file;  // ... :FILE
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). PROGRAM [ARGS] follow "--" or
// the first operand. Throws jk::UsageError (exit 1) for an unknown option,
// a missing -j, a missing PROGRAM, a bad number (--rounds 1..100,
// --timeout/--wait 0.1..86400 s, --max-procs 2..100000), a section name
// jk_init could not read, a relative --deny or section FILE.
Options parse_args(const std::vector<std::string>& argv);

const char* usage_text();

}  // namespace jk_trace
