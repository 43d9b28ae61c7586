// jk_lsh: the limited shell (COMPAT.md 2.4). Runs inside the jail as the
// jailed user; not setuid. The policy is libjk's (jk/lsh_config.hpp); this
// file gathers the inputs (config, user, environment), logs the decision
// and execs.
//
// MUST:
//  1. Never run a shell: the command line is split here, the program is
//     execve'd directly with an environment built from scratch.
//  2. Log every refusal and every command run to syslog (LOG_AUTHPRIV).
//  3. Read only JK_SYSCONFDIR/jk_lsh.ini, and only when root-owned and not
//     writable by group or others (the jailed user must not write policy).
//  4. Close fds >= 3 before exec, so nothing of ours leaks into the command.
//  5. Execute the very file checked (jk/lsh_system.hpp): refuse a program
//     the user could replace.
//  6. A git-family program runs confined by Landlock to executing git's own
//     files (its repository config names programs, and the user writes that
//     config); no Landlock, no git (fail closed).
#include "jk/main.hpp"

#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/landlock.hpp"
#include "jk/log.hpp"
#include "jk/lsh_config.hpp"
#include "jk/lsh_rules.hpp"
#include "jk/lsh_system.hpp"
#include "jk/privilege.hpp"
#include "jk_lsh/cli.hpp"

namespace {

using namespace jk::lsh;

int refuse(int code, const std::string& msg) {
    jk::log::both(LOG_WARNING | LOG_AUTHPRIV, msg);
    return code;
}

bool is_regular_file(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Closes every fd >= 3 but keep (close-on-exec, it goes at the exec).
void close_fds_but(int keep) {
    if (keep > 3 && ::close_range(3, static_cast<unsigned>(keep) - 1, 0) != 0)
        for (int fd = 3; fd < keep; ++fd) (void)::close(fd);  // a kernel without close_range
    jk::privilege::close_fds_from(keep + 1);
}

std::vector<char*> c_array(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// "user NAME (uid)" for the log, or "user uid N" when the lookup fails.
std::string who_am_i() {
    const uid_t uid = ::getuid();
    if (const auto found = find_user(uid, "", false); found.user)
        return "user " + found.user->name + " (" + std::to_string(uid) + ")";
    return "user uid " + std::to_string(uid);
}

int run(const std::string& command) {
    std::optional<jk::config::IniFile> ini;
    try {
        ini.emplace(jk::config::IniFile::load(jk_lsh::config_path, jk::config::LoadOptions{.require_trusted = true}));
    } catch (const jk::SysError& e) {
        return refuse(exit_config,
                      e.err() == ENOENT ? std::string("missing configuration file ") + jk_lsh::config_path : e.what());
    } catch (const jk::ConfigError& e) {
        return refuse(exit_config, std::string("refusing configuration: ") + e.what());
    }

    std::vector<std::string> inherited;
    for (char** e = environ; e && *e; ++e) inherited.emplace_back(*e);

    // The user is who we run as; $USER may only choose among entries of
    // that same uid (jailkit's rule).
    const char* env_user = std::getenv("USER");
    // NSS modules are shared objects: a static jk_lsh (no loader, so no
    // AT_BASE) must never dlopen one (glibc loads a second libc and crashes),
    // and a dynamic one not while loader variables would steer the loading.
    const bool may_ask_nss = ::getauxval(AT_BASE) != 0 && !has_loader_variables(inherited);
    const UserLookup found = find_user(::getuid(), env_user ? env_user : "", may_ask_nss);
    if (!found.user) return refuse(found.exit_code, found.why);
    const User& user = *found.user;

    Decision d = decide(*ini, user, command, inherited, is_regular_file);
    for (const auto& w : d.warnings) jk::log::syslog_only(LOG_WARNING | LOG_AUTHPRIV, w);
    if (d.exit_code != exit_ok) return refuse(d.exit_code, d.message);

    jk::trust::UnreplaceableFile exe;
    try {
        exe = jk::trust::open_unreplaceable(d.path, user.uid);
    } catch (const jk::UnsafePath& e) {
        return refuse(exit_not_allowed, "WARNING: user " + user.name + " (" + std::to_string(user.uid) +
                                            ") may not run " + jk::quoted(d.path) + ": " + e.what() + ", refused");
    } catch (const jk::SysError& e) {
        return refuse(e.err() == ENOENT ? exit_exec_missing : exit_exec_failed, e.what());
    }
    if (is_git_family(d.path)) {
        // MUST 6: whatever a repository's config names, git may start only
        // git's own programs.
        try {
            jk::landlock::restrict_exec_to(git_exec_allowlist(exe.canonical));
        } catch (const jk::Error& e) {
            return refuse(exit_exec_failed, "refusing to run " + jk::quoted(d.path) +
                                                " without its exec confinement (git would run programs its "
                                                "repository's config names): " +
                                                e.what());
        }
    }

    jk::log::syslog_only(LOG_INFO | LOG_AUTHPRIV, d.message);
    ::umask(d.umask);
    ::closelog();
    // Nothing of ours may leak into the command (MUST 4).
    close_fds_but(exe.fd.get());
    std::vector<char*> argv = c_array(d.argv);
    std::vector<char*> envp = c_array(d.env);
    const int err = exec_checked(exe, argv.data(), envp.data());
    jk::log::open("jk_lsh", LOG_AUTHPRIV);
    return refuse(err == ENOENT ? exit_exec_missing : exit_exec_failed,
                  "cannot execute " + jk::quoted(d.path) + ": " + std::strerror(err));
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        const jk_lsh::Options o = jk_lsh::parse_args(std::vector<std::string>(argv, argv + argc));
        switch (o.mode) {
            case jk_lsh::Options::Mode::help: std::fputs(jk_lsh::usage_text(), stdout); return 0;
            case jk_lsh::Options::Mode::version: std::printf("jk_lsh %s\n", JK_VERSION); return 0;
            case jk_lsh::Options::Mode::interactive:
                jk::log::open("jk_lsh", LOG_AUTHPRIV);
                jk::log::syslog_only(LOG_WARNING | LOG_AUTHPRIV,
                                     who_am_i() + " tried to get an interactive shell session, refused");
                std::fputs(
                    "This account is limited to the commands its administrator allows; "
                    "an interactive shell session is not available.\n",
                    stderr);
                return static_cast<int>(exit_interactive);
            case jk_lsh::Options::Mode::command: break;
        }
        jk::log::open("jk_lsh", LOG_AUTHPRIV);
        return run(o.command);
    });
}
