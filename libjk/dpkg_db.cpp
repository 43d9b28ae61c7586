// dpkg's database (see dpkg_db.hpp for the contract and the MUST list).
#include "jk/dpkg_db.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"

namespace jk::dpkg {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The next line of `text` (without its '\n'), removed from it.
std::string_view next_line(std::string_view& text) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    return line;
}

bool is_arch_name(std::string_view a) {
    if (a.empty() || a.size() > 64) return false;
    return std::all_of(a.begin(), a.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// One alternative: "name[:arch] [(op version)] [[archs]] [<profiles>]".
std::optional<Relation> parse_alternative(std::string_view s) {
    s = text::trim(s);
    // Restrictions after the name are ignored (MUST 2): cut at the first
    // '[' or '<' that is not inside the version's parentheses.
    std::size_t paren = s.find('(');
    std::string_view head = s.substr(0, paren);
    std::string_view version_part;
    if (paren != std::string_view::npos) {
        const std::size_t close = s.find(')', paren);
        if (close == std::string_view::npos) return std::nullopt;
        version_part = s.substr(paren + 1, close - paren - 1);
    }
    if (const std::size_t cut = head.find_first_of("[<"); cut != std::string_view::npos) head = head.substr(0, cut);
    head = text::trim(head);
    Relation r;
    const std::size_t colon = head.find(':');
    r.name = std::string(head.substr(0, colon));
    if (colon != std::string_view::npos) {
        r.arch = std::string(head.substr(colon + 1));
        if (!is_arch_name(r.arch)) return std::nullopt;
    }
    if (!is_package_name(r.name)) return std::nullopt;
    if (paren != std::string_view::npos) {
        version_part = text::trim(version_part);
        std::size_t n = 0;
        while (n < version_part.size() && n < 2 &&
               (version_part[n] == '<' || version_part[n] == '>' || version_part[n] == '='))
            ++n;
        r.op = std::string(version_part.substr(0, n));
        // dpkg's old "<" and ">" mean "<=" and ">=".
        if (r.op == "<") r.op = "<=";
        if (r.op == ">") r.op = ">=";
        static const std::set<std::string, std::less<>> ops = {"<<", "<=", "=", ">=", ">>"};
        if (!ops.count(r.op)) return std::nullopt;
        r.version = std::string(text::trim(version_part.substr(n)));
        if (r.version.empty() || r.version.find_first_of(" \t") != std::string::npos) return std::nullopt;
    }
    return r;
}

// A path from a .list or md5sums line, or nullopt (MUST 1).
std::optional<std::string> clean_path(std::string_view p) {
    if (p.empty() || p.front() != '/' || p.size() > 4096) return std::nullopt;
    if (p.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) return std::nullopt;
    std::string n;
    for (const auto& c : path::components(p)) {
        if (c == "..") return std::nullopt;
        if (c != ".") n += "/" + c;
    }
    return n.empty() ? "/" : n;
}

}  // namespace

bool is_package_name(std::string_view name) {
    if (name.size() < 2 || name.size() > 256) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front())) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '+' || c == '.' || c == '-'; });
}

std::vector<Alternatives> parse_relations(std::string_view value, std::vector<std::string>* warnings) {
    std::vector<Alternatives> out;
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        std::string_view group = value.substr(0, comma);
        value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
        if (text::trim(group).empty()) continue;
        Alternatives alts;
        bool bad = false;
        while (!group.empty()) {
            const std::size_t bar = group.find('|');
            std::string_view one = group.substr(0, bar);
            group.remove_prefix(bar == std::string_view::npos ? group.size() : bar + 1);
            std::optional<Relation> r = parse_alternative(one);
            if (!r) {
                bad = true;
                break;
            }
            alts.push_back(std::move(*r));
        }
        if (bad || alts.empty()) {
            if (warnings) warnings->push_back("malformed relation skipped");
            continue;
        }
        out.push_back(std::move(alts));
    }
    return out;
}

