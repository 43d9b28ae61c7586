// jk_jailuser's logic; see jk/jailuser.hpp for the contract and the MUST list.
#include "jk/jailuser.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "jk/entry.hpp"
#include "jk/fd.hpp"
#include "jk/metadata.hpp"
#include "jk/path.hpp"
#include "jk/process.hpp"
#include "jk/sys.hpp"

namespace jk::jailuser {

namespace {

// p is dir or lies below it (both clean, absolute).
bool within(const std::string& p, const std::string& dir) {
    if (dir == "/") return true;
    return p == dir || (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
}

HomeMapping candidate(const std::string& source, const std::string& inner, const std::string& jail) {
    HomeMapping m{inner, std::nullopt, ""};
    if (source == "/" || within(jail, source))
        m.note = "the old home " + quoted(source) + " contains the jail, it cannot be moved into it";
    else if (inner == "/")
        m.note = "the old home " + quoted(source) + " would replace the jail's root, it is not moved";
    else
        m.move_source = source;
    return m;
}

}  // namespace

// ---------------------------------------------------------------- pure part

std::string clean_path(std::string_view path) {
    if (path.empty() || path.front() != '/') throw Error(quoted(std::string(path)) + " is not an absolute path");
    std::string out;
    for (const auto& comp : path::components(path)) {
        if (comp == ".") continue;
        if (comp == "..") throw Error(quoted(std::string(path)) + " contains a '..' component");
        out += "/" + comp;
    }
    return out.empty() ? "/" : out;
}

HomeMapping map_home(const std::string& host_home, const std::string& jail) {
    // "/" holds every home and cannot take users (open_jail refuses it too);
    // the mapping below would make "/root" the relative "root".
    if (jail == "/") throw Error("the jail cannot be the root directory");
    if (host_home.empty()) throw Error("has no home directory in /etc/passwd");
    if (auto jh = users::split_jail_home(host_home)) {
        // Already "/./"-style: the part after the marker is the home inside
        // a jail (ISPConfig runs usermod --home=JAIL/./home/u first).
        if (jh->jail == jail)
            return HomeMapping{jh->home, std::nullopt, "the home is already " + quoted(jh->jail + "/." + jh->home)};
        // Another jail: the directory lives at OTHER + X on the host.
        return candidate(jh->home == "/" ? jh->jail : jh->jail + jh->home, jh->home, jail);
    }
    const std::string home = clean_path(host_home);
    if (within(home, jail)) {
        std::string inner = home == jail ? "/" : home.substr(jail.size());
        return HomeMapping{inner, std::nullopt, "the home " + quoted(home) + " is already inside the jail"};
    }
    return candidate(home, home, jail);
}

Plan plan(const users::PasswdEntry& host_user, const users::GroupFile& host_groups, const Request& request,
          const std::string& jail_passwd, const std::optional<std::string>& jail_group) {
    const std::string& name = host_user.name;
    // Root inside a jail can leave it (chroot is no boundary for uid 0), and
    // root's host shell becoming jk_chrootsh would lock the administrator out.
    if (host_user.uid == 0) throw Error("refusing to jail " + quoted(name) + ": it has uid 0");

    Plan p;
    p.user = name;
    HomeMapping m = map_home(host_user.home, request.jail);
    p.inner_home = m.inner;
    p.new_host_home = request.jail + "/." + m.inner;
    p.move_source = m.move_source;
    if (!m.note.empty()) p.notes.push_back(name + ": " + m.note);
    p.host_change = host_user.home != p.new_host_home || host_user.shell != request.chrootsh;

    const std::string passwd_file = request.jail + "/etc/passwd";
    const std::string group_file = request.jail + "/etc/group";

    // passwd
    users::PasswdEntry entry{name, "x", host_user.uid, host_user.gid, host_user.gecos, p.inner_home, request.shell};
    const users::PasswdFile old_passwd = users::parse_passwd(jail_passwd, passwd_file);
    if (const users::PasswdEntry* have = old_passwd.find(name)) {
        p.notes.push_back(name + " is already in " + passwd_file);
        if (have->uid != entry.uid || have->home != entry.home || have->shell != entry.shell)
            p.notes.push_back(passwd_file + " keeps its own line for " + quoted(name) + " (uid " +
                              std::to_string(have->uid) + ", home " + quoted(have->home) + ", shell " +
                              quoted(have->shell) + ")");
    } else {
        p.actions.push_back("adding user " + name + " to " + passwd_file + " (home " + p.inner_home + ", shell " +
                            request.shell + ")");
    }
    p.passwd = users::merge_passwd(jail_passwd, passwd_file, {entry});

    // group: the primary group, then every supplementary group with the
    // user as a member (as jailkit 2.23 does: `id` in the jail names them).
    p.group_file_missing = !jail_group.has_value();
    const std::string group_text = jail_group.value_or("");
    const users::GroupFile old_group = users::parse_group(group_text, group_file);
    std::vector<users::GroupEntry> add;
    std::string primary;
    if (const users::GroupEntry* g = users::find_gid(host_groups, host_user.gid)) {
        primary = g->name;
        if (!old_group.find(g->name)) {
            add.push_back(users::GroupEntry{g->name, "x", g->gid, {}});
            p.actions.push_back("adding group " + g->name + " to " + group_file);
        }
    } else {
        p.notes.push_back(name + ": the primary gid " + std::to_string(host_user.gid) +
                          " has no group on the host, not adding it to " + group_file);
    }
    std::vector<users::Membership> memberships;
    for (const auto& rec : host_groups.records) {
        if (!rec.entry) continue;
        const users::GroupEntry& g = *rec.entry;
        if (std::find(g.members.begin(), g.members.end(), name) == g.members.end()) continue;
        const users::GroupEntry* in_jail = old_group.find(g.name);
        if (in_jail && in_jail->gid != g.gid) {
            // The jail's group of that name is another group: listing the
            // user there would grant nothing the process has, and mislead.
            p.warnings.push_back(name + ": group " + g.name + " has gid " + std::to_string(in_jail->gid) + " in " +
                                 group_file + " but " + std::to_string(g.gid) +
                                 " on the host, not adding the user to it");
            continue;
        }
        if (!in_jail && g.name != primary &&
            std::none_of(add.begin(), add.end(), [&](const users::GroupEntry& a) { return a.name == g.name; })) {
            add.push_back(users::GroupEntry{g.name, "x", g.gid, {}});
            p.actions.push_back("adding group " + g.name + " to " + group_file);
        }
        memberships.push_back(users::Membership{g.name, name});
        if (!in_jail || std::find(in_jail->members.begin(), in_jail->members.end(), name) == in_jail->members.end())
            p.actions.push_back("adding user " + name + " to group " + g.name + " in " + group_file);
    }
    p.group = users::merge_group(group_text, group_file, add, memberships);

    if (p.host_change)
        p.actions.push_back("changing the home of " + name + " to " + p.new_host_home + " and the shell to " +
                            request.chrootsh);
    return p;
}

// ---------------------------------------------------------------- system layer

Jail open_jail(const std::string& path, const std::string& shell) {
    if (path.empty()) throw BadJail("no jail directory was given");
    const std::string shown = quoted(path);
    std::optional<Jail> jail;
    try {
        jail.emplace(Jail::open(path));
    } catch (const Error& e) {
        throw BadJail("jail " + shown + " cannot be used: " + e.what());
    }
    if (jail->path() == "/") throw BadJail("jail " + shown + " is the root directory");
    try {
        // A thin jail's shell is in the host's system bound into it: seen
        // as a login sees it, in a mount namespace of this process's own.
        (void)entry::assemble_thin(jail, entry::policy_of(*jail));
    } catch (const Error& e) {
        throw BadJail("jail " + shown + " cannot be used: " + e.what());
    }
    try {
        auto st = jail->lstat("/etc/passwd");
        if (!st) throw BadJail("jail " + shown + " has no etc/passwd");
        if (!S_ISREG(st->st_mode)) throw BadJail("jail " + shown + ": etc/passwd is not a regular file");
        if (shell.empty() || shell.front() != '/') throw BadJail("the shell " + quoted(shell) + " is not absolute");
        UniqueFd fd = jail->open(shell, O_PATH);
        const struct stat sst = sys::fstat_fd(fd.get(), jail->host_path(shell));
        if (!S_ISREG(sst.st_mode) || (sst.st_mode & 0111) == 0)
            throw BadJail("jail " + shown + ": the shell " + quoted(shell) + " is not an executable file");
    } catch (const SysError& e) {
        throw BadJail("jail " + shown + " cannot be used: " + e.what());
    }
    return std::move(*jail);
}

namespace {

struct DirCloser {
    void operator()(DIR* d) const noexcept { ::closedir(d); }
};

// The entry names of the directory open at fd (read through a fresh fd so
// the caller's offset is untouched).
std::vector<std::string> list_dir(int fd, const std::string& shown) {
    UniqueFd own = sys::open_at(fd, ".", O_RDONLY | O_DIRECTORY, 0, shown);
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(own.get()));
    if (!dir) throw SysError("cannot read directory", shown, errno);
    own.release();  // owned by dir now
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(dir.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
        errno = 0;
    }
    if (errno != 0) throw SysError("cannot read directory", shown, errno);
    return names;
}

// Owner first (chown clears setuid/setgid), then mode, then ACLs (which
// carry the group-class mask), extended attributes, and times last.
void set_meta(int src, int dst, const struct stat& st, bool directory, const std::string& shown) {
    if (::fchown(dst, st.st_uid, st.st_gid) != 0) throw SysError("cannot chown", shown, errno);
    if (::fchmod(dst, st.st_mode & 07777) != 0) throw SysError("cannot chmod", shown, errno);
    metadata::copy_xattrs(src, dst, directory, metadata::XattrPolicy{}, shown);
    metadata::copy_times(dst, st, shown);
}

// Owner and times of a symlink or fifo created by name in dst (a directory
// only root can write while the copy is built, so the name stays ours).
void set_meta_by_name(int dst, const std::string& name, const struct stat& st, bool chmod_it,
                      const std::string& shown) {
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw SysError("cannot chown", shown, errno);
    if (chmod_it && ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) != 0)
        throw SysError("cannot chmod", shown, errno);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw SysError("cannot set timestamps on", shown, errno);
}

void copy_contents(int src, int dst, const std::string& shown, CopyStats& stats) {
    for (const std::string& name : list_dir(src, shown)) {
        const std::string path = shown + "/" + name;
        auto st = sys::lstat_at(src, name);
        if (!st) continue;  // gone since the listing
        if (S_ISDIR(st->st_mode)) {
            UniqueFd s = sys::open_at(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
            const struct stat sst = sys::fstat_fd(s.get(), path);
            if (::mkdirat(dst, name.c_str(), 0700) != 0) throw SysError("cannot create directory", path, errno);
            UniqueFd d = sys::open_at(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
            copy_contents(s.get(), d.get(), path, stats);
            set_meta(s.get(), d.get(), sst, true, path);
        } else if (S_ISREG(st->st_mode)) {
            // O_NONBLOCK: a fifo swapped in since the lstat must not hang us;
            // the fstat below then refuses it.
            UniqueFd s = sys::open_at(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, path);
            const struct stat sst = sys::fstat_fd(s.get(), path);
            if (!S_ISREG(sst.st_mode)) throw Error(quoted(path) + " changed while it was being copied");
            UniqueFd d = sys::open_at(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, path);
            metadata::copy_data(s.get(), d.get(), sst.st_size, path);
            set_meta(s.get(), d.get(), sst, false, path);
        } else if (S_ISLNK(st->st_mode)) {
            const std::string target = sys::readlink_at(src, name);
            if (::symlinkat(target.c_str(), dst, name.c_str()) != 0)
                throw SysError("cannot create symlink", path, errno);
            set_meta_by_name(dst, name, *st, false, path);
        } else if (S_ISFIFO(st->st_mode)) {
            if (::mkfifoat(dst, name.c_str(), 0600) != 0) throw SysError("cannot create fifo", path, errno);
            set_meta_by_name(dst, name, *st, true, path);
        } else {
            stats.skipped.push_back(path);
            continue;
        }
        ++stats.entries;
    }
}

struct TreeGuard {
    int parent;
    std::string name;
    bool armed = true;
    ~TreeGuard() {
        if (!armed) return;
        try {
            remove_tree(parent, name, name);
        } catch (...) {  // best effort: the original error is what matters
        }
    }
};

int rename_noreplace(int from_dir, const std::string& from, int to_dir, const std::string& to) {
    if (::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    // Filesystems without RENAME_NOREPLACE: the destination was checked absent.
    if (errno == EINVAL) return ::renameat(from_dir, from.c_str(), to_dir, to.c_str());
    return -1;
}

// The directory `dir` inside the jail, missing components created
// root:root 0755; existing ones resolved beneath the jail.
UniqueFd make_jail_dirs(const Jail& jail, const std::string& dir) {
    UniqueFd cur = jail.open("/", O_RDONLY | O_DIRECTORY);
    std::string walked;
    for (const auto& comp : path::components(dir)) {
        walked += "/" + comp;
        try {
            cur = jail.open(walked, O_RDONLY | O_DIRECTORY);
            continue;
        } catch (const SysError& e) {
            if (e.err() != ENOENT) throw;
        }
        const std::string shown = jail.host_path(walked);
        const bool created = ::mkdirat(cur.get(), comp.c_str(), 0755) == 0;
        if (!created && errno != EEXIST) throw SysError("cannot create directory", shown, errno);
        UniqueFd next = sys::open_at(cur.get(), comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        if (created && (::fchown(next.get(), 0, 0) != 0 || ::fchmod(next.get(), 0755) != 0))
            throw SysError("cannot set owner and mode of", shown, errno);
        cur = std::move(next);
    }
    return cur;
}

}  // namespace

CopyStats copy_tree(int src, int dst_parent, const std::string& name, const std::string& shown) {
    const struct stat st = sys::fstat_fd(src, shown);
    if (!S_ISDIR(st.st_mode)) throw Error(quoted(shown) + " is not a directory");
    // 0700 root until the end: nobody can use the half-built copy.
    if (::mkdirat(dst_parent, name.c_str(), 0700) != 0) throw SysError("cannot create directory", name, errno);
    UniqueFd dst = sys::open_at(dst_parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, name);
    CopyStats stats;
    copy_contents(src, dst.get(), shown, stats);
    set_meta(src, dst.get(), st, true, shown);
    return stats;
}

void remove_tree(int parent, const std::string& name, const std::string& shown) {
    auto st = sys::lstat_at(parent, name);
    if (!st) return;
    if (S_ISDIR(st->st_mode)) {
        UniqueFd dir = sys::open_at(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        for (const std::string& child : list_dir(dir.get(), shown)) remove_tree(dir.get(), child, shown + "/" + child);
        if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) throw SysError("cannot remove", shown, errno);
    } else if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT) {
        throw SysError("cannot remove", shown, errno);
    }
}

MoveResult move_home(const std::string& source, const Jail& jail, const std::string& inner,
                     std::vector<std::string>& skipped) {
    const PathSplit dsplit = split_leaf(inner);  // throws for the jail root
    const std::string dest_shown = jail.host_path(inner);

    std::string sparent_path = path::parent_of(source);
    if (sparent_path.empty()) sparent_path = "/";
    const std::string sleaf = source.substr(source.rfind('/') + 1);
    UniqueFd sparent;
    std::optional<struct stat> sst;
    try {
        // The parents are the administrator's host layout (e.g. /home may
        // be a symlink); only the home itself is the user's.
        sparent = sys::open_at(AT_FDCWD, sparent_path, O_RDONLY | O_DIRECTORY, 0, sparent_path);
        sst = sys::lstat_at(sparent.get(), sleaf);
    } catch (const SysError& e) {
        if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
    }
    const bool dest_exists = jail.lstat(inner).has_value();
    if (!sst) return dest_exists ? MoveResult::already_there : MoveResult::no_source;
    if (!S_ISDIR(sst->st_mode))
        throw Error("the old home " + quoted(source) +
                    " is not a directory (a symlink is never followed), not moving it");
    if (dest_exists)
        throw Error("both " + quoted(source) + " and " + quoted(dest_shown) +
                    " exist; not merging them (move one away and run again)");

    UniqueFd dparent = make_jail_dirs(jail, dsplit.dir);
    if (rename_noreplace(sparent.get(), sleaf, dparent.get(), dsplit.leaf) == 0) return MoveResult::moved;
    if (errno != EXDEV) throw SysError("cannot move " + quoted(source) + " to", dest_shown, errno);

    // Another filesystem: copy beside the destination, rename into place,
    // then remove the source. Until the rename the source is untouched.
    UniqueFd src = sys::open_at(sparent.get(), sleaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, source);
    TreeGuard guard{dparent.get(), temp_name_for(dsplit.leaf)};
    CopyStats stats = copy_tree(src.get(), dparent.get(), guard.name, source);
    if (rename_noreplace(dparent.get(), guard.name, dparent.get(), dsplit.leaf) != 0)
        throw SysError("cannot rename the copy of " + quoted(source) + " to", dest_shown, errno);
    guard.armed = false;
    skipped = std::move(stats.skipped);
    try {
        remove_tree(sparent.get(), sleaf, source);
    } catch (const Error& e) {
        throw Error("copied " + quoted(source) + " to " + quoted(dest_shown) +
                    " but could not remove the source: " + e.what());
    }
    return MoveResult::copied;
}

namespace {

// The jail root always exists; Jail::lstat wants an entry below it.
bool is_directory(const std::string& host_path) {
    struct stat st {};
    return ::lstat(host_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists_in_jail(const Jail& jail, const std::string& inner) {
    return inner == "/" || jail.lstat(inner).has_value();
}

std::string shell_words(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + quoted(a);
    return s;
}

bool yes(const std::optional<std::string>& answer) {
    if (!answer) return false;  // end of input: the safe answer
    std::string a = *answer;
    a.erase(0, a.find_first_not_of(" \t"));
    a.erase(a.find_last_not_of(" \t\r\n") + 1);
    return a.empty() || a == "y" || a == "Y" || a == "yes" || a == "Yes" || a == "YES";
}

}  // namespace

UserResult jail_user(const Jail& jail, const users::HostUsers& host, const std::string& name, const Settings& settings,
                     const Callbacks& cb) {
    const users::PasswdEntry* hu = host.passwd.find(name);
    if (!hu) {
        cb.error("user " + name + " does not exist");
        return UserResult::missing;
    }

    // Jail-wide failures (malformed or unwritable jail files) propagate.
    users::JailUserTexts texts = users::read_jail_users(jail);
    if (!texts.passwd) throw ConfigError(jail.host_path("/etc/passwd"), 0, "does not exist");

    Plan p;
    try {
        p = plan(*hu, host.group, settings.request, *texts.passwd, texts.group);
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        cb.error("user " + quoted(name) + ": " + e.what());
        return UserResult::refused;
    }
    for (const auto& n : p.notes) cb.note(n);
    for (const auto& w : p.warnings) cb.warn(w);
    for (const auto& w : p.passwd.warnings) cb.warn(w);
    for (const auto& w : p.group.warnings) cb.warn(w);
    for (const auto& a : p.actions) cb.say(a);

    auto record = [&](changes::Action action, const std::string& path, const char* type, std::string detail) {
        if (settings.changes != nullptr) settings.changes->add(action, path, type, std::move(detail));
    };
    const std::string about = "user " + name;
    record(p.passwd.changed ? changes::Action::updated : changes::Action::unchanged, "/etc/passwd", "file", about);
    record(!p.group.changed       ? changes::Action::unchanged
           : p.group_file_missing ? changes::Action::created
                                  : changes::Action::updated,
           "/etc/group", "file", about);

    if (settings.dry_run) {
        const bool src_dir = p.move_source && is_directory(*p.move_source);
        if (settings.move && src_dir && !exists_in_jail(jail, p.inner_home)) {
            record(changes::Action::created, p.inner_home, "directory", "home of " + name);
            record(changes::Action::removed, *p.move_source, "directory", "home of " + name + ", moved into the jail");
        }
        record(p.host_change ? changes::Action::updated : changes::Action::unchanged, "/etc/passwd", "config",
               "host account " + name);
        return UserResult::jailed;
    }

    if (p.passwd.changed || p.group.changed) {
        users::JailUserTexts out;
        if (p.passwd.changed) out.passwd = p.passwd.text;
        if (p.group.changed) out.group = p.group.text;
        users::write_jail_users(jail, out);
    }

    const std::string dest_shown = jail.host_path(p.inner_home);
    if (p.move_source) {
        const std::string& src = *p.move_source;
        bool want = settings.move;
        if (!want && settings.interactive) {
            if (is_directory(src) && !exists_in_jail(jail, p.inner_home))
                want = yes(cb.ask("move home directory " + src + " to " + p.new_host_home + "? [Y]/[n] "));
        }
        if (want) {
            try {
                std::vector<std::string> skipped;
                const MoveResult moved = move_home(src, jail, p.inner_home, skipped);
                if (moved == MoveResult::moved || moved == MoveResult::copied) {
                    record(changes::Action::created, p.inner_home, "directory", "home of " + name);
                    record(changes::Action::removed, src, "directory", "home of " + name + ", moved into the jail");
                }
                switch (moved) {
                    case MoveResult::moved: cb.say("moved home directory " + src + " to " + dest_shown); break;
                    case MoveResult::copied:
                        cb.say("copied home directory " + src + " to " + dest_shown + " and removed the source");
                        break;
                    case MoveResult::already_there:
                        cb.note(name + ": the home is already at " + dest_shown + ", nothing to move");
                        break;
                    case MoveResult::no_source:
                        cb.warn(name + ": neither " + quoted(src) + " nor " + quoted(dest_shown) +
                                " exists, nothing to move");
                        break;
                }
                for (const auto& s : skipped) cb.warn("skipped " + quoted(s) + ": sockets and devices are not copied");
            } catch (const Error& e) {
                // The host entry keeps the old home, which is intact.
                cb.error("user " + quoted(name) + ": cannot move the home directory: " + e.what());
                return UserResult::refused;
            }
        } else if (!exists_in_jail(jail, p.inner_home)) {
            cb.warn(name + ": " + quoted(dest_shown) + " does not exist; the old home " + quoted(src) +
                    " stays where it is (use -m to move it)");
        }
    } else if (!exists_in_jail(jail, p.inner_home)) {
        // jk_chrootsh refuses a login whose home is missing (exit 53).
        cb.warn(name + ": the home " + quoted(dest_shown) + " does not exist; the user cannot log in until it does");
    }

    if (p.host_change) {
        const std::vector<std::string> argv{settings.usermod,          "-d", p.new_host_home, "-s",
                                            settings.request.chrootsh, name};
        process::Outcome out;
        try {
            out = process::run(argv);
        } catch (const Error& e) {
            cb.error("user " + quoted(name) + ": " + e.what());
            return UserResult::refused;
        }
        if (out.status != 0) {
            std::string output = out.output;
            while (!output.empty() && output.back() == '\n') output.pop_back();
            cb.error("user " + quoted(name) + ": usermod failed with exit status " + std::to_string(out.status) +
                     (output.empty() ? "" : ": " + output) + " (command: " + shell_words(argv) + ")");
            return UserResult::refused;
        }
        record(changes::Action::updated, "/etc/passwd", "config", "host account " + name);
    } else {
        cb.note(name + " already has the home " + p.new_host_home + " and the shell " + settings.request.chrootsh);
        record(changes::Action::unchanged, "/etc/passwd", "config", "host account " + name);
    }
    cb.record(std::string(p.actions.empty() ? "user " + name + " was already jailed" : "jailed user " + name) +
              " (uid " + std::to_string(hu->uid) + ") in " + jail.path() + ", home " + p.inner_home);
    return UserResult::jailed;
}

}  // namespace jk::jailuser
