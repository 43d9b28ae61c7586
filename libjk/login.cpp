#include "jk/login.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "jk/handover.hpp"
#include "jk/host_lookup.hpp"
#include "jk/jail.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"

namespace jk::login {

namespace {

// Whether the file behind `fd` is on a mount whose setuid/setgid bits the
// kernel ignores.
bool on_nosuid_mount(int fd) {
    struct statvfs v {};
    return ::fstatvfs(fd, &v) == 0 && (v.f_flag & ST_NOSUID) != 0;
}

std::string id_of(const Account& who) {
    return who.name + " (" + std::to_string(who.uid) + ")";
}

// Lookups through NSS with buffers that grow on ERANGE.
template <class Fn>
std::optional<passwd> lookup_passwd(Fn&& fn, std::vector<char>& buf, int& err) {
    passwd pw{};
    passwd* result = nullptr;
    buf.resize(4096);
    for (;;) {
        err = fn(&pw, buf.data(), buf.size(), &result);
        if (err != ERANGE || buf.size() > (1u << 24)) break;
        buf.resize(buf.size() * 2);
    }
    if (err != 0 || result == nullptr) return std::nullopt;
    return pw;
}

std::optional<std::string> group_name(gid_t gid, int& err) {
    std::vector<char> buf(4096);
    group gr{};
    group* result = nullptr;
    for (;;) {
        err = ::getgrgid_r(gid, &gr, buf.data(), buf.size(), &result);
        if (err != ERANGE || buf.size() > (1u << 24)) break;
        buf.resize(buf.size() * 2);
    }
    if (err != 0 || result == nullptr) return std::nullopt;
    return std::string(gr.gr_name);
}

std::string why(int err) {
    return err != 0 ? std::strerror(err) : "no such entry";
}

// Variables that steer the loader, libc or the shell itself: never passed
// on, even when the admin lists them (glibc's own AT_SECURE list plus the
// shells' start-up hooks).
bool is_trap_variable(std::string_view name) {
    static const std::array<std::string_view, 24> exact = {
        "GCONV_PATH",  "GETCONF_DIR",    "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN",
        "LOCPATH",     "MALLOC_TRACE",   "NIS_PATH",       "NLSPATH",     "RESOLV_HOST_CONF",
        "RES_OPTIONS", "TMPDIR",         "TZDIR",          "IFS",         "ENV",
        "BASH_ENV",    "SHELLOPTS",      "BASHOPTS",       "PS4",         "CDPATH",
        "GLOBIGNORE",  "PROMPT_COMMAND", "PYTHONSTARTUP",  "PERL5OPT"};
    if (name.starts_with("LD_") || name.starts_with("MALLOC_") || name.starts_with("BASH_FUNC_")) return true;
    for (std::string_view e : exact)
        if (name == e) return true;
    return false;
}

bool valid_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

std::string join_args(const std::vector<std::string>& args) {
    std::string all;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (i > 1) all += ' ';
        all += args[i];
    }
    return text::printable(all);
}

// Jail-internal paths compare after lexical cleanup ("/home/u/" == "/home/u").
std::string clean(std::string_view p) {
    std::string out;
    for (const auto& c : path::components(p)) out += "/" + c;
    return out.empty() ? "/" : out;
}

}  // namespace

Settings read_settings(const config::Section* section, std::vector<std::string>& warnings) {
    Settings s;
    if (section == nullptr) return s;
    for (auto& w :
         config::unknown_keys(*section, {"env", "relax_home_group_permissions", "relax_home_other_permissions",
                                         "relax_home_group", "relax_home_owner", "injail_shell", "injail_login_shell",
                                         "skip_injail_passwd_check", "allow_setuid"}))
        warnings.push_back(std::move(w));
    s.env = section->get_list("env", &warnings).value_or(std::vector<std::string>{});
    s.relax_home_group_permissions = section->get_bool("relax_home_group_permissions").value_or(false);
    s.relax_home_other_permissions = section->get_bool("relax_home_other_permissions").value_or(false);
    s.relax_home_group = section->get_bool("relax_home_group").value_or(false);
    s.relax_home_owner = section->get_bool("relax_home_owner").value_or(false);
    s.injail_shell = section->get_string("injail_shell");
    if (s.injail_shell && s.injail_shell->empty()) s.injail_shell.reset();
    if (s.injail_shell && s.injail_shell->front() != '/') {
        const config::Entry* e = section->find("injail_shell");
        throw ConfigError(section->file(), e ? e->line : section->line(),
                          "injail_shell must be an absolute path, got " + quoted(*s.injail_shell));
    }
    s.injail_login_shell = section->get_bool("injail_login_shell").value_or(false);
    s.skip_injail_passwd_check = section->get_bool("skip_injail_passwd_check").value_or(false);
    s.allow_setuid = section->get_bool("allow_setuid").value_or(false);
    return s;
}

