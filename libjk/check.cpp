// jk_check's logic: pure finding/JSON/ignore/passwd code first, then the
// walking layer (see check.hpp for its MUST list).
#include "jk/check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "jk/cgroup_place.hpp"
#include "jk/elf.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/inventory.hpp"
#include "jk/isolation.hpp"
#include "jk/jail.hpp"
#include "jk/json.hpp"
#include "jk/ldso.hpp"
#include "jk/manifest.hpp"
#include "jk/namespaces.hpp"
#include "jk/resolver.hpp"
#include "jk/sys.hpp"
#include "jk/systemd_scope.hpp"

namespace jk::check {

// ============================================================ pure parts

const char* severity_name(Severity s) noexcept {
    return s == Severity::error ? "error" : "warning";
}

Ignores ignores_from_section(const config::Section& section) {
    auto list = [&](std::string_view key) { return section.get_list(key).value_or(std::vector<std::string>{}); };
    Ignores i;
    i.everywhere = list("ignorepatheverywhere");
    i.on_compare = list("ignorepathoncompare");
    i.writable_group = list("ignorewritableforgroup");
    i.writable_others = list("ignorewritableforothers");
    i.setuid_user = list("ignoresetuidexecuteforuser");
    i.setuid_group = list("ignoresetuidexecuteforgroup");
    i.setuid_others = list("ignoresetuidexecuteforothers");
    return i;
}

bool path_ignored(const std::vector<std::string>& items, std::string_view path) {
    for (const auto& item : items) {
        std::string_view i = item;
        if (i.empty()) continue;
        // "/j/tmp/" is the directory "/j/tmp"; "/" stays the root.
        while (i.size() > 1 && i.back() == '/') i.remove_suffix(1);
        if (i == "/") return true;
        // Whole components: "/j/tmp" covers "/j/tmp/x", never "/j/tmpevil"
        // (jailkit's string prefix hid a name anyone could create beside it).
        if (path.starts_with(i) && (path.size() == i.size() || path[i.size()] == '/')) return true;
    }
    return false;
}

bool exactly_ignored(const std::vector<std::string>& items, std::string_view path) {
    return std::find(items.begin(), items.end(), path) != items.end();
}

namespace {

const char hex_digits[] = "0123456789abcdef";

void append_hex_escape(std::string& out, unsigned char c, const char* prefix) {
    out += prefix;
    out += hex_digits[c >> 4];
    out += hex_digits[c & 0xf];
}

}  // namespace

std::string json_escape(std::string_view bytes) {
    return json::escape(bytes);
}

std::string to_json(const std::vector<JailReport>& reports) {
    std::string out = "{\"jails\":[";
    bool first_jail = true;
    for (const auto& r : reports) {
        if (!first_jail) out += ",";
        first_jail = false;
        out += "{\"jail\":\"" + json_escape(r.jail) + "\",\"findings\":[";
        bool first = true;
        for (const auto& f : r.findings) {
            if (!first) out += ",";
            first = false;
            out += "{\"severity\":\"";
            out += severity_name(f.severity);
            out += "\",\"kind\":\"" + json_escape(f.kind) + "\",\"path\":\"" + json_escape(f.path) +
                   "\",\"message\":\"" + json_escape(f.message) + "\"}";
        }
        out += "]}";
    }
    out += "]}\n";
    return out;
}

std::string shown(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (char ch : path) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f)
                    append_hex_escape(out, c, "\\x");
                else
                    out += ch;
        }
    }
    return out;
}

namespace {

Finding make(Severity s, std::string kind, std::string_view path, std::string message) {
    return Finding{s, std::move(kind), std::string(path), std::move(message)};
}

std::string str(std::string_view s) {
    return shown(s);
}

}  // namespace

Finding writable(std::string_view path, bool for_group) {
    return make(Severity::warning, for_group ? "writable-group" : "writable-others", path,
                "WARNING: " + str(path) + " is writable for " + (for_group ? "group!" : "others!"));
}

Finding setuid(std::string_view path, std::string_view who, uid_t uid, gid_t gid, bool setuid_bit) {
    std::string what;
    if (uid == 0 || gid == 0)
        what = "setuid root";
    else if (setuid_bit)
        what = "setuid user " + std::to_string(uid);
    else
        what = "setgid group " + std::to_string(gid);
    return make(Severity::warning, "setuid", path,
                "WARNING: " + str(path) + " is executable for " + std::string(who) + " and " + what + "!!");
}

