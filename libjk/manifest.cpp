#include "jk/manifest.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <vector>

#include "jk/error.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::manifest {

namespace {

constexpr std::string_view header = "# jailkit-ng manifest 1";
constexpr std::string_view valid_types = "fhldcbp";

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    for (;;) {
        size_t j = line.find('\t', i);
        out.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) return out;
        i = j + 1;
    }
}

template <typename T>
T number(std::string_view field, const std::string& filename, int line) {
    T value{};
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size() || field.empty())
        throw ConfigError(filename, line, "bad number " + quoted(std::string(field)));
    return value;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

std::string escape(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '%' || c == '\t' || c == '\n' || c == '\r') {
            const auto u = static_cast<unsigned char>(c);
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

std::string unescape(std::string_view s, const std::string& filename, int line) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) throw ConfigError(filename, line, "truncated %-escape");
        const int hi = hex_digit(s[i + 1]);
        const int lo = hex_digit(s[i + 2]);
        if (hi < 0 || lo < 0) throw ConfigError(filename, line, "bad %-escape");
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

Manifest parse(std::string_view text, const std::string& filename) {
    Manifest m;
    int line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line_no == 1) {
            if (line != header) throw ConfigError(filename, 1, "not a jailkit-ng manifest (unknown header)");
            continue;
        }
        if (line.empty()) continue;
        auto f = split_tabs(line);
        if (f.size() != 7) throw ConfigError(filename, line_no, "expected 7 tab-separated fields");
        if (f[1].size() != 1 || valid_types.find(f[1][0]) == std::string_view::npos)
            throw ConfigError(filename, line_no, "bad entry type " + quoted(std::string(f[1])));
        Entry e;
        e.path = unescape(f[0], filename, line_no);
        if (e.path.empty() || e.path[0] != '/') throw ConfigError(filename, line_no, "path is not absolute");
        e.type = f[1][0];
        e.source = unescape(f[2], filename, line_no);
        e.size = number<long long>(f[3], filename, line_no);
        e.mtime_ns = number<long long>(f[4], filename, line_no);
        e.ino = number<unsigned long long>(f[5], filename, line_no);
        e.ctime_ns = number<long long>(f[6], filename, line_no);
        m.entries[e.path] = std::move(e);
    }
    return m;
}

std::string render(const Manifest& m) {
    std::string out(header);
    out += '\n';
    for (const auto& [path, e] : m.entries) {
        out += escape(e.path) + '\t' + e.type + '\t' + escape(e.source) + '\t' + std::to_string(e.size) + '\t' +
               std::to_string(e.mtime_ns) + '\t' + std::to_string(e.ino) + '\t' + std::to_string(e.ctime_ns) + '\n';
    }
    return out;
}

Manifest load(const Jail& jail) {
    UniqueFd fd;
    try {
        fd = jail.open(path_in_jail, O_RDONLY | O_NOFOLLOW);
    } catch (const SysError& e) {
        if (e.err() == ENOENT || e.err() == ENOTDIR) return {};
        throw;
    }
    const std::string shown = jail.host_path(path_in_jail);
    // Only a file root wrote may decide what jk_update deletes.
    if (std::optional<std::string> why = trust::problem(sys::fstat_fd(fd.get(), shown), trust::trusted_file))
        throw ConfigError(shown, 0, *why + ", refusing it (only root may write the manifest)");
    return parse(sys::read_all(fd.get(), shown), shown);
}

void save(const Jail& jail, const Manifest& m) {
    for (const char* dir : {"/etc", "/etc/jailkit"}) {
        Jail::Parent parent = jail.open_parent(dir);
        if (::mkdirat(parent.dir.get(), parent.leaf.c_str(), 0755) != 0 && errno != EEXIST)
            throw SysError("cannot create directory", jail.host_path(dir), errno);
    }
    jail.replace_file(path_in_jail, render(m), 0644, 0, 0);
}

mode_t stat_type(char recorded) noexcept {
    switch (recorded) {
        case 'f':
        case 'h': return S_IFREG;
        case 'l': return S_IFLNK;
        case 'd': return S_IFDIR;
        case 'c': return S_IFCHR;
        case 'b': return S_IFBLK;
        case 'p': return S_IFIFO;
        default: return 0;
    }
}

}  // namespace jk::manifest
