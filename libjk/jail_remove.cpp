#include "jk/jail_remove.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/jail.hpp"
#include "jk/log.hpp"
#include "jk/named_jail.hpp"
#include "jk/path.hpp"
#include "jk/proclist.hpp"
#include "jk/sys.hpp"
#include "jk/thin_plan.hpp"
#include "jk/trust.hpp"
#include "jk/users.hpp"

namespace jk::jail_remove {
namespace {

// Deeper than this, the walk would hold too many directory fds open at
// once (each level keeps its own, MUST 3); such a tree is refused whole.
constexpr int max_depth = 400;

bool inside(std::string_view path, std::string_view jail) {
    return path == jail ||
           (path.size() > jail.size() && path.substr(0, jail.size()) == jail && path[jail.size()] == '/');
}

// MUST 2: processes whose root is the jail or below it.
void refuse_processes(const std::string& jail) {
    const proclist::ScanResult scan = proclist::scan("/proc", [](uid_t uid) { return std::to_string(uid); });
    std::vector<std::string> pids;
    for (const auto& p : scan.jailed) {
        std::string root = p.jail;
        constexpr std::string_view deleted = " (deleted)";
        if (root.ends_with(deleted)) root.resize(root.size() - deleted.size());
        if (inside(root, jail)) pids.push_back(std::to_string(p.pid));
    }
    if (pids.empty()) return;
    std::string list;
    for (const auto& pid : pids) list += (list.empty() ? "" : " ") + pid;
    throw Error("ERROR: " + std::to_string(pids.size()) + " process(es) run in the jail " + quoted(jail) + " (pid " +
                list + "; jk_list -j " + jail + "); stop them first");
}

// MUST 2: host users whose home is in the jail ("/jail/./home/u" included).
void refuse_homes(const std::string& jail) {
    const users::HostUsers host = users::read_host_users(users::Malformed::skip);
    std::string names;
    for (const auto& record : host.passwd.records) {
        if (!record.entry) continue;
        const users::PasswdEntry& e = *record.entry;
        bool in_jail = !e.home.empty() && e.home.front() == '/' && inside(normalize_absolute(e.home), jail);
        try {
            if (const auto split = users::split_jail_home(e.home)) in_jail = in_jail || inside(split->jail, jail);
        } catch (const Error&) {
            // A home no login could use names no jail either.
        }
        if (in_jail) names += (names.empty() ? "" : ", ") + e.name;
    }
    if (!names.empty())
        throw Error("ERROR: the home of " + names + " is in the jail " + quoted(jail) +
                    "; move them out (or delete them) first");
}

// True when the directory open at `fd` is where a mount is attached.
bool is_mount_root(int fd, dev_t jail_dev) {
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0)
        throw SysError("cannot stat", "a directory in the jail", errno);
    if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) return true;
    return makedev(stx.stx_dev_major, stx.stx_dev_minor) != jail_dev;
}

struct Walk {
    const Jail& jail;
    dev_t dev;
    bool remove;  // false: count and check only
    unsigned long entries = 0;
};

