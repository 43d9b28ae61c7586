// jk_exec: root runs one command inside a jail (FreeBSD's jexec), in the
// foreground, with the jail's isolation policy. The sequence and every
// check live in libjk (jk/jexec.hpp); this file cleans up what the caller
// left (fds above 2, signals, environment), parses, then hands over.
#include "jk/main.hpp"

#include <syslog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/jexec.hpp"
#include "jk/log.hpp"
#include "jk/privilege.hpp"
#include "jk_exec/cli.hpp"

int main(int argc, char** argv) {
    // Not setuid, but run from root's shells and scripts: the same clean
    // slate as the setuid tools (no inherited fd above 2 reaches the jail,
    // where a directory fd would lead out of it; environment put aside).
    return jk::privilege::setuid_main(
        argc, argv, "jk_exec",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            jk_exec::Options o = jk_exec::parse_args(args);
            if (o.help) {
                std::fputs(jk_exec::usage_text(), stdout);
                return 0;
            }
            if (o.version) {
                std::printf("jk_exec %s\n", JK_VERSION);
                return 0;
            }
            jk::log::open("jk_exec", LOG_AUTHPRIV);
            jk::jexec::Request request;
            request.jail = o.jail;
            request.user = o.host_user ? o.host_user : o.user;
            request.user_db = o.host_user ? jk::jexec::UserDb::host : jk::jexec::UserDb::jail;
            request.command = o.command;
            jk::jexec::run(prologue, request,
                           [](int priority, const std::string& message) { jk::log::syslog_only(priority, message); });
        });
}