bool valid_invocation_name(std::string_view argv0) {
    std::size_t slash = argv0.rfind('/');
    std::string_view base = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
    return base == "jk_chrootsh" || base == "-jk_chrootsh" || base == "su" || base == "-su";
}

namespace {

// The host's answer through NSS, as passwd fields (getpwnam_r/getpwuid_r).
users::PasswdEntry nss_account(const privilege::Caller& caller, const std::optional<std::string>& env_user) {
    std::vector<char> buf;
    int err = 0;
    std::optional<passwd> pw;
    if (env_user) {
        pw = lookup_passwd(
            [&](passwd* p, char* b, std::size_t n, passwd** r) { return ::getpwnam_r(env_user->c_str(), p, b, n, r); },
            buf, err);
        if (!pw)
            throw Refused(no_user_info, "abort, failed to get user information for user " +
                                            quoted(text::printable(*env_user, 64)) + ": " + why(err) +
                                            ", check /etc/passwd");
    } else {
        pw = lookup_passwd(
            [&](passwd* p, char* b, std::size_t n, passwd** r) { return ::getpwuid_r(caller.uid, p, b, n, r); }, buf,
            err);
        if (!pw)
            throw Refused(no_user_info, "abort, failed to get user information for user ID " +
                                            std::to_string(caller.uid) + ": " + why(err) + ", check /etc/passwd");
    }
    users::PasswdEntry e;
    e.name = pw->pw_name ? pw->pw_name : "";
    e.uid = pw->pw_uid;
    e.gid = pw->pw_gid;
    e.home = pw->pw_dir ? pw->pw_dir : "";
    return e;
}

std::string nss_group_name(gid_t gid) {
    int err = 0;
    std::optional<std::string> gname = group_name(gid, err);
    if (!gname)
        throw Refused(no_user_info, "abort, failed to get group information for group ID " + std::to_string(gid) +
                                        ": " + why(err) + ", check /etc/group");
    return *gname;
}

// A static tool answers from the files where NSS would answer the same
// (host_lookup.hpp); anything else is the twin's to ask (handover.hpp).
host_lookup::HostAccount files_or_twin(const privilege::Caller& caller, const std::optional<std::string>& env_user) {
    std::string why_not;
    if (std::optional<host_lookup::HostAccount> found = host_lookup::from_host_files(caller.uid, env_user, &why_not))
        return std::move(*found);
    const std::string who =
        env_user ? "user " + quoted(text::printable(*env_user, 64)) : "user ID " + std::to_string(caller.uid);
    try {
        handover::to_twin("NSS must find " + who + ": " + why_not);
    } catch (const Error& e) {
        throw Refused(no_user_info, "abort, failed to get user information for " + who + ": " + e.what());
    }
}

}  // namespace

Account host_account(const privilege::Caller& caller, const std::optional<std::string>& env_user) {
    const std::optional<std::string> name = env_user && !env_user->empty() ? env_user : std::optional<std::string>();
    users::PasswdEntry pw;
    std::optional<std::string> gname;
    if (handover::has_twin()) {
        host_lookup::HostAccount found = files_or_twin(caller, name);
        pw = std::move(found.user);
        gname = std::move(found.group_name);
    } else {
        pw = nss_account(caller, name);
    }
    if (name && pw.uid != caller.uid)
        throw Refused(no_user_info, "abort, started by user ID " + std::to_string(caller.uid) + ", got user info " +
                                        text::printable(pw.name, 64) + " with user ID " + std::to_string(pw.uid) +
                                        " ($USER names another account)");
    Account a;
    a.name = std::move(pw.name);
    a.uid = pw.uid;
    a.gid = pw.gid;
    a.home = std::move(pw.home);
    if (a.name.empty())
        throw Refused(no_user_info,
                      "abort, got an empty username for user ID " + std::to_string(caller.uid) + ", check /etc/passwd");
    a.group_name = gname ? std::move(*gname) : nss_group_name(a.gid);
    if (a.gid != caller.gid)
        throw Refused(gid_mismatch, "abort, the group ID " + std::to_string(caller.gid) +
                                        " of the caller is not the group ID " + std::to_string(a.gid) + " of user " +
                                        id_of(a) + " in /etc/passwd");
    return a;
}