// Empties the directory open at `dir` (inner path `shown`), depth first;
// with walk.remove false, only counts and checks (MUST 4, 6).
void empty_dir(Walk& walk, int dir, const std::string& shown, int depth) {
    if (depth > max_depth)
        throw Error("ERROR: " + quoted(walk.jail.host_path(shown)) + " is nested deeper than " +
                    std::to_string(max_depth) + " directories; remove it by hand");
    UniqueFd listing = sys::open_at(dir, ".", O_RDONLY | O_DIRECTORY, 0, walk.jail.host_path(shown));
    DIR* d = ::fdopendir(listing.get());
    if (!d) throw SysError("cannot read directory", walk.jail.host_path(shown), errno);
    (void)listing.release();
    struct Closer {
        DIR* d;
        ~Closer() { ::closedir(d); }
    } closer{d};
    std::vector<std::pair<std::string, bool>> children;  // name, is a directory
    errno = 0;
    while (const struct dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::optional<struct stat> st = sys::lstat_at(dir, name);
        if (st) children.emplace_back(name, S_ISDIR(st->st_mode));
        errno = 0;
    }
    if (errno != 0) throw SysError("cannot read directory", walk.jail.host_path(shown), errno);
    for (const auto& [name, is_dir] : children) {
        const std::string child = shown == "/" ? "/" + name : shown + "/" + name;
        ++walk.entries;
        if (is_dir) {
            UniqueFd sub = sys::open_at(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, walk.jail.host_path(child));
            if (is_mount_root(sub.get(), walk.dev))
                throw Error("ERROR: " + quoted(walk.jail.host_path(child)) +
                            " is a mount point; unmount it before removing the jail");
            empty_dir(walk, sub.get(), child, depth + 1);
        }
        if (walk.remove && ::unlinkat(dir, name.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
            throw SysError("cannot remove", walk.jail.host_path(child), errno);
    }
}

void note(const init::Sink& sink, const std::string& path, const std::string& type, const std::string& detail) {
    if (sink.report) sink.report->add(changes::Action::removed, path, type, detail);
}

}  // namespace

void run(const Options& options, const std::string& jail_arg, const init::Sink& sink) {
    const std::string& jail_path = jail_arg;  // canonical once open_named_jail passed it
    std::optional<Jail> jail;
    try {
        jail = open_named_jail(jail_arg, {.may_be_absent = true});
    } catch (const JailNameError& e) {
        switch (e.problem()) {
            case JailNameError::Problem::not_absolute:
                throw Error("ERROR: the jail to remove must be an absolute path: " + quoted(jail_arg),
                            init::bad_option);
            case JailNameError::Problem::noncanonical:
                throw Error(
                    "ERROR: the jail to remove must be named canonically: " + quoted(jail_arg) + " " + e.detail(),
                    init::bad_option);
            case JailNameError::Problem::host_root:
                throw Error("ERROR: the jail cannot be '/'", init::unsafe_or_no_config);
            case JailNameError::Problem::unsafe:
                throw Error("ERROR: jail " + quoted(jail_path) + " is not safe: " + e.detail(),
                            init::unsafe_or_no_config);
            case JailNameError::Problem::cannot_open: break;
        }
        throw Error(e.detail());
    }
    if (jail) {
        refuse_processes(jail_path);
        refuse_homes(jail_path);
        const struct stat st = sys::fstat_fd(jail->fd(), jail_path);
        if (is_mount_root(jail->fd(), st.st_dev))
            throw Error("ERROR: " + quoted(jail_path) + " is a mount point; unmount it before removing the jail");

        // The parent, checked as Jail::open checked it, to unlink the jail from (MUST 5).
        UniqueFd parent;
        try {
            parent = trust::open_checked(path::parent_of(jail_path), trust::jail_parent, O_PATH | O_DIRECTORY);
        } catch (const UnsafePath& e) {
            throw Error("ERROR: jail " + quoted(jail_path) + " is not safe: " + e.what(), init::unsafe_or_no_config);
        }

        // Checked whole first: a mount point or a too deep tree refuses
        // before anything is gone (MUST 4).
        Walk check{*jail, st.st_dev, false};
        empty_dir(check, jail->fd(), "/", 0);
        if (!options.dry_run) {
            Walk walk{*jail, st.st_dev, true};
            empty_dir(walk, jail->fd(), "/", 0);
            const std::optional<struct stat> now = sys::lstat_at(parent.get(), path::basename(jail_path));
            if (!now || now->st_dev != st.st_dev || now->st_ino != st.st_ino)
                throw Error("ERROR: " + quoted(jail_path) + " was replaced while it was being emptied; left as it is");
            if (::unlinkat(parent.get(), path::basename(jail_path).c_str(), AT_REMOVEDIR) != 0)
                throw SysError("cannot remove", jail_path, errno);
        }
        note(sink, jail_path, "directory", "the jail, " + std::to_string(check.entries) + " entries in it");
        if (options.verbose && !options.dry_run)
            sink.out("Removed " + jail_path + " (" + std::to_string(check.entries) + " entries)");
        if (!options.dry_run)
            log::syslog_only(LOG_NOTICE,
                             "removed the jail " + jail_path + " (" + std::to_string(check.entries) + " entries)");
    }

    // The policy file goes with the jail, also when the jail was already gone.
    if (thin::read_policy(options.confdir, jail_path)) {
        if (!options.dry_run) thin::replace_policy(options.confdir, jail_path, std::nullopt);
        note(sink, isolation::policy_path(options.confdir, jail_path), "config", "the jail's policy");
        if (options.verbose && !options.dry_run)
            sink.out("Removed " + isolation::policy_path(options.confdir, jail_path));
    }
}

}  // namespace jk::jail_remove
