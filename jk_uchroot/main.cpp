// jk_uchroot: the setuid-root tool with which a user enters a jail the admin
// allowed for them and runs one program there as themselves (COMPAT.md 2.5).
// The sequence and every check live in libjk (jk/launch.hpp); this file runs
// the setuid prologue first, parses the command line, then hands over.
#include "jk/main.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/handover.hpp"
#include "jk/launch.hpp"
#include "jk/log.hpp"
#include "jk/path.hpp"
#include "jk/privilege.hpp"
#include "jk_uchroot/cli.hpp"

int main(int argc, char** argv) {
#ifdef JK_DYNAMIC_TWIN
    // This build is static: runs it cannot serve exactly go to its twin.
    jk::handover::configure(JK_DYNAMIC_TWIN, argv, environ);
#endif
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
            // The jail as allowed_jails names it, never a spelling the kernel
            // may resolve elsewhere ("ok/../other", "a/./b", "a//b"); one
            // trailing '/' is fine, as in jailkit (which refuses the rest
            // with 21 too, its getcwd() disowning them).
            if (std::optional<std::string> why = jk::path::noncanonical(o.jail, jk::path::TrailingSlash::allowed)) {
                const std::string msg = "abort, the jail " + jk::quoted(o.jail) + " " + *why +
                                        ": give it as allowed_jails names it, without '.', '..' or '//'";
                jk::log::syslog_only(LOG_ERR, msg);
                throw jk::Error(msg, jk::launch::uchroot_exit::not_allowed);
            }
            jk::launch::UchrootRequest request{args.empty() ? std::string() : args[0], o.jail, o.executable, o.args};
            jk::launch::run_uchroot(prologue, request, [](int priority, const std::string& message) {
                jk::log::syslog_only(priority, message);
            });
        });
}
