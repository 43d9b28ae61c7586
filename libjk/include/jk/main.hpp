// The single exit-code funnel every tool's main goes through.
#pragma once

#include <functional>

namespace jk {

// Runs fn and turns what escapes it into one message on stderr and an exit
// status: UsageError -> "<tool>: <msg>" + "Try '<tool> --help'."; any other
// jk::Error -> "<tool>: <msg>" with its exit_code(); std::bad_alloc and
// other std::exception -> "<tool>: <what>" and 1. argv0 is reduced to its
// basename for messages.
int run_main(const char* argv0, const std::function<int()>& fn);

// The tool name run_main derived from argv0 (for messages printed by main).
const char* program_name();

}  // namespace jk
