// passwd/group/shadow parsing, formatting and merging; see jk/users.hpp.
//
// MUST:
//  1. Nothing is written that would not parse back to the same entries: every
//     field is checked for ':', newline, CR and NUL before a line is built,
//     and write_jail_users parses each text strictly before writing any.
//  2. A file is rewritten only from a complete understanding of it: merging
//     parses the jail's file strictly, keeping unknown lines verbatim.
//  3. Jail files are reached only through the jail's fd (invariant 4).
#include "jk/users.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/jail.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::users {

namespace {

// Why a line could not be parsed; turned into ConfigError or a warning.
struct BadLine {
    std::string reason;
};

std::vector<std::string_view> split_fields(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t p = line.find(sep, start);
        if (p == std::string_view::npos) {
            out.push_back(line.substr(start));
            return out;
        }
        out.push_back(line.substr(start, p - start));
        start = p + 1;
    }
}

void expect_fields(const std::vector<std::string_view>& f, std::size_t n) {
    if (f.size() != n)
        throw BadLine{"expected " + std::to_string(n) + " ':'-separated fields, found " + std::to_string(f.size())};
}

// A uid or gid: plain decimal, no sign, at most 4294967294 ((uid_t)-1 means
// "no change" to chown and setreuid, so it is never a real id).
std::uint32_t parse_id(std::string_view s, const char* what) {
    if (s.empty()) throw BadLine{std::string("empty ") + what};
    if (s.find_first_not_of("0123456789") != std::string_view::npos)
        throw BadLine{std::string(what) + " " + quoted(std::string(s)) + " is not a decimal number"};
    unsigned long long v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > 4294967294ULL)
        throw BadLine{std::string(what) + " " + quoted(std::string(s)) + " is out of range"};
    return static_cast<std::uint32_t>(v);
}

void expect_name(std::string_view name) {
    if (name.empty()) throw BadLine{"empty name"};
}

bool is_passive_line(std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return true;  // blank
    return line.front() == '#' || line.front() == '+' || line.front() == '-';
}

PasswdEntry passwd_from(std::string_view line) {
    const auto f = split_fields(line, ':');
    expect_fields(f, 7);
    expect_name(f[0]);
    PasswdEntry e;
    e.name = f[0];
    e.password = f[1];
    e.uid = parse_id(f[2], "uid");
    e.gid = parse_id(f[3], "gid");
    e.gecos = f[4];
    e.home = f[5];
    e.shell = f[6];
    return e;
}

GroupEntry group_from(std::string_view line) {
    const auto f = split_fields(line, ':');
    expect_fields(f, 4);
    expect_name(f[0]);
    GroupEntry e;
    e.name = f[0];
    e.password = f[1];
    e.gid = parse_id(f[2], "gid");
    if (!f[3].empty())
        for (std::string_view m : split_fields(f[3], ','))
            if (!m.empty()) e.members.emplace_back(m);
    return e;
}

ShadowEntry shadow_from(std::string_view line) {
    const auto f = split_fields(line, ':');
    expect_fields(f, 9);
    expect_name(f[0]);
    ShadowEntry e;
    e.name = f[0];
    e.password = f[1];
    for (std::size_t i = 0; i < e.aging.size(); ++i) e.aging[i] = f[i + 2];
    return e;
}

template <class E, class Fn>
Table<E> parse_table(std::string_view text, const std::string& filename, Malformed policy, Fn entry_from) {
    Table<E> t;
    t.filename = filename;
    std::size_t pos = 0;
    int lineno = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        Record<E> r{++lineno, std::string(line), std::nullopt};
        try {
            // NUL and CR would be cut or kept invisibly by other readers of
            // the file (glibc would see "/bin/sh\r" as the shell).
            if (line.find('\0') != std::string_view::npos) throw BadLine{"contains a NUL byte"};
            if (line.find('\r') != std::string_view::npos) throw BadLine{"contains a carriage return"};
            if (!is_passive_line(line)) r.entry = entry_from(line);
        } catch (const BadLine& bad) {
            if (policy == Malformed::error) throw ConfigError(filename, lineno, bad.reason);
            t.warnings.push_back(filename + ":" + std::to_string(lineno) + ": " + bad.reason + ", ignoring");
        }
        t.records.push_back(std::move(r));
    }
    return t;
}

