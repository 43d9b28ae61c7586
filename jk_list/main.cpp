// jk_list: show the processes that run in jails (COMPAT.md 2.10). The scan,
// parsing and formatting live in libjk (jk/proclist.hpp); this file picks
// the jails to show, looks up user names and prints.
#include "jk/main.hpp"

#include <limits.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/proclist.hpp"
#include "jk_list/cli.hpp"

namespace {

enum Exit { listed = 0, no_proc = 2 };

// The host's name for a uid (NSS), or the number; asked once per uid.
std::string user_name(uid_t uid) {
    static std::map<uid_t, std::string> cache;
    auto it = cache.find(uid);
    if (it != cache.end()) return it->second;
    std::vector<char> buf(4096);
    passwd pw{};
    passwd* result = nullptr;
    int err;
    while ((err = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &result)) == ERANGE && buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    std::string name = (err == 0 && result != nullptr) ? std::string(pw.pw_name) : std::to_string(uid);
    return cache[uid] = name;
}

// A jail given with -j as /proc shows roots: canonical when it exists (a
// symlinked or relative spelling still matches), else as given.
std::string canonical(const std::string& jail) {
    char buf[PATH_MAX];
    if (::realpath(jail.c_str(), buf) != nullptr) return buf;
    return jail;
}

std::optional<std::size_t> terminal_width() {
    winsize ws{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

int list(const jk_list::Options& o) {
    jk::proclist::ScanResult r;
    try {
        r = jk::proclist::scan("/proc", user_name);
    } catch (const jk::SysError& e) {
        throw jk::Error(e.what(), no_proc);
    }
    if (!o.jails.empty()) {
        std::vector<std::string> wanted;
        for (const auto& j : o.jails) wanted.push_back(canonical(j));
        std::erase_if(r.jailed, [&](const jk::proclist::Process& p) {
            for (const auto& w : wanted)
                if (jk::proclist::root_matches(p.jail, w)) return false;
            return true;
        });
    }
    if (o.json) {
        std::fputs(jk::proclist::to_json(r).c_str(), stdout);
    } else if (o.summary) {
        std::fputs(jk::proclist::format_summary(r.jailed).c_str(), stdout);
    } else {
        std::fputs(jk::proclist::format_table(r.jailed, o.wide ? std::nullopt : terminal_width()).c_str(), stdout);
    }
    if (o.verbose) {
        std::fprintf(stderr, "%s: %zu processes scanned, %zu could not be read, %zu ended during the scan\n",
                     jk::program_name(), r.scanned, r.unreadable, r.vanished);
        if (!r.unreadable_pids.empty()) {
            std::string pids;
            for (std::size_t i = 0; i < r.unreadable_pids.size() && i < 20; ++i)
                pids += " " + std::to_string(r.unreadable_pids[i]);
            if (r.unreadable_pids.size() > 20) pids += " ...";
            std::fprintf(stderr, "%s: could not be read:%s\n", jk::program_name(), pids.c_str());
        }
    }
    return listed;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_list::Options o = jk_list::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_list::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_list %s\n", JK_VERSION);
            return 0;
        }
        return list(o);
    });
}