std::optional<config::IniFile> load_config(const std::string& dir, const std::string& name) {
    const std::string file = dir + "/" + name;
    UniqueFd f;
    try {
        // Every directory from / a config_directory, the file a trusted_file.
        f = trust::open_checked_if_present(file, trust::trusted_file, O_RDONLY);
    } catch (const UnsafePath& e) {
        throw Refused(unsafe_config,
                      "abort, " + e.path() + " " + e.reason() + " (the configuration of a setuid program)");
    } catch (const SysError& e) {
        throw Refused(unsafe_config, std::string("abort, ") + e.what());
    } catch (const Error& e) {
        throw Refused(unsafe_config, std::string("abort, ") + e.what());
    }
    if (!f) return std::nullopt;
    try {
        config::LoadOptions opts;
        opts.require_trusted = true;
        opts.max_size = std::size_t{1} << 20;
        return config::IniFile::parse(config::read_config_fd(f.get(), file, opts), file, opts);
    } catch (const ConfigError& e) {
        throw Refused(unsafe_config, std::string("abort, ") + e.what());
    } catch (const SysError& e) {
        throw Refused(unsafe_config, std::string("abort, ") + e.what());
    }
}

UniqueFd open_home(const Jail& jail, const std::string& home, const Account& who, const Settings& s) {
    const std::string shown = jail.path() + "/." + home;
    UniqueFd fd;
    try {
        fd = jail.open(home, O_PATH | O_NOFOLLOW);
    } catch (const SysError& e) {
        throw Refused(unsafe_path, "abort, home directory " + shown + " of user " + id_of(who) +
                                       " cannot be opened: " + std::strerror(e.err()));
    }
    struct stat st = sys::fstat_fd(fd.get(), shown);
    if (S_ISLNK(st.st_mode)) throw Refused(unsafe_path, "abort, path " + shown + " is a symlink");
    if (!S_ISDIR(st.st_mode)) throw Refused(unsafe_path, "abort, path " + shown + " is not a directory");
    if (st.st_uid != who.uid && !s.relax_home_owner)
        throw Refused(unsafe_path, "abort, path " + shown + " is not owned by " + std::to_string(who.uid) +
                                       ", set option 'relax_home_owner' to relax this check");
    if (st.st_gid != who.gid && !s.relax_home_group)
        throw Refused(unsafe_path, "abort, path " + shown + " does not have group owner " + std::to_string(who.gid) +
                                       ", set option 'relax_home_group' to relax this check");
    if ((st.st_mode & S_IWGRP) && !s.relax_home_group_permissions)
        throw Refused(unsafe_path,
                      "abort, path " + shown +
                          " is group writable, set option 'relax_home_group_permissions' to relax this check");
    if ((st.st_mode & S_IWOTH) && !s.relax_home_other_permissions)
        throw Refused(unsafe_path,
                      "abort, path " + shown +
                          " is writable for other, set option 'relax_home_other_permissions' to relax this check");
    return fd;
}

std::optional<users::PasswdEntry> check_jail_account(const users::PasswdFile& passwd, const users::GroupFile& group,
                                                     const Account& who, bool by_name, const std::string& home,
                                                     const Settings& s) {
    if (s.skip_injail_passwd_check && s.injail_shell) return std::nullopt;
    const std::string& file = passwd.filename;
    const users::PasswdEntry* e = by_name ? passwd.find(who.name) : users::find_uid(passwd, who.uid);
    if (e == nullptr) throw Refused(injail_user_missing, "abort, failed to find user " + id_of(who) + " in " + file);
    if (e->uid != who.uid)
        throw Refused(injail_user_missing, "abort, got user information in the jail for user ID " +
                                               std::to_string(e->uid) + " instead of user ID " +
                                               std::to_string(who.uid) + ", check " + file);
    if (e->name != who.name)
        throw Refused(injail_name_mismatch, "abort, username " + who.name + " differs from jail username " + e->name +
                                                " for user ID " + std::to_string(who.uid) + ", check /etc/passwd and " +
                                                file);
    if (e->gid != who.gid)
        throw Refused(injail_user_missing, "abort, group ID " + std::to_string(e->gid) + " of user " + id_of(who) +
                                               " in " + file + " is not the host's " + std::to_string(who.gid));
    const users::GroupEntry* g = users::find_gid(group, who.gid);
    if (g == nullptr)
        throw Refused(injail_user_missing, "abort, failed to get group information in the jail for group ID " +
                                               std::to_string(who.gid) + ", check " + group.filename);
    if (g->name != who.group_name)
        throw Refused(injail_name_mismatch, "abort, groupname " + who.group_name + " differs from jail groupname " +
                                                g->name + " for group ID " + std::to_string(who.gid) +
                                                ", check /etc/group and " + group.filename);
    if (clean(e->home) != clean(home))
        throw Refused(injail_home_mismatch, "abort, home directory " + home + " differs from jail home directory " +
                                                e->home + " for user " + id_of(who) + ", check /etc/passwd and " +
                                                file);
    return *e;
}

