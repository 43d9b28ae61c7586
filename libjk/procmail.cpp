#include "jk/procmail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "jk/jail.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"
#include "jk/users.hpp"

namespace jk::procmail {

using login::Refused;

namespace {

std::string id_of(const login::Account& who) {
    return who.name + " (" + std::to_string(who.uid) + ")";
}

bool clean_value(std::string_view v) {
    if (v.size() > 4096) return false;
    for (char c : v)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

// The host's procmail: the admin's file, but it runs with our privileges
// (setuid root), so it must be root's and writable by nobody else.
UniqueFd open_host_procmail(const std::string& path) {
    try {
        return trust::open_checked(path, trust::trusted_executable);
    } catch (const UnsafePath& e) {
        throw Refused(login::unsafe_path, "abort, procmail " + e.path() + " " + e.reason());
    } catch (const SysError& e) {
        throw Refused(e.err() == ENOENT ? login::exec_failed : login::unsafe_path,
                      "abort, cannot open procmail " + path + ": " + std::strerror(e.err()));
    } catch (const Error& e) {
        throw Refused(login::unsafe_path, std::string("abort, procmail: ") + e.what());
    }
}

// Runs the procmail that was opened and checked (privilege::exec_checked:
// from the fd, after making sure the user reaches the same file by path).
[[noreturn]] void exec_procmail(int fd, const std::string& path, std::vector<std::string> argv,
                                std::vector<std::string> env, const std::string& where) {
    try {
        privilege::exec_checked(fd, path, std::move(argv), std::move(env));
    } catch (const SysError& e) {
        throw Refused(login::exec_failed, "ERROR: failed to execute procmail " + where + ": " + std::strerror(e.err()));
    }
}

[[noreturn]] void deliver(const privilege::Prologue& pro, const std::vector<std::string>& argv,
                          const Reporter& report) {
    const privilege::Caller& caller = pro.caller;
    if (caller.euid != 0)
        throw Refused(login::not_setuid, "abort, jk_procmailwrapper is not setuid root (effective user ID " +
                                             std::to_string(caller.euid) + ")");

    // The recipient is the real uid; $USER (set by Postfix and Exim to the
    // recipient) only picks among accounts sharing it.
    const std::optional<std::string> env_user = pro.environment.get("USER");
    const login::Account who = login::host_account(caller, env_user);

    std::vector<std::string> warnings;
    std::optional<config::IniFile> ini = login::load_config(JK_SYSCONFDIR, config_name);
    Settings s;
    if (ini) s = login::settings_for(*ini, who, warnings, read_settings);
    login::WarningsOnce config_warnings(std::move(warnings), LOG_MAIL | LOG_WARNING, report);

    const std::optional<users::JailHome> split = jailed_home(who.home);

    // ---------------------------------------------------------------- host
    if (!split) {
        UniqueFd prog = open_host_procmail(s.procmail);
        std::vector<std::string> env = delivery_environment(pro.environment, who.name, who.home);
        config_warnings.report_now();
        report(LOG_MAIL | LOG_INFO, "delivering mail for user " + id_of(who) + " with the host's procmail " +
                                        s.procmail + " (home " + text::printable(who.home) + " is not in a jail)");
        if (caller.uid != 0) {
            // The caller is the recipient: back to exactly who they were.
            // Setuid programs stay usable because the host's procmail is
            // setgid mail (setuid root on Debian) to write /var/mail/USER,
            // as it would be had the MTA run it directly.
            try {
                privilege::drop_to({who.uid, who.gid, caller.groups}, {.allow_setuid_programs = true});
            } catch (const privilege::DropError& e) {
                throw Refused(login::exit_for(e.step()), std::string("abort, ") + e.what());
            }
        }
        ::umask(pro.caller_umask);
        exec_procmail(prog.get(), s.procmail, procmail_argv(s.procmail, argv), std::move(env), s.procmail);
    }

    // ---------------------------------------------------------------- jail
    if (caller.uid == 0)
        throw Refused(login::run_by_root,
                      "abort, the home of root names a jail: root's mail is not delivered in a jail");

    std::optional<Jail> opened(login::open_jail(split->jail));
    bool thin = false;
    std::optional<isolation::Policy> policy = login::policy_and_thin_tree(opened, thin);
    config_warnings.report_now();
    const Jail& jail = *opened;
    const login::Settings ls = login_settings(s);
    UniqueFd home = login::open_home(jail, split->home, who, ls);
    login::check_account_in(jail, who, env_user.has_value() && !env_user->empty(), split->home, ls);

    UniqueFd prog;
    try {
        prog = login::open_shell(jail, s.procmail, ls);
    } catch (const Refused& e) {
        throw Refused(e.exit_code(), std::string("abort, procmail in the jail is unusable: ") + e.what());
    }

    report(LOG_MAIL | LOG_INFO,
           "delivering mail for user " + id_of(who) + " in jail " + split->jail + " with " + s.procmail);

    // A jailed program must not share the caller's terminal (TIOCSTI), as
    // in jk_chrootsh; an MTA has none, so enter_and_exec's setsid() is in place.
    login::Entry tail;
    entry::Request& r = tail.request;
    r.jail = &jail;
    r.home = &home;
    r.home_path = split->home;
    r.identity = {who.uid, who.gid, caller.groups};
    r.policy_read = true;
    r.policy = std::move(policy);
    r.thin_assembled = thin;
    r.program_fd = prog.get();
    r.program = s.procmail;
    r.argv = procmail_argv(s.procmail, argv);
    r.env = delivery_environment(pro.environment, who.name, split->home);
    r.umask = pro.caller_umask;
    tail.what = "procmail";
    login::enter_and_exec(std::move(tail), who);
}

}  // namespace

Settings read_settings(const config::Section* section, std::vector<std::string>& warnings) {
    Settings s;
    if (section == nullptr) return s;
    for (auto& w :
         config::unknown_keys(*section, {"procmail", "relax_home_group_permissions", "relax_home_other_permissions",
                                         "relax_home_group", "relax_home_owner"}))
        warnings.push_back(std::move(w));
    if (std::optional<std::string> p = section->get_string("procmail"); p && !p->empty()) {
        if (p->front() != '/') {
            const config::Entry* e = section->find("procmail");
            throw ConfigError(section->file(), e ? e->line : section->line(),
                              "procmail must be an absolute path, got " + quoted(*p));
        }
        s.procmail = *p;
    }
    s.relax_home_group_permissions = section->get_bool("relax_home_group_permissions").value_or(false);
    s.relax_home_other_permissions = section->get_bool("relax_home_other_permissions").value_or(false);
    s.relax_home_group = section->get_bool("relax_home_group").value_or(false);
    s.relax_home_owner = section->get_bool("relax_home_owner").value_or(false);
    return s;
}

login::Settings login_settings(const Settings& s) {
    login::Settings ls;
    ls.relax_home_group_permissions = s.relax_home_group_permissions;
    ls.relax_home_other_permissions = s.relax_home_other_permissions;
    ls.relax_home_group = s.relax_home_group;
    ls.relax_home_owner = s.relax_home_owner;
    return ls;
}

const std::vector<std::string_view>& delivery_variables() {
    static const std::vector<std::string_view> names = {
        // Postfix local(8)
        "ORIGINAL_RECIPIENT", "RECIPIENT", "SENDER", "LOCAL", "DOMAIN", "EXTENSION", "CLIENT_ADDRESS", "CLIENT_HELO",
        "CLIENT_HOSTNAME", "CLIENT_PROTOCOL", "SASL_METHOD", "SASL_SENDER", "SASL_USERNAME", "ENVID",
        // Exim's pipe transport
        "LOCAL_PART", "LOCAL_PART_PREFIX", "LOCAL_PART_SUFFIX", "MESSAGE_ID", "QUALIFY_DOMAIN", "HOST",
        // both export these by default
        "TZ", "LANG"};
    return names;
}

std::vector<std::string> delivery_environment(const privilege::CallerEnvironment& caller, const std::string& user,
                                              const std::string& home) {
    std::vector<std::string> env = {"HOME=" + home, "USER=" + user, "LOGNAME=" + user, "SHELL=/bin/sh",
                                    "PATH=/usr/local/bin:/usr/bin:/bin"};
    for (std::string_view name : delivery_variables()) {
        std::optional<std::string> v = caller.get(name);
        if (v && clean_value(*v)) env.push_back(std::string(name) + "=" + *v);
    }
    return env;
}

std::vector<std::string> procmail_argv(const std::string& procmail, const std::vector<std::string>& args) {
    std::vector<std::string> out{procmail};
    for (std::size_t i = 1; i < args.size(); ++i) out.push_back(args[i]);
    return out;
}

std::optional<users::JailHome> jailed_home(const std::string& home) {
    // The same single way to write a jail as jk_chrootsh's (login.cpp).
    if (std::optional<std::string> why = users::noncanonical_jail_home(home))
        throw Refused(login::unsafe_path, "abort, homedir '" + text::printable(home) + "' " + *why +
                                              ", write it as <jail>/./<home> with no other '.', '..' or empty"
                                              " component");
    try {
        return users::split_jail_home(home);
    } catch (const Error& e) {
        throw Refused(login::no_jail_in_home,
                      "abort, failed to read the jail and the home from " + text::printable(home) + ": " + e.what());
    }
}

void run(const privilege::Prologue& prologue, const std::vector<std::string>& argv, const Reporter& report) {
    try {
        deliver(prologue, argv, report);
    } catch (const Refused& e) {
        report(LOG_AUTHPRIV | LOG_ERR, e.what());
        throw;
    } catch (const std::exception& e) {
        report(LOG_AUTHPRIV | LOG_ERR, std::string("abort, ") + e.what());
        throw;
    }
}

}  // namespace jk::procmail
