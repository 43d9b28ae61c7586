// A thin jail's plan (see thin_plan.hpp for the contract and the MUST list).
#include "jk/thin_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"

namespace jk::thin {

// ---------------------------------------------------------------- pure

bool within(std::string_view path, std::string_view dir) noexcept {
    if (path.size() < dir.size() || path.substr(0, dir.size()) != dir) return false;
    return path.size() == dir.size() || path[dir.size()] == '/';
}

Place place_of(std::string_view host_path) noexcept {
    for (std::string_view root : system_roots)
        if (within(host_path, root)) return Place::system;
    // The entry refuses a bind under these (isolation_policy.cpp): they are
    // the kernel's and the jail's own file systems.
    static constexpr std::string_view copied[] = {"/etc", "/dev", "/proc", "/sys", "/run", "/tmp", "/home"};
    for (std::string_view dir : copied)
        if (within(host_path, dir)) return Place::copy;
    return Place::bind;
}

std::vector<std::string> tidy_binds(std::vector<std::string> binds) {
    std::sort(binds.begin(), binds.end());
    binds.erase(std::unique(binds.begin(), binds.end()), binds.end());
    // Sorted, a path's ancestors come before it, though not always right
    // before it ("/a-x" sorts between "/a" and "/a/b"): look at all kept.
    std::vector<std::string> out;
    for (auto& b : binds)
        if (std::none_of(out.begin(), out.end(), [&](const std::string& k) { return within(b, k); }))
            out.push_back(std::move(b));
    return out;
}

std::string render_section(const std::vector<std::string>& binds) {
    std::string line;
    for (const auto& b : binds) line += (line.empty() ? "" : ", ") + b;
    return "[thin]\nro_binds = " + line + "\n";
}

namespace {

enum class Kind { blank, comment, header, entry, continuation };

struct Line {
    std::size_t begin;  // offset in the text
    std::size_t end;    // past its '\n' (or the text's end)
    Kind kind;
    std::string section;  // for a header: its name as the parser reads it
};

// The lines of an INI text, classified with the parser's precedence
// (config.cpp: comment, continuation, header, key).
std::vector<Line> lex(std::string_view text) {
    std::vector<Line> lines;
    bool have_key = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        const std::string_view raw = text.substr(pos, end - pos);
        const std::string_view trimmed = text::trim(raw);
        Line l{pos, end, Kind::entry, {}};
        if (trimmed.empty()) {
            l.kind = Kind::blank;
        } else if (trimmed.front() == '#' || trimmed.front() == ';') {
            l.kind = Kind::comment;
        } else if ((raw.front() == ' ' || raw.front() == '\t') && have_key) {
            l.kind = Kind::continuation;
        } else if (trimmed.front() == '[') {
            l.kind = Kind::header;
            const std::size_t close = trimmed.find(']');
            l.section = config::normalize_section_name(
                trimmed.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
            have_key = false;
        } else {
            have_key = true;
        }
        lines.push_back(std::move(l));
        pos = end;
    }
    return lines;
}

// The [thin] section's lines [first, last) in `lines`: the header up to its
// last key or continuation line. nullopt when there is no [thin].
std::optional<std::pair<std::size_t, std::size_t>> thin_span(const std::vector<Line>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].kind != Kind::header || lines[i].section != "thin") continue;
        std::size_t last = i + 1;
        for (std::size_t j = i + 1; j < lines.size() && lines[j].kind != Kind::header; ++j)
            if (lines[j].kind == Kind::entry || lines[j].kind == Kind::continuation) last = j + 1;
        return std::make_pair(i, last);
    }
    return std::nullopt;
}

}  // namespace

bool has_section(std::string_view text) {
    return thin_span(lex(text)).has_value();
}

bool has_any_section(std::string_view text) {
    const std::vector<Line> lines = lex(text);
    return std::any_of(lines.begin(), lines.end(), [](const Line& l) { return l.kind == Kind::header; });
}

std::string set_section(std::string_view text, const std::vector<std::string>& binds) {
    const std::vector<Line> lines = lex(text);
    std::string section = render_section(binds);
    if (const auto span = thin_span(lines)) {
        const std::size_t from = lines[span->first].begin;
        const std::size_t to = lines[span->second - 1].end;
        std::string out(text.substr(0, from));
        out += section;
        // A section that ended without a line break was the last line.
        out += text.substr(to);
        return out;
    }
    if (text.empty()) return section;
    std::string out(text);
    if (out.back() != '\n') out += '\n';
    return out + "\n" + section;
}

std::optional<std::string> remove_section(std::string_view text) {
    const std::vector<Line> lines = lex(text);
    const auto span = thin_span(lines);
    if (!span) return std::nullopt;
    std::size_t from = lines[span->first].begin;
    const std::size_t to = lines[span->second - 1].end;
    if (to == text.size()) {
        // The last section: the blank lines that set it apart go with it
        // (set_section's append, undone).
        for (std::size_t i = span->first; i > 0 && lines[i - 1].kind == Kind::blank; --i) from = lines[i - 1].begin;
    }
    std::string out(text.substr(0, from));
    out += text.substr(to);
    return out;
}

// ---------------------------------------------------------------- system

