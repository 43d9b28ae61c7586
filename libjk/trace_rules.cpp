#include "jk/trace_rules.hpp"

#include <sys/syscall.h>

#include <algorithm>

#include "jk/jail.hpp"
#include "jk/text.hpp"

namespace jk::trace {

std::optional<PathArg> path_arg(long nr) {
    // Numbers from the build's own headers: the native ABI only (the tracer
    // ignores syscalls of any other, see trace_ptrace.hpp).
    switch (nr) {
#ifdef SYS_open
        case SYS_open: return PathArg{"open", -1, 0, PathUse::lookup, false};
#endif
#ifdef SYS_creat
        case SYS_creat: return PathArg{"creat", -1, 0, PathUse::lookup, false};
#endif
#ifdef SYS_stat
        case SYS_stat: return PathArg{"stat", -1, 0, PathUse::lookup, false};
#endif
#ifdef SYS_lstat
        case SYS_lstat: return PathArg{"lstat", -1, 0, PathUse::lookup, false};
#endif
#ifdef SYS_access
        case SYS_access: return PathArg{"access", -1, 0, PathUse::lookup, false};
#endif
#ifdef SYS_readlink
        case SYS_readlink: return PathArg{"readlink", -1, 0, PathUse::lookup, false};
#endif
        case SYS_openat: return PathArg{"openat", 0, 1, PathUse::lookup, false};
#ifdef SYS_openat2
        case SYS_openat2: return PathArg{"openat2", 0, 1, PathUse::lookup, false};
#endif
#ifdef SYS_newfstatat
        case SYS_newfstatat: return PathArg{"newfstatat", 0, 1, PathUse::lookup, true};
#endif
        case SYS_statx: return PathArg{"statx", 0, 1, PathUse::lookup, true};
        case SYS_faccessat: return PathArg{"faccessat", 0, 1, PathUse::lookup, false};
#ifdef SYS_faccessat2
        case SYS_faccessat2: return PathArg{"faccessat2", 0, 1, PathUse::lookup, false};
#endif
        case SYS_readlinkat: return PathArg{"readlinkat", 0, 1, PathUse::lookup, false};
        case SYS_chdir: return PathArg{"chdir", -1, 0, PathUse::lookup, false};
        case SYS_execve: return PathArg{"execve", -1, 0, PathUse::exec, false};
        case SYS_execveat: return PathArg{"execveat", 0, 1, PathUse::exec, true};
        default: return std::nullopt;
    }
}

const char* socket_call(long nr) {
    switch (nr) {
        case SYS_connect: return "connect";
        case SYS_bind: return "bind";
        default: return nullptr;
    }
}

std::optional<std::string> inside_jail(std::string_view jail, std::string_view path) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    if (jail == "/" || jail.empty()) return std::string(path);
    if (!path.starts_with(jail)) return std::nullopt;
    std::string_view rest = path.substr(jail.size());
    if (rest.empty()) return std::string("/");
    if (rest.front() != '/') return std::nullopt;  // "/srv/jail2" is not inside "/srv/jail"
    return std::string(rest);
}

std::string join_clean(std::string_view base, std::string_view path) {
    if (path.empty()) return {};
    std::string whole = path.front() == '/' ? std::string(path) : std::string(base) + "/" + std::string(path);
    if (whole.empty() || whole.front() != '/') whole.insert(0, "/");
    return normalize_absolute(whole);
}

Rules default_rules(std::string_view jail) {
    Rules r;
    r.allowed_roots = {"/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/opt", "/var/lib"};
    r.deny = {"/home",
              "/root",
              "/etc/shadow*",
              "/etc/gshadow*",
              "/etc/sudoers*",
              "/etc/ssh",
              "/etc/ssl/private",
              "/etc/passwd*",
              "/etc/group*",
              "/etc/subuid*",
              "/etc/subgid*",
              "/etc/security/opasswd",
              "/etc/krb5.keytab",
              "/etc/jailkit",
              "/proc",
              "/sys",
              "/dev",
              "/run",
              "/tmp",
              "/var/tmp",
              "/var/mail",
              "/var/spool",
              "/var/log",
              "/srv",
              "/mnt",
              "/media",
              "/var/lib/sudo",
              "/var/lib/private"};
    if (!jail.empty() && jail != "/") r.deny.emplace_back(jail);
    return r;
}

