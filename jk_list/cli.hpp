// jk_list's command line, parsed without side effects so it can be tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jk_list {

struct Options {
    bool wide = false;     // -w: never cut a line
    bool verbose = false;  // -v: say what could not be read
    bool json = false;     // --json
    bool summary = false;  // -s: one line per jail
    bool help = false;
    bool version = false;
    std::vector<std::string> jails;  // -j/--jail (repeatable): only these jails
    bool kill = false;               // --kill: signal every process of the -j jails
    int signal = 15;                 // with --kill, -s/--signal (SIGTERM by default)
};

// A signal by name ("TERM", "SIGTERM", "term") or number; nullopt when it is
// neither.
std::optional<int> parse_signal(const std::string& s);

// Parses argv (argv[0] is the program name). Throws jk::UsageError (exit 1)
// for an unknown option, -j without a jail (jailkit ignored a bare -j; a
// word starting with '-' is refused too, so "-j -w" is not a jail named
// "-w"), a relative jail path, or any operand. With --kill, -s names the
// signal (pkill's way) instead of asking for the summary, and at least one
// -j is required.
Options parse_args(const std::vector<std::string>& argv);

// The --help text.
const char* usage_text();

}  // namespace jk_list