namespace {

constexpr const char* policy_dir = "jails.d";

std::string file_name(const std::string& canonical_jail) {
    return isolation::escape_jail_path(canonical_jail) + ".ini";
}

// CONFDIR's fd by trust's walk (MUST 4); empty when CONFDIR does not exist.
UniqueFd open_confdir(const std::string& confdir) {
    return trust::open_checked_if_present(confdir, trust::config_directory, O_PATH | O_DIRECTORY);
}

// jails.d beneath CONFDIR; empty when missing and not `create`.
UniqueFd open_policy_dir(int confdir_fd, const std::string& confdir, bool create) {
    const std::string shown = confdir + "/" + policy_dir;
    try {
        return trust::step(confdir_fd, policy_dir, shown, trust::config_directory);
    } catch (const SysError& e) {
        if (e.err() != ENOENT) throw;
    }
    if (!create) return {};
    if (::mkdirat(confdir_fd, policy_dir, 0755) != 0 && errno != EEXIST)
        throw SysError("cannot create directory", shown, errno);
    {
        UniqueFd made = sys::open_at(confdir_fd, policy_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        if (::fchown(made.get(), 0, 0) != 0) throw SysError("cannot chown", shown, errno);
        if (::fchmod(made.get(), 0755) != 0) throw SysError("cannot chmod", shown, errno);
    }
    return trust::step(confdir_fd, policy_dir, shown, trust::config_directory);
}

}  // namespace

std::optional<std::string> read_policy(const std::string& confdir, const std::string& canonical_jail) {
    UniqueFd conf = open_confdir(confdir);
    if (!conf) return std::nullopt;
    UniqueFd dir = open_policy_dir(conf.get(), confdir, false);
    if (!dir) return std::nullopt;
    const std::string shown = isolation::policy_path(confdir, canonical_jail);
    const int fd = ::openat(dir.get(), file_name(canonical_jail).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        if (errno == ELOOP) throw SymlinkNotAllowed(shown);
        throw SysError("cannot open", shown, errno);
    }
    UniqueFd file(fd);
    trust::require(file.get(), shown, trust::trusted_file);
    return sys::read_all(file.get(), shown);
}

std::string planned_policy(const std::string& confdir, const std::string& canonical_jail,
                           const std::vector<std::string>& binds) {
    std::string text = set_section(read_policy(confdir, canonical_jail).value_or(""), binds);
    (void)isolation::parse_policy(text, isolation::policy_path(confdir, canonical_jail), canonical_jail);
    return text;
}

void replace_policy(const std::string& confdir, const std::string& canonical_jail,
                    const std::optional<std::string>& text) {
    const std::string name = file_name(canonical_jail);
    const std::string shown = isolation::policy_path(confdir, canonical_jail);
    UniqueFd conf =
        text ? trust::open_checked(confdir, trust::config_directory, O_PATH | O_DIRECTORY) : open_confdir(confdir);
    if (!conf) return;
    UniqueFd dir = open_policy_dir(conf.get(), confdir, text.has_value());
    if (!dir) return;
    if (!text) {
        if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT)
            throw SysError("cannot remove", shown, errno);
        return;
    }
    const std::string tmp = temp_name_for(name);
    const std::string tmp_shown = confdir + "/" + policy_dir + "/" + tmp;
    UniqueFd out = sys::open_at(dir.get(), tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, tmp_shown);
    try {
        sys::write_all(out.get(), *text, tmp_shown);
        if (::fchown(out.get(), 0, 0) != 0) throw SysError("cannot chown", tmp_shown, errno);
        if (::fchmod(out.get(), 0644) != 0) throw SysError("cannot chmod", tmp_shown, errno);
        if (::fsync(out.get()) != 0) throw SysError("cannot sync", tmp_shown, errno);
        if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0)
            throw SysError("cannot rename into place", shown, errno);
    } catch (...) {
        // Best effort: the error being rethrown is the one to report.
        (void)::unlinkat(dir.get(), tmp.c_str(), 0);
        throw;
    }
    // The rename itself on disk (an O_PATH fd cannot be fsync'ed).
    const int d = ::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        UniqueFd sync_dir(d);
        (void)::fsync(sync_dir.get());
    }
}

bool make_mount_point(const Jail& jail, const std::string& inner, bool directory) {
    const std::vector<std::string> comps = path::components(inner);
    if (comps.empty()) throw Error("cannot make the jail's root " + quoted(jail.path()) + " a mount point");
    bool created = false;
    UniqueFd cur;
    int at = jail.fd();
    std::string shown = jail.path();
    for (std::size_t i = 0; i < comps.size(); ++i) {
        const std::string& name = comps[i];
        if (name == "." || name == "..") throw Error("mount point " + quoted(inner) + " is not canonical");
        shown += "/" + name;
        const bool file = i + 1 == comps.size() && !directory;
        if (file) {
            const int fd = ::openat(at, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0) {
                UniqueFd made(fd);
                if (::fchown(made.get(), 0, 0) != 0) throw SysError("cannot chown", shown, errno);
                if (::fchmod(made.get(), 0644) != 0) throw SysError("cannot chmod", shown, errno);
                created = true;
            } else if (errno != EEXIST) {
                throw SysError("cannot create", shown, errno);
            }
        } else if (::mkdirat(at, name.c_str(), 0755) == 0) {
            UniqueFd made = sys::open_at(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
            if (::fchown(made.get(), 0, 0) != 0) throw SysError("cannot chown", shown, errno);
            if (::fchmod(made.get(), 0755) != 0) throw SysError("cannot chmod", shown, errno);
            created = true;
        } else if (errno != EEXIST) {
            throw SysError("cannot create directory", shown, errno);
        }
        // The entry's own check (namespaces.cpp, open_mount_point).
        cur = trust::step(at, name, shown, file ? trust::jail_system_file : trust::jail_system_dir);
        at = cur.get();
    }
    return created;
}

}  // namespace jk::thin
