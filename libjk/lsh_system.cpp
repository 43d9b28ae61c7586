#include "jk/lsh_system.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "jk/config.hpp"
#include "jk/elf.hpp"
#include "jk/users.hpp"

namespace jk::lsh {

namespace {

// git's exec path as Debian (and most distributions) build it, and the
// upstream default.
constexpr const char* git_exec_dirs[] = {"/usr/lib/git-core", "/usr/libexec/git-core"};

}  // namespace

int exec_checked(const trust::UnreplaceableFile& exe, char* const argv[], char* const envp[]) {
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
