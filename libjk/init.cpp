// jk_init's logic (see init.hpp for the contract and the MUST list).
#include "jk/init.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <unordered_set>

#include "jk/copy.hpp"
#include "jk/dpkg_db.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/manifest.hpp"
#include "jk/path.hpp"
#include "jk/search_path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/thin_plan.hpp"
#include "jk/trust.hpp"
#include "jk/users.hpp"

namespace jk::init {

namespace {

void append_unique(std::vector<std::string>& to, std::unordered_set<std::string>& seen,
                   const std::vector<std::string>& items) {
    for (const auto& i : items)
        if (seen.insert(i).second) to.push_back(i);
}

// The deprecated synonyms of `paths` (jailkit 2.23's man page): all mean
// "host paths to copy".
constexpr std::string_view path_keys[] = {"paths", "executables", "regularfiles", "directories", "libraries"};

struct Resolver {
    const config::IniFile& ini;
    Request req;
    std::unordered_set<std::string> visited;
    std::unordered_set<std::string> seen_paths, seen_owner, seen_setuid, seen_devices, seen_dirs, seen_users,
        seen_groups, seen_packages, seen_blocks, seen_do_not_copy;

    std::vector<std::string> list(const config::Section& s, std::string_view key) {
        return s.get_list(key, &req.warnings).value_or(std::vector<std::string>{});
    }

    // Unknown keys, checked on the section as written (DEFAULT's own keys
    // are checked once, on DEFAULT).
    void check_keys(const config::Section& s) {
        for (auto& w : config::unknown_keys(
                 s, {"comment", "paths", "executables", "regularfiles", "directories", "libraries", "paths_w_owner",
                     "paths_w_setuid", "users", "groups", "devices", "emptydirs", "includesections", "need_logsocket",
                     "need_proc", "packages", "usedepends", "blockdepends", "donotcopy"}))
            req.warnings.push_back(std::move(w));
    }

    void section(const std::string& raw_name) {
        const std::string name = config::normalize_section_name(raw_name);
        if (!visited.insert(name).second) return;  // once per run; cycles end here
        std::optional<config::Section> s = ini.with_defaults(name);
        if (!s || s->is_default()) {
            req.missing_sections.push_back(name);
            return;
        }
        check_keys(*ini.find(name));
        // Included sections first, depth-first (jailkit's order).
        for (const auto& inc : list(*s, "includesections")) section(inc);
        req.sections.push_back(name);
        for (std::string_view k : path_keys) append_unique(req.paths, seen_paths, list(*s, k));
        append_unique(req.owner_paths, seen_owner, list(*s, "paths_w_owner"));
        append_unique(req.setuid_paths, seen_setuid, list(*s, "paths_w_setuid"));
        append_unique(req.devices, seen_devices, list(*s, "devices"));
        append_unique(req.emptydirs, seen_dirs, list(*s, "emptydirs"));
        append_unique(req.users, seen_users, list(*s, "users"));
        append_unique(req.groups, seen_groups, list(*s, "groups"));
        // A package is listed once, in the first section that names it; a
        // later section with usedepends still gets its closure.
        std::vector<std::string> pkgs = list(*s, "packages");
        if (section_flag(*s, "usedepends")) {
            for (const auto& p : pkgs)
                if (std::find(req.depends_packages.begin(), req.depends_packages.end(), p) ==
                    req.depends_packages.end())
                    req.depends_packages.push_back(p);
        }
        append_unique(req.packages, seen_packages, pkgs);
        append_unique(req.block_depends, seen_blocks, list(*s, "blockdepends"));
        append_unique(req.do_not_copy, seen_do_not_copy, list(*s, "donotcopy"));
        if (section_flag(*s, "need_logsocket")) req.need_logsocket = true;
        if (section_flag(*s, "need_proc")) {
            req.need_proc = true;
            const config::Entry* e = s->find("need_proc");
            req.warnings.push_back(s->file() + ":" + std::to_string(e->line) + ": need_proc in section [" + name +
                                   "] is not supported (jk_init does not edit /etc/fstab or mount anything; "
                                   "mount proc in the jail yourself), ignoring");
        }
    }
};

}  // namespace

bool section_flag(const config::Section& section, std::string_view key) {
    const config::Entry* e = section.find(key);
    if (!e || text::trim(e->value).empty()) return false;
    return section.get_bool(key).value_or(false);
}

Request resolve(const config::IniFile& ini, const std::vector<std::string>& names) {
    Resolver r{ini, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    if (const config::Section* d = ini.find("DEFAULT")) r.check_keys(*d);
    for (const auto& n : names) r.section(n);
    // DEFAULT's findings come once per section that inherits them: keep one.
    std::vector<std::string> unique;
    std::unordered_set<std::string> seen;
    append_unique(unique, seen, r.req.warnings);
    r.req.warnings = std::move(unique);
    return std::move(r.req);
}

std::vector<SectionInfo> list_sections(const config::IniFile& ini) {
    std::vector<SectionInfo> out;
    for (const auto& s : ini.sections()) {
        if (s.is_default()) continue;
        std::optional<config::Section> merged = ini.with_defaults(s.name());
        out.push_back({s.name(), merged ? merged->get_string("comment").value_or("") : ""});
    }
    std::sort(out.begin(), out.end(), [](const SectionInfo& a, const SectionInfo& b) { return a.name < b.name; });
    return out;
}

bool has_glob(std::string_view s) {
    return s.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> nss_services(std::string_view text) {
    static const std::set<std::string, std::less<>> databases = {"passwd",  "group",      "shadow",
                                                                 "gshadow", "initgroups", "hosts"};
    static const std::set<std::string, std::less<>> builtin = {"files", "dns"};
    std::vector<std::string> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        if (!databases.count(text::trim(line.substr(0, colon)))) continue;
        std::string_view rest = line.substr(colon + 1);
        bool in_action = false;
        std::string word;
        auto flush = [&] {
            if (!word.empty() && !builtin.count(word) && std::find(out.begin(), out.end(), word) == out.end())
                out.push_back(word);
            word.clear();
        };
        for (char c : rest) {
            if (in_action) {
                if (c == ']') in_action = false;
            } else if (c == '[') {
                flush();
                in_action = true;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                flush();
            } else {
                word += c;
            }
        }
        flush();
    }
    // A service name is a module name: refuse anything that could walk a path.
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const std::string& s) { return s.find('/') != std::string::npos || s == ".."; }),
              out.end());
    return out;
}

