// jk_chrootsh: the setuid-root login shell that puts a user in their jail
// (COMPAT.md 2.3). The sequence and every check live in libjk
// (jk/login.hpp); this file runs the setuid prologue first, then hands over.
#include "jk/main.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/handover.hpp"
#include "jk/log.hpp"
#include "jk/login.hpp"
#include "jk/privilege.hpp"
#include "jk_chrootsh/cli.hpp"

int main(int argc, char** argv) {
#ifdef JK_DYNAMIC_TWIN
    // This build is static: logins it cannot serve exactly go to its twin.
    jk::handover::configure(JK_DYNAMIC_TWIN, argv, environ);
#endif
    return jk::privilege::setuid_main(
        argc, argv, "jk_chrootsh",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            switch (jk_chrootsh::parse_action(args)) {
                case jk_chrootsh::Action::help: std::fputs(jk_chrootsh::usage_text(), stdout); return 0;
                case jk_chrootsh::Action::version: std::printf("jk_chrootsh %s\n", JK_VERSION); return 0;
                case jk_chrootsh::Action::login: break;
            }
            jk::log::open("jk_chrootsh", LOG_AUTHPRIV);
            jk::login::run(prologue, args,
                           [](int priority, const std::string& message) { jk::log::syslog_only(priority, message); });
        });
}
