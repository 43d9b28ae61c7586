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
#include "jk/main.hpp"

#include <grp.h>
#include <pwd.h>
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
#include "jk/log.hpp"
#include "jk/lsh_config.hpp"
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
    if (const passwd* pw = ::getpwuid(uid))
        return "user " + std::string(pw->pw_name) + " (" + std::to_string(uid) + ")";
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

    // The user is who we run as; $USER may only choose among entries of
    // that same uid (jailkit's rule).
    const uid_t uid = ::getuid();
    errno = 0;
    const passwd* pw = nullptr;
    if (const char* env_user = std::getenv("USER"); env_user && *env_user) {
        pw = ::getpwnam(env_user);
        if (!pw || pw->pw_uid != uid)
            return refuse(exit_user, "$USER " + jk::quoted(env_user) + " does not name uid " + std::to_string(uid));
    } else {
        pw = ::getpwuid(uid);
    }
    if (!pw) return refuse(exit_user, "cannot find a user with uid " + std::to_string(uid));
    const group* gr = ::getgrgid(pw->pw_gid);
    if (!gr) return refuse(exit_section, "cannot find the group with gid " + std::to_string(pw->pw_gid));
    const User user{pw->pw_name, pw->pw_uid, pw->pw_dir, pw->pw_shell, gr->gr_name};

    std::vector<std::string> inherited;
    for (char** e = environ; e && *e; ++e) inherited.emplace_back(*e);

    Decision d = decide(*ini, user, command, inherited, is_regular_file);
    for (const auto& w : d.warnings) jk::log::syslog_only(LOG_WARNING | LOG_AUTHPRIV, w);
    if (d.exit_code != exit_ok) return refuse(d.exit_code, d.message);

    jk::log::syslog_only(LOG_INFO | LOG_AUTHPRIV, d.message);
    ::umask(d.umask);
    ::closelog();
    // Nothing of ours may leak into the command (MUST 4).
    jk::privilege::close_fds_from(3);
    std::vector<char*> argv = c_array(d.argv);
    std::vector<char*> envp = c_array(d.env);
    ::execve(d.path.c_str(), argv.data(), envp.data());
    const int err = errno;
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
