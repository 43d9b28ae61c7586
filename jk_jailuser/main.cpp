// jk_jailuser: move existing host users into a jail (COMPAT.md 2.8). The
// logic lives in libjk (jk/jailuser.hpp); this file picks the jail (asking
// for another one when interactive), runs the users one by one and turns
// the outcomes into the exit status.
#include "jk/main.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "jk/changes.hpp"
#include "jk/error.hpp"
#include "jk/jailuser.hpp"
#include "jk/log.hpp"
#include "jk/process.hpp"
#include "jk/users.hpp"
#include "jk_jailuser/cli.hpp"

namespace {

// jailkit: 0 done (a user that does not exist included), 1 usage, 2 no user
// or the jail's passwd could not be written, 33 bad jail with -n. We add 1
// at the end when a user was refused or partly failed (jailkit only printed).
enum Exit { done = 0, user_failed = 1, jail_files = 2 };

std::optional<std::string> read_line() {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
}

jk::Jail choose_jail(const jk_jailuser::Options& o) {
    std::string path = o.jail;
    for (;;) {
        try {
            return jk::jailuser::open_jail(path, o.shell);
        } catch (const jk::jailuser::BadJail& e) {
            jk::log::syslog_only(LOG_WARNING | LOG_AUTHPRIV, e.what());
            // A dry run asks nothing; a --json run keeps stdout for the report.
            if (o.noninteractive || o.dry_run || o.json) throw;
            jk::log::err(e.what());
            std::fputs("enter jail directory: ", stdout);
            std::fflush(stdout);
            auto line = read_line();
            if (!line) throw jk::jailuser::BadJail("no jail directory was entered");
            path = *line;
        }
    }
}

int jail_users(const jk_jailuser::Options& o, jk::changes::Report& report) {
    jk::jailuser::Settings s;
    s.request.shell = o.shell;
    s.request.chrootsh = o.chrootsh;
    s.move = o.move;
    s.interactive = !o.noninteractive && !o.dry_run;
    s.dry_run = o.dry_run;
    s.changes = &report;
    s.usermod = jk::process::find_program({"/usr/sbin/usermod", "/sbin/usermod"}, "usermod");

    const jk::Jail jail = choose_jail(o);
    s.request.jail = jail.path();

    jk::jailuser::Callbacks cb;
    // With --json stdout is the report alone; a dry run prints its plan at
    // the end (changes::run_reported).
    auto out = [&o](const std::string& m) {
        if (o.json || o.dry_run) return;
        std::printf("%s\n", m.c_str());
        std::fflush(stdout);
    };
    cb.say = out;
    cb.note = [&](const std::string& m) {
        if (o.verbose) out(m);
    };
    cb.warn = [&report](const std::string& m) {
        jk::log::warn(m);
        report.warn(m);
    };
    // Refusals are security decisions: the record gets them too.
    std::string refusals;
    cb.error = [&refusals](const std::string& m) {
        jk::log::both(LOG_WARNING | LOG_AUTHPRIV, m);
        refusals += (refusals.empty() ? "" : "; ") + m;
    };
    cb.record = [&o](const std::string& m) {
        if (!o.dry_run) jk::log::syslog_only(LOG_NOTICE | LOG_AUTHPRIV, m);
    };
    cb.ask = [](const std::string& prompt) {
        std::fputs(prompt.c_str(), stdout);
        std::fflush(stdout);
        return read_line();
    };

    int status = done;
    for (const std::string& name : o.users) {
        // Read per user: usermod changed the host files for the one before.
        jk::users::HostUsers host = jk::users::read_host_users(jk::users::Malformed::skip);
        for (const auto& w : host.passwd.warnings) cb.note(w);
        try {
            if (jk::jailuser::jail_user(jail, host, name, s, cb) == jk::jailuser::UserResult::refused)
                status = user_failed;
        } catch (const jk::Error& e) {
            // The jail's own files: nothing more can be done in this jail.
            throw jk::Error(e.what(), jail_files);
        }
    }
    if (!refusals.empty()) report.fail(refusals);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_jailuser::Options o = jk_jailuser::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_jailuser::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_jailuser %s\n", JK_VERSION);
            return 0;
        }
        // It edits /etc/passwd through usermod and files in root-owned jails.
        if (::geteuid() != 0) throw jk::Error("must be run as root");
        jk::log::open("jk_jailuser", LOG_AUTHPRIV);
        jk::changes::Report report;
        return jk::changes::run_reported({"jk_jailuser", o.jail, o.json, o.dry_run}, report,
                                         [&] { return jail_users(o, report); });
    });
}
