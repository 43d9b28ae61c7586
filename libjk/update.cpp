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

bool is_jail_specific(const std::string& inner) {
    static const std::vector<std::string> own = {"/etc/passwd",  "/etc/group",       "/etc/shadow",
                                                 "/etc/gshadow", "/etc/ld.so.cache", "/etc/jailkit"};
    return is_skipped(own, inner);
}

Verdict decide(const Observed& jail, const std::optional<Observed>& host, const manifest::Entry* recorded) {
    if (!host) return recorded ? Verdict::deprecated : Verdict::foreign;
    if (is_type(*host, S_IFDIR) || is_type(jail, S_IFDIR)) return Verdict::conflict;
    if ((jail.type & S_IFMT) != (host->type & S_IFMT)) return Verdict::outdated;
    if (is_type(jail, S_IFLNK)) return jail.link_target == host->link_target ? Verdict::current : Verdict::outdated;
    if (!is_type(jail, S_IFREG)) return Verdict::current;  // devices, fifos: created once, never refreshed
    // A hardlink to the host file is the host file.
    if (jail.dev == host->dev && jail.ino == host->ino) return Verdict::current;
    // The manifest proves the jail file is the copy it recorded (same inode,
    // ctime untouched since: any write, chmod or utimes moves it), made from
    // a host file of the recorded size and mtime.
    if (recorded && (recorded->type == 'f' || recorded->type == 'h') && recorded->ino == jail.ino &&
        recorded->ctime_ns == jail.ctime_ns)
        return recorded->size == host->size && recorded->mtime_ns == host->mtime_ns ? Verdict::current
                                                                                    : Verdict::outdated;
    if (jail.size != host->size) return Verdict::outdated;
    return Verdict::compare_content;
}