std::string log_socket_name(const std::string& jail) {
    std::string j = jail;
    while (j.size() > 1 && j.back() == '/') j.pop_back();
    return j + "/dev/log";
}

std::optional<std::string> add_log_socket(std::string_view text, const std::string& jail) {
    // A line break would let the jail's name write lines of its own into
    // jk_socketd.ini (root's daemon config); ']' would end the section name
    // early, registering another path. Neither can be written as a header.
    if (jail.find_first_of(std::string_view("\n\r]\0", 4)) != std::string::npos)
        throw Error("cannot register " + quoted(log_socket_name(jail)) +
                    " in jk_socketd.ini: a line break or ']' cannot be written in a section name");
    const std::string header = "[" + log_socket_name(jail) + "]";
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        if (text::trim(rest.substr(0, nl)) == header) return std::nullopt;
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "\n" + header + "\nbase=512\npeak=2048\ninterval=10\n";
    return out;
}

// ---------------------------------------------------------------- system

std::vector<std::string> expand_item(const std::string& item, bool allow_glob) {
    if (item.find('|') != std::string::npos) {
        // "A | B": the same file where releases put it in different places
        // (Debian 12 and 13); every alternative found is used, and the item
        // is missing only when none is.
        std::vector<std::string> out;
        std::string_view rest = item;
        while (true) {
            const std::size_t bar = rest.find('|');
            const std::string_view alt = text::trim(rest.substr(0, bar));
            if (!alt.empty()) {
                std::vector<std::string> found = expand_item(std::string(alt), allow_glob);
                out.insert(out.end(), found.begin(), found.end());
            }
            if (bar == std::string_view::npos) break;
            rest.remove_prefix(bar + 1);
        }
        return out;
    }
    if (item.find('/') == std::string::npos) {
        // A bare program name, as jailkit's own ini files use ("paths = scp").
        if (auto found = search_path::locate(item)) return {*found};
        return {};
    }
    if (allow_glob && has_glob(item)) {
        glob_t g{};
        std::vector<std::string> out;
        // No GLOB_NOCHECK: a pattern matching nothing is missing, not a path.
        if (::glob(item.c_str(), 0, nullptr, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
        ::globfree(&g);
        return out;
    }
    struct stat st {};
    if (::lstat(item.c_str(), &st) != 0) return {};
    return {item};
}

std::vector<std::string> nss_module_paths(const std::vector<std::string>& services) {
    static const char* const dirs[] = {
        "/usr/lib/x86_64-linux-gnu",
        "/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib/aarch64-linux-gnu",
        "/usr/lib/i386-linux-gnu",
        "/lib/i386-linux-gnu",
        "/usr/lib/arm-linux-gnueabihf",
        "/usr/lib64",
        "/lib64",
        "/usr/lib",
        "/lib",
    };
    std::vector<std::string> out;
    for (const auto& s : services) {
        for (const char* d : dirs) {
            std::string p = std::string(d) + "/libnss_" + s + ".so.2";
            if (::access(p.c_str(), F_OK) == 0) {
                out.push_back(p);
                break;
            }
        }
    }
    return out;
}

namespace {

// mkdirat + open + fchown/fchmod on the new directory's own fd.
UniqueFd make_dir_at(int parent, const std::string& leaf, const std::string& shown, bool& created) {
    created = false;
    if (::mkdirat(parent, leaf.c_str(), 0755) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        throw SysError("cannot create directory", shown, errno);
    }
    UniqueFd fd = sys::open_at(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
    if (created) {
        if (::fchown(fd.get(), 0, 0) != 0) throw SysError("cannot chown", shown, errno);
        if (::fchmod(fd.get(), 0755) != 0) throw SysError("cannot chmod", shown, errno);
    }
    return fd;
}

// The step, in sink.report when there is one.
void note(const Sink& sink, changes::Action action, const std::string& path, const char* type,
          std::string detail = {}) {
    if (sink.report != nullptr) sink.report->add(action, path, type, std::move(detail));
}

}  // namespace

bool create_jail_dir(const std::string& path, bool dry_run) {
    UniqueFd dir = sys::open_at(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, "/");
    std::string shown;
    bool any = false;
    for (const auto& comp : path::components(path)) {
        // Each existing directory on the way is a jail's parent (or the jail).
        trust::require(dir.get(), shown.empty() ? "/" : shown, trust::jail_parent);
        shown += "/" + comp;
        int fd = ::openat(dir.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            dir = UniqueFd(fd);
            continue;
        }
        if (errno == ELOOP) throw SymlinkNotAllowed(shown);
        if (errno == ENOTDIR) {
            auto st = sys::lstat_at(dir.get(), comp);
            if (st && S_ISLNK(st->st_mode)) throw SymlinkNotAllowed(shown);
            throw UnsafePath(shown, "is not a directory");
        }
        if (errno != ENOENT) throw SysError("cannot open", shown, errno);
        if (dry_run) return true;
        bool created = false;
        dir = make_dir_at(dir.get(), comp, shown, created);
        any = any || created;
    }
    return any;
}

void make_dirs(const Jail& jail, const std::string& inner, const Sink& sink, bool verbose, bool dry_run) {
    std::string prefix;
    UniqueFd dir = jail.open("/", O_RDONLY | O_DIRECTORY);
    bool missing = false;  // a component is missing, and so is all below it (dry run)
    bool any = false;
    for (const auto& comp : path::components(inner)) {
        if (comp == ".") continue;
        if (comp == "..") throw Error("directory " + quoted(inner) + " contains '..'");
        prefix += "/" + comp;
        if (!missing) {
            // Resolved beneath the jail (a symlinked component stays inside it).
            try {
                dir = jail.open(prefix, O_RDONLY | O_DIRECTORY);
                continue;
            } catch (const SysError& e) {
                if (e.err() != ENOENT) throw;
            }
        }
        any = true;
        if (dry_run) {
            missing = true;
            note(sink, changes::Action::created, prefix, "directory");
            continue;
        }
        bool created = false;
        dir = make_dir_at(dir.get(), comp, jail.host_path(prefix), created);
        if (created) note(sink, changes::Action::created, prefix, "directory");
        if (created && verbose && sink.out) sink.out("Create directory " + jail.host_path(prefix));
    }
    if (!any) note(sink, changes::Action::unchanged, prefix.empty() ? "/" : prefix, "directory");
}

bool register_log_socket(const std::string& config_dir, const std::string& jail, bool dry_run) {
    const std::string name = "jk_socketd.ini";
    const std::string shown = config_dir + "/" + name;
    UniqueFd dir = sys::open_at(AT_FDCWD, config_dir, O_RDONLY | O_DIRECTORY, 0, config_dir);
    std::string text;
    mode_t mode = 0644;
    uid_t uid = 0;
    gid_t gid = 0;
    {
        int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            UniqueFd f(fd);
            const struct stat st = sys::fstat_fd(f.get(), shown);
            if (!S_ISREG(st.st_mode)) throw Error(quoted(shown) + " is not a regular file");
            mode = st.st_mode & 07777;
            uid = st.st_uid;
            gid = st.st_gid;
            text = sys::read_all(f.get(), shown);
        } else if (errno != ENOENT) {
            throw SysError("cannot open", shown, errno);
        }
    }
    std::optional<std::string> updated = add_log_socket(text, jail);
    if (!updated) return false;
    if (dry_run) return true;
    const std::string tmp = temp_name_for(name);
    UniqueFd out = sys::open_at(dir.get(), tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, config_dir + "/" + tmp);
    try {
        sys::write_all(out.get(), *updated, shown);
        if (::fchown(out.get(), uid, gid) != 0) throw SysError("cannot chown", config_dir + "/" + tmp, errno);
        if (::fchmod(out.get(), mode) != 0) throw SysError("cannot chmod", config_dir + "/" + tmp, errno);
        if (::fsync(out.get()) != 0) throw SysError("cannot sync", config_dir + "/" + tmp, errno);
        if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0)
            throw SysError("cannot rename into place", shown, errno);
    } catch (...) {
        // Best effort: the error being rethrown is the one to report.
        (void)::unlinkat(dir.get(), tmp.c_str(), 0);
        throw;
    }
    return true;
}

namespace {

// A numeric user or group id (0..4294967294; longer digit strings are names
// that cannot exist, so they end up "missing").
bool numeric_id(const std::string& s) {
    if (s.empty() || s.size() > 10) return false;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    return std::stoull(s) <= 4294967294ULL;
}

// The host entries for the requested users and groups (plus each user's
// primary group); names not found go to `missing`.
struct UserPlan {
    std::vector<users::PasswdEntry> passwd;
    std::vector<users::GroupEntry> group;
};

UserPlan plan_users(const Request& req, std::vector<std::string>& missing) {
    UserPlan plan;
    if (req.users.empty() && req.groups.empty()) return plan;
    users::HostUsers host = users::read_host_users(users::Malformed::skip);
    std::unordered_set<std::string> added_groups;
    auto add_group = [&](const users::GroupEntry& g) {
        if (added_groups.insert(g.name).second) plan.group.push_back(g);
    };
    for (const auto& u : req.users) {
        const users::PasswdEntry* e =
            numeric_id(u) ? users::find_uid(host.passwd, static_cast<uid_t>(std::stoul(u))) : host.passwd.find(u);
        if (!e) {
            missing.push_back("user " + u);
            continue;
        }
        plan.passwd.push_back(*e);
        if (const users::GroupEntry* g = users::find_gid(host.group, e->gid)) add_group(*g);
    }
    for (const auto& gname : req.groups) {
        const users::GroupEntry* g = numeric_id(gname)
                                         ? users::find_gid(host.group, static_cast<gid_t>(std::stoul(gname)))
                                         : host.group.find(gname);
        if (!g) {
            missing.push_back("group " + gname);
            continue;
        }
        add_group(*g);
    }
    return plan;
}

void install_users(const Jail& jail, const UserPlan& plan, const Sink& sink, bool verbose, bool dry_run) {
    if (plan.passwd.empty() && plan.group.empty()) return;
    make_dirs(jail, "/etc", sink, verbose, dry_run);
    users::JailUserTexts current;
    // In a dry run /etc may not exist yet: then neither file does.
    if (!dry_run || jail.lstat("/etc")) current = users::read_jail_users(jail);
    users::JailUserTexts next;
    const std::string passwd_name = jail.host_path("/etc/passwd");
    const std::string group_name = jail.host_path("/etc/group");
    if (!plan.passwd.empty()) {
        users::MergeResult m = users::merge_passwd(current.passwd.value_or(""), passwd_name, plan.passwd);
        for (const auto& w : m.warnings) sink.warn("warning: " + w);
        if (m.changed || !current.passwd) next.passwd = m.text;
    }
    if (!plan.group.empty()) {
        users::MergeResult m = users::merge_group(current.group.value_or(""), group_name, plan.group);
        for (const auto& w : m.warnings) sink.warn("warning: " + w);
        if (m.changed || !current.group) next.group = m.text;
    }
    auto noted = [&](const std::optional<std::string>& now, const std::optional<std::string>& was, bool asked,
                     const char* inner) {
        if (!asked) return;
        note(sink,
             !now  ? changes::Action::unchanged
             : was ? changes::Action::updated
                   : changes::Action::created,
             inner, "file");
    };
    noted(next.passwd, current.passwd, !plan.passwd.empty(), "/etc/passwd");
    noted(next.group, current.group, !plan.group.empty(), "/etc/group");
    if (dry_run) return;
    if (next.passwd || next.group) {
        users::write_jail_users(jail, next);
        if (verbose && sink.out) {
            if (next.passwd) sink.out("Updating " + passwd_name);
            if (next.group) sink.out("Updating " + group_name);
        }
    }
}

// ---- thin jails (MUST 6)

// A system root the host has as a symlink (merged /usr: bin -> usr/bin):
// the thin jail gets the same link and an empty directory where it leads.
struct RootLink {
    std::string root;    // "/bin"
    std::string target;  // "usr/bin", as the host's link reads
    std::string dir;     // "/usr/bin": where it leads, from "/"
};

// What a thin jail needs besides its copies, worked out before anything is
// written (MUST 1).
struct ThinLayout {
    std::vector<RootLink> links;
    std::vector<std::string> binds;  // tidy, each source checked as the entry checks it
    std::vector<bool> bind_is_dir;   // for each bind
    std::string policy;              // the policy file's new text
};

bool covered_by(const std::string& path, const std::vector<std::string>& binds) {
    return std::any_of(binds.begin(), binds.end(), [&](const std::string& b) { return thin::within(path, b); });
}

// `extra` are section paths that are neither system nor copied (/opt/x).
ThinLayout plan_thin(const Options& options, const std::string& jail_path, std::vector<std::string> extra,
                     const std::optional<std::string>& wanted) {
    ThinLayout t;
    std::vector<std::string> binds = std::move(extra);
    for (std::string_view r : thin::system_roots) {
        const std::string root(r);
        struct stat st {};
        if (::lstat(root.c_str(), &st) != 0) continue;
        if (S_ISLNK(st.st_mode)) {
            const std::string target = sys::readlink_at(AT_FDCWD, root);
            t.links.push_back({root, target, normalize_absolute(target.front() == '/' ? target : "/" + target)});
        } else if (S_ISDIR(st.st_mode)) {
            binds.push_back(root);
        }
    }
    struct stat cache {};
    if (::lstat(std::string(thin::ld_cache).c_str(), &cache) == 0 && S_ISREG(cache.st_mode))
        binds.emplace_back(thin::ld_cache);
    // A link leading out of every bound root (an odd host) gets its own bind.
    for (const auto& l : t.links)
        if (!covered_by(l.dir, binds)) binds.push_back(l.dir);
    t.binds = thin::tidy_binds(std::move(binds));
    for (const auto& b : t.binds) {
        struct stat st {};
        if (::lstat(b.c_str(), &st) != 0) throw SysError("cannot bind into the thin jail", b, errno);
        const bool dir = S_ISDIR(st.st_mode);
        try {
            // The entry's own check of a source (namespaces.cpp): refuse now
            // what would make every login into the jail fail.
            (void)trust::open_checked(b, dir ? trust::system_source_dir : trust::system_source_file, O_PATH);
        } catch (const UnsafePath& e) {
            throw Error("ERROR: " + quoted(b) + " cannot be bound into a thin jail: " + e.what());
        }
        t.bind_is_dir.push_back(dir);
    }
    if (wanted) {
        t.policy = thin::set_section(*wanted, t.binds);
        (void)isolation::parse_policy(t.policy, isolation::policy_path(options.confdir, jail_path), jail_path);
    } else {
        t.policy = thin::planned_policy(options.confdir, jail_path, t.binds);
    }
    return t;
}

bool in_system_root(std::string_view inner) {
    return std::any_of(std::begin(thin::system_roots), std::end(thin::system_roots),
                       [&](std::string_view r) { return thin::within(inner, r); });
}

// Whether every entry of the jail's directory `inner` is in `gone` (a dry
// run's removals so far): then removing them would leave it empty.
bool only_these_inside(const Jail& jail, const std::string& inner, const std::unordered_set<std::string>& gone) {
    UniqueFd dir;
    try {
        dir = jail.open(inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (const SysError&) {
        return false;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dir.release()), ::closedir);
    if (!d) return false;
    while (const dirent* ent = ::readdir(d.get())) {
        const std::string name = ent->d_name;
        if (name == "." || name == "..") continue;
        if (!gone.count(inner + "/" + name)) return false;
    }
    return true;
}

// Removes what the manifest records as copied under the system roots (a
// copy jail made thin), deepest directories last; the root links the thin
// jail keeps stay. An entry that is no longer the one copied is left, with
// a warning.
// In a dry run, returns what it would remove (the jail still has it).
std::unordered_set<std::string> drop_system_copies(const Jail& jail, const ThinLayout& t, const Sink& sink,
                                                   bool verbose, bool dry_run) {
    manifest::Manifest m = manifest::load(jail);
    std::vector<manifest::Entry> files, dirs;
    for (const auto& entry : m.entries) {
        const std::string& inner = entry.first;
        const manifest::Entry& e = entry.second;
        if (!in_system_root(inner)) continue;
        const bool kept_link = e.type == 'l' && std::any_of(t.links.begin(), t.links.end(),
                                                            [&](const RootLink& l) { return l.root == inner; });
        if (!kept_link) (e.type == 'd' ? dirs : files).push_back(e);
    }
    if (files.empty() && dirs.empty()) return {};
    std::sort(dirs.begin(), dirs.end(),
              [](const manifest::Entry& a, const manifest::Entry& b) { return a.path.size() > b.path.size(); });
    files.insert(files.end(), dirs.begin(), dirs.end());
    unsigned removed = 0;
    std::unordered_set<std::string> gone;  // removed, or in a dry run to be
    for (const auto& e : files) {
        const std::string shown = jail.host_path(e.path);
        const bool dir = e.type == 'd';
        const char* type = dir ? "directory" : e.type == 'l' ? "symlink" : "file";
        std::optional<Jail::Parent> p;
        try {
            p = jail.open_parent(e.path);
        } catch (const SysError& err) {
            if (err.err() != ENOENT && err.err() != ENOTDIR) throw;
        }
        const std::optional<struct stat> now = p ? sys::lstat_at(p->dir.get(), p->leaf) : std::nullopt;
        if (!now) {
            m.entries.erase(e.path);
            continue;
        }
        if ((now->st_mode & S_IFMT) != manifest::stat_type(e.type) ||
            (!dir && e.ino != manifest::replacing && now->st_ino != e.ino)) {
            sink.warn("warning: " + quoted(shown) + " is not the copy jk_init made, leaving it");
            note(sink, changes::Action::unchanged, e.path, type, "not the copy jk_init made");
            continue;
        }
        if (dry_run) {
            // A directory still holding what stays would stay.
            if (dir && !only_these_inside(jail, e.path, gone)) {
                note(sink, changes::Action::unchanged, e.path, type, "holds files jk_init did not copy");
                continue;
            }
            gone.insert(e.path);
            note(sink, changes::Action::removed, e.path, type, "the host's, bound instead");
            continue;
        }
        if (::unlinkat(p->dir.get(), p->leaf.c_str(), dir ? AT_REMOVEDIR : 0) != 0) {
            // A directory still holding the admin's files stays.
            if (dir && (errno == ENOTEMPTY || errno == EEXIST)) {
                note(sink, changes::Action::unchanged, e.path, type, "holds files jk_init did not copy");
                continue;
            }
            throw SysError("cannot remove", shown, errno);
        }
        m.entries.erase(e.path);
        note(sink, changes::Action::removed, e.path, type, "the host's, bound instead");
        ++removed;
    }
    if (dry_run) return gone;
    manifest::save(jail, m);
    if (verbose && sink.out) sink.out("Removed " + std::to_string(removed) + " copied system files");
    return {};
}

// The files under the jail's system directories that jk_init did not copy:
// the binds hide them, so they are named, never removed.
void list_unknown(int dirfd, const std::string& inner, const std::string& shown, std::vector<std::string>& out,
                  const std::unordered_set<std::string>& gone, int depth) {
    if (depth > 64) return;
    const int dupfd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dupfd < 0) throw SysError("cannot open", shown, errno);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dupfd), ::closedir);
    if (!d) {
        const int err = errno;
        ::close(dupfd);
        throw SysError("cannot read", shown, err);
    }
    while (const dirent* ent = ::readdir(d.get())) {
        const std::string name = ent->d_name;
        if (name == "." || name == "..") continue;
        const std::string child = shown + "/" + name;
        const std::string child_inner = inner + "/" + name;
        const std::optional<struct stat> st = sys::lstat_at(dirfd, name);
        if (!st) continue;
        if (!S_ISDIR(st->st_mode)) {
            if (!gone.count(child_inner)) out.push_back(child);
            continue;
        }
        UniqueFd sub = sys::open_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, child);
        list_unknown(sub.get(), child_inner, child, out, gone, depth + 1);
    }
}

