// jk_uchroot: the setuid-root tool with which a user enters a jail the admin
// allowed for them and runs one program there as themselves (COMPAT.md 2.5).
// The sequence and every check live in libjk (jk/launch.hpp); this file runs
// the setuid prologue first, parses the command line, then hands over.
#include "jk/main.hpp"

#include <syslog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/launch.hpp"
#include "jk/log.hpp"
#include "jk/privilege.hpp"
#include "jk_uchroot/cli.hpp"

int main(int argc, char** argv) {
    return jk::privilege::setuid_main(
        argc, argv, "jk_uchroot",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            jk_uchroot::Options o = jk_uchroot::parse_args(args);
            if (o.help) {
                std::fputs(jk_uchroot::usage_text(), stdout);
                return 0;
            }
            if (o.version) {
                std::printf("jk_uchroot %s\n", JK_VERSION);
                return 0;
            }
            jk::log::open("jk_uchroot", LOG_AUTHPRIV);
            jk::launch::UchrootRequest request{args.empty() ? std::string() : args[0], o.jail, o.executable, o.args};
            jk::launch::run_uchroot(prologue, request, [](int priority, const std::string& message) {
                jk::log::syslog_only(priority, message);
            });
        });
}
