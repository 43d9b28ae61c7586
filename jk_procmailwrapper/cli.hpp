// jk_procmailwrapper's command line. It stands in for procmail, so every
// argument is procmail's and is passed on unchanged; only a lone --help or
// --version is the wrapper's own.
#pragma once

#include <string>
#include <vector>

namespace jk_procmailwrapper {

enum class Action { deliver, help, version };

// argv[0] is the program name.
Action parse_action(const std::vector<std::string>& argv);

const char* usage_text();

}  // namespace jk_procmailwrapper
