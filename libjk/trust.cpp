#include "jk/trust.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <vector>

#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"

namespace jk::trust {

// ---------------------------------------------------------------- the rules

const Rule real_directory{.name = "directory", .kind = Kind::directory, .kind_only = true, .root_owner = false};
const Rule jail_parent{.name = "directory above a jail", .kind = Kind::directory, .parents = &jail_parent};
const Rule jail_directory{
    .name = "jail directory", .kind = Kind::directory, .root_group = true, .parents = &jail_parent};
const Rule jail_system_dir{.name = "system directory of a jail", .kind = Kind::directory};
const Rule jail_system_file{.name = "system file of a jail", .kind = Kind::regular_file, .parents = &jail_system_dir};
const Rule system_source_dir{.name = "host directory of a thin jail", .kind = Kind::directory, .parents = &jail_parent};
const Rule system_source_file{.name = "host file of a thin jail", .kind = Kind::regular_file, .parents = &jail_parent};
const Rule config_directory{.name = "configuration directory",
                            .kind = Kind::directory,
                            .group_write_if_root_group = true,
                            .parents = &config_directory};
const Rule trusted_file{.name = "trusted file", .kind = Kind::regular_file, .parents = &config_directory};
const Rule jail_passwd{.name = "jail user database", .kind = Kind::regular_file, .parents = &jail_system_dir};
const Rule trusted_executable{.name = "trusted executable", .kind = Kind::executable, .parents = &config_directory};
// Kind regular_file, not executable: jailkit lets a file without x bits
// through this check and fails at exec (exit 31), and so do we.
const Rule daemon_executable{.name = "daemon executable",
                             .kind = Kind::regular_file,
                             .root_group = true,
                             .refuse_setid = true,
                             .parents = &jail_system_dir};
const Rule cgroup_delegate{.name = "delegated cgroup", .kind = Kind::directory, .parents = &jail_parent};
const Rule system_bus_socket{.name = "system bus socket", .kind = Kind::socket, .parents = &jail_parent};
const Rule pidfile_directory{
    .name = "pidfile directory", .kind = Kind::directory, .root_owner = false, .group_write_if_root_group = true};

// ---------------------------------------------------------------- checks

std::optional<std::string> problem(const struct stat& st, const Rule& rule) {
    if (S_ISLNK(st.st_mode)) return "is a symbolic link";
    switch (rule.kind) {
        case Kind::directory:
            if (!S_ISDIR(st.st_mode)) return "is not a directory";
            break;
        case Kind::regular_file:
            if (!S_ISREG(st.st_mode)) return "is not a regular file";
            break;
        case Kind::executable:
            if (!S_ISREG(st.st_mode)) return "is not a regular file";
            if ((st.st_mode & 0111) == 0) return "is not executable";
            break;
        case Kind::socket:
            if (!S_ISSOCK(st.st_mode)) return "is not a socket";
            break;
    }
    if (rule.kind_only) return std::nullopt;
    if (rule.refuse_setid && (st.st_mode & (S_ISUID | S_ISGID))) return "is setuid or setgid";
    if (rule.root_owner && st.st_uid != 0) return "is not owned by root";
    if (rule.root_group && st.st_gid != 0) return "is not owned by group root";
    if (rule.kind == Kind::socket) return std::nullopt;  // its write bits: who may connect
    if (st.st_mode & S_IWOTH) return "is writable by others";
    if ((st.st_mode & S_IWGRP) && !(rule.group_write_if_root_group && st.st_gid == 0)) return "is writable by group";
    return std::nullopt;
}

void require(int fd, const std::string& shown, const Rule& rule) {
    const struct stat st = sys::fstat_fd(fd, shown);
    if (S_ISLNK(st.st_mode)) throw SymlinkNotAllowed(shown);
    if (std::optional<std::string> why = problem(st, rule)) throw UnsafePath(shown, *why);
}

UniqueFd step(int dirfd, const std::string& name, const std::string& shown, const Rule& rule) {
    UniqueFd fd = sys::open_at(dirfd, name, O_PATH | O_NOFOLLOW, 0, shown);
    require(fd.get(), shown, rule);
    return fd;
}

namespace {

// Opens `name` beneath `dirfd` without following a symlink; -1 with errno set
// when it cannot be opened.
int open_component(int dirfd, const std::string& name, int flags) {
    return ::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
}

// The walk of open_checked. With `missing_ok`, a component that does not
// exist (ENOENT) yields an empty UniqueFd instead of an exception: the setuid
// tools look for optional files (their ini, a jail's policy) on every start,
// and unwinding an exception needs more stack than a caller-set RLIMIT_STACK
// of 16 KiB leaves them (SIGSEGV in the unwinder, security_limits.sh).
UniqueFd walk_checked(std::string_view path, const Rule& rule, int flags, bool missing_ok) {
    const std::string whole(path);
    if (path.empty() || path[0] != '/') throw Error("path " + quoted(whole) + " is not absolute");
    const std::vector<std::string> comps = path::components(path);
    for (const auto& c : comps)
        if (c == "." || c == "..") throw Error("path " + quoted(whole) + " has a '.' or '..' component");

    const Rule& parents = rule.parents ? *rule.parents : real_directory;
    // Only the directory rule applies to "/" itself: its write bits matter
    // (a writable / could have anything renamed under it), owners do not
    // vary between hosts.
    UniqueFd cur = sys::open_at(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0, "/");
    if (comps.empty()) {
        require(cur.get(), "/", rule);
        return cur;
    }
    require(cur.get(), "/", parents);
    std::string walked;
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
        walked += "/" + comps[i];
        const int fd = open_component(cur.get(), comps[i], O_PATH);
        if (fd < 0) {
            const int err = errno;
            if (missing_ok && err == ENOENT) return UniqueFd{};
            if (err == ELOOP) throw SymlinkNotAllowed(walked);
            throw SysError("cannot open", walked, err);
        }
        cur = UniqueFd(fd);
        require(cur.get(), walked, parents);
    }
    walked += "/" + comps.back();
    // O_NONBLOCK keeps the open from hanging on a FIFO planted in place of a
    // file; it is refused as soon as fstat shows what it is.
    const bool path_only = (flags & O_PATH) != 0;
    const int extra = path_only ? 0 : O_NONBLOCK | O_NOCTTY;
    const int fd = open_component(cur.get(), comps.back(), flags | extra);
    if (fd < 0) {
        const int err = errno;
        if (missing_ok && err == ENOENT) return UniqueFd{};
        if (err == ELOOP) throw SymlinkNotAllowed(walked);
        throw SysError("cannot open", walked, err);
    }
    UniqueFd out(fd);
    require(out.get(), walked, rule);
    if (!path_only && !(flags & O_NONBLOCK)) {
        const int fl = ::fcntl(out.get(), F_GETFL);
        if (fl < 0 || ::fcntl(out.get(), F_SETFL, fl & ~O_NONBLOCK) != 0)
            throw SysError("cannot set flags on", walked, errno);
    }
    return out;
}

}  // namespace

