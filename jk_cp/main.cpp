// jk_cp: copy files with what they need into a chroot jail.
#include "jk/main.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "jk/changes.hpp"
#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/log.hpp"
#include "jk/search_path.hpp"
#include "jk_cp/cli.hpp"

namespace {

// jailkit 2.23's exit codes (COMPAT.md 2.2).
enum Exit { ok = 0, no_files = 2, not_a_directory = 3, missing_file = 4, not_root = 5, unsafe_jail = 6 };

int copy_into_jail(const jk_cp::Options& o, jk::changes::Report& report) {
    if (::geteuid() != 0) throw jk::Error("Cannot copy files into a jail without root privileges. Abort.", not_root);

    struct stat st {};
    if (::stat(o.jail.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw jk::Error("ERROR: jail " + jk::quoted(o.jail) + " is not a directory", not_a_directory);

    // Every file is checked before anything is copied, so a typo leaves the
    // jail as it was.
    std::vector<std::string> sources;
    for (const auto& f : o.files) {
        auto found = jk::search_path::locate(f);
        if (found) {
            sources.push_back(*found);
        } else if (f.find('/') == std::string::npos) {
            // jailkit drops a bare name it cannot find in $PATH and only
            // fails (exit 2) when nothing is left to copy.
            std::fprintf(stderr, "jk_cp: WARNING: %s not found in $PATH, skipping\n", jk::quoted(f).c_str());
            report.warn(jk::quoted(f) + " not found in $PATH, skipping");
        } else {
            throw jk::Error("ERROR: " + f + " does not exist", missing_file);
        }
    }
    if (sources.empty()) throw jk::UsageError("no files to copy", no_files);

    std::string jail_path = o.jail.front() == '/' ? o.jail : jk::search_path::absolute(o.jail);
    jk::Jail jail = [&] {
        try {
            return jk::Jail::open(jail_path);
        } catch (const jk::UnsafePath& e) {
            jk::log::syslog_only(LOG_WARNING,
                                 "refusing to copy into unsafe jail " + jk::quoted(jail_path) + ": " + e.what());
            throw jk::Error(std::string("ERROR: jail is not safe: ") + e.what(), unsafe_jail);
        }
    }();

    jk::copy::Options copy_options;
    copy_options.force = o.force;
    copy_options.hardlink = o.hardlink;
    copy_options.keep_owner = o.keep_owner;
    copy_options.keep_setuid = o.keep_setuid;
    copy_options.verbose = o.verbose;
    copy_options.exclude = jail.path();
    copy_options.dry_run = o.dry_run;
    copy_options.changes = &report;

    jk::copy::Planner planner(copy_options, jk::copy::host_dependency_finder());
    for (const auto& s : sources) planner.add(s);
    jk::copy::Plan plan = planner.take();
    for (const auto& w : plan.warnings) {
        std::fprintf(stderr, "jk_cp: warning: %s\n", w.c_str());
        report.warn(w);
    }
    for (const auto& m : plan.missing_libraries) {
        std::fprintf(stderr, "jk_cp: warning: library %s not found\n", m.c_str());
        report.warn("library " + m + " not found");
    }

    // With --json stdout is the report alone; a dry run prints its plan
    // afterwards (changes::run_reported).
    auto print = [&o](const std::string& line) {
        if (!o.json && !o.dry_run) std::printf("%s\n", line.c_str());
    };
    jk::copy::install(plan, jail, copy_options, print);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_cp::Options o = jk_cp::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_cp::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_cp %s\n", JK_VERSION);
            return 0;
        }
        umask(022);
        jk::log::open("jk_cp", LOG_AUTHPRIV);
        jk::changes::Report report;
        return jk::changes::run_reported({"jk_cp", o.jail, o.json, o.dry_run}, report,
                                         [&] { return copy_into_jail(o, report); });
    });
}
