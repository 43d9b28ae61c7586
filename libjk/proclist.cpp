#include "jk/proclist.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/json.hpp"
#include "jk/sys.hpp"

namespace jk::proclist {

namespace {

std::string trim_slashes(std::string_view p) {
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    return std::string(p);
}

// Display width of a (escaped, so printable) string: UTF-8 continuation
// bytes take no column.
std::size_t columns(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

// The first `n` columns of s, never splitting a UTF-8 sequence.
std::string cut(std::string_view s, std::size_t n) {
    std::size_t cols = 0, i = 0;
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (cols == n) break;
            ++cols;
        }
    }
    return std::string(s.substr(0, i));
}

std::string pad(const std::string& s, std::size_t w) {
    std::size_t c = columns(s);
    return c >= w ? s : s + std::string(w - c, ' ');
}

bool gone(int err) {
    return err == ENOENT || err == ESRCH;
}

}  // namespace

bool is_pid_name(std::string_view name) {
    if (name.empty() || name.size() > 10 || name[0] == '0') return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uid_t> parse_status_uid(std::string_view status) {
    std::size_t pos = 0;
    while (pos < status.size()) {
        std::size_t nl = status.find('\n', pos);
        std::string_view line = status.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? status.size() : nl + 1;
        if (!line.starts_with("Uid:")) continue;
        line.remove_prefix(4);
        while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
        unsigned long long v = 0;
        std::size_t digits = 0;
        for (char c : line) {
            if (c < '0' || c > '9') break;
            v = v * 10 + static_cast<unsigned>(c - '0');
            if (v > 0xFFFFFFFFull) return std::nullopt;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
        return static_cast<uid_t>(v);
    }
    return std::nullopt;
}

std::vector<std::string> split_cmdline(std::string_view cmdline) {
    std::vector<std::string> out;
    if (cmdline.empty()) return out;
    if (cmdline.back() == '\0') cmdline.remove_suffix(1);
    std::size_t pos = 0;
    for (;;) {
        std::size_t z = cmdline.find('\0', pos);
        out.emplace_back(cmdline.substr(pos, z == std::string_view::npos ? std::string_view::npos : z - pos));
        if (z == std::string_view::npos) break;
        pos = z + 1;
    }
    return out;
}

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\\') {
            out += "\\\\";
        } else if (u < 0x20 || u == 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

std::string command_of(const Process& p) {
    std::string out = p.exe.empty() ? "[unknown]" : escape(p.exe);
    for (const auto& a : p.args) out += " " + escape(a);
    return out;
}

bool is_jailed_root(std::string_view root) {
    return !root.empty() && root != "/";
}

bool root_matches(std::string_view root, std::string_view jail) {
    return trim_slashes(root) == trim_slashes(jail);
}

void sort_processes(std::vector<Process>& procs) {
    std::sort(procs.begin(), procs.end(), [](const Process& a, const Process& b) {
        if (a.jail != b.jail) return a.jail < b.jail;
        return a.pid < b.pid;
    });
}

std::string format_table(const std::vector<Process>& procs, std::optional<std::size_t> width) {
    if (procs.empty()) return "No jailed processes found\n";
    struct Row {
        std::string pid, user, jail, command;
    };
    std::vector<Row> rows;
    rows.push_back({"Pid", "User", "Jail", "Command"});
    for (const auto& p : procs) rows.push_back({std::to_string(p.pid), escape(p.user), escape(p.jail), command_of(p)});
    std::size_t wp = 0, wu = 0, wj = 0;
    for (const auto& r : rows) {
        wp = std::max(wp, columns(r.pid));
        wu = std::max(wu, columns(r.user));
        wj = std::max(wj, columns(r.jail));
    }
    std::string out;
    for (const auto& r : rows) {
        std::string line = std::string(wp - columns(r.pid), ' ') + r.pid + " " + pad(r.user, wu) + " " +
                           pad(r.jail, wj) + " " + r.command;
        if (width && columns(line) > *width) line = cut(line, *width);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

const char* kind_name(JailKind kind) noexcept {
    switch (kind) {
        case JailKind::copy: return "copy";
        case JailKind::thin: return "thin";
        case JailKind::unknown: break;
    }
    return "unknown";
}

JailInfos jail_infos(const std::vector<Process>& procs, const std::string& confdir) {
    JailInfos out;
    for (const auto& p : procs) {
        if (out.contains(p.jail)) continue;
        JailInfo& info = out[p.jail];
        try {
            if (std::optional<isolation::Policy> policy = isolation::load_policy(confdir, p.jail)) {
                if (policy->thin()) info.kind = JailKind::thin;
                if (!policy->empty()) info.policy = isolation::describe(*policy);
            }
        } catch (const Error& e) {
            info.kind = JailKind::unknown;
            info.policy = std::string("(policy refused: ") + e.what() + ")";
        }
    }
    return out;
}

std::string format_summary(const std::vector<Process>& procs, const JailInfos& jails) {
    if (procs.empty()) return "No jailed processes found\n";
    std::map<std::string, std::size_t> counts;
    for (const auto& p : procs) ++counts[p.jail];
    std::string out = "Processes Kind    Jail\n";
    for (const auto& [jail, n] : counts) {
        const auto it = jails.find(jail);
        const JailInfo info = it == jails.end() ? JailInfo{} : it->second;
        char head[64];
        std::snprintf(head, sizeof head, "%9zu %-7s ", n, kind_name(info.kind));
        out += std::string(head) + escape(jail);
        if (info.policy) out += "  isolated: " + escape(*info.policy);
        out += "\n";
    }
    return out;
}

std::string json_string(std::string_view s) {
    return json::quoted(s);
}

std::string to_json(const ScanResult& r, const JailInfos& jails) {
    std::string out = "{\"processes\":[";
    bool first = true;
    for (const auto& p : r.jailed) {
        if (!first) out += ",";
        first = false;
        out += "\n  {\"pid\":" + std::to_string(p.pid) + ",\"uid\":" + std::to_string(p.uid) +
               ",\"user\":" + json_string(p.user) + ",\"jail\":" + json_string(p.jail) +
               ",\"exe\":" + json_string(p.exe) + ",\"args\":[";
        for (std::size_t i = 0; i < p.args.size(); ++i) out += (i ? "," : "") + json_string(p.args[i]);
        out += "],\"command\":" + json_string(command_of(p)) + "}";
    }
    out += "],\n\"jails\":[";
    std::map<std::string, std::size_t> counts;
    for (const auto& p : r.jailed) ++counts[p.jail];
    first = true;
    for (const auto& [jail, n] : counts) {
        if (!first) out += ",";
        first = false;
        const auto it = jails.find(jail);
        const JailInfo info = it == jails.end() ? JailInfo{} : it->second;
        out += "\n  {\"jail\":" + json_string(jail) + ",\"processes\":" + std::to_string(n) +
               ",\"policy\":" + (info.policy ? json_string(*info.policy) : std::string("null")) + ",\"kind\":" +
               (info.kind == JailKind::unknown ? std::string("null") : json_string(kind_name(info.kind))) + "}";
    }
    out += "],\n\"unreadable\":" + std::to_string(r.unreadable) + ",\"vanished\":" + std::to_string(r.vanished) + "}\n";
    return out;
}

ScanResult scan(const std::string& proc_root, const std::function<std::string(uid_t)>& user_name) {
    UniqueFd dir = sys::open_at(AT_FDCWD, proc_root, O_RDONLY | O_DIRECTORY, 0, proc_root);
    int dup = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw SysError("cannot read the directory", proc_root, errno);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dup), &::closedir);
    if (!d) {
        int err = errno;
        ::close(dup);
        throw SysError("cannot read the directory", proc_root, err);
    }
    ScanResult r;
    auto unreadable = [&](pid_t pid, int err) {
        if (gone(err)) {
            ++r.vanished;
        } else {
            ++r.unreadable;
            r.unreadable_pids.push_back(pid);
        }
    };
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (!is_pid_name(name)) continue;
        ++r.scanned;
        Process p;
        p.pid = static_cast<pid_t>(std::stoll(name));
        try {
            p.jail = sys::readlink_at(dir.get(), name + "/root");
        } catch (const SysError& err) {
            unreadable(p.pid, err.err());
            continue;
        }
        if (!is_jailed_root(p.jail)) continue;
        try {
            UniqueFd f = sys::open_at(dir.get(), name + "/status", O_RDONLY);
            std::optional<uid_t> uid = parse_status_uid(sys::read_all(f.get(), proc_root + "/" + name + "/status"));
            if (!uid) {
                unreadable(p.pid, EINVAL);
                continue;
            }
            p.uid = *uid;
        } catch (const SysError& err) {
            unreadable(p.pid, err.err());
            continue;
        }
        p.user = user_name(p.uid);
        // exe and cmdline are best effort: a zombie or a kernel-owned
        // process has neither, and the process is still jailed.
        try {
            p.exe = sys::readlink_at(dir.get(), name + "/exe");
        } catch (const SysError&) {
        }
        try {
            UniqueFd f = sys::open_at(dir.get(), name + "/cmdline", O_RDONLY);
            p.args = split_cmdline(sys::read_all(f.get(), proc_root + "/" + name + "/cmdline"));
        } catch (const SysError&) {
        }
        r.jailed.push_back(std::move(p));
    }
    sort_processes(r.jailed);
    return r;
}

}  // namespace jk::proclist