UniqueFd open_checked(std::string_view path, const Rule& rule, int flags) {
    return walk_checked(path, rule, flags, false);
}

UniqueFd open_checked_if_present(std::string_view path, const Rule& rule, int flags) {
    return walk_checked(path, rule, flags, true);
}

// ---------------------------------------------------------------- a user's view

namespace {

constexpr int max_symlinks = 40;  // the kernel's own limit (MAXSYMLINKS)

// Whether the calling user may write the inode behind fd. faccessat2 with
// AT_EMPTY_PATH works on an O_PATH fd and applies ACLs; AT_EACCESS asks for
// the effective ids. A read-only mount (EROFS) is not writable.
bool user_may_write(int fd) {
    return ::syscall(SYS_faccessat2, fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
}

std::string join_path(const std::vector<std::string>& parts) {
    if (parts.empty()) return "/";
    std::string out;
    for (const auto& p : parts) out += "/" + p;
    return out;
}

void push_components_front(std::deque<std::string>& todo, const std::string& p) {
    std::vector<std::string> parts = path::components(p);
    todo.insert(todo.begin(), parts.begin(), parts.end());
}

void require_unreplaceable(int fd, const struct stat& st, uid_t uid, const std::string& shown) {
    if (uid == 0) return;
    const bool dir = S_ISDIR(st.st_mode);
    const char* kind = dir ? "is a directory " : "is ";
    const char* then = dir ? ", who could replace the program" : ", who could replace its content";
    if (st.st_uid == uid) throw UnsafePath(shown, std::string(kind) + "owned by the user" + then);
    if (user_may_write(fd)) throw UnsafePath(shown, std::string(kind) + "writable by the user" + then);
}

// The target of the symlink open (O_PATH|O_NOFOLLOW) at `fd`, whose
// lstat is `st`; nullopt with errno set when it cannot be read. st_size is
// only a hint: the link may be longer by the time it is read.
std::optional<std::string> read_link(int fd, const struct stat& st) {
    std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
    for (;;) {
        const ssize_t n = ::readlinkat(fd, "", target.data(), target.size());
        if (n < 0) return std::nullopt;
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

UniqueFd open_root() {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError("cannot open", "/", errno);
    return root;
}

}  // namespace

UnreplaceableFile open_unreplaceable(const std::string& path, uid_t uid) {
    if (path.empty() || path[0] != '/') throw UnsafePath(path, "is not an absolute path");
    UniqueFd cur = open_root();
    std::vector<std::string> walked;  // components of cur
    std::deque<std::string> todo;
    push_components_front(todo, path);
    int links = 0;

    auto require_dir = [&](int fd, const std::string& shown) {
        require_unreplaceable(fd, sys::fstat_fd(fd, shown), uid, shown);
    };
    require_dir(cur.get(), "/");

    while (!todo.empty()) {
        const std::string name = todo.front();
        todo.pop_front();
        if (name == ".") continue;
        if (name == "..") {
            UniqueFd up(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!up) throw SysError("cannot open", join_path(walked) + "/..", errno);
            if (!walked.empty()) walked.pop_back();
            require_dir(up.get(), join_path(walked));
            cur = std::move(up);
            continue;
        }
        std::vector<std::string> next_parts = walked;
        next_parts.push_back(name);
        const std::string shown = join_path(next_parts);
        UniqueFd fd(::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw SysError("cannot open", shown, errno);
        const struct stat st = sys::fstat_fd(fd.get(), shown);
        if (S_ISLNK(st.st_mode)) {
            // The link itself cannot change: the directory holding it passed.
            if (++links > max_symlinks) throw SysError("too many symbolic links in", path, ELOOP);
            std::optional<std::string> read = read_link(fd.get(), st);
            if (!read) throw SysError("cannot read the symbolic link", shown, errno);
            const std::string target = std::move(*read);
            if (target.empty()) throw SysError("empty symbolic link", shown, ENOENT);
            if (target[0] == '/') {
                cur = open_root();
                walked.clear();
            }
            push_components_front(todo, target);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            require_unreplaceable(fd.get(), st, uid, shown);
            cur = std::move(fd);
            walked = std::move(next_parts);
            continue;
        }
        if (!todo.empty()) throw SysError("cannot open", shown + "/" + todo.front(), ENOTDIR);
        if (!S_ISREG(st.st_mode)) throw UnsafePath(shown, "is not a regular file");
        require_unreplaceable(fd.get(), st, uid, shown);
        return UnreplaceableFile{std::move(fd), shown};
    }
    throw UnsafePath(path, "is not a regular file");
}

// ---------------------------------------------------------------- copied for a user

bool mode_allows(const struct stat& st, const privilege::Identity& who, unsigned bits) {
    unsigned mode = st.st_mode & 07;
    if (st.st_uid == who.uid)
        mode = (st.st_mode >> 6) & 07;
    else if (st.st_gid == who.gid || std::find(who.groups.begin(), who.groups.end(), st.st_gid) != who.groups.end())
        mode = (st.st_mode >> 3) & 07;
    return (mode & bits) == bits;
}

namespace {

// One step of the walks of MUST 5: `name` beneath `dirfd`, the link itself
// when it is one; an empty UniqueFd when it cannot be opened or stat'ed.
UniqueFd open_step(int dirfd, const std::string& name, struct stat& st) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd && ::fstat(fd.get(), &st) != 0) fd.reset();
    return fd;
}

HostFile host_absent() {
    return HostFile{HostFile::Verdict::absent, "does not exist on the host", false};
}

HostFile host_refused(std::string why) {
    return HostFile{HostFile::Verdict::refused, std::move(why), false};
}

}  // namespace

HostFile host_file_for_user(std::string_view real, const privilege::Identity& who) {
    const std::vector<std::string> comps = path::components(real);
    UniqueFd cur = open_root();
    std::string walked;
    HostFile out{HostFile::Verdict::readable, "", false};
    for (std::size_t i = 0; i < comps.size(); ++i) {
        walked += "/" + comps[i];
        struct stat st {};
        UniqueFd fd = open_step(cur.get(), comps[i], st);
        if (!fd) return host_absent();
        if (st.st_uid != 0) return host_refused(walked + " is not owned by root on the host");
        if (i + 1 < comps.size()) {
            if (!S_ISDIR(st.st_mode)) return host_absent();
            if (!mode_allows(st, who, 1)) return host_refused("the user cannot reach it on the host (" + walked + ")");
            cur = std::move(fd);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!mode_allows(st, who, 5)) return host_refused("the user cannot read it on the host");
            out.directory = true;
        } else if (S_ISREG(st.st_mode)) {
            if (!mode_allows(st, who, 4)) return host_refused("the user cannot read it on the host");
        } else {
            return host_refused("is not a regular file or a directory on the host");
        }
    }
    return out;
}

JailPath look_up_for_user(int jailfd, std::string_view inner) {
    JailPath r;
    auto jail_root = [jailfd] { return sys::open_at(jailfd, ".", O_PATH | O_DIRECTORY, 0, "the jail"); };
    std::deque<std::string> todo;
    push_components_front(todo, std::string(inner));
    UniqueFd cur = jail_root();
    std::vector<UniqueFd> parents;  // the directories above cur, for ".."
    std::string cur_path;           // "" is the jail's root
    int links = 0;
    while (!todo.empty()) {
        const std::string name = todo.front();
        todo.pop_front();
        if (name == ".") continue;
        if (name == "..") {
            if (!parents.empty()) {
                cur = std::move(parents.back());
                parents.pop_back();
                cur_path = path::parent_of(cur_path);
            }
            continue;
        }
        const std::string cand = cur_path + "/" + name;
        struct stat st {};
        UniqueFd fd = open_step(cur.get(), name, st);
        if (!fd) {
            std::string rest = cand;
            for (const auto& t : todo) rest += "/" + t;
            r.resolved = normalize_absolute(rest);
            return r;
        }
        const bool link = S_ISLNK(st.st_mode);
        const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
        const bool others_write = (st.st_mode & 0022) != 0 && !sticky_dir;
        if (st.st_uid != 0 || (!link && others_write)) {
            r.refused = cand + " in the jail is controlled by a user";
            return r;
        }
        if (link) {
            if (++links > max_symlinks) {
                r.refused = cand + " in the jail loops";
                return r;
            }
            std::optional<std::string> target = read_link(fd.get(), st);
            if (!target) {
                r.refused = cand + " in the jail cannot be read";
                return r;
            }
            if (!target->empty() && target->front() == '/') {
                cur = jail_root();
                parents.clear();
                cur_path.clear();
            }
            push_components_front(todo, *target);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (!todo.empty()) {
                r.refused = cand + " in the jail is not a directory";
                return r;
            }
            cur_path = cand;
            break;
        }
        parents.push_back(std::move(cur));
        cur = std::move(fd);
        cur_path = cand;
    }
    r.exists = true;
    r.resolved = cur_path.empty() ? "/" : cur_path;
    return r;
}

}  // namespace jk::trust
