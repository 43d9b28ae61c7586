#include "jk/metadata.hpp"

#include <acl/libacl.h>
#include <sys/acl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string_view>
#include <vector>

#include "jk/error.hpp"

namespace jk::metadata {

namespace {

struct AclDeleter {
    void operator()(void* p) const noexcept { ::acl_free(p); }
};
using UniqueAcl = std::unique_ptr<std::remove_pointer_t<acl_t>, AclDeleter>;

bool unsupported(int err) {
    return err == ENOTSUP || err == EOPNOTSUPP;
}

std::vector<std::string> xattr_names(int fd, const std::string& what) {
    std::vector<char> buf(256);
    for (;;) {
        ssize_t n = ::flistxattr(fd, buf.data(), buf.size());
        if (n >= 0) {
            std::vector<std::string> names;
            std::string_view all(buf.data(), static_cast<size_t>(n));
            while (!all.empty()) {
                size_t end = all.find('\0');
                if (end == std::string_view::npos) end = all.size();
                if (end > 0) names.emplace_back(all.substr(0, end));
                all.remove_prefix(std::min(all.size(), end + 1));
            }
            return names;
        }
        if (unsupported(errno)) return {};
        if (errno != ERANGE) throw SysError("cannot list extended attributes of", what, errno);
        ssize_t need = ::flistxattr(fd, nullptr, 0);
        if (need < 0) throw SysError("cannot list extended attributes of", what, errno);
        buf.resize(static_cast<size_t>(need) + 1);
    }
}

std::string xattr_value(int fd, const std::string& name, const std::string& what) {
    for (;;) {
        ssize_t need = ::fgetxattr(fd, name.c_str(), nullptr, 0);
        if (need < 0) throw SysError("cannot read extended attribute " + name + " of", what, errno);
        std::string value(static_cast<size_t>(need), '\0');
        ssize_t n = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
        if (n >= 0) {
            value.resize(static_cast<size_t>(n));
            return value;
        }
        if (errno != ERANGE) throw SysError("cannot read extended attribute " + name + " of", what, errno);
    }
}

std::string proc_fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

void copy_acl(int src, int dst, bool directory, const std::string& what) {
    UniqueAcl access(::acl_get_fd(src));
    if (!access) throw SysError("cannot read ACL of", what, errno);
    if (::acl_set_fd(dst, access.get()) != 0 && !unsupported(errno)) throw SysError("cannot set ACL on", what, errno);
    if (!directory) return;
    // Default ACLs have no fd-based call; the /proc path names the very
    // inode behind the fd, so no lookup by name happens.
    UniqueAcl def(::acl_get_file(proc_fd_path(src).c_str(), ACL_TYPE_DEFAULT));
    if (!def) {
        if (unsupported(errno)) return;
        throw SysError("cannot read default ACL of", what, errno);
    }
    if (::acl_entries(def.get()) > 0 && ::acl_set_file(proc_fd_path(dst).c_str(), ACL_TYPE_DEFAULT, def.get()) != 0 &&
        !unsupported(errno))
        throw SysError("cannot set default ACL on", what, errno);
}

}  // namespace

void copy_data(int src, int dst, off_t size, const std::string& what) {
    off_t done = 0;
    bool use_cfr = true;
    std::vector<char> buf;  // only for the read/write fallback
    while (done < size || !use_cfr) {
        if (use_cfr) {
            ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, static_cast<size_t>(size - done), 0);
            if (n > 0) {
                done += n;
                continue;
            }
            if (n == 0) break;  // the file shrank while we copied
            if (errno == EINTR) continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != EPERM)
                throw SysError("cannot copy", what, errno);
            use_cfr = false;
            if (::lseek(src, done, SEEK_SET) < 0 || ::lseek(dst, done, SEEK_SET) < 0)
                throw SysError("cannot seek in", what, errno);
        }
        buf.resize(1 << 16);
        ssize_t n = ::read(src, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("cannot read", what, errno);
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(dst, buf.data() + off, static_cast<size_t>(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                throw SysError("cannot write", what, errno);
            }
            off += w;
        }
        done += n;
    }
}

bool copy_xattrs(int src, int dst, bool directory, const XattrPolicy& policy, const std::string& what) {
    bool has_acl = false;
    bool dropped_caps = false;
    for (const auto& name : xattr_names(src, what)) {
        if (name == "system.posix_acl_access" || name == "system.posix_acl_default") {
            has_acl = true;
            continue;
        }
        if (name == "security.capability" && !policy.keep_capabilities) {
            dropped_caps = true;
            continue;
        }
        std::string value = xattr_value(src, name, what);
        if (::fsetxattr(dst, name.c_str(), value.data(), value.size(), 0) != 0) {
            // trusted.* needs CAP_SYS_ADMIN, security.selinux a policy that
            // knows the label: neither is worth failing the copy for.
            if (unsupported(errno) || errno == EPERM || errno == EACCES || errno == EINVAL) continue;
            throw SysError("cannot set extended attribute " + name + " on", what, errno);
        }
    }
    if (has_acl) copy_acl(src, dst, directory, what);
    return dropped_caps;
}

void copy_times(int dst, const struct stat& st, const std::string& what) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(dst, times) != 0) throw SysError("cannot set timestamps on", what, errno);
}

}  // namespace jk::metadata
