// jk_check --lint (issue 7.3b): configuration that the tools accept but that
// is a trap, because it does not mean what it seems to mean, or meant
// something else to jailkit 2.23 (COMPAT.md 2.0, W15, W19).
//
// Pure functions over a file's text and its parsed IniFile: no I/O, so they
// are unit-testable; the caller (jk_check) reads the directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"

namespace jk::lint {

// Which of jailkit's two INI dialects the file's tool used (COMPAT.md 2.0).
enum class Dialect { c_tool, python_tool };

// One finding: "file:line: problem".
struct Finding {
    std::string file;
    int line = 0;
    std::string problem;
    std::string text() const;
};

// The configuration files lint knows, by base name (jk_init.ini, ...), in a
// fixed order.
std::vector<std::string_view> known_files();

// Whether `basename` is one of known_files().
bool is_known_file(std::string_view basename);

// The dialect of a known file (throws std::out_of_range for another name).
Dialect dialect_of(std::string_view basename);

// The keys a section of `basename` may hold (normalised). `section` matters
// for jk_lsh.ini, whose "[arguments ...]" sections hold rule keys.
std::vector<std::string_view> keys_for(std::string_view basename, std::string_view section);

// Lints a parsed file. `text` is the text `ini` was parsed from (the line
// checks need it); `basename` picks the schema. Findings are in line order.
std::vector<Finding> lint_ini(const config::IniFile& ini, std::string_view text, std::string_view basename);

// Parses `text` (named `shown` in the findings) and lints it; a file the
// parser refuses is one finding at the line the parser names.
std::vector<Finding> lint_text(std::string_view text, const std::string& shown, std::string_view basename);

}  // namespace jk::lint
