#include "jk/lsh_system.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>

#include "jk/config.hpp"
#include "jk/elf.hpp"
#include "jk/users.hpp"

namespace jk::lsh {

namespace {

constexpr int max_symlinks = 40;  // the kernel's own limit (MAXSYMLINKS)

// git's exec path as Debian (and most distributions) build it, and the
// upstream default.
constexpr const char* git_exec_dirs[] = {"/usr/lib/git-core", "/usr/libexec/git-core"};

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

void push_components_front(std::deque<std::string>& todo, const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        if (end > start) parts.push_back(path.substr(start, end - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
}

// MUST 2 for one inode. `what` is the path shown.
void check_inode(int fd, const struct stat& st, uid_t uid, const std::string& what) {
    if (uid == 0) return;
    const char* kind = S_ISDIR(st.st_mode) ? "is a directory " : "is ";
    if (st.st_uid == uid)
        throw UntrustedExecutable(what, std::string(kind) + "owned by the user, who could replace the program");
    if (user_may_write(fd))
        throw UntrustedExecutable(what, std::string(kind) + "writable by the user, who could replace the program");
}

}  // namespace

CheckedExecutable open_checked_executable(const std::string& path, uid_t uid) {
    if (path.empty() || path[0] != '/') throw UntrustedExecutable(path, "is not an absolute path");
    UniqueFd cur(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cur) throw SysError("cannot open", "/", errno);
    std::vector<std::string> walked;  // components of cur
    std::deque<std::string> todo;
    push_components_front(todo, path);
    int links = 0;

    auto check_dir = [&](int fd, const std::string& shown) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) throw SysError("cannot stat", shown, errno);
        check_inode(fd, st, uid, shown);
    };
    check_dir(cur.get(), "/");