Verdict decide_dir(const std::optional<Observed>& host, const manifest::Entry* recorded, bool empty_after) {
    if (!host) return recorded && empty_after ? Verdict::deprecated : Verdict::foreign;
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

long long ns(const struct timespec& t) {
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

Observed observe(const struct stat& st) {
    Observed o;
    o.type = st.st_mode & S_IFMT;
    o.size = static_cast<long long>(st.st_size);
    o.mtime_ns = ns(st.st_mtim);
    o.ctime_ns = ns(st.st_ctim);
    o.dev = st.st_dev;
    o.ino = st.st_ino;
    return o;
}

std::string errtext(int err) {
    std::array<char, 256> buf{};
    return ::strerror_r(err, buf.data(), buf.size());
}

// Something to remove, in the order of the walk (children before parents).
struct Removal {
    std::string inner;
    mode_t type;
    unsigned long long ino;
    bool stale_temp;  // a temporary entry left by a killed run
};

class Updater {
public:
    Updater(const Jail& jail, const Settings& s, const Output& out) : jail_(jail), s_(s), out_(out) {}

    Result run() {
        manifest_ = manifest::load(jail_);
        struct stat root {};
        if (::fstat(jail_.fd(), &root) != 0) throw SysError("cannot stat", jail_.path(), errno);
        dev_ = root.st_dev;

        const std::vector<std::string>& dirs = s_.directories.empty() ? default_directories : s_.directories;
        for (const auto& d : dirs) scan_top(normalize_directory(d, jail_.path()));

        std::size_t counted = 0;
        for (const auto& r : removals_)
            if (!r.stale_temp) ++counted;
        result_.would_remove = counted;
        if (counted > s_.max_remove) {
            result_.refused = true;
            return result_;
        }
        if (s_.dry_run) {
            for (const auto& o : outdated_) say("will update outdated file " + shown(o));
            for (const auto& r : removals_)
                if (!r.stale_temp) say("will remove deprecated file " + shown(r.inner));
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
    void note(const std::string& line) {
        if (s_.verbose) out_(line);
    }
    void scan_error(const std::string& inner, const std::string& why) {
        say("ERROR:  while scanning dir " + shown(inner) + ": " + why);
        ++result_.errors;
    }

    bool first_visit(const struct stat& st) { return visited_.insert({st.st_dev, st.st_ino}).second; }

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

    const manifest::Entry* recorded(const std::string& inner) const {
        auto it = manifest_.entries.find(inner);
        return it == manifest_.entries.end() ? nullptr : &it->second;
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
        Observed o = observe(hs);
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
        if (is_jail_specific(child)) {
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
        Observed mine = observe(st);
        try {
            host = host_entry(hostfd, name, child);
            if (S_ISLNK(st.st_mode)) mine.link_target = sys::readlink_at(dirfd, name);
        } catch (const Error& e) {
            scan_error(child, e.what());
            return false;
        }
        const manifest::Entry* rec = recorded(child);

        if (S_ISDIR(st.st_mode)) return directory(dirfd, hostfd, child, name, st, host, rec);

        if (!host && !rec && is_temp_name(name)) {
            removals_.push_back({child, static_cast<mode_t>(st.st_mode & S_IFMT), st.st_ino, true});
            return true;
        }
        Verdict v = decide(mine, host, rec);
        if (v == Verdict::compare_content)
            v = same_content(dirfd, hostfd, name, child) ? Verdict::current : Verdict::outdated;
        switch (v) {
            case Verdict::current: return false;
            case Verdict::outdated: outdated_.push_back(child); return false;
            case Verdict::deprecated:
                removals_.push_back({child, static_cast<mode_t>(st.st_mode & S_IFMT), st.st_ino, false});
                return true;
            case Verdict::foreign: note("skip " + shown(child) + " (not installed by jailkit)"); return false;
            case Verdict::conflict:
                say("WARNING: " + shown(child) + " is a directory on the host, not updated");
                return false;
            case Verdict::compare_content: return false;
        }
        return false;
    }

    bool directory(int dirfd, int hostfd, const std::string& child, const std::string& name, const struct stat& st,
                   const std::optional<Observed>& host, const manifest::Entry* rec) {
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
        switch (decide_dir(host, rec, empty_after)) {
            case Verdict::deprecated: removals_.push_back({child, S_IFDIR, st.st_ino, false}); return true;
            case Verdict::conflict:
                say("WARNING: " + shown(child) + " is a directory in the jail but not on the host, not updated");
                return false;
            default: return false;
        }
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
        std::vector<char> a(1 << 16), b(1 << 16);
        for (;;) {
            ssize_t na = read_full(jfd, a);
            ssize_t nb = read_full(hfd, b);
            if (na < 0 || nb < 0) {
                scan_error(child, errtext(errno));
                return true;  // unreadable: left alone
            }
            if (na != nb || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(na)) != 0) return false;
            if (na == 0) return true;
        }
    }

    static ssize_t read_full(int fd, std::vector<char>& buf) {
        std::size_t got = 0;
        while (got < buf.size()) {
            ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
            if (n < 0) {
                if (errno == EINTR) continue;
                return -1;
            }
            if (n == 0) break;
            got += static_cast<std::size_t>(n);
        }
        return static_cast<ssize_t>(got);
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
                    changed |= manifest_.entries.erase(r.inner) > 0;
                    continue;
                }
                if ((now->st_mode & S_IFMT) != r.type || now->st_ino != r.ino)
                    throw Error("it changed since it was scanned");
                if (::unlinkat(p.dir.get(), p.leaf.c_str(), dir ? AT_REMOVEDIR : 0) != 0)
                    throw SysError("cannot remove", shown(r.inner), errno);
            } catch (const Error& e) {
                say("ERROR: failed to remove " + what + " " + shown(r.inner) + ": " + e.what());
                ++result_.errors;
                continue;
            }
            if (!r.stale_temp) ++result_.removed;
            changed |= manifest_.entries.erase(r.inner) > 0;
        }
        if (changed) manifest::save(jail_, manifest_);
    }

    void install_outdated() {
        if (outdated_.empty()) return;
        for (const auto& o : outdated_) say("removing outdated file " + shown(o));
        copy::Options options;
        options.hardlink = s_.hardlink;
        options.verbose = s_.verbose;
        options.exclude = jail_.path();
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
        copy::Plan first = needs.take();
        copy::Plan second = replacements.take();
        for (const auto& w : first.warnings) say("WARNING: " + w);
        for (const auto& m : first.missing_libraries) say("WARNING: library " + m + " not found");
        copy::install(first, jail_, options, out_);
        copy::install(second, jail_, only, out_);
        result_.outdated = static_cast<unsigned>(planned);
    }

    const Jail& jail_;
    const Settings& s_;
    const Output& out_;
    manifest::Manifest manifest_;
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