std::vector<Package> parse_status(std::string_view text, std::vector<std::string>* warnings) {
    std::vector<Package> out;
    std::vector<std::pair<std::string, std::string>> fields;  // lowercase name, value (lines joined by '\n')
    int stanza_line = 0, line_no = 0;
    auto finish = [&] {
        if (fields.empty()) return;
        Package p;
        bool has_name = false;
        std::string depends, pre_depends;
        for (const auto& [name, value] : fields) {
            const std::string_view v = text::trim(value);
            if (name == "package") {
                p.name = std::string(v);
                has_name = true;
            } else if (name == "architecture") {
                p.architecture = std::string(v);
            } else if (name == "multi-arch") {
                p.multi_arch = lower(v);
            } else if (name == "version") {
                p.version = std::string(v);
            } else if (name == "status") {
                p.status = std::string(v);
            } else if (name == "depends") {
                depends = std::string(v);
            } else if (name == "pre-depends") {
                pre_depends = std::string(v);
            } else if (name == "provides") {
                for (auto& g : parse_relations(v))
                    for (auto& r : g) p.provides.push_back(std::move(r));
            } else if (name == "conffiles") {
                std::string_view rest = value;
                while (!rest.empty()) {
                    std::string_view l = text::trim(next_line(rest));
                    // " /etc/x.conf <md5> [obsolete|remove-on-upgrade]"
                    const std::size_t sp = l.find_first_of(" \t");
                    if (auto c = clean_path(l.substr(0, sp))) p.conffiles.push_back(*c);
                }
            }
        }
        fields.clear();
        if (!has_name || !is_package_name(p.name) || (!p.architecture.empty() && !is_arch_name(p.architecture))) {
            if (warnings)
                warnings->push_back("status stanza at line " + std::to_string(stanza_line) +
                                    " has no valid Package or Architecture field, skipped");
            return;
        }
        std::vector<std::string> rel_warnings;
        p.depends = parse_relations(pre_depends, &rel_warnings);
        for (auto& g : parse_relations(depends, &rel_warnings)) p.depends.push_back(std::move(g));
        if (warnings && !rel_warnings.empty())
            warnings->push_back("package " + p.name + ": " + std::to_string(rel_warnings.size()) +
                                " malformed relation(s) skipped");
        // "want ok state": the files are all there once unpacked and
        // configured; triggers do not touch them (MUST 4).
        std::vector<std::string> words;
        std::string_view s = p.status;
        while (!s.empty()) {
            const std::size_t sp = s.find_first_of(" \t");
            if (sp != 0) words.emplace_back(s.substr(0, sp));
            s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
        }
        p.installed = words.size() == 3 && words[1] == "ok" &&
                      (words[2] == "installed" || words[2] == "triggers-pending" || words[2] == "triggers-awaited");
        out.push_back(std::move(p));
    };
    while (!text.empty()) {
        std::string_view line = next_line(text);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (text::trim(line).empty()) {
            finish();
            continue;
        }
        if (fields.empty()) stanza_line = line_no;
        if (is_blank(line.front())) {
            // A continuation of the previous field; a stray one is ignored.
            if (!fields.empty()) fields.back().second += "\n" + std::string(line);
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;  // not a field: ignored
        fields.emplace_back(lower(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    finish();
    return out;
}

std::vector<std::string> parse_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::string_view line = next_line(text);
        std::optional<std::string> p = clean_path(line);
        if (p && *p != "/") out.push_back(std::move(*p));
    }
    return out;
}

std::map<std::string, std::string> parse_md5sums(std::string_view text) {
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 34) continue;
        const std::string digest = lower(line.substr(0, 32));
        if (!std::all_of(digest.begin(), digest.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
            continue;
        std::string_view rest = line.substr(32);
        // md5sum's "  path" (text mode) or " *path" (binary mode).
        if (rest.empty() || !is_blank(rest.front())) continue;
        rest.remove_prefix(1);
        if (!rest.empty() && (rest.front() == '*' || is_blank(rest.front()))) rest.remove_prefix(1);
        if (rest.empty()) continue;
        std::optional<std::string> p = clean_path(rest.front() == '/' ? std::string(rest) : "/" + std::string(rest));
        if (p && *p != "/") out[*p] = digest;
    }
    return out;
}

std::string native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
    return "x32";
#elif defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "i386";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    return "armhf";
#elif defined(__arm__)
    return "armel";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64el";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__mips__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__LP64__)
    return "mips64el";
#elif defined(__loongarch64)
    return "loong64";
#else
    return "";
#endif
}

Database::Database(std::vector<Package> packages, std::string native) : native_(std::move(native)) {
    for (auto& p : packages)
        if (p.installed) packages_.push_back(std::move(p));
    for (std::size_t i = 0; i < packages_.size(); ++i) {
        by_name_.emplace(packages_[i].name, i);
        for (const auto& pr : packages_[i].provides) providers_.emplace(pr.name, i);
    }
}

const Package* Database::find(std::string_view spec) const {
    const std::size_t colon = spec.find(':');
    const std::string name(spec.substr(0, colon));
    const std::string arch = colon == std::string_view::npos ? "" : std::string(spec.substr(colon + 1));
    const Package *native = nullptr, *all = nullptr, *only = nullptr;
    std::size_t count = 0;
    for (auto [it, end] = by_name_.equal_range(name); it != end; ++it) {
        const Package& p = packages_[it->second];
        if (!arch.empty()) {
            if (p.architecture == arch || (arch == "native" && p.architecture == native_)) return &p;
            continue;
        }
        ++count;
        only = &p;
        if (p.architecture == native_) native = &p;
        if (p.architecture == "all") all = &p;
    }
    if (native) return native;
    if (all) return all;
    return count == 1 ? only : nullptr;
}

const Package* Database::satisfy(const Relation& rel, const Package& from) const {
    // An Architecture: all package's unqualified relations are the native
    // architecture's (dpkg's rule).
    const std::string& from_arch = from.architecture == "all" ? native_ : from.architecture;
    auto fits = [&](const Package& p) {
        if (rel.arch == "any")
            return p.multi_arch == "allowed" || p.multi_arch == "foreign" || p.architecture == from_arch ||
                   p.architecture == "all";
        if (!rel.arch.empty() && rel.arch != "native") return p.architecture == rel.arch;
        const std::string& want = rel.arch == "native" ? native_ : from_arch;
        return p.architecture == want || p.architecture == "all" || p.multi_arch == "foreign";
    };
    const Package* fallback = nullptr;
    for (auto [it, end] = by_name_.equal_range(rel.name); it != end; ++it) {
        const Package& p = packages_[it->second];
        if (!fits(p)) continue;
        if (p.architecture == from_arch) return &p;
        if (!fallback) fallback = &p;
    }
    if (fallback) return fallback;
    // A virtual package: its providers, in database order (deterministic).
    for (auto [it, end] = providers_.equal_range(rel.name); it != end; ++it) {
        const Package& p = packages_[it->second];
        if (p.architecture == from_arch || p.architecture == "all" || p.multi_arch == "foreign" || rel.arch == "any")
            return &p;
    }
    return nullptr;
}

std::string qualified_name(const Package& p) {
    return p.architecture.empty() ? p.name : p.name + ":" + p.architecture;
}

Closure closure(const Database& db, const std::vector<std::string>& requested, bool use_depends,
                const std::vector<std::string>& block) {
    Closure c;
    std::set<const Package*> seen;
    auto blocked = [&](const Package& p) {
        return std::any_of(block.begin(), block.end(), [&](const std::string& b) {
            const std::size_t colon = b.find(':');
            if (colon == std::string::npos) return b == p.name;
            return b.substr(0, colon) == p.name && b.substr(colon + 1) == p.architecture;
        });
    };
    for (const auto& r : requested) {
        const Package* p = db.find(r);
        if (!p) {
            c.not_installed.push_back(r);
            continue;
        }
        if (seen.insert(p).second) c.packages.push_back(p);
    }
    if (!use_depends) return c;
    // Breadth-first over the list itself: the order is stable run to run.
    for (std::size_t i = 0; i < c.packages.size(); ++i) {
        const Package& from = *c.packages[i];
        for (const Alternatives& group : from.depends) {
            const Package* chosen = nullptr;
            bool any_blocked = false;
            for (const Relation& rel : group) {
                const Package* p = db.satisfy(rel, from);
                if (!p) continue;
                if (blocked(*p)) {
                    any_blocked = true;
                    continue;
                }
                chosen = p;
                break;
            }
            if (!chosen) {
                if (!any_blocked) {
                    std::string names;
                    for (const Relation& rel : group) names += (names.empty() ? "" : " | ") + rel.name;
                    c.warnings.push_back("dependency " + names + " of package " + from.name + " is not installed");
                }
                continue;
            }
            if (seen.insert(chosen).second) c.packages.push_back(chosen);
        }
    }
    return c;
}

// ---------------------------------------------------------------- system

std::string admindir() {
    const char* env = std::getenv("DPKG_ADMINDIR");
    return env && *env ? std::string(env) : std::string("/var/lib/dpkg");
}

namespace {

// A database file, read through trust's walk (MUST 6): whoever could write
// it would choose which host files go into jails.
std::string read_trusted(const std::string& path) {
    UniqueFd fd = trust::open_checked(path, trust::trusted_file, O_RDONLY | O_NONBLOCK);
    return sys::read_all(fd.get(), path);
}

}  // namespace

Database load(const std::string& dir) {
    std::vector<std::string> ignored;
    return Database(parse_status(read_trusted(dir + "/status"), &ignored));
}

namespace {

// <dir>/info/NAME:ARCH.SUFFIX, else <dir>/info/NAME.SUFFIX; nullopt when
// neither exists (MUST 5: the name was checked by parse_status).
std::optional<std::string> read_info(const std::string& dir, const Package& p, const std::string& suffix) {
    if (!is_package_name(p.name)) return std::nullopt;
    std::vector<std::string> names;
    if (!p.architecture.empty() && is_arch_name(p.architecture))
        names.push_back(p.name + ":" + p.architecture + "." + suffix);
    names.push_back(p.name + "." + suffix);
    for (const auto& n : names) {
        try {
            return read_trusted(dir + "/info/" + n);
        } catch (const SysError& e) {
            if (e.err() != ENOENT) throw;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::string>> read_list(const std::string& dir, const Package& p) {
    std::optional<std::string> text = read_info(dir, p, "list");
    if (!text) return std::nullopt;
    return parse_list(*text);
}

std::map<std::string, std::string> read_md5sums(const std::string& dir, const Package& p) {
    std::optional<std::string> text = read_info(dir, p, "md5sums");
    return text ? parse_md5sums(*text) : std::map<std::string, std::string>{};
}

}  // namespace jk::dpkg
