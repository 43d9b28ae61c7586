// jk_uchroot's command line, parsed without side effects so it can be tested.
#pragma once

#include <string>
#include <vector>

namespace jk_uchroot {

struct Options {
    std::string jail;               // -j/--jail
    std::string executable;         // -x/--executable (a path inside the jail)
    std::vector<std::string> args;  // operands: the program's arguments
    bool help = false;
    bool version = false;
};

// Parses argv (argv[0] is the program name). Options may come anywhere; "--"
// ends them (needed before program arguments that start with '-'). Throws
// jk::UsageError (exit 1, as jailkit) for an unknown option, a missing or
// empty argument, -j or -x given twice with different values, or - unless
// --help or --version was asked - a missing -j or -x.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_uchroot
