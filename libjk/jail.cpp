// Jail validation and resolution beneath the jail's directory fd.
//
// MUST (see jail.hpp):
//  1. Validate by walking from "/" with O_PATH|O_NOFOLLOW and fstat()ing each
//     fd; keep the last fd as the jail. No path string is looked up twice.
//  2. Resolve inner paths with openat2(RESOLVE_IN_ROOT) or, where the kernel
//     lacks it, with a walk that gives the same answer: ".." and absolute
//     symlink targets restart at the jail fd, never above it.
//  3. Never follow the leaf of a path that is about to be written.
#include "jk/jail.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <random>
#include <vector>

#include "jk/error.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk {

namespace {

constexpr int max_symlinks = 40;  // the kernel's MAXSYMLINKS

// The kernel answers ENOSYS where openat2 is missing (before 5.6) and some
// seccomp filters answer EPERM; both mean "use the walk".
bool openat2_unavailable(int err) {
    return err == ENOSYS || err == EPERM;
}

int try_openat2(int rootfd, std::string_view path, int flags, mode_t mode) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string p(path.empty() ? "." : path);
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, rootfd, p.c_str(), &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        // EAGAIN: a concurrent rename raced the lookup; the kernel asks us
        // to retry rather than risk a wrong answer.
        if ((errno == EAGAIN || errno == EINTR) && attempt < 64) continue;
        return -1;
    }
}

// Component-wise resolution with chroot semantics. Each step opens one name
// with O_NOFOLLOW relative to an fd we hold, so a concurrent swap of a
// directory for a symlink is seen as a symlink and re-resolved inside root.
UniqueFd walk_in_root(int rootfd, std::string_view path, int flags, mode_t mode, const std::string& what) {
    const bool follow_last = !(flags & O_NOFOLLOW);
    std::deque<std::string> todo;
    for (auto& c : path::components(path)) todo.push_back(std::move(c));

    std::vector<UniqueFd> parents;  // the directories above `cur`, for ".."
    UniqueFd cur = sys::open_at(rootfd, ".", O_PATH | O_DIRECTORY, 0, what);
    int links = 0;

    auto follow = [&](int dirfd, const std::string& name) {
        if (++links > max_symlinks) throw SysError("cannot open", what, ELOOP);
        std::string target = sys::readlink_at(dirfd, name);
        std::vector<std::string> comps = path::components(target);
        if (!target.empty() && target[0] == '/') {
            parents.clear();
            cur = sys::open_at(rootfd, ".", O_PATH | O_DIRECTORY, 0, what);
        }
        for (auto it = comps.rbegin(); it != comps.rend(); ++it) todo.push_front(*it);
    };

    if (todo.empty()) return sys::open_at(rootfd, ".", flags, mode, what);

    while (!todo.empty()) {
        std::string name = std::move(todo.front());
        todo.pop_front();
        const bool last = todo.empty();
        if (name == ".") {
            if (last) return sys::open_at(cur.get(), ".", flags & ~O_NOFOLLOW, mode, what);
            continue;
        }
        if (name == "..") {
            if (!parents.empty()) {
                cur = std::move(parents.back());
                parents.pop_back();
            }
            if (last) return sys::open_at(cur.get(), ".", flags & ~O_NOFOLLOW, mode, what);
            continue;
        }
        if (last) {
            int fd = ::openat(cur.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd >= 0) {
                UniqueFd result(fd);
                // O_PATH|O_NOFOLLOW hands back the link itself; follow it
                // unless the caller asked for the link.
                if (follow_last && (flags & O_PATH) && S_ISLNK(sys::fstat_fd(fd, what).st_mode)) {
                    follow(cur.get(), name);
                    continue;
                }
                return result;
            }
            int err = errno;
            if (follow_last && err == ELOOP) {
                auto st = sys::lstat_at(cur.get(), name);
                if (st && S_ISLNK(st->st_mode)) {
                    follow(cur.get(), name);
                    continue;
                }
            }
            throw SysError("cannot open", what, err);
        }
        UniqueFd next = sys::open_at(cur.get(), name, O_PATH | O_NOFOLLOW, 0, what);
        struct stat st = sys::fstat_fd(next.get(), what);
        if (S_ISLNK(st.st_mode)) {
            follow(cur.get(), name);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) throw SysError("cannot open", what, ENOTDIR);
        parents.push_back(std::move(cur));
        cur = std::move(next);
    }
    // A trailing symlink resolved to a path ending in "." or ".." lands here.
    return sys::open_at(cur.get(), ".", flags & ~O_NOFOLLOW, mode, what);
}

