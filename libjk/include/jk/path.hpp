// Lexical path helpers shared by the jail, copy and init code. They look at
// strings only; whether a component is a symlink is for the callers, which
// resolve through fds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jk::path {

// The non-empty components of `p` ("/a//b/" -> {"a", "b"}); "." and ".."
// are kept for the caller to interpret.
std::vector<std::string> components(std::string_view p);

// Everything before the last '/', "" for "/x" or a name without a slash.
std::string parent_of(const std::string& p);

}  // namespace jk::path
