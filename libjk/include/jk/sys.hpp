// Thin checked wrappers over the system calls the library uses. Each throws
// SysError naming the path on failure, so callers read as straight-line code.
// Wrappers that take a dirfd operate relative to it and never follow a
// symlink in the final component unless their name says so.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "jk/fd.hpp"

namespace jk::sys {

// openat(2) with O_CLOEXEC added. `what` names the path in errors.
UniqueFd open_at(int dirfd, const std::string& name, int flags, mode_t mode = 0);
UniqueFd open_at(int dirfd, const std::string& name, int flags, mode_t mode, const std::string& what);

// fstat(2) of an open fd.
struct stat fstat_fd(int fd, const std::string& what);

// fstatat(..., AT_SYMLINK_NOFOLLOW); nullopt when the entry does not exist.
std::optional<struct stat> lstat_at(int dirfd, const std::string& name);

// readlinkat(2) of any length.
std::string readlink_at(int dirfd, const std::string& name);

// Reads the whole file behind fd (from its current offset).
std::string read_all(int fd, const std::string& what);

// Reads a whole file by path (host side, for trusted system files).
std::string read_file(const std::string& path);

// Writes all bytes, retrying on short writes and EINTR.
void write_all(int fd, std::string_view data, const std::string& what);

}  // namespace jk::sys