// A well-known directory of the jail, by the one trust rule for it.
void check_system_dir(const struct stat& st, const std::string& shown) {
    if (std::optional<std::string> why = trust::problem(st, trust::jail_system_dir)) throw UnsafePath(shown, *why);
}

}  // namespace

UniqueFd open_in_root(int rootfd, std::string_view path, int flags, mode_t mode, const std::string& what,
                      ResolveMethod method) {
    if (method != ResolveMethod::walk) {
        int fd = try_openat2(rootfd, path, flags, mode);
        if (fd >= 0) return UniqueFd(fd);
        int err = errno;
        if (method == ResolveMethod::openat2 || !openat2_unavailable(err)) throw SysError("cannot open", what, err);
    }
    return walk_in_root(rootfd, path, flags, mode, what);
}

PathSplit split_leaf(std::string_view path) {
    std::vector<std::string> comps;
    for (auto& c : path::components(path))
        if (c != ".") comps.push_back(std::move(c));
    if (comps.empty()) throw Error("path " + quoted(std::string(path)) + " names the jail root, not an entry in it");
    if (comps.back() == "..") throw Error("path " + quoted(std::string(path)) + " ends in '..'");
    PathSplit out;
    out.leaf = comps.back();
    comps.pop_back();
    for (auto& c : comps) out.dir += "/" + c;
    return out;
}