// `gone`: what a dry run would have removed first.
void warn_unknown(const Jail& jail, const Sink& sink, const std::unordered_set<std::string>& gone) {
    std::vector<std::string> unknown;
    for (std::string_view r : thin::system_roots) {
        const std::string root(r);
        const auto st = jail.lstat(root);
        if (!st || !S_ISDIR(st->st_mode)) continue;
        UniqueFd dir = jail.open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        list_unknown(dir.get(), root, jail.host_path(root), unknown, gone, 0);
    }
    constexpr std::size_t shown_max = 20;
    for (std::size_t i = 0; i < unknown.size() && i < shown_max; ++i)
        sink.warn("warning: " + quoted(unknown[i]) +
                  " was not copied by jk_init (not in the jail's manifest), leaving it; the thin jail's binds hide it");
    if (unknown.size() > shown_max)
        sink.warn("warning: ... and " + std::to_string(unknown.size() - shown_max) + " more such files");
}

// The system directories, root links and mount points of a thin jail, each
// checked as the entry checks it.
// `gone`: what a dry run would have removed first (absent from then on).
void build_thin(const Jail& jail, const ThinLayout& t, const Sink& sink, bool verbose, bool dry_run,
                const std::unordered_set<std::string>& gone) {
    // Every component make_mount_point would create, recorded as it goes
    // (in a dry run, what an earlier call would have made exists).
    std::unordered_set<std::string> made;
    auto mount_point = [&](const std::string& inner, bool directory) {
        std::vector<std::string> missing;
        std::string prefix;
        bool absent = false;
        for (const auto& c : path::components(inner)) {
            prefix += "/" + c;
            absent = absent || (!made.count(prefix) && (gone.count(prefix) > 0 || !jail.lstat(prefix)));
            if (absent) missing.push_back(prefix);
        }
        made.insert(missing.begin(), missing.end());
        const bool created = !dry_run && thin::make_mount_point(jail, inner, directory);
        for (const auto& m : missing)
            note(sink, changes::Action::created, m, m == inner && !directory ? "file" : "directory",
                 m == inner ? "mount point" : "");
        if (created && verbose && sink.out) sink.out("Create mount point " + jail.host_path(inner));
    };
    // A copy jail's cache (ldconfig -r) gives way to an empty placeholder:
    // the host's is bound over it.
    if (std::find(t.binds.begin(), t.binds.end(), thin::ld_cache) != t.binds.end()) {
        const auto st = jail.lstat(thin::ld_cache);
        if (st && S_ISREG(st->st_mode) && st->st_size != 0) {
            note(sink, changes::Action::updated, std::string(thin::ld_cache), "file", "emptied: the host's is bound");
            if (!dry_run) jail.replace_file(thin::ld_cache, "", 0644, 0, 0);
        }
    }
    for (std::size_t i = 0; i < t.binds.size(); ++i) mount_point(t.binds[i], t.bind_is_dir[i]);
    // The directories first: Jail::open refuses a root link leading nowhere.
    for (const auto& l : t.links) mount_point(l.dir, true);
    for (const auto& l : t.links) {
        const std::string leaf = l.root.substr(1);
        const auto st = gone.count(l.root) ? std::nullopt : sys::lstat_at(jail.fd(), leaf);
        if (!st) {
            note(sink, changes::Action::created, l.root, "symlink", "-> " + l.target);
            if (dry_run) continue;
            if (::symlinkat(l.target.c_str(), jail.fd(), leaf.c_str()) != 0)
                throw SysError("cannot create symlink", jail.host_path(l.root), errno);
            if (::fchownat(jail.fd(), leaf.c_str(), 0, 0, AT_SYMLINK_NOFOLLOW) != 0)
                throw SysError("cannot chown", jail.host_path(l.root), errno);
            if (verbose && sink.out) sink.out("Create symlink " + jail.host_path(l.root) + " -> " + l.target);
        } else if (!S_ISLNK(st->st_mode) || sys::readlink_at(jail.fd(), leaf) != l.target) {
            sink.warn("warning: " + quoted(jail.host_path(l.root)) + " is not the host's symlink " + l.root + " -> " +
                      l.target + ", leaving it");
        }
    }
}