Finding different_size(std::string_view jail_path, std::string_view host_path) {
    return make(Severity::error, "size", jail_path,
                "ERROR: " + str(jail_path) + " and " + str(host_path) + " have a different size!");
}

Finding different_content(std::string_view jail_path, std::string_view host_path) {
    return make(Severity::error, "differs", jail_path,
                "ERROR: " + str(jail_path) + " and " + str(host_path) + " are not the same!");
}

Finding different_symlink(std::string_view jail_path, std::string_view host_path) {
    return make(Severity::error, "symlink-target", jail_path,
                "ERROR: symlinks " + str(jail_path) + " and " + str(host_path) + " point to different files!");
}

Finding different_type(std::string_view jail_path, std::string_view host_path, bool jail_is_symlink) {
    return make(Severity::error, "type", jail_path,
                "ERROR: " + str(jail_path) + " and " + str(host_path) + " are not both " +
                    (jail_is_symlink ? "symlinks!" : "regular files!"));
}

Finding missing_library(std::string_view path, std::string_view library) {
    return make(Severity::error, "missing-library", path,
                "ERROR: " + str(path) + " needs " + str(library) + ", which is not in the jail");
}

Finding unloadable(std::string_view path, std::string_view reason) {
    return make(Severity::error, "unloadable", path, "ERROR: " + str(path) + " cannot run in the jail: " + str(reason));
}

Finding missing_interpreter(std::string_view path, std::string_view interpreter) {
    return make(
        Severity::error, "missing-interpreter", path,
        "ERROR: " + str(path) + " needs the program interpreter " + str(interpreter) + ", which is not in the jail");
}

Finding unsafe_jail(std::string_view jail, std::string_view reason) {
    return make(Severity::error, "unsafe-jail", jail, "ERROR: jail " + str(jail) + " is not safe: " + str(reason));
}

Finding unreadable(std::string_view path, std::string_view reason) {
    return make(Severity::error, "unreadable", path, "ERROR: cannot check " + str(path) + ": " + str(reason));
}

Finding thin_bind(std::string_view jail, std::string_view path, std::string_view reason) {
    return make(Severity::error, "thin-bind", path,
                "ERROR: every entry into the thin jail " + str(jail) + " fails, a bind is refused: " + str(reason));
}

std::vector<std::string> jails_from_passwd(const users::PasswdFile& host) {
    std::vector<std::string> out;
    for (const auto& r : host.records) {
        if (!r.entry) continue;
        std::optional<users::JailHome> jh;
        try {
            jh = users::split_jail_home(r.entry->home);
        } catch (const Error&) {
            continue;
        }
        if (jh && std::find(out.begin(), out.end(), jh->jail) == out.end()) out.push_back(jh->jail);
    }
    return out;
}

namespace {

std::optional<users::JailHome> split_home(std::string_view home) {
    try {
        return users::split_jail_home(home);
    } catch (const Error&) {
        return std::nullopt;
    }
}

// A jail passwd home cleaned the way split_jail_home cleans its inner part.
std::string clean_inner_home(const std::string& home) {
    auto jh = split_home("/x/./" + home);
    return jh ? jh->home : home;
}

// The login shell jk_jailuser gives a jailed user (this build's), or
// jailkit's at /usr/sbin or /sbin, which a jail migrated from jailkit names.
constexpr std::string_view our_chrootsh = JK_SBINDIR "/jk_chrootsh";

bool chrootsh_shell(std::string_view shell) {
    return shell == our_chrootsh || shell == "/usr/sbin/jk_chrootsh" || shell == "/sbin/jk_chrootsh";
}

}  // namespace

