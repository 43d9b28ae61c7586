// jk_trace: finds what a program needs in a jail by running it there under
// ptrace (issue 14). The loop and every safety rule live in libjk
// (jk/trace.hpp); this file parses, prints the summary and the section.
#include "jk/main.hpp"

#include <syslog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/log.hpp"
#include "jk/privilege.hpp"
#include "jk/trace.hpp"
#include "jk/trace_rules.hpp"
#include "jk_trace/cli.hpp"

int main(int argc, char** argv) {
    // Not setuid, but run from root's shells: the same clean slate as the
    // setuid tools, so no inherited fd or variable reaches the jail.
    return jk::privilege::setuid_main(
        argc, argv, "jk_trace",
        [](const jk::privilege::Prologue& prologue, const std::vector<std::string>& args) -> int {
            jk_trace::Options o = jk_trace::parse_args(args);
            if (o.help) {
                std::fputs(jk_trace::usage_text(), stdout);
                return 0;
            }
            if (o.version) {
                std::printf("jk_trace %s\n", JK_VERSION);
                return 0;
            }
            jk::log::open("jk_trace", LOG_AUTHPRIV);
            auto say = [](const std::string& line) { std::fprintf(stderr, "jk_trace: %s\n", line.c_str()); };
            jk::trace::Outcome r = jk::trace::run(prologue, o.trace, say);
            say(std::to_string(r.added.size()) + (o.trace.dry_run ? " path(s) would be added" : " path(s) added") +
                " in " + std::to_string(r.rounds) + " round(s); " +
                (r.exit_code == jk::trace::exit_code::converged       ? "converged"
                 : r.exit_code == jk::trace::exit_code::never_started ? "the program never started"
                                                                      : "not converged"));
            if (o.section) {
                std::string program;
                for (const auto& w : o.trace.command) program += (program.empty() ? "" : " ") + w;
                const jk::trace::SectionLists lists = jk::trace::section_lists(r);
                const std::string text =
                    jk::trace::section_text(*o.section, "found by jk_trace: " + program, lists.paths, lists.emptydirs);
                if (o.section_file) {
                    jk::trace::write_section_file(*o.section_file, *o.section, text);
                    say("section [" + *o.section + "] written to " + *o.section_file);
                } else {
                    std::fputs(text.c_str(), stdout);
                }
            }
            return r.exit_code;
        });
}