// A jail's [thin] section, if its policy file has one.
std::optional<std::string> thin_policy_text(const Options& options, const std::string& jail_path) {
    std::optional<std::string> text = thin::read_policy(options.confdir, jail_path);
    if (text && !thin::has_section(*text)) text.reset();
    return text;
}

}  // namespace

namespace {

// The jail's socket in jk_socketd.ini (recorded by the file's host path).
void log_socket(const Options& options, const std::string& jail_path, const Sink& sink) {
    const std::string dir = path::dirname(options.config_file);
    const bool added = register_log_socket(dir, jail_path, options.dry_run);
    note(sink, added ? changes::Action::updated : changes::Action::unchanged, dir + "/jk_socketd.ini", "config",
         log_socket_name(jail_path));
    if (added && options.verbose && !options.dry_run)
        sink.out("Registered " + log_socket_name(jail_path) + " in " + dir + "/jk_socketd.ini");
}

// The thin jail's policy file: created, updated or left as it is.
void note_policy(const Options& options, const std::string& jail_path, const std::string& text, const Sink& sink) {
    const std::optional<std::string> was = thin::read_policy(options.confdir, jail_path);
    const changes::Action action = !was           ? changes::Action::created
                                   : *was == text ? changes::Action::unchanged
                                                  : changes::Action::updated;
    note(sink, action, isolation::policy_path(options.confdir, jail_path), "config", "[thin]");
}

// The jail's policy file at the end of a run: the thin layout's text, or
// --policy's sections (no section: no file), or the old text without
// [thin] when a thin jail is made a copy jail again; else left alone.
void finish_policy(const Options& options, const Jail& jail, const std::string* thin_text,
                   const std::optional<std::string>& old_thin, const std::optional<std::string>& wanted,
                   const Sink& sink) {
    std::optional<std::string> next;
    if (thin_text) {
        next = *thin_text;
    } else if (wanted) {
        if (thin::has_any_section(*wanted)) next = *wanted;
    } else if (old_thin) {
        next = thin::remove_section(*old_thin);
        if (next && !thin::has_any_section(*next)) next.reset();
    } else {
        return;
    }
    const std::string shown = isolation::policy_path(options.confdir, jail.path());
    const std::optional<std::string> was = thin::read_policy(options.confdir, jail.path());
    const changes::Action action = was == next ? changes::Action::unchanged
                                   : !was      ? changes::Action::created
                                   : !next     ? changes::Action::removed
                                               : changes::Action::updated;
    note(sink, action, shown, "config", thin_text ? "[thin]" : wanted ? "--policy" : "[thin] removed");
    if (options.dry_run || action == changes::Action::unchanged) return;
    if (old_thin && !thin_text) {
        // A copy jail again: the loader's placeholder goes (ldconfig wrote a
        // real cache over it when libraries were copied), then [thin].
        const auto st = jail.lstat(thin::ld_cache);
        if (st && S_ISREG(st->st_mode) && st->st_size == 0) {
            Jail::Parent p = jail.open_parent(thin::ld_cache);
            if (::unlinkat(p.dir.get(), p.leaf.c_str(), 0) != 0 && errno != ENOENT)
                throw SysError("cannot remove", jail.host_path(thin::ld_cache), errno);
        }
    }
    thin::replace_policy(options.confdir, jail.path(), next);
    if (options.verbose) sink.out((next ? "Wrote " : "Removed ") + shown);
}

// --policy=FILE: the sections the jail's policy file is to hold, checked
// before anything is written (MUST 1). [thin] is --thin's alone.
std::string wanted_policy_text(const Options& options, const std::string& jail_path) {
    std::string text = sys::read_file(options.policy_file);
    if (thin::has_section(text))
        throw Error("ERROR: " + quoted(options.policy_file) +
                        " has a [thin] section: jk_init --thin writes it; leave it out of --policy",
                    bad_option);
    if (thin::has_any_section(text)) (void)isolation::parse_policy(text, options.policy_file, jail_path);
    return text;
}

// A dry run's thin layout for a jail still to be made: every mount point,
// its parents and the root links would be created, and the policy written.
void preview_new_thin(const Options& options, const ThinLayout& t, const std::string& jail_path, const Sink& sink) {
    std::unordered_set<std::string> made;
    auto mount_point = [&](const std::string& inner, bool directory) {
        std::string prefix;
        const std::vector<std::string> comps = path::components(inner);
        for (std::size_t i = 0; i < comps.size(); ++i) {
            prefix += "/" + comps[i];
            if (!made.insert(prefix).second) continue;
            const bool last = i + 1 == comps.size();
            note(sink, changes::Action::created, prefix, last && !directory ? "file" : "directory",
                 last ? "mount point" : "");
        }
    };
    for (std::size_t i = 0; i < t.binds.size(); ++i) mount_point(t.binds[i], t.bind_is_dir[i]);
    for (const auto& l : t.links) mount_point(l.dir, true);
    for (const auto& l : t.links) note(sink, changes::Action::created, l.root, "symlink", "-> " + l.target);
    note_policy(options, jail_path, t.policy, sink);
}

// A dry run for a jail that does not exist yet: everything would be made.
void preview_new_jail(const Options& options, const Request& req, const UserPlan& users,
                      const std::vector<std::pair<copy::Plan, copy::Options>>& plans, const std::string& jail_path,
                      const Sink& sink) {
    std::unordered_set<std::string> seen;
    auto created = [&](const std::string& inner, const char* type, std::string detail = {}) {
        if (seen.insert(inner).second) note(sink, changes::Action::created, inner, type, std::move(detail));
    };
    auto dirs = [&](const std::string& inner) {
        std::string prefix;
        for (const auto& comp : path::components(inner)) {
            if (comp == "." || comp == "..") continue;
            prefix += "/" + comp;
            created(prefix, "directory");
        }
    };
    bool libraries = false;
    for (const auto& [plan, o] : plans)
        for (const copy::Step& st : plan.steps) {
            if (st.kind == copy::Kind::socket) continue;
            libraries = libraries || st.is_library;
            created(st.source, copy::kind_name(st.kind), st.is_library ? "library" : "");
        }
    if (libraries) {
        dirs("/etc");
        created("/etc/ld.so.cache", "file", "ldconfig -r");
    }
    for (const auto& d : req.emptydirs) dirs(d);
    if (!users.passwd.empty() || !users.group.empty()) dirs("/etc");
    if (!users.passwd.empty()) created("/etc/passwd", "file");
    if (!users.group.empty()) created("/etc/group", "file");
    if (req.need_logsocket) {
        dirs("/dev");
        log_socket(options, jail_path, sink);
    }
}

}  // namespace

