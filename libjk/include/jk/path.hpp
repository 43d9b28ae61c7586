// Lexical path helpers shared by the jail, copy and init code. They look at
// strings only; whether a component is a symlink is for the callers, which
// resolve through fds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::path {

// The non-empty components of `p` ("/a//b/" -> {"a", "b"}); "." and ".."
// are kept for the caller to interpret.
std::vector<std::string> components(std::string_view p);

// Everything before the last '/', "" for "/x" or a name without a slash.
std::string parent_of(const std::string& p);

// dirname(1) of a path without trailing slashes: "." for a bare name, "/"
// for "/x", else everything before the last '/'.
std::string dirname(std::string_view p);

// Everything after the last '/' (the whole string when it has none).
std::string basename(std::string_view p);

// Whether one '/' may end a canonical path ("/srv/jail/" as jailkit's
// jk_uchroot and dirs_equal accept it).
enum class TrailingSlash { refused, allowed };

// Why `p` is not a canonical absolute path, or nullopt when it is one: it
// must start with '/' and have no empty ("//"), "." or ".." component, so
// that the string and what the kernel resolves it to cannot differ (a
// lexical cleanup of "link/.." is not where the kernel goes). "/" itself is
// canonical. The reason names the problem, never the path.
std::optional<std::string> noncanonical(std::string_view p, TrailingSlash trailing = TrailingSlash::refused);

}  // namespace jk::path
