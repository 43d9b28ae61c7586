// jk_socketd: syslog sockets inside jails, relayed to the host's syslog
// (COMPAT.md 2.6, W18). The daemon - the root parent and its unprivileged
// relay child - is libjk's (jk/socketd_daemon.hpp); this file parses the
// command line and decides where the daemon's messages go. See
// jk_socketd(8) for the design.
#include "jk/main.hpp"

#include <syslog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/log.hpp"
#include "jk/socketd_daemon.hpp"
#include "jk_socketd/cli.hpp"

namespace {

namespace sd = jk::socketd;

// Two sinks: stderr while someone may read it (always with -n, until the
// daemon detaches without), syslog when it detaches.
struct Reporting {
    bool to_stderr = true;
    bool to_syslog = false;

    void report(int priority, const std::string& msg) const {
        if (to_syslog) jk::log::syslog_only(priority, msg);
        if (to_stderr) {
            if (priority == LOG_WARNING)
                jk::log::warn(msg);
            else
                jk::log::err(msg);
        }
    }
};

sd::DaemonOptions daemon_options(const jk_socketd::Options& o) {
    sd::DaemonOptions d;
    d.confdir = JK_SYSCONFDIR;
    d.nodetach = o.nodetach;
    d.pidfile = o.pidfile;
    d.socket = o.socket;
    d.base = o.base;
    d.peak = o.peak;
    d.interval = o.interval;
    d.target = o.target;
    d.user = o.user;
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_socketd::Options o = jk_socketd::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_socketd::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_socketd %s\n", JK_VERSION);
            return 0;
        }
        jk::log::open("jk_socketd", LOG_DAEMON);
        Reporting out;
        out.to_syslog = !o.nodetach;
        const sd::Sink sink{[&](int priority, const std::string& msg) { out.report(priority, msg); },
                            [&] { out.to_stderr = false; }};
        // Errors before the daemon runs reach run_main (stderr, jailkit's
        // exit code); the daemon's own are reported through the sink.
        return sd::run_daemon(daemon_options(o), sink);
    });
}
