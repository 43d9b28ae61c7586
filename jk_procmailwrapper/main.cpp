// jk_procmailwrapper: the setuid-root procmail stand-in that delivers a
// jailed user's mail inside their jail (COMPAT.md 2.12). The sequence and
// every check live in libjk (jk/procmail.hpp); this file runs the setuid
// prologue first, then hands over.
#include "jk/main.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/handover.hpp"
#include "jk/log.hpp"
#include "jk/privilege.hpp"
#include "jk/procmail.hpp"
#include "jk_procmailwrapper/cli.hpp"

int main(int argc, char** argv) {
#ifdef JK_DYNAMIC_TWIN
    // This build is static: runs it cannot serve exactly go to its twin.
    jk::handover::configure(JK_DYNAMIC_TWIN, argv, environ);
#endif
    return jk::privilege::setuid_main(
        argc, argv, "jk_procmailwrapper",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            switch (jk_procmailwrapper::parse_action(args)) {
                case jk_procmailwrapper::Action::help: std::fputs(jk_procmailwrapper::usage_text(), stdout); return 0;
                case jk_procmailwrapper::Action::version: std::printf("jk_procmailwrapper %s\n", JK_VERSION); return 0;
                case jk_procmailwrapper::Action::deliver: break;
            }
            // Deliveries go to LOG_MAIL, refusals to LOG_AUTHPRIV: the reporter's
            // priorities carry their facility.
            jk::log::open("jk_procmailwrapper", LOG_MAIL);
            jk::procmail::run(prologue, args, [](int priority, const std::string& message) {
                jk::log::syslog_only(priority, message);
            });
        });
}
