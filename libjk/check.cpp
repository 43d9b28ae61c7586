// jk_check's logic: pure finding/JSON/ignore/passwd code first, then the
// walking layer (see check.hpp for its MUST list).
#include "jk/check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "jk/elf.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/jail.hpp"
#include "jk/ldso.hpp"
#include "jk/manifest.hpp"
#include "jk/path.hpp"
#include "jk/resolver.hpp"
#include "jk/sys.hpp"

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

bool prefix_ignored(const std::vector<std::string>& items, std::string_view path) {
    for (const auto& item : items) {
        if (item.empty()) continue;
        if (path.starts_with(item)) return true;
        // "/j/tmp/" written for the directory "/j/tmp".
        if (item.size() == path.size() + 1 && item.back() == '/' && std::string_view(item).starts_with(path))
            return true;
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

// Length of the valid UTF-8 sequence starting at s[i], or 0 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xbf) return 0;
    return n;
}

}  // namespace

std::string json_escape(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + 8);
    for (std::size_t i = 0; i < bytes.size();) {
        auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_length(bytes, i);
            if (n == 0) {
                append_hex_escape(out, c, "\\u00");
                ++i;
            } else {
                out.append(bytes.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7f)
                    append_hex_escape(out, c, "\\u00");
                else
                    out += static_cast<char>(c);
        }
        ++i;
    }
    return out;
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