std::vector<Finding> compare_passwd(const std::string& jail, const std::optional<users::PasswdFile>& jail_passwd,
                                    const users::PasswdFile& host) {
    std::vector<Finding> out;
    const std::string passwd_path = (jail == "/" ? "" : jail) + "/etc/passwd";
    if (jail_passwd) {
        for (const auto& r : jail_passwd->records) {
            if (!r.entry || r.entry->name == "root") continue;
            const users::PasswdEntry& j = *r.entry;
            const users::PasswdEntry* h = host.find(j.name);
            if (!h) {
                out.push_back(make(
                    Severity::error, "passwd", passwd_path,
                    "ERROR: user " + str(j.name) + " in jail " + str(jail) + " does not exist on the real system"));
                continue;
            }
            if (h->uid != j.uid || h->gid != j.gid)
                out.push_back(make(Severity::error, "passwd", passwd_path,
                                   "ERROR: user " + str(j.name) + " is changed in jail " + str(jail) + " (uid " +
                                       std::to_string(j.uid) + " gid " + std::to_string(j.gid) + " in the jail, uid " +
                                       std::to_string(h->uid) + " gid " + std::to_string(h->gid) +
                                       " on the real system)"));
            auto hs = split_home(h->home);
            bool homes_match = hs ? (hs->jail == jail && hs->home == clean_inner_home(j.home)) : h->home == j.home;
            if (!homes_match)
                out.push_back(make(Severity::error, "passwd", passwd_path,
                                   "ERROR: the real homedir and jail homedir for user " + str(j.name) +
                                       " do not correspond in jail " + str(jail)));
        }
    }
    for (const auto& r : host.records) {
        if (!r.entry) continue;
        const users::PasswdEntry& h = *r.entry;
        auto hs = split_home(h.home);
        if (!hs || hs->jail != jail) continue;
        if (!jail_passwd || !jail_passwd->find(h.name))
            out.push_back(make(Severity::error, "passwd", passwd_path,
                               "ERROR: user " + str(h.name) + " does not exist in " + str(passwd_path)));
        if (!chrootsh_shell(h.shell))
            out.push_back(make(Severity::warning, "passwd", passwd_path,
                               "WARNING: user " + str(h.name) + " has a /./ but does not have the " +
                                   std::string(our_chrootsh) + " shell"));
    }
    return out;
}

std::vector<Target> select_targets(const config::IniFile* ini, const std::vector<std::string>& positional,
                                   const users::PasswdFile& host, const std::string& cwd,
                                   std::vector<std::string>& warnings) {
    const config::Section* def = ini ? ini->find("DEFAULT") : nullptr;
    Ignores default_ignores = def ? ignores_from_section(*def) : Ignores{};
    if (ini) {
        for (const auto& s : ini->sections())
            for (auto& w : config::unknown_keys(s, known_keys)) warnings.push_back(std::move(w));
    }
    // ini sections by cleaned jail path
    std::vector<std::pair<std::string, std::string>> sections;  // (clean path, section name)
    if (ini) {
        for (const auto& s : ini->sections()) {
            if (s.is_default()) continue;
            if (s.name().empty() || s.name()[0] != '/') {
                if (positional.empty())
                    warnings.push_back(ini->filename() + ":" + std::to_string(s.line()) + ": section [" + s.name() +
                                       "] is not an absolute jail path, ignoring");
                continue;
            }
            sections.emplace_back(normalize_absolute(s.name()), s.name());
        }
    }
    auto ignores_for = [&](const std::string& jail) {
        for (const auto& [clean, name] : sections)
            if (clean == jail) return ignores_from_section(*ini->with_defaults(name));
        return default_ignores;
    };
    std::vector<Target> out;
    auto add = [&](const std::string& jail) {
        for (const auto& t : out)
            if (t.jail == jail) return;
        out.push_back(Target{jail, ignores_for(jail)});
    };
    if (!positional.empty()) {
        for (const auto& p : positional) {
            if (p.empty()) throw Error("an empty jail path was given");
            add(normalize_absolute(p[0] == '/' ? p : cwd + "/" + p));
        }
        return out;
    }
    for (const auto& s : sections) add(s.first);
    for (const auto& j : jails_from_passwd(host)) add(j);
    return out;
}

// ============================================================ the walking layer
//
// Directories are the unit of work: a pool of threads takes one directory at
// a time, opens it beneath the jail, checks that what it opened is the
// directory it listed (same device and inode), lists it and checks every
// entry relative to that directory's fd, queueing the subdirectories. The
// host side of a comparison costs a second stat per file, so the pool is
// what lets the check keep pace with a single-threaded stat walk. Findings
// are collected with the path they are about and printed in path order
// (each directory's entries by name, a directory's contents after it), so
// the output does not depend on the scheduling.

namespace {

// strerror without its shared buffer (the walk runs on several threads).
std::string errtext(int err) {
    return std::error_code(err, std::generic_category()).message();
}

// Path order of the walk: '/' sorts before every other byte, so a
// directory's contents come right after it and before its next sibling.
bool path_less(const std::string& a, const std::string& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto key = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c) + 1; };
        return key(x) < key(y);
    });
}

