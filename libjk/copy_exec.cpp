// Executing a copy plan inside a jail. Every entry is made under a temporary
// name in its parent directory (an fd resolved beneath the jail root), given
// its owner, mode, attributes and times through its own fd, and renamed over
// the final name. See copy.hpp for the MUST list.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/metadata.hpp"
#include "jk/process.hpp"
#include "jk/sys.hpp"

namespace jk::copy {

namespace {

constexpr mode_t setid_bits = S_ISUID | S_ISGID;
constexpr size_t max_cached_dirs = 256;  // stay far below RLIMIT_NOFILE

std::string dir_part(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string leaf_part(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// Removes a temporary entry unless it was renamed into place.
class TempEntry {
public:
    TempEntry(int dirfd, std::string name) : dirfd_(dirfd), name_(std::move(name)) {}
    TempEntry(const TempEntry&) = delete;
    TempEntry& operator=(const TempEntry&) = delete;
    ~TempEntry() {
        // Best-effort cleanup of our own temporary name; nothing to report from a destructor.
        if (!committed_) (void)::unlinkat(dirfd_, name_.c_str(), 0);
    }
    const std::string& name() const { return name_; }
    void commit_as(const std::string& leaf, const std::string& what) {
        if (::renameat(dirfd_, name_.c_str(), dirfd_, leaf.c_str()) != 0)
            throw SysError("cannot rename into place", what, errno);
        committed_ = true;
    }

private:
    int dirfd_;
    std::string name_;
    bool committed_ = false;
};

class Executor {
public:
    Executor(const Jail& jail, const Options& options, const Output& out) : jail_(jail), opt_(options), out_(out) {}

    Result run(const Plan& plan) {
        for (const Step& step : plan.steps) {
            switch (step.kind) {
                case Kind::directory: make_directory(step); break;
                case Kind::symlink: make_symlink(step); break;
                case Kind::file: copy_file(step); break;
                case Kind::device:
                case Kind::fifo: make_node(step); break;
                case Kind::socket: break;
            }
        }
        restore_directory_times();
        return result_;
    }

private:
    // The jail-side directory for a host directory path, resolved beneath the
    // jail root (symlinks inside the jail are followed as the chroot would).
    // In a dry run, -1 for a directory the run would create: nothing is
    // looked up beneath it (existing_entry).
    int dir_fd(const std::string& dir) {
        if (dir.empty()) return jail_.fd();
        if (opt_.dry_run && fresh_dirs_.count(dir)) return -1;
        auto it = dirs_.find(dir);
        if (it != dirs_.end()) return it->second.get();
        if (dirs_.size() >= max_cached_dirs) dirs_.clear();
        UniqueFd fd;
        try {
            fd = jail_.open(dir, O_PATH | O_DIRECTORY);
        } catch (const SysError& e) {
            if (e.err() != ENOENT) throw;
            // A parent the plan did not list (it existed in the jail as a
            // link we followed elsewhere): create it plainly.
            if (opt_.dry_run) {
                fresh_dirs_.insert(dir);
                note(changes::Action::created, dir, "directory");
                return -1;
            }
            int parent = dir_fd(dir_part(dir));
            if (::mkdirat(parent, leaf_part(dir).c_str(), 0755) != 0 && errno != EEXIST)
                throw SysError("cannot create directory", jail_.host_path(dir), errno);
            fd = jail_.open(dir, O_PATH | O_DIRECTORY);
            note(changes::Action::created, dir, "directory");
        }
        return dirs_.emplace(dir, std::move(fd)).first->second.get();
    }

    // What the jail has at dir/leaf. A directory this run created holds only
    // what this run put there, and a plan lists each path once, so the
    // lookup is skipped (a fresh jail is mostly such directories).
    std::optional<struct stat> existing_entry(const std::string& dir, int parent, const std::string& leaf) const {
        if (fresh_dirs_.count(dir)) return std::nullopt;
        return sys::lstat_at(parent, leaf);
    }

    uid_t owner_uid(const struct stat& st) const { return opt_.keep_owner || opt_.keep_setuid ? st.st_uid : 0; }
    gid_t owner_gid(const struct stat& st) const { return opt_.keep_owner || opt_.keep_setuid ? st.st_gid : 0; }
    mode_t wanted_mode(const struct stat& st) const {
        mode_t m = st.st_mode & 07777;
        return opt_.keep_setuid ? m : (m & ~setid_bits);
    }

    void say(const std::string& line) { out_(line); }

    void note(changes::Action action, const std::string& path, const char* type, std::string detail = {}) const {
        if (opt_.changes != nullptr) opt_.changes->add(action, path, type, std::move(detail));
    }
    // created or updated, as `existing` says.
    void note_put(bool existing, const Step& step, const char* type, std::string detail = {}) const {
        if (detail.empty() && step.is_library) detail = "library";
        note(existing ? changes::Action::updated : changes::Action::created, step.source, type, std::move(detail));
    }

    // Notes an entry this run put in place, with the inode and ctime it has
    // now (after the rename, which itself moves the ctime).
    void record(const Step& step, char type, int parent, const std::string& leaf) {
        if (auto st = sys::lstat_at(parent, leaf)) record_stat(step, type, *st);
    }

    void record_fd(const Step& step, char type, int fd, const std::string& shown) {
        record_stat(step, type, sys::fstat_fd(fd, shown));
    }

    void record_stat(const Step& step, char type, const struct stat& now) {
        const struct stat* st = &now;
        manifest::Entry e;
        e.path = step.source;
        e.type = type;
        e.source = step.source;
        e.size = step.st.st_size;
        e.mtime_ns = static_cast<long long>(step.st.st_mtim.tv_sec) * 1000000000LL + step.st.st_mtim.tv_nsec;
        e.ino = st->st_ino;
        e.ctime_ns = static_cast<long long>(st->st_ctim.tv_sec) * 1000000000LL + st->st_ctim.tv_nsec;
        result_.installed.push_back(std::move(e));
    }
    void say_verbose(const std::string& line) {
        if (opt_.verbose) out_(line);
    }

    void make_directory(const Step& step) {
        const std::string shown = jail_.host_path(step.source);
        int parent = dir_fd(dir_part(step.source));
        const std::string leaf = leaf_part(step.source);
        auto existing = existing_entry(dir_part(step.source), parent, leaf);
        if (existing) {
            // A directory, or a link the jail resolves as it likes: what it
            // leads to stays inside the jail either way.
            if (S_ISDIR(existing->st_mode) || S_ISLNK(existing->st_mode)) {
                note(changes::Action::unchanged, step.source, "directory");
                return;
            }
            throw Error(quoted(shown) + " exists and is not a directory");
        }
        note(changes::Action::created, step.source, "directory");
        if (opt_.dry_run) {
            fresh_dirs_.insert(step.source);
            return;
        }
        if (::mkdirat(parent, leaf.c_str(), 0700) != 0) throw SysError("cannot create directory", shown, errno);
        // Opened with O_NOFOLLOW so the metadata lands on the directory we
        // just made, whatever else happens in the parent meanwhile.
        UniqueFd fd = sys::open_at(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        if (::fchown(fd.get(), owner_uid(step.st), owner_gid(step.st)) != 0)
            throw SysError("cannot chown", shown, errno);
        if (::fchmod(fd.get(), step.st.st_mode & 07777 & ~S_ISUID) != 0) throw SysError("cannot chmod", shown, errno);
        UniqueFd src = sys::open_at(AT_FDCWD, step.source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        metadata::copy_xattrs(src.get(), fd.get(), true, {opt_.keep_setuid}, shown);
        say_verbose("Create directory " + shown);
        ++result_.directories;
        created_dirs_.push_back(&step);
        fresh_dirs_.insert(step.source);
        record(step, 'd', parent, leaf);
    }

    // Filling a directory moves its mtime, so the host's times are set once
    // everything is in place, on directories this run created.
    void restore_directory_times() {
        for (const Step* step : created_dirs_) {
            const std::string shown = jail_.host_path(step->source);
            UniqueFd fd = jail_.open(step->source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            metadata::copy_times(fd.get(), step->st, shown);
        }
    }

    // Returns true when the caller should go on and (re)create the entry.
    bool may_replace(const Step& step, int parent, const std::string& leaf, const std::string& shown) {
        auto existing = sys::lstat_at(parent, leaf);
        return !existing || may_replace_existing(step, *existing, shown);
    }

    bool may_replace_existing(const Step& step, const struct stat& existing, const std::string& shown) {
        if ((opt_.force || step.replace) && !S_ISDIR(existing.st_mode)) return true;
        say_verbose(shown + " already exists, will not touch it");
        ++result_.skipped;
        note(changes::Action::unchanged, step.source, kind_name(step.kind));
        return false;
    }

    void make_symlink(const Step& step) {
        const std::string shown = jail_.host_path(step.source);
        int parent = dir_fd(dir_part(step.source));
        const std::string leaf = leaf_part(step.source);
        auto existing = existing_entry(dir_part(step.source), parent, leaf);
        if (existing && S_ISLNK(existing->st_mode) && sys::readlink_at(parent, leaf) == step.link_target) {
            note(changes::Action::unchanged, step.source, "symlink");
            return;
        }
        if (existing && !may_replace_existing(step, *existing, shown)) return;
        note_put(existing.has_value(), step, "symlink");
        if (opt_.dry_run) return;
        // symlinkat is atomic on its own; only a replacement needs the
        // temporary name that is renamed over the old entry.
        std::optional<TempEntry> tmp;
        if (existing) tmp.emplace(parent, temp_name_for(leaf));
        const std::string& name = tmp ? tmp->name() : leaf;
        if (::symlinkat(step.link_target.c_str(), parent, name.c_str()) != 0)
            throw SysError("cannot create symlink", shown, errno);
        if (::fchownat(parent, name.c_str(), owner_uid(step.st), owner_gid(step.st), AT_SYMLINK_NOFOLLOW) != 0)
            throw SysError("cannot chown", shown, errno);
        const struct timespec times[2] = {step.st.st_atim, step.st.st_mtim};
        if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            throw SysError("cannot set timestamps on", shown, errno);
        if (tmp) tmp->commit_as(leaf, shown);
        record(step, 'l', parent, leaf);
        say("Creating symlink " + shown + " to " + step.link_target);
        ++result_.symlinks;
    }

    bool try_hardlink(const Step& step, int parent, const std::string& leaf, const std::string& shown) {
        // A hardlink shares the inode: its setuid bits cannot be stripped and
        // a non-root owner could change the jail's copy, so those are copied.
        if (step.st.st_mode & setid_bits) return false;
        if (step.st.st_uid != 0 && !opt_.keep_owner) return false;
        say("Trying to link " + step.source + " to " + shown);
        TempEntry tmp(parent, temp_name_for(leaf));
        if (::linkat(AT_FDCWD, step.source.c_str(), parent, tmp.name().c_str(), 0) != 0) {
            say("Linking " + step.source + " to " + shown + " failed, will revert to copying");
            return false;
        }
        tmp.commit_as(leaf, shown);
        record(step, 'h', parent, leaf);
        ++result_.linked;
        return true;
    }

    // A new file is built as an unnamed O_TMPFILE inode and linked in whole:
    // one directory operation, as cheap as tar's create, and nothing partial
    // is ever visible. Returns an invalid fd where the filesystem has no
    // O_TMPFILE.
    UniqueFd open_unnamed(int parent) {
        int fd = ::openat(parent, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) return UniqueFd(fd);
        if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT) return UniqueFd();
        throw SysError("cannot create a file in", "directory of a jail entry", errno);
    }

    void link_unnamed(int fd, int parent, const std::string& leaf, const std::string& shown) {
        // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc form does not.
        if (::linkat(fd, "", parent, leaf.c_str(), AT_EMPTY_PATH) == 0) return;
        const std::string proc = "/proc/self/fd/" + std::to_string(fd);
        if (::linkat(AT_FDCWD, proc.c_str(), parent, leaf.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
        throw SysError("cannot link into place", shown, errno);
    }

    void copy_file(const Step& step) {
        const std::string shown = jail_.host_path(step.source);
        int parent = dir_fd(dir_part(step.source));
        const std::string leaf = leaf_part(step.source);
        auto existing = existing_entry(dir_part(step.source), parent, leaf);
        if (existing && !may_replace_existing(step, *existing, shown)) return;
        if (step.is_library) result_.libraries_added = true;
        if (opt_.dry_run) {
            note_put(existing.has_value(), step, "file");
            return;
        }
        if (opt_.hardlink && try_hardlink(step, parent, leaf, shown)) {
            note_put(existing.has_value(), step, "file", "hardlink");
            return;
        }
        note_put(existing.has_value(), step, "file");

        UniqueFd src = sys::open_at(AT_FDCWD, step.source, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0);
        struct stat st = sys::fstat_fd(src.get(), step.source);
        if (!S_ISREG(st.st_mode)) throw Error(quoted(step.source) + " changed while being copied");
        std::optional<TempEntry> tmp;
        UniqueFd dst = existing ? UniqueFd() : open_unnamed(parent);
        if (!dst) {
            tmp.emplace(parent, temp_name_for(leaf));
            dst = sys::open_at(parent, tmp->name(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, shown);
        }
        say("Copying " + step.source + " to " + shown);
        metadata::copy_data(src.get(), dst.get(), st.st_size, shown);
        // Owner before mode: chown clears setuid bits, so the mode comes last.
        if (::fchown(dst.get(), owner_uid(st), owner_gid(st)) != 0) throw SysError("cannot chown", shown, errno);
        if (::fchmod(dst.get(), wanted_mode(st)) != 0) throw SysError("cannot chmod", shown, errno);
        bool dropped_caps = metadata::copy_xattrs(src.get(), dst.get(), false, {opt_.keep_setuid}, shown);
        metadata::copy_times(dst.get(), st, shown);
        if (tmp)
            tmp->commit_as(leaf, shown);
        else
            link_unnamed(dst.get(), parent, leaf, shown);
        record_fd(step, 'f', dst.get(), shown);
        if (((st.st_mode & setid_bits) && !opt_.keep_setuid) || dropped_caps)
            say("removing setuid and setgid permissions from " + shown);
        ++result_.copied;
    }

    void make_node(const Step& step) {
        const std::string shown = jail_.host_path(step.source);
        int parent = dir_fd(dir_part(step.source));
        const std::string leaf = leaf_part(step.source);
        auto existing = existing_entry(dir_part(step.source), parent, leaf);
        if (existing && !opt_.force && !step.replace) {
            if (step.kind == Kind::device) say("Device " + shown + " does exist already");
            ++result_.skipped;
            note(changes::Action::unchanged, step.source, kind_name(step.kind));
            return;
        }
        note_put(existing.has_value(), step, kind_name(step.kind));
        if (opt_.dry_run) return;
        TempEntry tmp(parent, temp_name_for(leaf));
        const mode_t type = step.st.st_mode & S_IFMT;
        // mknodat applies the umask; the exact mode is set without a path
        // lookup through the O_PATH fd's /proc entry below.
        if (::mknodat(parent, tmp.name().c_str(), type | 0600, step.kind == Kind::device ? step.st.st_rdev : 0) != 0)
            throw SysError("cannot create device", shown, errno);
        UniqueFd node = sys::open_at(parent, tmp.name(), O_PATH | O_NOFOLLOW, 0, shown);
        if ((sys::fstat_fd(node.get(), shown).st_mode & S_IFMT) != type)
            throw Error(quoted(shown) + " changed while being created");
        const std::string proc = "/proc/self/fd/" + std::to_string(node.get());
        if (::chown(proc.c_str(), owner_uid(step.st), owner_gid(step.st)) != 0)
            throw SysError("cannot chown", shown, errno);
        if (::chmod(proc.c_str(), step.st.st_mode & 0777) != 0) throw SysError("cannot chmod", shown, errno);
        tmp.commit_as(leaf, shown);
        record(step, step.kind == Kind::fifo ? 'p' : (S_ISBLK(step.st.st_mode) ? 'b' : 'c'), parent, leaf);
        if (step.kind == Kind::device) {
            say("Creating device " + shown);
            ++result_.devices;
        }
    }

    const Jail& jail_;
    const Options& opt_;
    const Output& out_;
    Result result_;
    std::unordered_map<std::string, UniqueFd> dirs_;
    std::vector<const Step*> created_dirs_;
    std::unordered_set<std::string> fresh_dirs_;  // directories this run created
};

}  // namespace

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::directory: return "directory";
        case Kind::file: return "file";
        case Kind::symlink: return "symlink";
        case Kind::device: return "device";
        case Kind::fifo: return "fifo";
        case Kind::socket: return "socket";
    }
    return "file";
}

Result execute(const Plan& plan, const Jail& jail, const Options& options, const Output& out) {
    return Executor(jail, options, out).run(plan);
}

Result install(const Plan& plan, const Jail& jail, const Options& options, const Output& out) {
    Result result = execute(plan, jail, options, out);
    // ldconfig -r makes /etc when the jail has none.
    if (result.libraries_added && options.changes != nullptr && !jail.lstat("/etc"))
        options.changes->add(changes::Action::created, "/etc", "directory");
    if (result.libraries_added && options.changes != nullptr)
        options.changes->add(jail.lstat("/etc/ld.so.cache") ? changes::Action::updated : changes::Action::created,
                             "/etc/ld.so.cache", "file", "ldconfig -r");
    if (options.dry_run) return result;
    if (result.libraries_added) update_ld_cache(jail);
    if (!result.installed.empty()) {
        manifest::Manifest m = manifest::load(jail);
        for (const auto& e : result.installed) m.entries[e.path] = e;
        manifest::save(jail, m);
    }
    return result;
}

void update_ld_cache(const Jail& jail) {
    // ldconfig writes etc/ld.so.cache inside the root it is given and
    // chroots there first, so it cannot be steered outside the jail.
    if (::mkdirat(jail.fd(), "etc", 0755) != 0 && errno != EEXIST)
        throw SysError("cannot create directory", jail.host_path("/etc"), errno);
    const std::string ldconfig = process::find_program({"/sbin/ldconfig", "/usr/sbin/ldconfig"}, "ldconfig");
    process::Outcome outcome = process::run({ldconfig, "-r", jail.path()});
    if (outcome.status != 0)
        throw Error("ldconfig -r " + quoted(jail.path()) + " failed (status " + std::to_string(outcome.status) +
                    "): " + outcome.output);
}

}  // namespace jk::copy