UniqueFd open_shell(const Jail& jail, const std::string& shell, const Settings& s) {
    const std::string shown = jail.host_path(shell);
    if (shell.empty() || shell.front() != '/')
        throw Refused(exec_failed, "abort, the shell " + quoted(shell) + " is not an absolute path");
    UniqueFd fd;
    try {
        fd = jail.open(shell, O_PATH);
    } catch (const SysError& e) {
        throw Refused(e.err() == ENOENT ? exec_failed : unsafe_path,
                      "abort, cannot open the shell " + shown + ": " + std::strerror(e.err()));
    }
    struct stat st = sys::fstat_fd(fd.get(), shown);
    auto unsafe = [&](const std::string& why_) { return Refused(unsafe_path, "abort, shell " + shown + " " + why_); };
    if (std::optional<std::string> why = trust::problem(st, trust::trusted_executable)) throw unsafe(*why);
    // On a nosuid mount (a thin jail's bind of the host's /usr: procmail is
    // setgid mail there) the kernel ignores the bits: nothing is gained.
    if ((st.st_mode & (S_ISUID | S_ISGID)) && !s.allow_setuid && !on_nosuid_mount(fd.get()))
        throw unsafe("is setuid or setgid (set allow_setuid to permit setuid programs in the jail)");
    // The directory named in the path must not let anyone swap the file.
    try {
        Jail::Parent parent = jail.open_parent(shell);
        if (trust::problem(sys::fstat_fd(parent.dir.get(), shown), trust::jail_system_dir))
            throw unsafe("is in a directory not owned by root or writable by group or others");
    } catch (const SysError& e) {
        throw unsafe(std::string("has no usable directory: ") + std::strerror(e.err()));
    }
    return fd;
}

std::vector<std::string> shell_environment(const privilege::CallerEnvironment& caller, const Settings& s,
                                           const Account& who, const std::string& home, const std::string& shell,
                                           std::vector<std::string>& warnings) {
    std::vector<std::pair<std::string, std::string>> vars = {
        {"HOME", home},        {"USER", who.name}, {"USERNAME", who.name},
        {"LOGNAME", who.name}, {"SHELL", shell},   {"PATH", "/usr/local/bin:/usr/bin:/bin"},
    };
    auto set = [&](const std::string& k, const std::string& v) {
        for (auto& kv : vars)
            if (kv.first == k) {
                kv.second = v;
                return;
            }
        vars.emplace_back(k, v);
    };
    for (const std::string& key : s.env) {
        if (!valid_variable_name(key)) {
            warnings.push_back("env: " + quoted(text::printable(key, 64)) + " is not a variable name, ignoring");
            continue;
        }
        if (is_trap_variable(key)) {
            warnings.push_back("env: " + key + " steers the loader or the shell and is never passed on, ignoring");
            continue;
        }
        if (std::optional<std::string> why = caller.dropped(key))
            warnings.push_back("env: the caller's " + key + " " + *why + " and is not passed on, ignoring");
        if (key == "HOME" || key == "USER" || key == "USERNAME" || key == "LOGNAME" || key == "SHELL") continue;
        if (std::optional<std::string> v = caller.get(key)) set(key, *v);
    }
    std::vector<std::string> env;
    env.reserve(vars.size());
    for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
    return env;
}

std::vector<std::string> shell_argv(const std::string& shell, const std::vector<std::string>& args, const Settings& s) {
    std::vector<std::string> argv{shell};
    if (s.injail_login_shell) argv.emplace_back("--login");
    for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i]);
    return argv;
}

int exit_for(privilege::DropStep step) {
    using privilege::DropStep;
    switch (step) {
        case DropStep::setgroups: return setgroups_failed;
        case DropStep::setgid: return setgid_failed;
        case DropStep::setuid: return setuid_failed;
        case DropStep::bounding_set: return capabilities_failed;
        case DropStep::capabilities: return capabilities_failed + 1;
        case DropStep::verify: return capabilities_failed + 2;
        case DropStep::no_new_privs: return capabilities_failed + 3;
    }
    return capabilities_failed + 4;
}