// How the walk sees a thin jail.
struct ThinView {
    // Inner paths the host binds over at every entry: not walked, not
    // compared (ro_binds; empty for a copy jail).
    std::vector<std::string> binds;
    // Whether programs' libraries can be checked: a copy jail, or a thin
    // one assembled as a login sees it.
    bool libraries = true;
};

class Walker {
public:
    Walker(const Jail& jail, const Options& opt, const ThinView& thin) : jail_(jail), opt_(opt), thin_(thin) {}

    // Walks the whole jail; returns the findings in path order.
    std::vector<Finding> run() {
        UniqueFd root;
        try {
            root = sys::open_at(jail_.fd(), ".", O_RDONLY | O_DIRECTORY, 0, jail_.path());
        } catch (const Error& e) {
            return {unreadable(jail_.path(), e.what())};
        }
        struct stat st = sys::fstat_fd(root.get(), jail_.path());
        dev_ = st.st_dev;
        load_manifest();
        search_.abis = elf::host_abis();
        search_.root_fd = jail_.fd();
        // An unassembled thin jail's ld.so.cache is the empty placeholder
        // its bind lands on; nothing reads it without the bind.
        if (thin_.libraries) load_cache();
        {
            Batch b;
            check_writable(b, "", jail_.path(), st, /*group_any_owner=*/true);
            merge(b);
        }
        queue_.push_back(Task{"", st});
        unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
        std::vector<std::thread> pool;
        for (unsigned i = 1; i < n; ++i) pool.emplace_back([this] { work(); });
        work();
        for (auto& t : pool) t.join();
        if (failure_) std::rethrow_exception(failure_);
        std::stable_sort(found_.begin(), found_.end(),
                         [](const auto& a, const auto& b) { return path_less(a.first, b.first); });
        std::vector<Finding> out;
        out.reserve(found_.size() + early_.size());
        for (auto& f : early_) out.push_back(std::move(f));
        for (auto& kf : found_) out.push_back(std::move(kf.second));
        return out;
    }

private:
    // What one pool thread keeps between directories.
    struct PerThread {
        elf::Resolver resolver;
        std::unordered_map<std::string, bool> regular;  // regular_in_jail's answers
    };
    struct Task {
        std::string inner;  // "" for the jail root
        struct stat st;     // as listed by the parent: what must be opened
    };
    // Findings of one directory, keyed by the inner path they are about.
    struct Batch {
        std::vector<std::pair<std::string, Finding>> found;
        std::vector<Task> subdirs;
        void add(const std::string& key, Finding f) { found.emplace_back(key, std::move(f)); }
    };

    // ---- the pool