std::string normalize_absolute(std::string_view path) {
    if (path.empty() || path[0] != '/') throw Error("path " + quoted(std::string(path)) + " is not absolute");
    std::vector<std::string> out;
    for (auto& c : path::components(path)) {
        if (c == ".") continue;
        if (c == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        out.push_back(std::move(c));
    }
    std::string s;
    for (auto& c : out) s += "/" + c;
    return s.empty() ? "/" : s;
}

Jail Jail::open(const std::string& path) {
    const std::string norm = normalize_absolute(path);
    // Parents follow sshd's ChrootDirectory rule, the jail itself also
    // jailkit's root group (trust::jail_directory).
    UniqueFd cur = trust::open_checked(norm, trust::jail_directory);

    // The well-known directories are where jailed programs and the loader
    // look first; a user-writable one would let a jailed user replace them.
    static const char* const system_dirs[] = {"etc", "usr", "var", "bin", "dev", "proc", "sbin", "sys", "lib", "lib64"};
    for (const char* dir : system_dirs) {
        auto st = sys::lstat_at(cur.get(), dir);
        if (!st) continue;
        std::string shown = norm == "/" ? std::string("/") + dir : norm + "/" + dir;
        if (S_ISLNK(st->st_mode)) {
            // A merged-/usr link like bin -> usr/bin; judge what it names
            // inside the jail. A dangling one names nothing yet.
            int fd = try_openat2(cur.get(), dir, O_PATH, 0);
            if (fd < 0 && openat2_unavailable(errno)) {
                try {
                    fd = walk_in_root(cur.get(), dir, O_PATH, 0, shown).release();
                } catch (const SysError& e) {
                    if (e.err() != ENOENT) throw;
                    fd = -1;
                    errno = ENOENT;
                }
            }
            if (fd < 0) {
                // A link that leads nowhere inside the jail would be resolved
                // by someone else later (ldconfig, the loader): refuse it now.
                if (errno == ENOENT) throw UnsafePath(shown, "is a symbolic link to nothing inside the jail");
                throw SysError("cannot open", shown, errno);
            }
            UniqueFd target(fd);
            check_system_dir(sys::fstat_fd(target.get(), shown), shown);
        } else if (S_ISDIR(st->st_mode)) {
            check_system_dir(*st, shown);
        } else {
            throw UnsafePath(shown, "is not a directory");
        }
    }
    return Jail(norm, std::move(cur));
}

Jail Jail::open_unchecked(const std::string& path) {
    std::string norm = normalize_absolute(path);
    UniqueFd fd = sys::open_at(AT_FDCWD, norm, O_PATH | O_DIRECTORY, 0, norm);
    return Jail(norm, std::move(fd));
}

std::string Jail::host_path(std::string_view inner) const {
    std::string s = path_ == "/" ? "" : path_;
    if (inner.empty() || inner[0] != '/') s += "/";
    s += inner;
    return s;
}

UniqueFd Jail::open(std::string_view inner, int flags, mode_t mode) const {
    return open_in_root(fd(), inner, flags, mode, host_path(inner));
}

Jail::Parent Jail::open_parent(std::string_view inner) const {
    PathSplit split = split_leaf(inner);
    UniqueFd dir = open_in_root(fd(), split.dir, O_PATH | O_DIRECTORY, 0, host_path(split.dir));
    return Parent{std::move(dir), std::move(split.leaf)};
}

std::optional<struct stat> Jail::lstat(std::string_view inner) const {
    Parent parent;
    try {
        parent = open_parent(inner);
    } catch (const SysError& e) {
        if (e.err() == ENOENT || e.err() == ENOTDIR) return std::nullopt;
        throw;
    }
    return sys::lstat_at(parent.dir.get(), parent.leaf);
}

std::string temp_name_for(const std::string& leaf) {
    static std::mt19937_64 rng{std::random_device{}()};
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string suffix;
    for (int i = 0; i < 10; ++i) suffix += alphabet[rng() % (sizeof alphabet - 1)];
    // Keep the name short enough for NAME_MAX whatever the leaf's length.
    return ".jk-" + leaf.substr(0, 200) + "." + suffix;
}

namespace {

// Gives the anonymous O_TMPFILE file behind fd the name `name` in dir.
// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which root has; /proc is the
// fallback for the rest.
bool link_tmpfile(int fd, int dir, const std::string& name) {
    if (::linkat(fd, "", dir, name.c_str(), AT_EMPTY_PATH) == 0) return true;
    if (errno == EEXIST) return false;
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, proc.c_str(), dir, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return true;
    if (errno == EEXIST) return false;
    throw SysError("cannot link a temporary file into", name, errno);
}

}  // namespace

void Jail::replace_file(std::string_view inner, std::string_view content, mode_t mode, uid_t uid, gid_t gid) const {
    Parent parent = open_parent(inner);
    const std::string shown = host_path(inner);
    // The content is written to an anonymous file (O_TMPFILE) and only named
    // once complete, just before the rename: a run killed while writing
    // leaves nothing behind. Filesystems without O_TMPFILE get a named
    // temporary file instead.
    UniqueFd out(::openat(parent.dir.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    const bool anonymous = out.valid();
    std::string tmp;
    for (int attempt = 0; !anonymous && !out; ++attempt) {
        tmp = temp_name_for(parent.leaf);
        int fd = ::openat(parent.dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            out.reset(fd);
        } else if (errno != EEXIST || attempt > 16) {
            throw SysError("cannot create", shown, errno);
        }
    }
    try {
        sys::write_all(out.get(), content, shown);
        if (::fchown(out.get(), uid, gid) != 0) throw SysError("cannot chown", shown, errno);
        if (::fchmod(out.get(), mode) != 0) throw SysError("cannot chmod", shown, errno);
        if (::fsync(out.get()) != 0) throw SysError("cannot sync", shown, errno);
        for (int attempt = 0; anonymous; ++attempt) {
            // tmp names our file only once the link succeeded: the catch
            // below must never unlink someone else's entry.
            std::string name = temp_name_for(parent.leaf);
            if (link_tmpfile(out.get(), parent.dir.get(), name)) {
                tmp = std::move(name);
                break;
            }
            if (attempt > 16) throw SysError("cannot name a temporary file for", shown, EEXIST);
        }
        if (::renameat(parent.dir.get(), tmp.c_str(), parent.dir.get(), parent.leaf.c_str()) != 0)
            throw SysError("cannot rename into place", shown, errno);
    } catch (...) {
        // Best effort: the error being rethrown is the one to report.
        if (!tmp.empty()) (void)::unlinkat(parent.dir.get(), tmp.c_str(), 0);
        throw;
    }
}

}  // namespace jk