bool chrootsh_shell(std::string_view shell) {
    return shell == "/usr/sbin/jk_chrootsh" || shell == "/sbin/jk_chrootsh";
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
            out.push_back(
                make(Severity::warning, "passwd", passwd_path,
                     "WARNING: user " + str(h.name) + " has a /./ but does not have the /usr/sbin/jk_chrootsh shell"));
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

// Files a jail holds its own version of by design: the loader cache
// ldconfig -r built for the jail, the filtered user files (checked by the
// passwd comparison instead) and the suite's manifest.
bool jail_specific(std::string_view inner) {
    static constexpr std::string_view own[] = {"/etc/ld.so.cache", "/etc/passwd",  "/etc/group",
                                               "/etc/shadow",      "/etc/gshadow", manifest::path_in_jail};
    return std::find(std::begin(own), std::end(own), inner) != std::end(own);
}

long long ns(const struct timespec& t) {
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

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

// What the ELF closure check needs of one object, read once.
struct Object {
    bool elf = false;               // a regular file with the ELF magic that parsed
    const elf::Abi* abi = nullptr;  // the host ABI it is for, nullptr when foreign
    elf::ElfInfo info;
};

class Walker {
public:
    Walker(const Jail& jail, const Options& opt) : jail_(jail), opt_(opt) {}

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
        abis_ = elf::host_abis();
        load_manifest();
        load_cache();
        {
            Batch b;
            check_dir_mode(b, "", jail_.path(), st);
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
                directory(b, t);
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
            manifest_ = manifest::load(jail_);
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
            cache_ = elf::parse_ld_so_cache(bytes, shown_path);
        } catch (const Error& e) {
            early_.push_back(make(Severity::warning, "ld-so-cache", shown_path,
                                  "WARNING: " + str(e.what()) + ", ignoring the jail's ld.so.cache"));
        }
    }

    // ---- per directory

    void directory(Batch& b, const Task& t) {
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
        for (const auto& name : list(b, dir.get(), t.inner)) entry(b, dir.get(), host.get(), t.inner, name);
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
    void entry(Batch& b, int dirfd, int hostfd, const std::string& inner, const std::string& name) {
        const std::string child = inner + "/" + name;
        const std::string hp = jail_.host_path(child);
        if (prefix_ignored(opt_.ignores.everywhere, hp)) return;
        struct stat st {};
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) b.add(child, unreadable(hp, errtext(errno)));
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            check_dir_mode(b, child, hp, st);
            if (st.st_dev != dev_) {
                note("not descending into " + hp + ": another file system is mounted there");
                return;
            }
            b.subdirs.push_back(Task{child, st});
        } else if (S_ISREG(st.st_mode)) {
            check_setuid(b, child, hp, st);
            if (hostfd >= 0 && !prefix_ignored(opt_.ignores.on_compare, hp) && !jail_specific(child))
                compare_regular(b, dirfd, hostfd, name, child, hp, st);
            check_program(b, dirfd, name, child, hp, st);
        } else if (S_ISLNK(st.st_mode)) {
            if (hostfd >= 0 && !prefix_ignored(opt_.ignores.on_compare, hp))
                compare_symlink(b, dirfd, hostfd, name, child, hp);
        }
    }

    void check_dir_mode(Batch& b, const std::string& key, const std::string& hp, const struct stat& st) {
        if ((st.st_mode & S_IWGRP) && !prefix_ignored(opt_.ignores.writable_group, hp)) b.add(key, writable(hp, true));
        if ((st.st_mode & S_IWOTH) && !prefix_ignored(opt_.ignores.writable_others, hp))
            b.add(key, writable(hp, false));
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

    void compare_symlink(Batch& b, int dirfd, int hostfd, const std::string& name, const std::string& inner,
                         const std::string& hp) {
        struct stat hs {};
        if (::fstatat(hostfd, name.c_str(), &hs, AT_SYMLINK_NOFOLLOW) != 0) return;  // the admin's own
        if (!S_ISLNK(hs.st_mode)) {
            b.add(inner, different_type(hp, inner, true));
            return;
        }
        try {
            if (sys::readlink_at(dirfd, name) != sys::readlink_at(hostfd, name))
                b.add(inner, different_symlink(hp, inner));
        } catch (const Error& e) {
            b.add(inner, unreadable(hp, e.what()));
        }
    }

    void compare_regular(Batch& b, int dirfd, int hostfd, const std::string& name, const std::string& inner,
                         const std::string& hp, const struct stat& st) {
        struct stat hs {};
        if (::fstatat(hostfd, name.c_str(), &hs, 0) != 0) return;  // only in the jail: the admin's own
        if (!S_ISREG(hs.st_mode)) {
            b.add(inner, different_type(hp, inner, false));
            return;
        }
        if (hs.st_size != st.st_size) {
            b.add(inner, different_size(hp, inner));
            return;
        }
        if (hs.st_dev == st.st_dev && hs.st_ino == st.st_ino) return;  // a hardlink: the same file
        // The manifest proves the jail file is the copy it recorded (same
        // inode, ctime untouched since: any write, chmod or utimes moves the
        // ctime, and nobody can set it back) of a host file that has not
        // changed since (same size and mtime).
        auto it = manifest_.entries.find(inner);
        if (it != manifest_.entries.end()) {
            const manifest::Entry& e = it->second;
            if ((e.type == 'f' || e.type == 'h') && e.ino == st.st_ino && e.ctime_ns == ns(st.st_ctim) &&
                e.size == hs.st_size && e.mtime_ns == ns(hs.st_mtim))
                return;
        }
        compare_contents(b, dirfd, hostfd, name, inner, hp, st);
    }

    void compare_contents(Batch& b, int dirfd, int hostfd, const std::string& name, const std::string& inner,
                          const std::string& hp, const struct stat& st) {
        int jfd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (jfd < 0) {
            b.add(inner, unreadable(hp, errtext(errno)));
            return;
        }
        UniqueFd j(jfd);
        int hfd = ::openat(hostfd, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
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
        constexpr std::size_t block = std::size_t{64} * 1024;
        std::vector<char> x(block), y(block);
        for (;;) {
            ssize_t nx = read_full(jfd, x.data(), block);
            ssize_t ny = read_full(hfd, y.data(), block);
            if (nx < 0 || ny < 0) {
                b.add(inner, unreadable(nx < 0 ? hp : inner, errtext(errno)));
                return;
            }
            if (nx != ny || std::memcmp(x.data(), y.data(), static_cast<std::size_t>(nx)) != 0) {
                b.add(inner, different_content(hp, inner));
                return;
            }
            if (nx == 0) return;
        }
    }

    static ssize_t read_full(int fd, char* buf, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            ssize_t r = ::read(fd, buf + got, n - got);
            if (r < 0) {
                if (errno == EINTR) continue;
                return -1;
            }
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        return static_cast<ssize_t>(got);
    }

    // ---- ELF closure
    //
    // A program (a dynamic ELF file for this host with PT_INTERP) must find
    // its interpreter and its whole library closure inside the jail, searched
    // as ld.so searches (breadth first; DT_RPATH of the loading chain when
    // the loader has no DT_RUNPATH, DT_RUNPATH, the jail's ld.so.cache, the
    // default directories; an object already loaded under that name or
    // soname is reused). A shared library is checked as part of the programs
    // that load it: on its own it may rely on a program's search path (as
    // systemd's private libraries do), so checking it alone would report
    // libraries that are there.

    void check_program(Batch& b, int dirfd, const std::string& name, const std::string& inner, const std::string& hp,
                       const struct stat& st) {
        if (!(st.st_mode & 0111) || st.st_size < 52) return;
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) return;  // an unreadable file is reported by the comparison
        UniqueFd f(fd);
        std::shared_ptr<const Object> prog = read_object(fd, hp);
        if (!prog->elf || !prog->abi || !prog->info.has_dynamic || !prog->info.has_interp) return;
        const elf::Abi& abi = *prog->abi;
        if (!exists(prog->info.interpreter)) b.add(inner, missing_interpreter(hp, prog->info.interpreter));

        struct Item {
            std::string path;
            std::shared_ptr<const Object> obj;
            std::vector<std::string> chain;  // expanded DT_RPATH dirs of it and its loaders
        };
        std::vector<std::string> loaded_names;  // DT_NEEDED names and sonames satisfied so far
        std::vector<std::string> loaded_paths{inner};
        std::vector<Item> queue;
        queue.push_back(Item{inner, prog, own_rpath(*prog, inner, abi)});
        std::vector<std::string> reported;
        for (std::size_t qi = 0; qi < queue.size(); ++qi) {
            const Item item = queue[qi];  // copy: queue grows below
            if (item.obj->info.soname) loaded_names.push_back(*item.obj->info.soname);
            for (const auto& dep : item.obj->info.dependencies) {
                if (dep.kind != elf::Dependency::Kind::Needed) continue;
                if (std::find(loaded_names.begin(), loaded_names.end(), dep.name) != loaded_names.end()) continue;
                std::optional<std::string> found = find_library(dep.name, item.obj->info, item.path, item.chain, abi);
                if (!found) {
                    if (std::find(reported.begin(), reported.end(), dep.name) == reported.end()) {
                        reported.push_back(dep.name);
                        Finding m = missing_library(hp, dep.name);
                        if (item.path != inner)
                            m.message = "ERROR: " + str(hp) + " needs " + str(dep.name) + " (for " +
                                        str(jail_.host_path(item.path)) + "), which is not in the jail";
                        b.add(inner, std::move(m));
                    }
                    continue;
                }
                loaded_names.push_back(dep.name);
                if (std::find(loaded_paths.begin(), loaded_paths.end(), *found) != loaded_paths.end()) continue;
                loaded_paths.push_back(*found);
                std::shared_ptr<const Object> lib = object(*found);
                if (!lib->elf) continue;
                std::vector<std::string> chain =
                    lib->info.runpath ? std::vector<std::string>{} : own_rpath(*lib, *found, abi);
                chain.insert(chain.end(), item.chain.begin(), item.chain.end());
                queue.push_back(Item{*found, lib, std::move(chain)});
            }
        }
    }

    std::vector<std::string> expand_dirs(const std::string& value, const std::string& inner, const elf::Abi& abi) {
        std::string origin = path::parent_of(inner);
        if (origin.empty()) origin = "/";
        const elf::DstValues dst{origin, abi.lib, abi.platform};
        std::vector<std::string> out;
        for (const auto& d : elf::split_search_path(value)) {
            auto dir = elf::expand_dst(d, dst);
            if (dir && !dir->empty() && (*dir)[0] == '/') out.push_back(*dir);
        }
        return out;
    }

    std::vector<std::string> own_rpath(const Object& o, const std::string& inner, const elf::Abi& abi) {
        if (o.info.runpath || !o.info.rpath) return {};
        return expand_dirs(*o.info.rpath, inner, abi);
    }

    std::optional<std::string> find_library(const std::string& lib, const elf::ElfInfo& info, const std::string& inner,
                                            const std::vector<std::string>& chain, const elf::Abi& abi) {
        if (lib.find('/') != std::string::npos) {
            if (lib[0] != '/') return lib;  // relative to the working directory: not ours to judge
            return exists(lib) ? std::optional<std::string>(lib) : std::nullopt;
        }
        auto in = [&](const std::vector<std::string>& dirs) -> std::optional<std::string> {
            for (const auto& d : dirs)
                if (exists(d + "/" + lib)) return d + "/" + lib;
            return std::nullopt;
        };
        if (!info.runpath)
            if (auto got = in(chain)) return got;
        if (info.runpath)
            if (auto got = in(expand_dirs(*info.runpath, inner, abi))) return got;
        if (info.flags_1 & elf::df_1_nodeflib) return std::nullopt;
        if (cache_) {
            auto hit = elf::cache_lookup(*cache_, lib, abi.cache);
            if (hit && exists(*hit)) return hit;
        }
        for (const auto& d : abi.system_dirs)
            if (exists(d + lib)) return d + lib;
        return std::nullopt;
    }

    // Reads an object through an fd already opened beneath the jail.
    std::shared_ptr<const Object> read_object(int fd, const std::string& shown_path) {
        auto o = std::make_shared<Object>();
        std::array<char, 4> magic{};
        if (::pread(fd, magic.data(), magic.size(), 0) != 4 || !elf::looks_like_elf({magic.data(), magic.size()}))
            return o;
        try {
            o->info = elf::read_elf(fd, shown_path);
        } catch (const Error& e) {
            note(std::string("not checking the libraries of a malformed ELF file: ") + e.what());
            return o;
        }
        o->elf = true;
        for (const auto& a : abis_)
            if (a.elf_class == o->info.elf_class() && a.endian == o->info.endian() && a.machine == o->info.machine())
                o->abi = &a;
        return o;
    }

    // A library by its jail path (resolved beneath the jail), read once.
    std::shared_ptr<const Object> object(const std::string& inner) {
        {
            std::lock_guard g(objects_mutex_);
            auto it = objects_.find(inner);
            if (it != objects_.end()) return it->second;
        }
        std::shared_ptr<const Object> o = std::make_shared<Object>();
        try {
            UniqueFd fd = jail_.open(inner, O_RDONLY | O_NONBLOCK | O_NOCTTY);
            struct stat st {};
            if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) o = read_object(fd.get(), jail_.host_path(inner));
        } catch (const Error&) {
        }
        std::lock_guard g(objects_mutex_);
        return objects_.emplace(inner, o).first->second;
    }

    // A regular file at `inner`, resolved beneath the jail as the loader
    // would see it after chroot.
    bool exists(const std::string& inner) {
        {
            std::lock_guard g(objects_mutex_);
            auto it = exists_.find(inner);
            if (it != exists_.end()) return it->second;
        }
        bool ok = false;
        try {
            UniqueFd fd = jail_.open(inner, O_PATH);
            struct stat st {};
            ok = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
        } catch (const Error&) {
            ok = false;
        }
        std::lock_guard g(objects_mutex_);
        exists_.emplace(inner, ok);
        return ok;
    }

    const Jail& jail_;
    const Options& opt_;
    dev_t dev_ = 0;
    manifest::Manifest manifest_;
    std::vector<elf::Abi> abis_;
    std::optional<elf::LdCache> cache_;

    std::mutex mutex_;  // queue_, active_
    std::condition_variable wake_;
    std::vector<Task> queue_;
    int active_ = 0;

    std::mutex result_mutex_;  // found_, failure_, note calls
    std::vector<std::pair<std::string, Finding>> found_;
    std::vector<Finding> early_;  // about the jail as a whole (before the walk)
    std::exception_ptr failure_;

    std::mutex objects_mutex_;  // objects_, exists_
    std::unordered_map<std::string, std::shared_ptr<const Object>> objects_;
    std::unordered_map<std::string, bool> exists_;
};

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

    // 2-4. One walk: permissions, setuid, content, ELF closure.
    for (const auto& f : Walker(*jail, options).run()) emit(f);

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
    return count;
}

}  // namespace jk::check