Jail open_jail(const std::string& path) {
    try {
        return Jail::open(path);
    } catch (const SymlinkNotAllowed& e) {
        throw Refused(jail_path_mismatch, "abort, " + path + " is not a safe jail: " + e.what());
    } catch (const UnsafePath& e) {
        throw Refused(unsafe_path,
                      "abort, " + path + " is not a safe jail, check ownership and permissions: " + e.what());
    } catch (const SysError& e) {
        throw Refused(no_jail_dir, "abort, chdir(" + path + ") failed: " + std::strerror(e.err()) +
                                       ", check the permissions for " + path);
    }
}

std::optional<users::PasswdEntry> check_account_in(const Jail& jail, const Account& who, bool by_name,
                                                   const std::string& home, const Settings& s) {
    if (s.skip_injail_passwd_check && s.injail_shell) return std::nullopt;
    users::JailUserTexts texts;
    try {
        texts = users::read_trusted_jail_users(jail);
    } catch (const UnsafePath& e) {
        // Whoever can write the file (or swap it) could name any home or
        // shell for themselves: the jail is unsafe, as for its directories.
        throw Refused(unsafe_path, "abort, the jail's user database " + e.path() + " " + e.reason() +
                                       ": it must be a regular file owned by root and writable by nobody else,"
                                       " in a root-owned etc writable by nobody else");
    } catch (const Error& e) {
        throw Refused(injail_user_missing, std::string("abort, cannot read the jail's user database: ") + e.what());
    }
    users::PasswdFile pw =
        users::parse_passwd(texts.passwd.value_or(""), jail.host_path("/etc/passwd"), users::Malformed::skip);
    users::GroupFile gr =
        users::parse_group(texts.group.value_or(""), jail.host_path("/etc/group"), users::Malformed::skip);
    return check_jail_account(pw, gr, who, by_name, home, s);
}

std::optional<isolation::Policy> policy_and_thin_tree(std::optional<Jail>& jail, bool& thin) {
    std::optional<isolation::Policy> policy;
    try {
        policy = entry::policy_of(*jail);
        thin = entry::assemble_thin(jail, policy);
    } catch (const entry::EntryError& e) {
        throw Refused(isolation_failed, "abort, cannot isolate the jail " + jail->path() + ": " + e.what());
    }
    return policy;
}

void enter_and_exec(Entry e, const Account& who) {
    const std::string jail_path = e.request.jail->path();
    const std::string program = e.request.program;
    try {
        entry::enter_and_exec(std::move(e.request));
    } catch (const entry::EntryError& err) {
        switch (err.step()) {
            case entry::Step::policy:
            case entry::Step::isolation:
                throw Refused(isolation_failed,
                              "abort, cannot isolate the jail " + jail_path + " as its policy asks: " + err.what());
            case entry::Step::chroot: throw Refused(chroot_failed, std::string("abort, ") + err.what());
            case entry::Step::drop:
                throw Refused(exit_for(err.drop_step().value_or(privilege::DropStep::verify)),
                              std::string("abort, ") + err.what());
            case entry::Step::home:
                throw Refused(chdir_home_failed, "abort, chdir to the home failed inside the jail " + jail_path + ": " +
                                                     std::strerror(err.err()));
            case entry::Step::session: throw Refused(exec_failed, std::string("abort, ") + err.what());
            case entry::Step::exec:
                throw Refused(exec_failed, "ERROR: failed to execute " + e.what + " " + program + " for user " +
                                               id_of(who) + ", check the permissions and libraries of " + jail_path +
                                               program + ": " + std::strerror(err.err()));
        }
        throw;
    }
}