void validate_field(std::string_view value, const char* what) {
    for (char c : value) {
        if (c == ':' || c == '\n' || c == '\r' || c == '\0')
            throw Error(std::string("invalid ") + what + " " + quoted(std::string(value)) +
                        ": contains ':', a line break or NUL");
    }
}

template <class E>
std::string render_table(const Table<E>& t) {
    std::string out;
    for (const Record<E>& r : t.records) {
        out += r.raw;
        out += '\n';
    }
    return out;
}

// Appends `e` unless its name is present. format() runs first so an entry
// that cannot be written is refused even when it would not be added.
template <class E>
void append_if_absent(Table<E>& t, const E& e, MergeResult& result) {
    std::string line = format(e);
    if (t.find(e.name)) return;
    t.records.push_back(Record<E>{0, std::move(line), e});
    result.changed = true;
}

template <class E>
MergeResult finish(const Table<E>& t, std::string_view original, MergeResult result) {
    result.text = result.changed ? render_table(t) : std::string(original);
    return result;
}

// "/a//b/./c/" -> "/a/b/c"; ".." refused: it would make the string check of
// the path and what the path names differ.
std::string clean_absolute(std::string_view path, std::string_view whole) {
    std::string out;
    for (std::string_view comp : split_fields(path, '/')) {
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") throw Error(quoted(std::string(whole)) + ": home directory contains a '..' component");
        out += '/';
        out += comp;
    }
    return out.empty() ? "/" : out;
}

}  // namespace

// ---------------------------------------------------------------- parsing

PasswdFile parse_passwd(std::string_view text, const std::string& filename, Malformed policy) {
    return parse_table<PasswdEntry>(text, filename, policy, passwd_from);
}

GroupFile parse_group(std::string_view text, const std::string& filename, Malformed policy) {
    return parse_table<GroupEntry>(text, filename, policy, group_from);
}

ShadowFile parse_shadow(std::string_view text, const std::string& filename, Malformed policy) {
    return parse_table<ShadowEntry>(text, filename, policy, shadow_from);
}

const PasswdEntry* find_uid(const PasswdFile& file, uid_t uid) {
    for (const auto& r : file.records)
        if (r.entry && r.entry->uid == uid) return &*r.entry;
    return nullptr;
}

const GroupEntry* find_gid(const GroupFile& file, gid_t gid) {
    for (const auto& r : file.records)
        if (r.entry && r.entry->gid == gid) return &*r.entry;
    return nullptr;
}

// ---------------------------------------------------------------- writing

void validate_name(std::string_view name) {
    if (name.empty()) throw Error("invalid name: empty");
    validate_field(name, "name");
    // A leading '+' or '-' would turn the line into a NIS compat directive.
    if (name.front() == '+' || name.front() == '-')
        throw Error("invalid name " + quoted(std::string(name)) + ": starts with '+' or '-'");
    // ',' separates group members.
    if (name.find(',') != std::string_view::npos)
        throw Error("invalid name " + quoted(std::string(name)) + ": contains ','");
}

std::string format(const PasswdEntry& e) {
    validate_name(e.name);
    validate_field(e.password, "password field");
    validate_field(e.gecos, "gecos field");
    validate_field(e.home, "home directory");
    validate_field(e.shell, "shell");
    return e.name + ":" + e.password + ":" + std::to_string(e.uid) + ":" + std::to_string(e.gid) + ":" + e.gecos + ":" +
           e.home + ":" + e.shell;
}

std::string format(const GroupEntry& e) {
    validate_name(e.name);
    validate_field(e.password, "password field");
    std::string line = e.name + ":" + e.password + ":" + std::to_string(e.gid) + ":";
    for (std::size_t i = 0; i < e.members.size(); ++i) {
        validate_name(e.members[i]);
        if (i) line += ',';
        line += e.members[i];
    }
    return line;
}

std::string format(const ShadowEntry& e) {
    validate_name(e.name);
    validate_field(e.password, "password field");
    std::string line = e.name + ":" + e.password;
    for (const std::string& a : e.aging) {
        validate_field(a, "shadow field");
        line += ":" + a;
    }
    return line;
}

std::string render(const PasswdFile& file) {
    return render_table(file);
}
std::string render(const GroupFile& file) {
    return render_table(file);
}
std::string render(const ShadowFile& file) {
    return render_table(file);
}

