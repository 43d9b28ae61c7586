// jk_chrootlaunch: root starts a program (a daemon that cannot chroot
// itself) inside a jail as some user (COMPAT.md 2.7). The sequence and every
// check live in libjk (jk/launch.hpp); this file cleans up what the caller
// left (fds above 2, signals, environment), parses, then hands over.
#include "jk/main.hpp"

#include <syslog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/launch.hpp"
#include "jk/log.hpp"
#include "jk/privilege.hpp"
#include "jk_chrootlaunch/cli.hpp"

int main(int argc, char** argv) {
    // Not setuid, but started by root from init scripts and shells: the same
    // clean slate as the setuid tools (fds > 2 closed, so none leaks into the
    // jail; environment snapshotted and cleared; signals reset) comes first.
    return jk::privilege::setuid_main(
        argc, argv, "jk_chrootlaunch",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            jk_chrootlaunch::Options o = jk_chrootlaunch::parse_args(args);
            if (o.help) {
                std::fputs(jk_chrootlaunch::usage_text(), stdout);
                return 0;
            }
            if (o.version) {
                std::printf("jk_chrootlaunch %s\n", JK_VERSION);
                return 0;
            }
            jk::log::open("jk_chrootlaunch", LOG_DAEMON);
            jk::launch::ChrootlaunchRequest request{o.jail, o.user, o.group, o.pidfile, o.executable, o.args};
            jk::launch::run_chrootlaunch(prologue, request, [](int priority, const std::string& message) {
                jk::log::syslog_only(priority, message);
            });
        });
}
