// JSON text for the tools' machine-readable output (jk_check, jk_list and
// the --json reports of the tools that change a jail). Paths are bytes, not
// text: whatever they hold, the document stays valid JSON.
#pragma once

#include <string>
#include <string_view>

namespace jk::json {

// String contents for arbitrary bytes: '"', '\\' and control characters
// escaped, valid UTF-8 kept, every byte of an invalid UTF-8 sequence
// written as \u00XX (its Latin-1 reading). Pure; never throws but bad_alloc.
std::string escape(std::string_view bytes);

// escape() between double quotes: a JSON string literal.
std::string quoted(std::string_view bytes);

}  // namespace jk::json
