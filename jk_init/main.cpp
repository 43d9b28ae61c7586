// jk_init: create a chroot jail from sections of jk_init.ini.
#include "jk/main.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "jk/changes.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"
#include "jk/jail_remove.hpp"
#include "jk_init/cli.hpp"

namespace {

void print_line(FILE* f, const std::string& line) {
    std::fputs(line.c_str(), f);
    std::fputc('\n', f);
}

int list_sections(const std::string& file) {
    jk::config::IniFile ini = [&] {
        try {
            return jk::config::IniFile::load(file);
        } catch (const jk::SysError& e) {
            if (e.err() == ENOENT)
                throw jk::Error("ERROR: config file " + jk::quoted(file) + " does not exist",
                                jk::init::unsafe_or_no_config);
            throw;
        }
    }();
    print_line(stdout, "** Available sections in " + file + " **");
    for (const auto& s : jk::init::list_sections(ini))
        print_line(stdout, s.comment.empty() ? s.name : s.name + " - " + s.comment);
    return jk::init::ok;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&]() -> int {
        jk_init::Options o = jk_init::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_init::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_init %s\n", JK_VERSION);
            return 0;
        }
        if (o.list) return list_sections(o.config_file);
        if (::geteuid() != 0)
            throw jk::Error("Cannot create chroot jail without root privileges. Abort.", jk::init::not_root);
        umask(022);

        jk::init::Options io;
        io.config_file = o.config_file;
        io.verbose = o.verbose;
        io.force = o.force;
        io.hardlink = o.hardlink;
        io.strict = o.strict;
        io.thin = o.thin;
        io.dry_run = o.dry_run;
        io.policy_file = o.policy_file;
        jk::changes::Report report;
        jk::init::Sink sink;
        // With --json stdout is the report alone; a dry run prints its plan
        // at the end (changes::run_reported).
        sink.out = [&o](const std::string& line) {
            if (!o.json && !o.dry_run) print_line(stdout, line);
        };
        sink.warn = [&report](const std::string& line) {
            std::fflush(stdout);  // keep the two streams in order on a terminal
            print_line(stderr, line);
            report.warn(line);
        };
        sink.report = &report;
        return jk::changes::run_reported({"jk_init", o.jail, o.json, o.dry_run}, report, [&] {
            if (o.remove) {
                jk::jail_remove::Options ro;
                ro.dry_run = o.dry_run;
                ro.verbose = o.verbose;
                jk::jail_remove::run(ro, o.jail, sink);
                return int{jk::init::ok};
            }
            jk::init::run(io, o.jail, o.sections, sink);
            return int{jk::init::ok};
        });
    });
}
