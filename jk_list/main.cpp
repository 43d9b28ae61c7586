// jk_list: show the processes that run in jails (COMPAT.md 2.10). The scan,
// parsing and formatting live in libjk (jk/proclist.hpp); this file picks
// the jails to show, looks up user names and prints.
#include "jk/main.hpp"

#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/jail_signal.hpp"
#include "jk/proclist.hpp"
#include "jk/text.hpp"
#include "jk_list/cli.hpp"

namespace {

enum Exit { listed = 0, no_proc = 2, signal_failed = 3 };

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

// --kill: pkill -j for each jail named; every decision to syslog.
int kill_jails(const jk_list::Options& o) {
    ::openlog("jk_list", LOG_PID, LOG_AUTHPRIV);
    const char* name = ::sigabbrev_np(o.signal);
    const std::string sig = name != nullptr ? std::string("SIG") + name : std::to_string(o.signal);
    int rc = 0;
    for (const auto& j : o.jails) {
        const std::string jail = canonical(j);
        jk::proclist::SignalResult r;
        try {
            r = jk::proclist::signal_jail("/proc", jail, o.signal);
        } catch (const jk::SysError& e) {
            throw jk::Error(e.what(), no_proc);
        }
        const std::string line = "sent " + sig + " to " + std::to_string(r.signalled) + " process" +
                                 (r.signalled == 1 ? "" : "es") + " in jail " + jk::text::printable(jail);
        std::printf("%s\n", line.c_str());
        ::syslog(LOG_NOTICE, "%s (by uid %u)", line.c_str(), static_cast<unsigned>(::getuid()));
        for (const auto& f : r.failures) {
            std::fprintf(stderr, "%s: cannot signal %s in jail %s\n", jk::program_name(), f.c_str(), jail.c_str());
            rc = signal_failed;
        }
        if (r.left > 0) {
            std::fprintf(stderr, "%s: %zu processes are still in jail %s after SIGKILL\n", jk::program_name(), r.left,
                         jail.c_str());
            rc = signal_failed;
        }
    }
    return rc;
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
        std::fputs(jk::proclist::to_json(r, jk::proclist::jail_infos(r.jailed, JK_SYSCONFDIR)).c_str(), stdout);
    } else if (o.summary) {
        std::fputs(jk::proclist::format_summary(r.jailed, jk::proclist::jail_infos(r.jailed, JK_SYSCONFDIR)).c_str(),
                   stdout);
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
        return o.kill ? kill_jails(o) : list(o);
    });
}
