// jk_update's engine: the pure decisions, then the walking and IO layer
// (see update.hpp for its MUST list).
#include "jk/update.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"

namespace jk::update {

// ============================================================ the pure part

namespace {

std::string strip_trailing_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

// "JAIL/x" -> "/x", "JAIL" -> ""; anything else unchanged.
std::string strip_jail_prefix(const std::string& s, const std::string& jail) {
    if (jail.empty() || jail == "/") return s;
    if (s == jail) return "";
    if (s.size() > jail.size() && s.compare(0, jail.size(), jail) == 0 && s[jail.size()] == '/')
        return s.substr(jail.size());
    return s;
}

bool is_type(const Observed& o, mode_t t) {
    return (o.type & S_IFMT) == t;
}

}  // namespace

std::string normalize_skip(const std::string& skip, const std::string& jail) {
    return strip_jail_prefix(strip_trailing_slashes(skip), jail);
}

std::string normalize_directory(const std::string& dir, const std::string& jail) {
    std::string s = strip_jail_prefix(strip_trailing_slashes(dir), jail);
    if (s.empty() || s == "/") return "";
    if (s.front() != '/') s.insert(s.begin(), '/');
    return s;
}

bool is_skipped(const std::vector<std::string>& skips, const std::string& inner) {
    for (const auto& s : skips) {
        if (s.empty()) continue;
        if (s == "/") return true;
        if (inner == s) return true;
        if (inner.size() > s.size() && inner.compare(0, s.size(), s) == 0 && inner[s.size()] == '/') return true;
    }
    return false;
}

Verdict decide(const Observed& jail, const std::optional<Observed>& host, const manifest::Entry* recorded,
               std::optional<bool> same_content) {
    // Who answers for the entry: a listed one the manifest no longer proves
    // was modified or replaced in the jail, by someone who meant it.
    const bool proven = recorded && inventory::proves_installed(*recorded, jail);
    const bool changed = recorded && !proven;
    if (!host) return proven ? Verdict::deprecated : changed ? Verdict::changed : Verdict::foreign;
    if (is_type(*host, S_IFDIR) || is_type(jail, S_IFDIR)) return Verdict::conflict;
    switch (inventory::compare(jail, *host, recorded)) {
        case inventory::Sameness::same: return Verdict::current;
        case inventory::Sameness::compare_bytes:
            if (!same_content) return Verdict::compare_content;
            if (*same_content) return Verdict::current;
            break;
        case inventory::Sameness::other_type:
        case inventory::Sameness::other_target:
        case inventory::Sameness::other_size: break;
    }
    return changed ? Verdict::changed : Verdict::outdated;
}

Verdict decide_dir(const Observed& jail, const std::optional<Observed>& host, const manifest::Entry* recorded,
                   bool empty_after) {
    if (!host) {
        if (!recorded || !empty_after) return Verdict::foreign;
        return inventory::proves_installed(*recorded, jail) ? Verdict::deprecated : Verdict::changed;
    }
    if (!is_type(*host, S_IFDIR)) return Verdict::conflict;
    return Verdict::current;
}

bool is_temp_name(const std::string& name) {
    // ".jk-" + leaf + "." + 10 of [a-z0-9]
    if (name.size() < 4 + 1 + 1 + 10 || name.compare(0, 4, ".jk-") != 0) return false;
    const std::size_t dot = name.size() - 11;
    if (name[dot] != '.') return false;
    return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::vector<std::string> thin_entries(const manifest::Manifest& manifest, const std::vector<std::string>& binds,
                                      const std::vector<std::string>& directories) {
    const bool everywhere =
        directories.empty() || std::find(directories.begin(), directories.end(), "") != directories.end();
    std::vector<std::string> out;
    for (const auto& [inner, entry] : manifest.entries) {
        if (entry.type == 'd' || is_skipped(binds, inner)) continue;
        if (!everywhere && !is_skipped(directories, inner)) continue;
        out.push_back(inner);
    }
    return out;
}

IniSettings read_section(const config::IniFile& ini, const std::string& section) {
    const config::Section* s = ini.find(section);
    if (!s)
        throw ConfigError(ini.filename(), 0,
                          "configfile " + ini.filename() + " does not have a section called " + section);
    IniSettings r;
    r.warnings = config::unknown_keys(*s, {"skips", "directories", "hardlinks", "hardlink"});
    r.skips = s->get_list("skips", &r.warnings).value_or(std::vector<std::string>{});
    r.directories = s->get_list("directories", &r.warnings).value_or(std::vector<std::string>{});
    r.hardlinks = s->get_bool("hardlinks");
    if (!r.hardlinks) r.hardlinks = s->get_bool("hardlink");  // the spelling jailkit's code read
    return r;
}

// ============================================================ the walking layer

namespace {

std::string errtext(int err) {
    std::array<char, 256> buf{};
    return ::strerror_r(err, buf.data(), buf.size());
}

// Something to remove, in the order of the walk (children before parents).
struct Removal {
    std::string inner;
    mode_t type;
    unsigned long long ino;
    long long ctime_ns;  // as scanned (not compared for directories: removing their entries moves it)
    bool stale_temp;     // a temporary entry left by a killed run
};

class Updater {
public:
    Updater(const Jail& jail, const Settings& s, const Output& out) : jail_(jail), s_(s), out_(out) {}

    Result run() {
        owned_ = inventory::Owned::load(jail_);
        struct stat root {};
        if (::fstat(jail_.fd(), &root) != 0) throw SysError("cannot stat", jail_.path(), errno);
        dev_ = root.st_dev;

        if (thin()) {
            scan_thin();
        } else {
            const std::vector<std::string>& dirs = s_.directories.empty() ? default_directories : s_.directories;
            for (const auto& d : dirs) scan_top(normalize_directory(d, jail_.path()));
        }

        std::size_t counted = 0;
        for (const auto& r : removals_)
            if (!r.stale_temp) ++counted;
        result_.would_remove = counted;
        if (counted > s_.max_remove) {
            result_.refused = true;
            return result_;
        }
        if (s_.dry_run) {
            for (const auto& o : outdated_) {
                say("will update outdated file " + shown(o));
                record(changes::Action::updated, o, "file", "outdated");
            }
            for (const auto& r : removals_)
                if (!r.stale_temp) {
                    say("will remove deprecated file " + shown(r.inner));
                    record(changes::Action::removed, r.inner, r.type == S_IFDIR ? "directory" : "file", "deprecated");
                }
            result_.outdated = static_cast<unsigned>(outdated_.size());
            result_.removed = static_cast<unsigned>(counted);
            return result_;
        }
        remove_all();
        install_outdated();
        return result_;
    }

private:
    std::string shown(const std::string& inner) const { return jail_.host_path(inner); }
    void say(const std::string& line) { out_(line); }
    void record(changes::Action action, const std::string& inner, const char* type, std::string detail = {}) const {
        if (s_.changes != nullptr) s_.changes->add(action, inner, type, std::move(detail));
    }
    void note(const std::string& line) {
        if (s_.verbose) out_(line);
    }
    void scan_error(const std::string& inner, const std::string& why) {
        say("ERROR:  while scanning dir " + shown(inner) + ": " + why);
        ++result_.errors;
    }

    bool first_visit(const struct stat& st) { return visited_.insert({st.st_dev, st.st_ino}).second; }

    bool thin() const { return !s_.thin_binds.empty(); }

    // ---- a thin jail: its manifest's entries outside the binds, one by one

    void scan_thin() {
        std::string binds;
        for (const auto& b : s_.thin_binds) binds += (binds.empty() ? "" : ", ") + b;
        note("thin jail: updating only the files its manifest lists outside what the host binds (" + binds + ")");
        for (const auto& [inner, rec] : owned_.manifest().entries)
            if (is_skipped(s_.thin_binds, inner)) note("skip " + shown(inner) + " (the host binds it at every entry)");
        std::vector<std::string> dirs;
        for (const auto& d : s_.directories) dirs.push_back(normalize_directory(d, jail_.path()));
        for (const auto& inner : thin_entries(owned_.manifest(), s_.thin_binds, dirs)) thin_entry(inner);
    }

    // One listed entry, reached from the jail's root one real directory at
    // a time: a symlink on the way could lead into a bind's mount point.
    void thin_entry(const std::string& inner) {
        const PathSplit split = split_leaf(inner);
        UniqueFd dir;
        try {
            dir = sys::open_at(jail_.fd(), ".", O_RDONLY | O_DIRECTORY, 0, jail_.path());
            for (const auto& c : path::components(split.dir)) {
                const int fd = ::openat(dir.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT) {
                    note("not updating " + shown(inner) + ": its directory is gone");
                    return;
                }
                if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                    say("WARNING: " + shown(inner) + " is reached through a symbolic link in a thin jail, not updated");
                    return;
                }
                if (fd < 0) throw SysError("cannot open the directory of", shown(inner), errno);
                dir = UniqueFd(fd);
            }
        } catch (const Error& e) {
            scan_error(split.dir, e.what());
            return;
        }
        // The host is trusted: its symlinks are followed as a path would be.
        const std::string host_dir = split.dir.empty() ? "/" : split.dir;
        UniqueFd host(::open(host_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        entry(dir.get(), host.get(), split.dir == "/" ? "" : split.dir, split.leaf);
    }

    // A thin jail's copy plan without what the host binds at every entry
    // (the targets of a symlink such as /etc/localtime into /usr/share).
    void drop_bound(copy::Plan& plan) {
        std::erase_if(plan.steps, [&](const copy::Step& st) {
            if (!is_skipped(s_.thin_binds, st.source)) return false;
            note("not copying " + st.source + ": the host binds it at every entry (thin jail)");
            return true;
        });
    }

    void scan_top(const std::string& inner) {
        if (is_skipped(s_.skips, inner.empty() ? "/" : inner)) {
            say("skip " + shown(inner));
            return;
        }
        std::optional<struct stat> st;
        if (!inner.empty()) {
            try {
                st = jail_.lstat(inner);
            } catch (const Error& e) {
                scan_error(inner, e.what());
                return;
            }
            if (!st) {
                note("not scanning " + shown(inner) + ": it does not exist");
                return;
            }
            if (S_ISLNK(st->st_mode)) {
                note("not scanning " + shown(inner) + ": it is a symbolic link");
                return;
            }
            if (!S_ISDIR(st->st_mode)) {
                scan_error(inner, "not a directory");
                return;
            }
        }
        UniqueFd dir;
        try {
            dir = inner.empty() ? sys::open_at(jail_.fd(), ".", O_RDONLY | O_DIRECTORY, 0, jail_.path())
                                : jail_.open(inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (const Error& e) {
            scan_error(inner, e.what());
            return;
        }
        struct stat now {};
        if (::fstat(dir.get(), &now) != 0) {
            scan_error(inner, errtext(errno));
            return;
        }
        if (now.st_dev != dev_ && !inner.empty()) {
            note("not scanning " + shown(inner) + ": another file system is mounted there");
            return;
        }
        if (!first_visit(now)) return;
        // The host is trusted: its symlinks are followed as a path would be.
        UniqueFd host(::open(inner.empty() ? "/" : inner.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        note("scanning " + shown(inner));
        walk(dir.get(), host.get(), inner);
    }

    std::vector<std::string> list(int dirfd, const std::string& inner, bool& ok) {
        std::vector<std::string> names;
        ok = true;
        int dupfd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
        if (dupfd < 0) {
            scan_error(inner, errtext(errno));
            ok = false;
            return names;
        }
        std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dupfd), ::closedir);
        if (!d) {
            scan_error(inner, errtext(errno));
            ::close(dupfd);
            ok = false;
            return names;
        }
        errno = 0;
        while (dirent* e = ::readdir(d.get())) {
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
            errno = 0;
        }
        if (errno != 0) {
            scan_error(inner, errtext(errno));
            ok = false;
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    // Walks one jail directory; hostfd is the host directory at the same
    // path or -1. Returns true when nothing in it stays (all removed).
    bool walk(int dirfd, int hostfd, const std::string& inner) {
        bool ok = true;
        std::vector<std::string> names = list(dirfd, inner, ok);
        std::size_t staying = ok ? 0 : 1;
        for (const auto& name : names)
            if (!entry(dirfd, hostfd, inner, name)) ++staying;
        return staying == 0;
    }

    std::optional<Observed> host_entry(int hostfd, const std::string& name, const std::string& inner) {
        if (hostfd < 0) return std::nullopt;
        struct stat hs {};
        if (::fstatat(hostfd, name.c_str(), &hs, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
            throw SysError("cannot stat", inner, errno);
        }
        Observed o = inventory::observe(hs);
        if (S_ISLNK(hs.st_mode)) o.link_target = sys::readlink_at(hostfd, name);
        return o;
    }

    // One entry; returns true when it is going to be removed.
    bool entry(int dirfd, int hostfd, const std::string& inner, const std::string& name) {
        const std::string child = inner + "/" + name;
        if (is_skipped(s_.skips, child)) {
            say("skip " + shown(child));
            return false;
        }
        if (inventory::jail_specific(child)) {
            note("skip " + shown(child) + " (belongs to the jail)");
            return false;
        }
        struct stat st {};
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return true;  // gone meanwhile
            scan_error(child, errtext(errno));
            return false;
        }
        std::optional<Observed> host;
        Observed mine = inventory::observe(st);
        try {
            host = host_entry(hostfd, name, child);
            if (S_ISLNK(st.st_mode)) mine.link_target = sys::readlink_at(dirfd, name);
        } catch (const Error& e) {
            scan_error(child, e.what());
            return false;
        }
        const manifest::Entry* rec = owned_.recorded(child);

        if (S_ISDIR(st.st_mode) && thin()) {
            note("skip " + shown(child) + " (a directory in a thin jail is the jail's own)");
            return false;
        }
        if (S_ISDIR(st.st_mode)) return directory(dirfd, hostfd, child, name, st, mine, host, rec);

        if (!host && !rec && is_temp_name(name)) {
            removals_.push_back({child, static_cast<mode_t>(st.st_mode & S_IFMT), st.st_ino, mine.ctime_ns, true});
            return true;
        }
        Verdict v = decide(mine, host, rec);
        if (v == Verdict::compare_content) v = decide(mine, host, rec, same_content(dirfd, hostfd, name, child));
        switch (v) {
            case Verdict::current: return false;
            case Verdict::outdated: outdated_.push_back(child); return false;
            case Verdict::deprecated:
                removals_.push_back({child, static_cast<mode_t>(st.st_mode & S_IFMT), st.st_ino, mine.ctime_ns, false});
                return true;
            case Verdict::changed: left_alone(child); return false;
            case Verdict::foreign:
                note("skip " + shown(child) + " (not installed by jailkit)");
                record(changes::Action::unchanged, child, "file", "not installed by the suite");
                return false;
            case Verdict::conflict:
                say("WARNING: " + shown(child) + " is a directory on the host, not updated");
                record(changes::Action::unchanged, child, "file", "a directory on the host");
                return false;
            case Verdict::compare_content: return false;
        }
        return false;
    }

    bool directory(int dirfd, int hostfd, const std::string& child, const std::string& name, const struct stat& st,
                   const Observed& mine, const std::optional<Observed>& host, const manifest::Entry* rec) {
        if (st.st_dev != dev_) {
            note("not scanning " + shown(child) + ": another file system is mounted there");
            return false;
        }
        if (!first_visit(st)) return false;
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            scan_error(child, errtext(errno));
            return false;
        }
        UniqueFd sub(fd);
        struct stat now {};
        if (::fstat(sub.get(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
            scan_error(child, "changed while it was scanned");
            return false;
        }
        UniqueFd hostsub;
        if (hostfd >= 0 && host) hostsub.reset(::openat(hostfd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        const bool empty_after = walk(sub.get(), hostsub.get(), child);
        switch (decide_dir(mine, host, rec, empty_after)) {
            case Verdict::deprecated: removals_.push_back({child, S_IFDIR, st.st_ino, 0, false}); return true;
            case Verdict::changed: left_alone(child); return false;
            case Verdict::conflict:
                say("WARNING: " + shown(child) + " is a directory in the jail but not on the host, not updated");
                record(changes::Action::unchanged, child, "directory", "not a directory on the host");
                return false;
            default: return false;
        }
    }

    // An entry the manifest lists but no longer proves: someone modified or
    // replaced it in the jail, so it is theirs now.
    void left_alone(const std::string& inner) {
        say("left alone (changed since installed): " + shown(inner));
        record(changes::Action::unchanged, inner, "file", "changed since installed");
        ++result_.left_alone;
    }

    bool same_content(int dirfd, int hostfd, const std::string& name, const std::string& child) {
        int jfd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (jfd < 0) return false;
        UniqueFd j(jfd);
        int hfd = ::openat(hostfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (hfd < 0) return false;
        UniqueFd h(hfd);
        struct stat js {
        }, hs{};
        if (::fstat(jfd, &js) != 0 || ::fstat(hfd, &hs) != 0 || !S_ISREG(js.st_mode) || !S_ISREG(hs.st_mode) ||
            js.st_size != hs.st_size)
            return false;
        const inventory::ContentResult r = inventory::compare_content(jfd, hfd);
        if (r.kind == inventory::ContentResult::read_error) {
            scan_error(child, errtext(r.err));
            return true;  // unreadable: left alone
        }
        return r.kind == inventory::ContentResult::same;
    }

    void remove_all() {
        bool changed = false;
        for (const auto& r : removals_) {
            const bool dir = r.type == S_IFDIR;
            const std::string what = r.stale_temp ? "stale temporary file"
                                     : dir        ? "deprecated directory"
                                                  : "deprecated file";
            say("removing " + what + " " + shown(r.inner));
            try {
                Jail::Parent p = jail_.open_parent(r.inner);
                auto now = sys::lstat_at(p.dir.get(), p.leaf);
                if (!now) {
                    changed |= owned_.manifest().entries.erase(r.inner) > 0;
                    continue;
                }
                // Still the entry the manifest proved at the scan: an admin's
                // replacement or edit since then is not removed.
                if ((now->st_mode & S_IFMT) != r.type || now->st_ino != r.ino ||
                    (!dir && inventory::observe(*now).ctime_ns != r.ctime_ns))
                    throw Error("it changed since it was scanned");
                if (::unlinkat(p.dir.get(), p.leaf.c_str(), dir ? AT_REMOVEDIR : 0) != 0)
                    throw SysError("cannot remove", shown(r.inner), errno);
            } catch (const Error& e) {
                say("ERROR: failed to remove " + what + " " + shown(r.inner) + ": " + e.what());
                ++result_.errors;
                continue;
            }
            if (!r.stale_temp) {
                ++result_.removed;
                record(changes::Action::removed, r.inner, dir ? "directory" : "file", "deprecated");
            }
            changed |= owned_.manifest().entries.erase(r.inner) > 0;
        }
        if (changed) manifest::save(jail_, owned_.manifest());
    }

    void install_outdated() {
        if (outdated_.empty()) return;
        for (const auto& o : outdated_) say("removing outdated file " + shown(o));
        copy::Options options;
        options.hardlink = s_.hardlink;
        options.verbose = s_.verbose;
        options.exclude = jail_.path();
        // A thin jail's libraries are the host's own, bound at every entry.
        if (thin()) options.libraries = false;
        // First what the new versions need that the jail lacks (new
        // libraries land before the programs that load them), then the
        // outdated entries themselves, each renamed over its old version.
        // Two plans, because a plan lists a path once: an outdated library
        // met first as a dependency would otherwise not be replaced.
        copy::Planner needs(options, copy::host_dependency_finder());
        copy::Options only = options;
        only.libraries = false;
        copy::Planner replacements(only, copy::host_dependency_finder());
        std::size_t planned = 0;
        for (const auto& o : outdated_) {
            // One host file that cannot be planned (vanished meanwhile, a
            // dangling link, a malformed ELF file) does not stop the others.
            try {
                needs.add(o);
                replacements.add(o, /*replace=*/true);
                ++planned;
            } catch (const Error& e) {
                say("ERROR: cannot update " + shown(o) + ": " + e.what());
                ++result_.errors;
            }
        }
        // A journal for the renames below: until install() records the new
        // versions, the manifest would name the old inodes, and after a kill
        // the next run would take our own new copies for an admin's. Listed
        // entries about to be replaced are marked as being replaced instead
        // (inventory.hpp MUST 3).
        bool marked = false;
        for (const auto& o : outdated_) {
            auto it = owned_.manifest().entries.find(o);
            if (it == owned_.manifest().entries.end()) continue;
            it->second.ino = manifest::replacing;
            it->second.ctime_ns = 0;
            marked = true;
        }
        if (marked) manifest::save(jail_, owned_.manifest());
        copy::Plan first = needs.take();
        copy::Plan second = replacements.take();
        if (thin()) {
            drop_bound(first);
            drop_bound(second);
        }
        for (const auto& w : first.warnings) say("WARNING: " + w);
        for (const auto& m : first.missing_libraries) say("WARNING: library " + m + " not found");
        // Recorded: what the first plan adds (new libraries and the loader's
        // cache; it finds the rest in place) and the replacements themselves.
        changes::Report added;
        changes::Report replaced;
        options.changes = &added;
        only.changes = &replaced;
        try {
            copy::install(first, jail_, options, out_);
            copy::install(second, jail_, only, out_);
        } catch (...) {
            keep_changes(added, replaced);
            throw;
        }
        keep_changes(added, replaced);
        result_.outdated = static_cast<unsigned>(planned);
    }

    void keep_changes(const changes::Report& added, const changes::Report& replaced) const {
        if (s_.changes == nullptr) return;
        for (const auto& c : added.items())
            if (c.action != changes::Action::unchanged) s_.changes->add(c.action, c.path, c.type, c.detail);
        for (const auto& c : replaced.items())
            if (c.action != changes::Action::unchanged) s_.changes->add(c.action, c.path, c.type, c.detail);
    }

    const Jail& jail_;
    const Settings& s_;
    const Output& out_;
    inventory::Owned owned_;
    dev_t dev_ = 0;
    std::set<std::pair<dev_t, ino_t>> visited_;
    std::vector<std::string> outdated_;
    std::vector<Removal> removals_;
    Result result_;
};

}  // namespace

Result run(const Jail& jail, const Settings& settings, const Output& out) {
    return Updater(jail, settings, out).run();
}

}  // namespace jk::update
