#include "jk/sys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "jk/error.hpp"

namespace jk::sys {

UniqueFd open_at(int dirfd, const std::string& name, int flags, mode_t mode) {
    return open_at(dirfd, name, flags, mode, name);
}

UniqueFd open_at(int dirfd, const std::string& name, int flags, mode_t mode, const std::string& what) {
    int fd;
    do {
        fd = ::openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw SysError("cannot open", what, errno);
    return UniqueFd(fd);
}

struct stat fstat_fd(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw SysError("cannot stat", what, errno);
    return st;
}

std::optional<struct stat> lstat_at(int dirfd, const std::string& name) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw SysError("cannot stat", name, errno);
}

std::string readlink_at(int dirfd, const std::string& name) {
    std::vector<char> buf(256);
    for (;;) {
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
        if (n < 0) throw SysError("cannot read link", name, errno);
        if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
        buf.resize(buf.size() * 2);
    }
}

std::string read_all(int fd, const std::string& what) {
    // Read straight into the string: no large stack buffer in the setuid
    // tools, which may start with a tiny RLIMIT_STACK.
    std::string out(4096, '\0');
    std::size_t used = 0;
    for (;;) {
        if (used == out.size()) out.resize(out.size() * 2);
        ssize_t n = ::read(fd, out.data() + used, out.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("cannot read", what, errno);
        }
        if (n == 0) {
            out.resize(used);
            return out;
        }
        used += static_cast<std::size_t>(n);
    }
}

std::string read_file(const std::string& path) {
    UniqueFd fd = open_at(AT_FDCWD, path, O_RDONLY);
    return read_all(fd.get(), path);
}

void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("cannot write", what, errno);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace jk::sys