    void work() {
        // One resolver per thread (a Resolver is not thread-safe); each
        // reads a library of the jail once.
        PerThread mine{elf::Resolver(search_), {}};
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return !queue_.empty() || active_ == 0; });
            if (queue_.empty()) {
                wake_.notify_all();
                return;
            }
            Task t = std::move(queue_.back());  // depth first: fewer queued tasks
            queue_.pop_back();
            ++active_;
            lock.unlock();
            Batch b;
            try {
                directory(b, t, mine);
            } catch (...) {
                // Only what is not about the jail gets here (bad_alloc).
                std::lock_guard g(result_mutex_);
                if (!failure_) failure_ = std::current_exception();
            }
            merge(b);
            lock.lock();
            for (auto& s : b.subdirs) queue_.push_back(std::move(s));
            --active_;
            wake_.notify_all();
        }
    }

    void merge(Batch& b) {
        std::lock_guard g(result_mutex_);
        for (auto& f : b.found) found_.push_back(std::move(f));
    }

    void note(const std::string& s) {
        if (!opt_.note) return;
        std::lock_guard g(result_mutex_);
        opt_.note(s);
    }

    std::string host_of(const std::string& inner) const {
        return inner.empty() ? jail_.path() : jail_.host_path(inner);
    }

    // ---- per jail

    void load_manifest() {
        try {
            owned_ = inventory::Owned::load(jail_);
        } catch (const Error& e) {
            early_.push_back(make(Severity::warning, "manifest", jail_.host_path(manifest::path_in_jail),
                                  "WARNING: " + str(e.what()) + ", comparing every file in full"));
        }
    }

    void load_cache() {
        const std::string shown_path = jail_.host_path("/etc/ld.so.cache");
        std::string bytes;
        try {
            UniqueFd fd = jail_.open("/etc/ld.so.cache", O_RDONLY | O_NONBLOCK | O_NOCTTY);
            if (!S_ISREG(sys::fstat_fd(fd.get(), shown_path).st_mode)) return;
            bytes = sys::read_all(fd.get(), shown_path);
        } catch (const SysError& e) {
            if (e.err() != ENOENT) note("cannot read the jail's ld.so.cache: " + std::string(e.what()));
            return;
        }
        try {
            search_.cache = elf::parse_ld_so_cache(bytes, shown_path);
        } catch (const Error& e) {
            early_.push_back(make(Severity::warning, "ld-so-cache", shown_path,
                                  "WARNING: " + str(e.what()) + ", ignoring the jail's ld.so.cache"));
        }
    }

    // ---- per directory

    void directory(Batch& b, const Task& t, PerThread& mine) {
        const std::string hp = host_of(t.inner);
        UniqueFd dir;
        try {
            dir = t.inner.empty() ? sys::open_at(jail_.fd(), ".", O_RDONLY | O_DIRECTORY, 0, hp)
                                  : jail_.open(t.inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (const Error& e) {
            b.add(t.inner, unreadable(hp, e.what()));
            return;
        }
        struct stat now {};
        // Swapped since it was listed: check what was opened, not a name.
        if (::fstat(dir.get(), &now) != 0 || now.st_ino != t.st.st_ino || now.st_dev != t.st.st_dev) {
            b.add(t.inner, unreadable(hp, "changed while it was checked"));
            return;
        }
        // The host directory at the same path, opened once: the host side of
        // each comparison is then one fstatat, not a walk of the whole path.
        // (The host is trusted: its symlinks are followed as a path would be.)
        UniqueFd host(::open(t.inner.empty() ? "/" : t.inner.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        for (const auto& name : list(b, dir.get(), t.inner)) entry(b, dir.get(), host.get(), t.inner, name, mine);
    }

    // Names in a directory, sorted; the fd stays open.
    std::vector<std::string> list(Batch& b, int dirfd, const std::string& inner) {
        std::vector<std::string> names;
        int dupfd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
        if (dupfd < 0) {
            b.add(inner, unreadable(host_of(inner), errtext(errno)));
            return names;
        }
        std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dupfd), ::closedir);
        if (!d) {
            b.add(inner, unreadable(host_of(inner), errtext(errno)));
            ::close(dupfd);
            return names;
        }
        errno = 0;
        while (dirent* e = ::readdir(d.get())) {
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
            errno = 0;
        }
        if (errno != 0) b.add(inner, unreadable(host_of(inner), errtext(errno)));
        std::sort(names.begin(), names.end());
        return names;
    }

    // hostfd: the host directory at the same path, or -1 when there is none.
    void entry(Batch& b, int dirfd, int hostfd, const std::string& inner, const std::string& name, PerThread& mine) {
        const std::string child = inner + "/" + name;
        const std::string hp = jail_.host_path(child);
        if (path_ignored(opt_.ignores.everywhere, hp)) return;
        struct stat st {};
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) b.add(child, unreadable(hp, errtext(errno)));
            return;
        }
        if (std::find(thin_.binds.begin(), thin_.binds.end(), child) != thin_.binds.end()) {
            note("not checking " + hp + ": the host binds it read-only at every entry (thin jail)");
            return;
        }
        const bool compared =
            hostfd >= 0 && !path_ignored(opt_.ignores.on_compare, hp) && !inventory::jail_specific(child);
        if (S_ISDIR(st.st_mode)) {
            check_writable(b, child, hp, st, /*group_any_owner=*/true);
            if (st.st_dev != dev_) {
                note("not descending into " + hp + ": another file system is mounted there");
                return;
            }
            b.subdirs.push_back(Task{child, st});
        } else if (S_ISREG(st.st_mode)) {
            check_writable(b, child, hp, st, /*group_any_owner=*/false);
            check_setuid(b, child, hp, st);
            if (compared) compare_with_host(b, dirfd, hostfd, name, child, hp, st);
            check_program(b, child, hp, st, mine);
        } else if (S_ISLNK(st.st_mode)) {
            if (compared) compare_with_host(b, dirfd, hostfd, name, child, hp, st);
        }
    }

    // Writable by someone other than the owner. A directory either way, as
    // jailkit reported them. A regular file (a program, a library,
    // etc/passwd) when others may write it; when its group may, only for a
    // root-owned file: that is the jail's own (what every jailed user runs
    // or reads), and the group's members could change it, while a group-
    // writable file of a normal user (a shared file in a home) can already
    // be changed by its owner. Devices, sockets and fifos are left out:
    // /dev/null and /dev/log are writable for all by design.
    void check_writable(Batch& b, const std::string& key, const std::string& hp, const struct stat& st,
                        bool group_any_owner) {
        if ((st.st_mode & S_IWGRP) && (group_any_owner || st.st_uid == 0) &&
            !path_ignored(opt_.ignores.writable_group, hp))
            b.add(key, writable(hp, true));
        if ((st.st_mode & S_IWOTH) && !path_ignored(opt_.ignores.writable_others, hp)) b.add(key, writable(hp, false));
    }

    void check_setuid(Batch& b, const std::string& key, const std::string& hp, const struct stat& st) {
        if (!(st.st_mode & (S_ISUID | S_ISGID))) return;
        const bool suid = (st.st_mode & S_ISUID) != 0;
        // jailkit's order: others, group, user.
        if ((st.st_mode & S_IXOTH) && !exactly_ignored(opt_.ignores.setuid_others, hp))
            b.add(key, setuid(hp, "others", st.st_uid, st.st_gid, suid));
        if ((st.st_mode & S_IXGRP) && !exactly_ignored(opt_.ignores.setuid_group, hp))
            b.add(key, setuid(hp, "group", st.st_uid, st.st_gid, suid));
        if ((st.st_mode & S_IXUSR) && !exactly_ignored(opt_.ignores.setuid_user, hp))
            b.add(key, setuid(hp, "user", st.st_uid, st.st_gid, suid));
    }

    // ---- comparison with the host (the host path is the jail-internal path)
    //
    // The decision is jk_update's (inventory::compare): what is reported
    // here is what jk_update would replace. Both sides are lstat'ed, so a
    // jail file where the host now has a symlink is a different type.

    void compare_with_host(Batch& b, int dirfd, int hostfd, const std::string& name, const std::string& inner,
                           const std::string& hp, const struct stat& st) {
        struct stat hs {};
        if (::fstatat(hostfd, name.c_str(), &hs, AT_SYMLINK_NOFOLLOW) != 0) return;  // only in the jail
        inventory::Observed jail = inventory::observe(st);
        inventory::Observed host = inventory::observe(hs);
        try {
            if (S_ISLNK(st.st_mode)) jail.link_target = sys::readlink_at(dirfd, name);
            if (S_ISLNK(hs.st_mode)) host.link_target = sys::readlink_at(hostfd, name);
        } catch (const Error& e) {
            b.add(inner, unreadable(hp, e.what()));
            return;
        }
        switch (inventory::compare(jail, host, owned_.recorded(inner))) {
            case inventory::Sameness::same: return;
            case inventory::Sameness::other_type: b.add(inner, different_type(hp, inner, S_ISLNK(st.st_mode))); return;
            case inventory::Sameness::other_target: b.add(inner, different_symlink(hp, inner)); return;
            case inventory::Sameness::other_size: b.add(inner, different_size(hp, inner)); return;
            case inventory::Sameness::compare_bytes: compare_contents(b, dirfd, hostfd, name, inner, hp, st); return;
        }
    }

    void compare_contents(Batch& b, int dirfd, int hostfd, const std::string& name, const std::string& inner,
                          const std::string& hp, const struct stat& st) {
        int jfd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (jfd < 0) {
            b.add(inner, unreadable(hp, errtext(errno)));
            return;
        }
        UniqueFd j(jfd);
        int hfd = ::openat(hostfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (hfd < 0) {
            b.add(inner, unreadable(inner, errtext(errno)));
            return;
        }
        UniqueFd h(hfd);
        struct stat js {
        }, hs{};
        if (::fstat(jfd, &js) != 0 || ::fstat(hfd, &hs) != 0 || !S_ISREG(js.st_mode) || !S_ISREG(hs.st_mode) ||
            js.st_ino != st.st_ino) {
            b.add(inner, unreadable(hp, "changed while it was checked"));
            return;
        }
        if (js.st_size != hs.st_size) {
            b.add(inner, different_size(hp, inner));
            return;
        }
        const inventory::ContentResult r = inventory::compare_content(jfd, hfd);
        if (r.kind == inventory::ContentResult::read_error)
            b.add(inner, unreadable(r.jail_side ? hp : inner, errtext(r.err)));
        else if (r.kind == inventory::ContentResult::differ)
            b.add(inner, different_content(hp, inner));
    }

    // ---- ELF closure
    //
    // A program (a dynamic ELF file for this host with PT_INTERP) must find
    // its interpreter and its whole library closure inside the jail. The
    // closure is the resolver's (jk/resolver.hpp: ld.so's own search,
    // hwcaps subdirectories and the loader's refusals included), run over
    // the jail's root fd with the jail's ld.so.cache, so every path is
    // resolved beneath the jail as the loader sees it after chroot. A shared
    // library is checked as part of the programs that load it: on its own it
    // may rely on a program's search path (as systemd's private libraries
    // do), so checking it alone would report libraries that are there.

    void check_program(Batch& b, const std::string& inner, const std::string& hp, const struct stat& st,
                       PerThread& mine) {
        if (!thin_.libraries || !(st.st_mode & 0111) || st.st_size < 52) return;
        elf::Resolution res;
        try {
            res = mine.resolver.resolve(inner);
        } catch (const ElfError& e) {
            if (e.path() == inner) {
                note(std::string("not checking the libraries of a malformed ELF file: ") + hp + ": " + e.what());
                return;
            }
            // A library the loader would find and refuse: the program
            // cannot start in the jail.
            b.add(inner, unloadable(hp, e.what()));
            return;
        } catch (const SysError&) {
            return;  // an unreadable file is reported by the comparison
        }
        if (!res.dynamic() || res.interpreter.empty()) return;
        if (!regular_in_jail(mine, res.interpreter)) b.add(inner, missing_interpreter(hp, res.interpreter));
        std::vector<std::string> reported;
        for (const auto& m : res.missing) {
            if (std::find(reported.begin(), reported.end(), m.name) != reported.end()) continue;
            reported.push_back(m.name);
            Finding f = missing_library(hp, m.name);
            if (m.needed_by != inner)
                f.message = "ERROR: " + str(hp) + " needs " + str(m.name) + " (for " +
                            str(jail_.host_path(m.needed_by)) + "), which is not in the jail";
            b.add(inner, std::move(f));
        }
    }

    // A regular file at `inner`, resolved beneath the jail as the loader
    // would see it after chroot.
    bool regular_in_jail(PerThread& mine, const std::string& inner) {
        auto it = mine.regular.find(inner);
        if (it != mine.regular.end()) return it->second;
        bool ok = false;
        try {
            UniqueFd fd = jail_.open(inner, O_PATH);
            struct stat st {};
            ok = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
        } catch (const Error&) {
            ok = false;
        }
        mine.regular.emplace(inner, ok);
        return ok;
    }

    const Jail& jail_;
    const Options& opt_;
    const ThinView thin_;
    dev_t dev_ = 0;
    inventory::Owned owned_;
    elf::SearchConfig search_;  // the jail's loader: its ld.so.cache, beneath its root fd

    std::mutex mutex_;  // queue_, active_
    std::condition_variable wake_;
    std::vector<Task> queue_;
    int active_ = 0;

    std::mutex result_mutex_;  // found_, failure_, note calls
    std::vector<std::pair<std::string, Finding>> found_;
    std::vector<Finding> early_;  // about the jail as a whole (before the walk)
    std::exception_ptr failure_;
};