bool under(std::string_view path, std::string_view prefix) {
    if (prefix.empty()) return false;
    if (prefix.back() == '*') {
        std::string_view stem = prefix.substr(0, prefix.size() - 1);
        // Any name starting with the stem, and anything beneath it.
        return path.starts_with(stem);
    }
    if (prefix == "/") return true;
    if (!path.starts_with(prefix)) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::optional<std::string> refused(const Rules& rules, std::string_view path) {
    for (const auto& d : rules.deny)
        if (under(path, d)) return "is denied (" + d + ")";
    for (const auto& a : rules.allowed_roots)
        if (under(path, a)) return std::nullopt;
    return std::string("is outside the allowed roots");
}

std::optional<std::string> whole_directory(std::string_view path) {
    for (std::string_view root : {"/usr/lib/locale/", "/usr/share/locale-langpack/"}) {
        if (!path.starts_with(root)) continue;
        std::string_view rest = path.substr(root.size());
        const std::size_t slash = rest.find('/');
        if (slash == std::string_view::npos || slash == 0) return std::nullopt;  // the archive, or the root itself
        return std::string(root) + std::string(rest.substr(0, slash));
    }
    const std::string_view gconv = "/gconv/gconv-modules.d";
    const std::size_t at = path.find(gconv);
    if (at != std::string_view::npos && path.starts_with("/usr/lib") &&
        (path.size() == at + gconv.size() || path[at + gconv.size()] == '/'))
        return std::string(path.substr(0, at + gconv.size()));
    return std::nullopt;
}

bool valid_section_name(std::string_view name) {
    if (name.empty() || name.size() > 200) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == '+';
    });
}

namespace {

std::string list_line(const char* key, std::vector<std::string> items) {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    std::string out = std::string(key) + " = ";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i];
    }
    return out + "\n";
}

}  // namespace

std::string section_text(std::string_view name, std::string_view comment, std::vector<std::string> paths,
                         std::vector<std::string> emptydirs) {
    std::string out = "[" + std::string(name) + "]\n";
    out += "comment = " + text::printable(comment, 400) + "\n";
    out += list_line("paths", std::move(paths));
    if (!emptydirs.empty()) out += list_line("emptydirs", std::move(emptydirs));
    return out;
}

namespace {

// The section name a line opens ("[name]" after blanks), or nullopt.
std::optional<std::string_view> header_of(std::string_view line) {
    std::string_view t = text::trim(line);
    if (t.size() < 2 || t.front() != '[') return std::nullopt;
    const std::size_t close = t.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return text::trim(t.substr(1, close - 1));
}

}  // namespace

std::string replace_section(std::string_view file, std::string_view name, std::string_view section) {
    std::string out;
    bool replaced = false;
    bool skipping = false;
    // Comments and blank lines met while skipping: they belong to the next
    // section when one follows (kept), to the old one otherwise (dropped).
    std::string pending;
    std::size_t pos = 0;
    while (pos < file.size()) {
        std::size_t nl = file.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? file.size() : nl + 1;
        std::string_view line = file.substr(pos, end - pos);
        pos = end;
        if (std::optional<std::string_view> h = header_of(line)) {
            if (*h == name) {
                skipping = true;
                if (!replaced) {
                    out += section;
                    replaced = true;
                }
                continue;
            }
            if (skipping) out += pending.empty() ? std::string("\n") : pending;
            pending.clear();
            skipping = false;
        }
        if (skipping) {
            const std::string_view t = text::trim(line);
            if (t.empty() || t.front() == '#' || t.front() == ';')
                pending += line;
            else
                pending.clear();
            continue;
        }
        out += line;
        if (nl == std::string_view::npos && !line.empty()) out += "\n";
    }
    if (!replaced) {
        if (!out.empty() && out.back() != '\n') out += "\n";
        if (!out.empty()) out += "\n";
        out += section;
    }
    return out;
}

}  // namespace jk::trace
