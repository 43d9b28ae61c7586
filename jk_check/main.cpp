// jk_check: audit chroot jails (COMPAT.md 2.9). The checks live in libjk
// (jk/check.hpp); this file reads the configuration, picks the jails, prints
// and turns the findings into the exit status.
#include "jk/main.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "jk/check.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/lint.hpp"
#include "jk/namespaces.hpp"
#include "jk/users.hpp"
#include "jk_check/cli.hpp"

namespace {

// jailkit exited 0 whatever it found (COMPAT.md W12); we exit 2 on findings.
enum Exit { clean = 0, findings = 2 };

std::string current_dir() {
    std::vector<char> buf(4096);
    while (::getcwd(buf.data(), buf.size()) == nullptr) {
        if (errno != ERANGE) throw jk::SysError("cannot get the current directory", errno);
        buf.resize(buf.size() * 2);
    }
    return buf.data();
}

void warn(const std::string& w) {
    std::fprintf(stderr, "%s: warning: %s\n", jk::program_name(), w.c_str());
}

int check(const jk_check::Options& o) {
    // Verbose notes go where findings do not, so --json stays one document.
    auto note = [&](const std::string& s) {
        if (o.verbose) std::fprintf(o.json ? stderr : stdout, "%s\n", jk::check::shown(s).c_str());
    };

    std::optional<jk::config::IniFile> ini;
    try {
        ini.emplace(jk::config::IniFile::load(o.configfile));
    } catch (const jk::SysError& e) {
        // The default file may be absent (jailkit then checks the passwd
        // jails only); a file named with -c must exist.
        if (e.err() != ENOENT || o.configfile_given) throw;
        note(o.configfile + " does not exist, checking the jails found in /etc/passwd");
    }
    if (ini)
        for (const auto& w : ini->warnings()) warn(w);

    jk::users::HostUsers host = jk::users::read_host_users(jk::users::Malformed::skip);
    for (const auto& w : host.passwd.warnings) warn(w);

    std::vector<std::string> warnings;
    std::vector<jk::check::Target> targets =
        jk::check::select_targets(ini ? &*ini : nullptr, o.jails, host.passwd, current_dir(), warnings);
    for (const auto& w : warnings) warn(w);
    if (targets.empty()) note("no jails to check");
    // What isolation policies (jk_jail.ini(5)) may ask of this host.
    if (o.verbose) {
        std::istringstream support(jk::isolation::describe_host_support());
        for (std::string line; std::getline(support, line);) note("host supports " + line);
    }

    std::vector<jk::check::JailReport> reports;
    std::size_t total = 0;
    for (const auto& t : targets) {
        note("checking jail " + t.jail);
        reports.push_back({t.jail, {}});
        jk::check::Options co;
        co.ignores = t.ignores;
        co.note = note;
        co.report = [&](const jk::check::Finding& f) {
            if (o.json) {
                reports.back().findings.push_back(f);
            } else {
                std::printf("%s\n", f.message.c_str());
                std::fflush(stdout);
            }
        };
        total += jk::check::check_jail(t.jail, host.passwd, co);
    }
    if (o.json) std::fputs(jk::check::to_json(reports).c_str(), stdout);
    return total == 0 ? clean : findings;
}

// --lint: every known ini file present in the directory (a missing one is
// fine: each tool has defaults). A file that cannot be read is an error (1).
int lint(const jk_check::Options& o) {
    struct stat st {};
    if (::stat(o.lint_dir.c_str(), &st) != 0) throw jk::SysError("cannot read " + o.lint_dir, errno);
    if (!S_ISDIR(st.st_mode)) throw jk::SysError("cannot read " + o.lint_dir, ENOTDIR);
    std::size_t total = 0;
    for (std::string_view name : jk::lint::known_files()) {
        const std::string path = o.lint_dir + "/" + std::string(name);
        std::string text;
        try {
            text = jk::config::read_config_text(path);
        } catch (const jk::SysError& e) {
            if (e.err() == ENOENT) continue;
            throw;
        }
        for (const auto& f : jk::lint::lint_text(text, path, name)) {
            std::printf("%s\n", f.text().c_str());
            ++total;
        }
    }
    return total == 0 ? clean : findings;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_check::Options o = jk_check::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_check::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_check %s\n", JK_VERSION);
            return 0;
        }
        return o.lint ? lint(o) : check(o);
    });
}
