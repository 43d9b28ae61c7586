// Small string helpers every module needs once: making untrusted text safe
// for one log line, and trimming blanks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jk::text {

// A string made safe for one log line: control characters and bytes >= 0x7f
// written as \n, \t, \xNN, and cut after `max` bytes with a note saying how
// much was left out (the decision is always made on the whole string).
std::string printable(std::string_view s, std::size_t max = 512);

// `s` without leading and trailing blanks (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

}  // namespace jk::text