// Where an entry puts the jail's logins in the cgroup tree, for the note
// beside the policy; nullopt when it puts them nowhere or cannot (that is an
// error host_cannot_apply reports).
std::optional<std::string> cgroup_placement(const isolation::Policy& p) {
    try {
        switch (cgroup::placer_for(p, systemd::booted())) {
            case cgroup::Placer::none: return std::nullopt;
            case cgroup::Placer::delegate:
                return "each login is placed in " + p.cgroup_delegate + "/" + p.slice + "/" +
                       std::string(cgroup::logins_dir) + " (delegated cgroup)";
            case cgroup::Placer::systemd:
                return "each login is placed in a systemd transient scope in " + p.slice +
                       (p.cgroup.any() ? ", its limits set on the slice" : "") + " (systemd's D-Bus API)";
        }
    } catch (const Error&) {
    }
    return std::nullopt;
}

}  // namespace

std::size_t check_jail(const std::string& jail_arg, const users::PasswdFile& host_passwd, const Options& options) {
    std::size_t count = 0;
    auto emit = [&](const Finding& f) {
        ++count;
        if (options.report) options.report(f);
    };
    std::string path;
    try {
        path = normalize_absolute(jail_arg);
    } catch (const Error& e) {
        emit(unreadable(jail_arg, e.what()));
        return count;
    }

    // 1. Jail safety: a finding, then an unchecked open so the rest is reported.
    std::optional<Jail> jail;
    try {
        jail.emplace(Jail::open(path));
    } catch (const UnsafePath& e) {
        emit(unsafe_jail(path, e.what()));
    } catch (const Error&) {
        // reported by the unchecked open below (missing, not a directory...)
    }
    if (!jail) {
        try {
            jail.emplace(Jail::open_unchecked(path));
        } catch (const Error& e) {
            emit(unreadable(path, e.what()));
            return count;
        }
    }

    // The isolation policy, read before the walk: a thin jail is walked as
    // its plan makes it (its findings come with the policy's, under 6).
    const std::string policy_file = isolation::policy_path(JK_SYSCONFDIR, path);
    std::optional<isolation::Policy> policy;
    std::optional<std::string> policy_refused;
    try {
        policy = isolation::load_policy(JK_SYSCONFDIR, path);
    } catch (const Error& e) {
        policy_refused = e.what();
    }
    auto note = [&](const std::string& s) {
        if (options.note) options.note(s);
    };
    ThinView thin;
    std::vector<Finding> thin_findings;
    std::optional<Jail> assembled;
    if (policy && policy->thin()) {
        thin.binds = policy->ro_binds;
        for (const auto& p : isolation::check_thin_plan(*policy, jail->fd(), path))
            thin_findings.push_back(thin_bind(path, p.path, p.reason));
        std::string why = "its binds are refused";
        if (thin_findings.empty()) {
            try {
                assembled.emplace(jail->reached_through(isolation::assemble_thin(*policy, jail->fd(), path)));
            } catch (const Error& e) {
                why = std::string("it cannot be assembled here: ") + e.what();
            }
        }
        thin.libraries = assembled.has_value();
        if (assembled)
            note("thin jail " + path + " assembled as at entry: libraries are looked up in what the host binds");
        else
            note("not checking the libraries of the programs in the thin jail " + path + ": " + why);
    }

    // 2-4. One walk: permissions, setuid, content, ELF closure.
    for (const auto& f : Walker(assembled ? *assembled : *jail, options, thin).run()) emit(f);

    // 5. passwd both ways.
    std::optional<users::PasswdFile> jail_passwd;
    try {
        users::JailUserTexts texts = users::read_jail_users(*jail);
        if (texts.passwd) {
            jail_passwd = users::parse_passwd(*texts.passwd, jail->host_path("/etc/passwd"), users::Malformed::skip);
            for (const auto& w : jail_passwd->warnings)
                emit(make(Severity::warning, "passwd", jail->host_path("/etc/passwd"), "WARNING: " + str(w)));
        }
    } catch (const Error& e) {
        emit(unreadable(jail->host_path("/etc/passwd"), e.what()));
    }
    for (const auto& f : compare_passwd(path, jail_passwd, host_passwd)) emit(f);

    // 6. The isolation policy: one an entry would refuse is an error here,
    // and so is a thin jail's bind.
    if (policy_refused)
        emit(make(Severity::error, "policy", policy_file,
                  "ERROR: the isolation policy of " + path +
                      " is refused, every entry into the jail fails: " + *policy_refused));
    for (const auto& f : thin_findings) emit(f);
    if (policy && !policy->empty()) {
        note("jail " + path + " is isolated: " + isolation::describe(*policy));
        if (std::optional<std::string> where = cgroup_placement(*policy)) note("jail " + path + ": " + *where);
        for (const auto& why : isolation::host_cannot_apply(*policy))
            emit(make(Severity::error, "policy-host", policy_file,
                      "ERROR: this host cannot isolate " + path + " as its policy asks, every entry fails: " + why));
    }
    return count;
}

}  // namespace jk::check