    while (!todo.empty()) {
        const std::string name = todo.front();
        todo.pop_front();
        if (name == ".") continue;
        if (name == "..") {
            UniqueFd up(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!up) throw SysError("cannot open", join_path(walked) + "/..", errno);
            if (!walked.empty()) walked.pop_back();
            check_dir(up.get(), join_path(walked));
            cur = std::move(up);
            continue;
        }
        std::vector<std::string> next_parts = walked;
        next_parts.push_back(name);
        const std::string shown = join_path(next_parts);
        UniqueFd fd(::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw SysError("cannot open", shown, errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) throw SysError("cannot stat", shown, errno);
        if (S_ISLNK(st.st_mode)) {
            // The link itself cannot change: the directory holding it passed.
            if (++links > max_symlinks) throw SysError("too many symbolic links in", path, ELOOP);
            std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
            for (;;) {
                const ssize_t n = ::readlinkat(fd.get(), "", target.data(), target.size());
                if (n < 0) throw SysError("cannot read the symbolic link", shown, errno);
                if (static_cast<std::size_t>(n) < target.size()) {
                    target.resize(static_cast<std::size_t>(n));
                    break;
                }
                target.resize(target.size() * 2);
            }
            if (target.empty()) throw SysError("empty symbolic link", shown, ENOENT);
            if (target[0] == '/') {
                cur = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
                if (!cur) throw SysError("cannot open", "/", errno);
                walked.clear();
            }
            push_components_front(todo, target);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            check_inode(fd.get(), st, uid, shown);
            cur = std::move(fd);
            walked = std::move(next_parts);
            continue;
        }
        if (!todo.empty()) throw SysError("cannot open", shown + "/" + todo.front(), ENOTDIR);
        if (!S_ISREG(st.st_mode)) throw UntrustedExecutable(shown, "is not a regular file");
        if (uid != 0) {
            if (st.st_uid == uid)
                throw UntrustedExecutable(shown, "is owned by the user, who could replace its content");
            if (user_may_write(fd.get()))
                throw UntrustedExecutable(shown, "is writable by the user, who could replace its content");
        }
        return CheckedExecutable{std::move(fd), shown};
    }
    throw UntrustedExecutable(path, "is not a regular file");
}

int exec_checked(const CheckedExecutable& exe, char* const argv[], char* const envp[]) {
    ::execveat(exe.fd.get(), "", argv, envp, AT_EMPTY_PATH);
    if (errno != ENOENT) return errno;
    // A script: the kernel would hand its interpreter /dev/fd/N, which a
    // close-on-exec fd cannot be, and refuses before anything runs.
    ::execve(exe.canonical.c_str(), argv, envp);
    return errno;
}

std::vector<std::string> git_exec_allowlist(const std::string& program) {
    std::vector<std::string> out{program};
    std::vector<std::string> elves{program};
    for (const char* dir : git_exec_dirs) {
        out.emplace_back(dir);
        elves.push_back(std::string(dir) + "/git");
    }
    for (const std::string& f : elves) {
        std::optional<elf::ElfInfo> info;
        try {
            info = elf::read_elf_file(f);
        } catch (const SysError& e) {
            if (f != program && (e.err() == ENOENT || e.err() == ENOTDIR)) continue;  // not in this jail
            throw;
        }
        if (info && info->has_interp && std::find(out.begin(), out.end(), info->interpreter) == out.end())
            out.push_back(info->interpreter);
    }
    return out;
}

bool has_loader_variables(const std::vector<std::string>& env) {
    return std::any_of(env.begin(), env.end(), [](const std::string& e) {
        const std::size_t eq = e.find('=');
        return is_unsafe_env_name(std::string_view(e).substr(0, eq));
    });
}

UserLookup find_user(uid_t uid, const std::string& env_user, bool allow_nss) {
    UserLookup out;
    auto fail = [&](int code, std::string why) {
        out.exit_code = code;
        out.why = std::move(why);
        return out;
    };
    std::optional<users::HostUsers> files;
    try {
        files = users::read_host_users(users::Malformed::skip);
    } catch (const Error&) {
        // Unreadable or untrusted files: as if the user were not in them.
    }
    const users::PasswdEntry* pe = nullptr;
    if (files) {
        for (const auto& r : files->passwd.records) {
            if (!r.entry) continue;
            const bool match = env_user.empty() ? r.entry->uid == uid : r.entry->name == env_user;
            if (match) {
                pe = &*r.entry;
                break;
            }
        }
    }
    if (pe) {
        if (pe->uid != uid)
            return fail(exit_user, "$USER " + quoted(env_user) + " does not name uid " + std::to_string(uid));
        const users::GroupEntry* ge = users::find_gid(files->group, pe->gid);
        if (!ge) return fail(exit_section, "cannot find the group with gid " + std::to_string(pe->gid));
        out.user = User{pe->name, pe->uid, pe->home, pe->shell, ge->name};
        return out;
    }
    if (!allow_nss) {
        if (!env_user.empty())
            return fail(exit_user,
                        "$USER " + quoted(env_user) + " does not name uid " + std::to_string(uid) + " in /etc/passwd");
        return fail(exit_user, "cannot find uid " + std::to_string(uid) + " in /etc/passwd");
    }
    errno = 0;
    const passwd* pw = env_user.empty() ? ::getpwuid(uid) : ::getpwnam(env_user.c_str());
    if (!env_user.empty() && (!pw || pw->pw_uid != uid))
        return fail(exit_user, "$USER " + quoted(env_user) + " does not name uid " + std::to_string(uid));
    if (!pw) return fail(exit_user, "cannot find a user with uid " + std::to_string(uid));
    User u{pw->pw_name, pw->pw_uid, pw->pw_dir, pw->pw_shell, ""};
    const group* gr = ::getgrgid(pw->pw_gid);
    if (!gr) return fail(exit_section, "cannot find the group with gid " + std::to_string(pw->pw_gid));
    u.group = gr->gr_name;
    out.user = std::move(u);
    return out;
}

}  // namespace jk::lsh
