// Finding the file a user named on the command line, the way jailkit does:
// absolute names as they are, relative names with a slash from the current
// directory, bare names through $PATH.
#pragma once

#include <optional>
#include <string>

namespace jk::search_path {

// The absolute path of `name` if it exists (following symlinks for the
// existence test, but returning the unresolved path so its links are
// reproduced in the jail); nullopt otherwise.
std::optional<std::string> locate(const std::string& name);

// `relative` made absolute against the current directory (lexically).
std::string absolute(const std::string& relative);

}  // namespace jk::search_path