void run(const Options& options, const std::string& jail_arg, const std::vector<std::string>& section_names,
         const Sink& sink) {
    // ---- read and resolve everything first (MUST 1)
    config::IniFile ini = [&] {
        try {
            return config::IniFile::load(options.config_file);
        } catch (const SysError& e) {
            if (e.err() == ENOENT)
                throw Error("ERROR: config file " + quoted(options.config_file) + " does not exist",
                            unsafe_or_no_config);
            throw;
        }
    }();
    for (const auto& w : ini.warnings()) sink.warn("warning: " + w);

    Request req = resolve(ini, section_names);
    for (const auto& w : req.warnings) sink.warn("warning: " + w);
    for (const auto& s : req.missing_sections)
        sink.warn("WARNING: section " + s + " does not exist in " + options.config_file);

    std::vector<std::string> missing;  // host paths, users, groups not found
    auto expand_all = [&](const std::vector<std::string>& items, bool allow_glob) {
        std::vector<std::string> out;
        for (const auto& item : items) {
            std::vector<std::string> found = expand_item(item, allow_glob);
            if (found.empty()) missing.push_back(item);
            out.insert(out.end(), found.begin(), found.end());
        }
        return out;
    };
    std::vector<std::string> paths = expand_all(req.paths, true);
    std::vector<std::string> devices = expand_all(req.devices, false);
    std::vector<std::string> owner_paths = expand_all(req.owner_paths, true);
    std::vector<std::string> setuid_paths = expand_all(req.setuid_paths, false);
    UserPlan user_plan = plan_users(req, missing);

    // packages = : dpkg's file lists, checked against its MD5 sums.
    PackageFiles pkgs = package_files(req, dpkg::admindir());
    for (const auto& w : pkgs.warnings) sink.warn("warning: " + w);
    for (const auto& n : pkgs.not_installed)
        sink.warn("WARNING: package " + n + " is not installed (dpkg's database " + dpkg::admindir() + ")");
    for (const auto& c : pkgs.changed)
        sink.warn("warning: " + c + " differs from the MD5 sum dpkg recorded; not copied");
    for (const auto& a : pkgs.absent) sink.warn("warning: " + a + " is listed by dpkg but not on the host");
    if (options.verbose) {
        for (const auto& n : pkgs.notes) sink.out(n);
        if (!pkgs.packages.empty()) {
            std::string names;
            for (const auto& n : pkgs.packages) names += (names.empty() ? "" : ", ") + n;
            sink.out("Packages: " + names);
        }
    }

    for (const auto& m : missing)
        if (options.verbose || options.strict) sink.out("Source file " + m + " does not exist");
    if (options.strict && (!req.missing_sections.empty() || !missing.empty() || !pkgs.not_installed.empty() ||
                           !pkgs.absent.empty() || !pkgs.changed.empty())) {
        std::string what;
        auto add = [&](const std::string& item) { what += (what.empty() ? "" : ", ") + item; };
        for (const auto& s : req.missing_sections) add("section " + s);
        for (const auto& m : missing) add(m);
        for (const auto& n : pkgs.not_installed) add("package " + n + " (not installed)");
        for (const auto& a : pkgs.absent) add(a);
        for (const auto& c : pkgs.changed) add(c + " (changed since installed)");
        throw Error("ERROR: --strict: missing " + what + "; nothing was changed", strict_failure);
    }

    const std::string jail_path =
        normalize_absolute(jail_arg.front() == '/' ? jail_arg : search_path::absolute(jail_arg));
    if (jail_path == "/") throw Error("ERROR: the jail cannot be '/'", unsafe_or_no_config);

    std::optional<std::string> wanted_policy;  // --policy
    if (!options.policy_file.empty()) wanted_policy = wanted_policy_text(options, jail_path);

    // ---- a thin jail: what the binds show is not copied (MUST 6)
    std::optional<ThinLayout> thin_layout;
    std::optional<std::string> old_thin;  // the policy of a thin jail made a copy jail again
    if (options.thin) {
        std::vector<std::string> bound;
        auto split = [&](std::vector<std::string>& list) {
            std::vector<std::string> copied;
            for (auto& p : list) {
                const std::string n = normalize_absolute(p);
                // The jail itself: the copy engine leaves it out, as ever.
                const thin::Place place = thin::within(n, jail_path) ? thin::Place::copy : thin::place_of(n);
                if (place == thin::Place::copy)
                    copied.push_back(std::move(p));
                else if (place == thin::Place::bind)
                    bound.push_back(n);
                else if (options.verbose)
                    sink.out(p + " is seen through the binds");
            }
            list = std::move(copied);
        };
        split(paths);
        split(owner_paths);
        split(setuid_paths);
        // A package's entries outside the system roots are copied, never
        // bound: a directory it lists (/var/lib/php/sessions) would show the
        // host's contents, which no file list vouches for.
        std::erase_if(pkgs.paths, [&](const std::string& p) {
            const std::string n = normalize_absolute(p);
            return !thin::within(n, jail_path) && thin::place_of(n) == thin::Place::system;
        });
        thin_layout = plan_thin(options, jail_path, std::move(bound), wanted_policy);
    } else {
        old_thin = thin_policy_text(options, jail_path);
    }

    // ---- the jail (MUST 2)
    std::optional<Jail> opened;  // none in a dry run for a jail still to be made
    try {
        if (create_jail_dir(jail_path, options.dry_run)) {
            note(sink, changes::Action::created, jail_path, "directory", "the jail");
            if (options.verbose && !options.dry_run) sink.out("Create directory " + jail_path);
        }
        if (!options.dry_run || ::access(jail_path.c_str(), F_OK) == 0) opened.emplace(Jail::open(jail_path));
    } catch (const UnsafePath& e) {
        throw Error("ERROR: jail " + quoted(jail_path) + " is not safe: " + e.what(), unsafe_or_no_config);
    }

    // ---- one plan for every section
    copy::Options copy_options;
    copy_options.force = options.force;
    copy_options.hardlink = options.hardlink;
    copy_options.verbose = options.verbose;
    copy_options.exclude = jail_path;
    copy_options.dry_run = options.dry_run;
    copy_options.changes = sink.report;
    // A thin jail's copies are /etc files: what a program needs is seen
    // through the binds.
    copy_options.libraries = !thin_layout;

    auto add_all = [&](copy::Planner& planner, const std::vector<std::string>& list) {
        for (const auto& p : list) {
            try {
                planner.add(p);
            } catch (const SysError& e) {
                // A dangling link or a file that vanished since the glob.
                if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
                if (options.verbose) sink.out("Source file " + p + " does not exist");
            }
        }
    };
    copy::Planner planner(copy_options, copy::host_dependency_finder());
    add_all(planner, paths);
    add_all(planner, devices);
    // Package entries one by one: a directory is only itself (its listed
    // contents come as their own entries, nothing unlisted with them).
    for (const auto& p : pkgs.paths) {
        try {
            planner.add_shallow(p);
        } catch (const SysError& e) {
            if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
            if (options.verbose) sink.out("Source file " + p + " does not exist");
        }
    }

    // NSS modules glibc will dlopen for the jail's nsswitch.conf (COMPAT W4).
    const bool wants_nsswitch = std::find(paths.begin(), paths.end(), "/etc/nsswitch.conf") != paths.end() ||
                                !user_plan.passwd.empty() || !user_plan.group.empty();
    if (wants_nsswitch && !thin_layout && ::access("/etc/nsswitch.conf", R_OK) == 0)
        add_all(planner, nss_module_paths(nss_services(sys::read_file("/etc/nsswitch.conf"))));

    // paths_w_owner and paths_w_setuid need other copy options; the copy
    // engine applies options per plan, so they get plans of their own. All
    // three are made before anything is written.
    auto plan_with = [&](const std::vector<std::string>& list, bool setuid) {
        copy::Options o = copy_options;
        o.keep_owner = true;
        o.keep_setuid = setuid;
        copy::Planner p(o, copy::host_dependency_finder());
        add_all(p, list);
        return std::make_pair(p.take(), o);
    };
    std::vector<std::pair<copy::Plan, copy::Options>> plans;
    plans.emplace_back(planner.take(), copy_options);
    if (!owner_paths.empty()) plans.push_back(plan_with(owner_paths, false));
    if (!setuid_paths.empty()) plans.push_back(plan_with(setuid_paths, true));
    if (thin_layout) {
        // A symlink in /etc may lead into /usr (/etc/localtime): the link is
        // copied, never what the binds show.
        for (auto& [plan, o] : plans) {
            auto& steps = plan.steps;
            steps.erase(std::remove_if(steps.begin(), steps.end(),
                                       [](const copy::Step& st) { return in_system_root(st.source); }),
                        steps.end());
        }
        if (opened) {
            const std::unordered_set<std::string> gone =
                drop_system_copies(*opened, *thin_layout, sink, options.verbose, options.dry_run);
            warn_unknown(*opened, sink, gone);
            build_thin(*opened, *thin_layout, sink, options.verbose, options.dry_run, gone);
        }
    }
    for (const auto& [plan, o] : plans) {
        for (const auto& w : plan.warnings) sink.warn("warning: " + w);
        for (const auto& m : plan.missing_libraries) sink.warn("warning: library " + m + " not found");
    }
    if (!opened) {
        preview_new_jail(options, req, user_plan, plans, jail_path, sink);
        if (thin_layout)
            preview_new_thin(options, *thin_layout, jail_path, sink);
        else if (wanted_policy && thin::has_any_section(*wanted_policy))
            note(sink, changes::Action::created, isolation::policy_path(options.confdir, jail_path), "config",
                 "--policy");
        return;
    }
    const Jail& jail = *opened;
    for (const auto& [plan, o] : plans) copy::install(plan, jail, o, sink.out);

    for (const auto& d : req.emptydirs) make_dirs(jail, d, sink, options.verbose, options.dry_run);
    install_users(jail, user_plan, sink, options.verbose, options.dry_run);

    if (req.need_logsocket) {
        make_dirs(jail, "/dev", sink, options.verbose, options.dry_run);
        log_socket(options, jail.path(), sink);
    }
    // ---- the policy last: a login sees the binds once the jail is ready
    finish_policy(options, jail, thin_layout ? &thin_layout->policy : nullptr, old_thin, wanted_policy, sink);
}

}  // namespace jk::init