namespace {

[[noreturn]] void login(const privilege::Prologue& pro, const std::vector<std::string>& argv, const Reporter& report) {
    const privilege::Caller& caller = pro.caller;
    const std::string argv0 = argv.empty() ? std::string() : argv[0];
    if (!valid_invocation_name(argv0))
        throw Refused(bad_invocation_name, "abort, jk_chrootsh is called as " + quoted(text::printable(argv0, 200)));
    if (caller.euid != 0)
        throw Refused(not_setuid,
                      "abort, jk_chrootsh is not setuid root (effective user ID " + std::to_string(caller.euid) + ")");
    if (caller.uid == 0)
        throw Refused(run_by_root,
                      "abort, jk_chrootsh is run by root, which does not make sense because user "
                      "root can break out of a jail anyway");

    const std::optional<std::string> env_user = pro.environment.get("USER");
    const Account who = host_account(caller, env_user);

    std::vector<std::string> warnings;
    std::optional<config::IniFile> ini = load_config(JK_SYSCONFDIR, "jk_chrootsh.ini");
    Settings s;
    if (ini) s = settings_for(*ini, who, warnings, read_settings);
    // Reported once the jail's policy is read, which may hand the login to
    // the twin (handover.hpp), or on the way out of a refusal before that:
    // the twin reports them itself.
    WarningsOnce config_warnings(std::move(warnings), LOG_WARNING, report);

    if (who.home.empty()) throw Refused(empty_home, "abort, got an empty home directory for user " + id_of(who));
    // Only one way to write a jail: "/a/./b/./home/c" or "/jail//./home"
    // would be cleaned into some jail, maybe not the one the admin meant.
    if (std::optional<std::string> why = users::noncanonical_jail_home(who.home))
        throw Refused(unsafe_path, "abort, homedir '" + text::printable(who.home) + "' for user " + id_of(who) + " " +
                                       *why +
                                       ", write it as <jail>/./<home> with no other '.', '..' or empty component");
    std::optional<users::JailHome> split;
    try {
        split = users::split_jail_home(who.home);
    } catch (const Error& e) {
        throw Refused(no_jail_in_home, "abort, failed to read the jail and the home from " + text::printable(who.home) +
                                           " for user " + id_of(who) + ": " + e.what());
    }
    if (!split)
        throw Refused(no_jail_in_home, "abort, homedir '" + text::printable(who.home) + "' for user " + id_of(who) +
                                           " does not contain the jail separator <jail>/./<home>");

    std::optional<Jail> jail(open_jail(split->jail));
    bool thin = false;
    std::optional<isolation::Policy> policy = policy_and_thin_tree(jail, thin);
    config_warnings.report_now();
    UniqueFd home = open_home(*jail, split->home, who, s);

    std::string shell;
    if (std::optional<users::PasswdEntry> e =
            check_account_in(*jail, who, env_user.has_value() && !env_user->empty(), split->home, s))
        shell = e->shell;
    if (s.injail_shell) shell = *s.injail_shell;
    UniqueFd shell_fd = open_shell(*jail, shell, s);

    std::vector<std::string> shell_args = shell_argv(shell, argv, s);
    std::vector<std::string> env_warnings;
    std::vector<std::string> env = shell_environment(pro.environment, s, who, split->home, shell, env_warnings);
    for (const auto& w : env_warnings) report(LOG_WARNING, w);

    report(LOG_INFO, "now entering jail " + split->jail + " for user " + id_of(who) + " with arguments " +
                         join_args(argv) + (policy ? " (isolated: " + isolation::describe(*policy) + ")" : ""));

    Entry tail;
    entry::Request& r = tail.request;
    r.jail = &*jail;
    r.home = &home;
    r.home_path = split->home;
    r.identity = {who.uid, who.gid, caller.groups};
    r.drop.allow_setuid_programs = s.allow_setuid;
    r.policy_read = true;
    r.policy = std::move(policy);
    r.thin_assembled = thin;
    r.program_fd = shell_fd.get();
    r.program = shell;
    r.argv = std::move(shell_args);
    r.env = std::move(env);
    r.umask = pro.caller_umask;
    tail.what = "shell";
    enter_and_exec(std::move(tail), who);
}

}  // namespace

WarningsOnce::WarningsOnce(std::vector<std::string> warnings, int priority, const Reporter& report)
    : warnings_(std::move(warnings)), priority_(priority), report_(report) {}

WarningsOnce::~WarningsOnce() {
    report_now();
}

void WarningsOnce::report_now() noexcept {
    try {
        for (const std::string& w : warnings_) report_(priority_, w);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a warning lost to ENOMEM is no reason to stop
    }
    warnings_.clear();
}

void run(const privilege::Prologue& prologue, const std::vector<std::string>& argv, const Reporter& report) {
    try {
        login(prologue, argv, report);
    } catch (const Refused& e) {
        report(LOG_ERR, e.what());
        throw;
    } catch (const Error& e) {
        report(LOG_ERR, std::string("abort, ") + e.what());
        throw;
    } catch (const std::exception& e) {
        report(LOG_ERR, std::string("abort, ") + e.what());
        throw;
    }
}

}  // namespace jk::login