// ---------------------------------------------------------------- /./ homes

std::optional<JailHome> split_jail_home(std::string_view home) {
    const std::size_t pos = home.rfind("/./");
    if (pos == std::string_view::npos) return std::nullopt;
    const std::string_view jail = home.substr(0, pos);
    const std::string_view inner = home.substr(pos + 2);  // keeps its leading '/'
    // jailkit required at least 2 characters; "absolute and not the root"
    // is the same intent made exact ("////./x" would otherwise chroot to /).
    if (jail.empty() || jail.front() != '/')
        throw Error(quoted(std::string(home)) + ": the jail part before '/./' is not an absolute path");
    JailHome out{clean_absolute(jail, home), clean_absolute(inner, home)};
    if (out.jail == "/") throw Error(quoted(std::string(home)) + ": the jail part before '/./' is the root directory");
    return out;
}

std::optional<std::string> noncanonical_jail_home(std::string_view home) {
    const std::size_t marker = home.find("/./");
    if (marker == std::string_view::npos) return std::nullopt;
    // Components between slashes; the first is the empty text before the
    // leading '/' (a relative home is split_jail_home's to refuse).
    const std::vector<std::string_view> comps = split_fields(home, '/');
    bool seen_marker = false;
    for (std::size_t i = 1; i < comps.size(); ++i) {
        const std::string_view c = comps[i];
        if (c.empty()) {
            // One trailing '/' ("/jail/./home/u/", "/jail/./"), not "//".
            if (i + 1 == comps.size() && !comps[i - 1].empty()) continue;
            return "has an empty component ('//')";
        }
        if (c == "..") return "has a '..' component";
        if (c == ".") {
            if (seen_marker) return "has more than one '/./' or another '.' component";
            seen_marker = true;
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- merging

MergeResult merge_passwd(std::string_view jail_text, const std::string& filename, const std::vector<PasswdEntry>& add) {
    PasswdFile t = parse_passwd(jail_text, filename);
    MergeResult result;
    for (const PasswdEntry& e : add) {
        if (!t.find(e.name))
            if (const PasswdEntry* other = find_uid(t, e.uid))
                result.warnings.push_back(filename + ": uid " + std::to_string(e.uid) + " already belongs to " +
                                          quoted(other->name) + ", adding " + quoted(e.name) + " with the same uid");
        append_if_absent(t, e, result);
    }
    return finish(t, jail_text, std::move(result));
}

MergeResult merge_group(std::string_view jail_text, const std::string& filename, const std::vector<GroupEntry>& add,
                        const std::vector<Membership>& memberships) {
    GroupFile t = parse_group(jail_text, filename);
    MergeResult result;
    for (const GroupEntry& e : add) {
        if (!t.find(e.name))
            if (const GroupEntry* other = find_gid(t, e.gid))
                result.warnings.push_back(filename + ": gid " + std::to_string(e.gid) + " already belongs to " +
                                          quoted(other->name) + ", adding " + quoted(e.name) + " with the same gid");
        append_if_absent(t, e, result);
    }
    for (const Membership& m : memberships) {
        validate_name(m.user);
        Record<GroupEntry>* rec = nullptr;
        for (auto& r : t.records)
            if (r.entry && r.entry->name == m.group) {
                rec = &r;
                break;
            }
        if (!rec) {
            result.warnings.push_back(filename + ": group " + quoted(m.group) +
                                      " does not exist in the jail, not adding " + quoted(m.user) + " to it");
            continue;
        }
        auto& members = rec->entry->members;
        if (std::find(members.begin(), members.end(), m.user) != members.end()) continue;
        members.push_back(m.user);
        rec->raw = format(*rec->entry);
        result.changed = true;
    }
    return finish(t, jail_text, std::move(result));
}

ShadowEntry jail_shadow_entry(const ShadowEntry& host, Hashes hashes) {
    ShadowEntry e = host;
    if (hashes == Hashes::replace) e.password = "*";
    return e;
}

MergeResult merge_shadow(std::string_view jail_text, const std::string& filename, const std::vector<ShadowEntry>& add,
                         Hashes hashes) {
    ShadowFile t = parse_shadow(jail_text, filename);
    MergeResult result;
    for (const ShadowEntry& e : add) append_if_absent(t, jail_shadow_entry(e, hashes), result);
    return finish(t, jail_text, std::move(result));
}

// ---------------------------------------------------------------- system layer

namespace {

config::LoadOptions trusted() {
    config::LoadOptions o;
    o.require_trusted = true;
    return o;
}

std::optional<std::string> read_jail_file(const Jail& jail, std::string_view inner) {
    const std::string shown = jail.host_path(inner);
    UniqueFd fd;
    try {
        // O_NONBLOCK: a FIFO planted at the name must not hang the open.
        fd = jail.open(inner, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    } catch (const SysError& e) {
        if (e.err() == ENOENT) return std::nullopt;
        throw;
    }
    const struct stat st = sys::fstat_fd(fd.get(), shown);
    if (!S_ISREG(st.st_mode)) throw ConfigError(shown, 0, "is not a regular file");
    return config::read_config_fd(fd.get(), shown);
}

// One file of the jail's etc, opened beneath `etc` (already checked) without
// following a symlink and checked on the fd that is then read.
std::optional<std::string> read_trusted_file(int etc, const std::string& name, const std::string& shown) {
    // O_NONBLOCK: a FIFO planted at the name must not hang the open.
    const int fd = ::openat(etc, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) return std::nullopt;
        if (err == ELOOP) throw SymlinkNotAllowed(shown);
        throw SysError("cannot open", shown, err);
    }
    UniqueFd f(fd);
    trust::require(f.get(), shown, trust::jail_passwd);
    return config::read_config_fd(f.get(), shown);
}

}  // namespace

JailUserTexts read_trusted_jail_users(const Jail& jail) {
    // The jail root itself passed Jail::open (trust::jail_directory); etc is
    // the one directory between it and the files.
    UniqueFd etc;
    try {
        etc = trust::step(jail.fd(), "etc", jail.host_path("/etc"), trust::jail_system_dir);
    } catch (const SysError& e) {
        if (e.err() == ENOENT) return JailUserTexts{};
        throw;
    }
    return JailUserTexts{read_trusted_file(etc.get(), "passwd", jail.host_path("/etc/passwd")),
                         read_trusted_file(etc.get(), "group", jail.host_path("/etc/group")), std::nullopt};
}

HostUsers read_host_users(Malformed policy, const std::string& etc_dir) {
    const std::string passwd = etc_dir + "/passwd";
    const std::string group = etc_dir + "/group";
    return HostUsers{parse_passwd(config::read_config_text(passwd, trusted()), passwd, policy),
                     parse_group(config::read_config_text(group, trusted()), group, policy)};
}

ShadowFile read_host_shadow(Malformed policy, const std::string& etc_dir) {
    const std::string shadow = etc_dir + "/shadow";
    return parse_shadow(config::read_config_text(shadow, trusted()), shadow, policy);
}

JailUserTexts read_jail_users(const Jail& jail) {
    return JailUserTexts{read_jail_file(jail, "/etc/passwd"), read_jail_file(jail, "/etc/group"),
                         read_jail_file(jail, "/etc/shadow")};
}

void write_jail_users(const Jail& jail, const JailUserTexts& texts) {
    // Parse everything first: a malformed text refuses the whole write.
    std::optional<GroupFile> groups;
    if (texts.passwd) parse_passwd(*texts.passwd, jail.host_path("/etc/passwd"));
    if (texts.group) groups = parse_group(*texts.group, jail.host_path("/etc/group"));
    if (texts.shadow) parse_shadow(*texts.shadow, jail.host_path("/etc/shadow"));

    gid_t shadow_gid = 0;
    if (texts.shadow) {
        if (!groups) {
            // Only a lookup: a junk line elsewhere in the jail's group file
            // should not block writing shadow, so it is skipped.
            if (auto text = read_jail_file(jail, "/etc/group"))
                groups = parse_group(*text, jail.host_path("/etc/group"), Malformed::skip);
        }
        if (groups)
            if (const GroupEntry* g = groups->find("shadow")) shadow_gid = g->gid;
    }

    if (texts.passwd) jail.replace_file("/etc/passwd", *texts.passwd, 0644, 0, 0);
    if (texts.group) jail.replace_file("/etc/group", *texts.group, 0644, 0, 0);
    if (texts.shadow) jail.replace_file("/etc/shadow", *texts.shadow, 0640, 0, shadow_gid);
}

}  // namespace jk::users
