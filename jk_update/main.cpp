// jk_update: bring a jail's copied files up to date with the host
// (COMPAT.md 2.11). The engine is libjk's (jk/update.hpp); this file reads
// the configuration section, opens the jail and maps the result to an exit
// status.
#include "jk/main.hpp"

#include <sys/stat.h>
#include <syslog.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "jk/changes.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/isolation.hpp"
#include "jk/jail.hpp"
#include "jk/log.hpp"
#include "jk/search_path.hpp"
#include "jk/update.hpp"
#include "jk_update/cli.hpp"

namespace {

using namespace jk_update;

int update(const Options& o, jk::changes::Report& report) {
    jk::update::Settings s;
    s.dry_run = o.dry_run;
    s.verbose = o.verbose;
    s.hardlink = o.hardlink;
    s.max_remove = o.max_remove;
    s.changes = &report;
    std::vector<std::string> dirs = o.directories;
    std::vector<std::string> skips = o.skips;

    // -c names the jail by a section of the ini (jailkit: section = jail path).
    std::string jail_path = o.jail.empty() ? o.section : o.jail;
    if (!o.section.empty()) {
        jk::config::IniFile ini = jk::config::IniFile::load(o.configfile);
        for (const auto& w : ini.warnings()) {
            std::fprintf(stderr, "%s: warning: %s\n", jk::program_name(), w.c_str());
            report.warn(w);
        }
        jk::update::IniSettings is = jk::update::read_section(ini, o.section);
        for (const auto& w : is.warnings) {
            std::fprintf(stderr, "%s: warning: %s\n", jk::program_name(), w.c_str());
            report.warn(w);
        }
        skips.insert(skips.end(), is.skips.begin(), is.skips.end());
        dirs.insert(dirs.end(), is.directories.begin(), is.directories.end());
        if (!o.hardlink && is.hardlinks) s.hardlink = *is.hardlinks;
    }
    while (jail_path.size() > 1 && jail_path.back() == '/') jail_path.pop_back();
    if (jail_path.front() != '/') jail_path = jk::search_path::absolute(jail_path);

    jk::Jail jail = [&] {
        try {
            return jk::Jail::open(jail_path);
        } catch (const jk::UnsafePath& e) {
            jk::log::syslog_only(LOG_WARNING,
                                 "refusing to update unsafe jail " + jk::quoted(jail_path) + ": " + e.what());
            throw jk::Error(std::string("ERROR: jail is not safe: ") + e.what(), unsafe_jail);
        }
    }();
    for (const auto& sk : skips) s.skips.push_back(jk::update::normalize_skip(sk, jail.path()));
    s.directories = dirs;
    // A thin jail ([thin] in its policy) holds only its own files. A policy
    // that cannot be read stops the run: what the jail is cannot be told.
    if (std::optional<jk::isolation::Policy> p =
            jk::isolation::load_policy(JK_SYSCONFDIR, jk::normalize_absolute(jail.path())))
        s.thin_binds = p->ro_binds;

    // With --json stdout is the report alone.
    auto print = [&o](const std::string& line) {
        if (o.json) return;
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    };
    jk::update::Result r = jk::update::run(jail, s, print);
    if (r.refused)
        throw jk::Error("ERROR: " + std::to_string(r.would_remove) + " files would be removed from " + jail.path() +
                            ", more than --max-remove=" + std::to_string(o.max_remove) +
                            "; nothing was changed (check the host, or raise --max-remove)",
                        refused);
    if (r.errors > 0) return errors;
    if (o.dry_run && r.pending()) return pending;
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        Options o = parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_update %s\n", JK_VERSION);
            return 0;
        }
        umask(022);
        jk::log::open("jk_update", LOG_AUTHPRIV);
        jk::changes::Report report;
        jk::changes::JsonRun run{"jk_update", o.jail.empty() ? o.section : o.jail, o.json, o.dry_run};
        run.plan_lines = false;  // its own "will update ..." lines
        return jk::changes::run_reported(run, report, [&] { return update(o, report); });
    });
}
