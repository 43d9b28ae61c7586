#include "jk/launch.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "jk/config.hpp"
#include "jk/jail.hpp"
#include "jk/login.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"
#include "jk/users.hpp"

namespace jk::launch {

namespace {

std::string join(const std::vector<std::string>& args) {
    std::string all;
    for (const auto& a : args) {
        if (!all.empty()) all += ' ';
        all += a;
    }
    return text::printable(all);
}

// NSS lookups with a buffer that grows on ERANGE. fn(buf, size, &result).
template <class T, class Fn>
std::optional<T> nss_lookup(Fn&& fn, std::vector<char>& buf, int& err) {
    T entry{};
    T* result = nullptr;
    buf.resize(4096);
    for (;;) {
        err = fn(&entry, buf.data(), buf.size(), &result);
        if (err != ERANGE || buf.size() > (1u << 24)) break;
        buf.resize(buf.size() * 2);
    }
    if (err != 0 || result == nullptr) return std::nullopt;
    return entry;
}

// The jail's policy and, for a thin jail, its tree assembled before the
// program is looked up in it (entry::assemble_thin); `thin` says whether.
std::optional<isolation::Policy> policy_and_thin_tree(std::optional<Jail>& jail, bool& thin, int isolation_exit) {
    std::optional<isolation::Policy> policy;
    try {
        policy = entry::policy_of(*jail);
        thin = entry::assemble_thin(jail, policy);
    } catch (const entry::EntryError& e) {
        throw Error("abort, cannot isolate the jail " + jail->path() + " as its policy asks: " + e.what(),
                    isolation_exit);
    }
    return policy;
}

}  // namespace

// ---------------------------------------------------------------- pure rules

bool jail_allowed(std::string_view jail, const std::vector<std::string>& allowed) {
    if (jail.empty() || jail.front() != '/') return false;
    const std::string want = normalize_absolute(jail);
    for (const std::string& a : allowed) {
        if (a.empty() || a.front() != '/') continue;
        if (normalize_absolute(a) == want) return true;
    }
    return false;
}

std::string chrootlaunch_inner_path(const std::string& jail, const std::string& exec) {
    if (exec.empty()) throw Error("the executable is an empty path");
    std::string inner;
    if (exec.front() == '/') {
        const std::vector<std::string> j = path::components(normalize_absolute(jail));
        const std::vector<std::string> e = path::components(normalize_absolute(exec));
        bool below = e.size() >= j.size();
        for (std::size_t i = 0; below && i < j.size(); ++i) below = e[i] == j[i];
        if (below) {
            for (std::size_t i = j.size(); i < e.size(); ++i) inner += "/" + e[i];
        } else {
            inner = normalize_absolute(exec);
        }
    } else {
        inner = normalize_absolute("/" + exec);
    }
    if (inner.empty() || inner == "/")
        throw Error("the executable " + quoted(exec) + " names the jail's root directory, not a program");
    return inner;
}

std::optional<unsigned> parse_numeric_id(std::string_view spec) {
    if (spec.empty()) throw Error("an empty user or group was given");
    const bool negative = spec.front() == '-';
    std::string_view digits = negative ? spec.substr(1) : spec;
    if (digits.empty()) return std::nullopt;
    for (char c : digits)
        if (c < '0' || c > '9') return std::nullopt;  // a name (one starting with '-' is then unknown)
    if (negative) throw Error("negative user or group ID " + quoted(std::string(spec)));
    unsigned long long v = 0;
    for (char c : digits) {
        v = v * 10 + static_cast<unsigned>(c - '0');
        // (uid_t)-1 means "no change" to set*id: never a real id.
        if (v >= 4294967295ULL) throw Error("user or group ID " + quoted(std::string(spec)) + " is out of range");
    }
    return static_cast<unsigned>(v);
}

std::vector<std::string> environment(const privilege::CallerEnvironment& caller, const std::string& user,
                                     const std::string& home, const std::string& shell) {
    login::Settings s;
    s.env = {"TERM", "LANG"};
    login::Account who;
    who.name = user;
    std::vector<std::string> warnings;  // TERM and LANG are never traps
    std::vector<std::string> env = login::shell_environment(caller, s, who, home, shell, warnings);
    if (user.empty()) {
        // A uid without a passwd entry has no name to give.
        std::erase_if(env, [](const std::string& e) { return e == "USER=" || e == "USERNAME=" || e == "LOGNAME="; });
    }
    return env;
}

// ---------------------------------------------------------------- system steps

UniqueFd open_executable(const Jail& jail, const std::string& inner, ExecRule rule) {
    const std::string shown = jail.host_path(inner);
    UniqueFd fd;
    try {
        fd = jail.open(inner, rule == ExecRule::trusted_daemon ? O_PATH | O_NOFOLLOW : O_PATH);
    } catch (const SysError& e) {
        throw ExecRefused("cannot open the executable " + shown +
                          " (resolved inside the jail): " + std::strerror(e.err()));
    }
    struct stat st = sys::fstat_fd(fd.get(), shown);
    if (rule == ExecRule::trusted_daemon) {
        // jailkit's exit-29 rule, as the trust module names it.
        if (std::optional<std::string> why = trust::problem(st, trust::daemon_executable))
            throw ExecRefused("the executable " + shown + " " + *why);
    } else if (!S_ISREG(st.st_mode)) {
        throw ExecRefused("the executable " + shown + " is not a regular file");
    }
    return fd;
}

void write_pidfile(const std::string& path, pid_t pid) {
    std::size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
    if (leaf.empty() || leaf == "." || leaf == "..") throw Error("pidfile " + quoted(path) + " does not name a file");
    UniqueFd dirfd;
    try {
        dirfd = sys::open_at(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, dir);
    } catch (const SysError& e) {
        throw Error("cannot open the directory of the pidfile " + quoted(path) + ": " + std::strerror(e.err()));
    }
    // Whoever may write the directory may plant the name; root writes here.
    if (std::optional<std::string> why = trust::problem(sys::fstat_fd(dirfd.get(), dir), trust::pidfile_directory))
        throw Error("refusing to write the pidfile " + quoted(path) + ": its directory " + *why);
    int fd =
        ::openat(dirfd.get(), leaf.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            throw Error("refusing to write the pidfile " + quoted(path) + ": it is a symbolic link (not followed)");
        throw Error("cannot open the pidfile " + quoted(path) + ": " + std::strerror(err));
    }
    UniqueFd f(fd);
    struct stat st = sys::fstat_fd(f.get(), path);
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
        throw Error("refusing to write the pidfile " + quoted(path) + ": not a regular file with a single link");
    if (::ftruncate(f.get(), 0) != 0) throw SysError("cannot truncate the pidfile", path, errno);
    sys::write_all(f.get(), std::to_string(pid) + "\n", path);
}

// ---------------------------------------------------------------- jk_uchroot

namespace {

struct UchrootSettings {
    std::optional<std::vector<std::string>> allowed_jails;
    bool skip_injail_passwd_check = false;
};

UchrootSettings read_uchroot_settings(const config::Section* section, std::vector<std::string>& warnings) {
    UchrootSettings s;
    if (section == nullptr) return s;
    for (auto& w : config::unknown_keys(*section, {"allowed_jails", "skip_injail_passwd_check"}))
        warnings.push_back(std::move(w));
    s.allowed_jails = section->get_list("allowed_jails", &warnings);
    s.skip_injail_passwd_check = section->get_bool("skip_injail_passwd_check").value_or(false);
    return s;
}

int uchroot_drop_exit(privilege::DropStep step) {
    using privilege::DropStep;
    namespace x = uchroot_exit;
    switch (step) {
        case DropStep::setgroups: return x::setgroups_failed;
        case DropStep::setgid: return x::setgid_failed;
        case DropStep::setuid: return x::setuid_failed;
        case DropStep::bounding_set: return x::capabilities_failed;
        case DropStep::capabilities: return x::capabilities_failed + 1;
        case DropStep::verify: return x::capabilities_failed + 2;
        case DropStep::no_new_privs: return x::capabilities_failed + 3;
    }
    return x::capabilities_failed + 4;
}

[[noreturn]] void uchroot(const privilege::Prologue& pro, const UchrootRequest& req, const Reporter& report) {
    namespace x = uchroot_exit;
    const privilege::Caller& caller = pro.caller;
    if (path::basename(req.argv0) != "jk_uchroot")
        throw Error("abort, jk_uchroot is called as " + quoted(text::printable(req.argv0, 200)), x::usage);
    if (caller.euid != 0)
        throw Error("abort, jk_uchroot is not setuid root (effective user ID " + std::to_string(caller.euid) + ")",
                    x::not_setuid);
    if (caller.uid == 0)
        throw Error(
            "abort, jk_uchroot is run by root, which does not make sense because user root can break out "
            "of a jail anyway",
            x::run_by_root);

    const std::optional<std::string> env_user = pro.environment.get("USER");
    login::Account who;
    try {
        who = login::host_account(caller, env_user);
    } catch (const login::Refused& e) {
        // jk_chrootsh's 15 (gid other than the passwd one) is "user
        // information" (13) for jk_uchroot, as in jailkit.
        throw Error(e.what(), x::no_user_info);
    }
    const std::string id = who.name + " (" + std::to_string(who.uid) + ")";

    const std::string conf = std::string(JK_SYSCONFDIR) + "/jk_uchroot.ini";
    std::optional<config::IniFile> ini = login::load_config(JK_SYSCONFDIR, "jk_uchroot.ini");
    if (!ini) throw Error("abort, the configuration file " + conf + " does not exist", x::usage);
    std::vector<std::string> warnings;
    const UchrootSettings s = login::settings_for(*ini, who, warnings, read_uchroot_settings);
    login::WarningsOnce config_warnings(std::move(warnings), LOG_WARNING, report);
    if (!s.allowed_jails || s.allowed_jails->empty())
        throw Error("abort, no allowed_jails for user " + id + " in " + conf, x::usage);

    const std::string shown_jail = text::printable(req.jail, 400);
    if (!jail_allowed(req.jail, *s.allowed_jails))
        throw Error(
            "abort, user " + id + " is not allowed in jail " + quoted(shown_jail) + " (allowed_jails in " + conf + ")",
            x::not_allowed);
    const std::string jail_path = normalize_absolute(req.jail);

    std::optional<Jail> jail;
    try {
        jail.emplace(Jail::open(jail_path));
    } catch (const SymlinkNotAllowed& e) {
        throw Error("abort, " + jail_path + " is not a safe jail: " + e.what(), x::not_allowed);
    } catch (const UnsafePath& e) {
        throw Error("abort, " + jail_path + " is not a safe jail, check ownership and permissions: " + e.what(),
                    x::unsafe_jail);
    } catch (const SysError& e) {
        throw Error("abort, cannot open the jail " + jail_path + ": " + std::strerror(e.err()), x::no_jail_dir);
    }
    bool thin = false;
    std::optional<isolation::Policy> policy = policy_and_thin_tree(jail, thin, x::isolation_failed);
    config_warnings.report_now();

    // EXEC is a path inside the jail; a relative one starts at its root
    // (jailkit concatenated JAIL and EXEC).
    if (req.executable.empty()) throw Error("abort, no executable given (-x)", x::usage);
    const std::string inner = req.executable.front() == '/' ? req.executable : "/" + req.executable;
    UniqueFd exec_fd;
    try {
        exec_fd = open_executable(*jail, inner, ExecRule::user_program);
    } catch (const ExecRefused& e) {
        throw Error(std::string("abort, ") + e.what(), x::usage);
    }

    std::string home = "/";
    std::string shell = "/bin/sh";
    if (!s.skip_injail_passwd_check) {
        users::JailUserTexts texts;
        try {
            // Only files the user cannot have written or swapped (trust::jail_passwd).
            texts = users::read_trusted_jail_users(*jail);
        } catch (const UnsafePath& e) {
            throw Error(std::string("abort, refusing the jail's user database: ") + e.what(), x::unsafe_jail);
        } catch (const Error& e) {
            throw Error(std::string("abort, cannot read the jail's user database: ") + e.what(),
                        x::injail_user_missing);
        }
        users::PasswdFile pw =
            users::parse_passwd(texts.passwd.value_or(""), jail->host_path("/etc/passwd"), users::Malformed::skip);
        users::GroupFile gr =
            users::parse_group(texts.group.value_or(""), jail->host_path("/etc/group"), users::Malformed::skip);
        const bool by_name = env_user.has_value() && !env_user->empty();
        const users::PasswdEntry* e = by_name ? pw.find(who.name) : users::find_uid(pw, who.uid);
        // jk_uchroot has no home rule (no "/./" involved): the entry's own
        // home is the one compared.
        std::optional<users::PasswdEntry> entry =
            login::check_jail_account(pw, gr, who, by_name, e ? e->home : std::string(), login::Settings{});
        if (entry) {
            home = entry->home.empty() ? "/" : entry->home;
            if (!entry->shell.empty()) shell = entry->shell;
        }
    }

    entry::Request r;
    r.jail = &*jail;
    r.policy_read = true;
    r.policy = std::move(policy);
    r.thin_assembled = thin;
    r.identity = {who.uid, who.gid, caller.groups};
    r.root = entry::RootInJail::allowed;
    r.program_fd = exec_fd.get();
    r.program = inner;
    r.argv.push_back(req.executable);
    r.argv.insert(r.argv.end(), req.args.begin(), req.args.end());
    r.env = environment(pro.environment, who.name, home, shell);
    r.umask = pro.caller_umask;

    report(LOG_INFO, "now entering jail " + jail_path + " for user " + id + " to run " + text::printable(inner, 400) +
                         (req.args.empty() ? std::string() : " with arguments " + join(req.args)));
    try {
        entry::enter_and_exec(std::move(r));
    } catch (const entry::EntryError& e) {
        switch (e.step()) {
            case entry::Step::policy:
            case entry::Step::isolation:
                throw Error("abort, cannot isolate the jail " + jail_path + " as its policy asks: " + e.what(),
                            x::isolation_failed);
            case entry::Step::chroot: throw Error(std::string("abort, ") + e.what(), x::chroot_failed);
            case entry::Step::drop:
                throw Error(std::string("abort, ") + e.what(),
                            uchroot_drop_exit(e.drop_step().value_or(privilege::DropStep::verify)));
            case entry::Step::home:
            case entry::Step::session:
            case entry::Step::exec: break;
        }
        throw Error("ERROR: failed to execute " + text::printable(inner, 400) + " in jail " + jail_path + " for user " +
                        id + ": " + std::strerror(e.err()),
                    x::exec_failed);
    }
}

// Reports a refusal before it leaves the library (every decision is logged).
template <class Fn>
[[noreturn]] void reported(const Reporter& report, Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        report(LOG_ERR, e.what());
        throw;
    } catch (const std::exception& e) {
        report(LOG_ERR, std::string("abort, ") + e.what());
        throw;
    }
    // fn never returns normally
    throw Error("internal error: the launch returned");
}

}  // namespace

void run_uchroot(const privilege::Prologue& prologue, const UchrootRequest& request, const Reporter& report) {
    reported(report, [&] { uchroot(prologue, request, report); });
}

// ---------------------------------------------------------------- jk_chrootlaunch

DaemonIdentity resolve_daemon_identity(const std::optional<std::string>& user,
                                       const std::optional<std::string>& group) {
    DaemonIdentity d;
    d.home = "/";
    d.shell = "/bin/sh";
    std::vector<char> buf;
    int err = 0;
    std::optional<passwd> pw;
    if (user) {
        std::optional<unsigned> n = parse_numeric_id(*user);
        if (n) {
            pw = nss_lookup<passwd>(
                [&](passwd* p, char* b, std::size_t sz, passwd** r) { return ::getpwuid_r(*n, p, b, sz, r); }, buf,
                err);
            d.id.uid = *n;
        } else {
            pw = nss_lookup<passwd>([&](passwd* p, char* b, std::size_t sz,
                                        passwd** r) { return ::getpwnam_r(user->c_str(), p, b, sz, r); },
                                    buf, err);
            if (!pw) throw Error("unknown user " + quoted(text::printable(*user, 64)));
            d.id.uid = pw->pw_uid;
        }
    } else {
        d.id.uid = 0;
        pw = nss_lookup<passwd>(
            [&](passwd* p, char* b, std::size_t sz, passwd** r) { return ::getpwuid_r(0, p, b, sz, r); }, buf, err);
    }
    if (pw) {
        d.name = pw->pw_name ? pw->pw_name : "";
        if (pw->pw_dir && *pw->pw_dir) d.home = pw->pw_dir;
        if (pw->pw_shell && *pw->pw_shell) d.shell = pw->pw_shell;
    }

    std::vector<char> gbuf;
    if (group) {
        std::optional<unsigned> n = parse_numeric_id(*group);
        if (n) {
            d.id.gid = *n;
        } else {
            std::optional<struct group> gr =
                nss_lookup<struct group>([&](struct group* g, char* b, std::size_t sz,
                                             struct group** r) { return ::getgrnam_r(group->c_str(), g, b, sz, r); },
                                         gbuf, err);
            if (!gr) throw Error("unknown group " + quoted(text::printable(*group, 64)));
            d.id.gid = gr->gr_gid;
        }
    } else if (pw) {
        d.id.gid = pw->pw_gid;  // jailkit kept gid 0 here (W8)
    } else {
        throw Error("user ID " + std::to_string(d.id.uid) +
                    " has no passwd entry, so it has no group: give one with -g");
    }

    if (d.name.empty()) {
        d.id.groups = {d.id.gid};
        return d;
    }
    // The target user's groups, as initgroups(3) would set them (W8: never
    // the groups of whoever started jk_chrootlaunch).
    int n = 32;
    std::vector<gid_t> groups;
    for (int tries = 0; tries < 16; ++tries) {
        groups.resize(static_cast<std::size_t>(n));
        int want = n;
        if (::getgrouplist(d.name.c_str(), d.id.gid, groups.data(), &want) >= 0) {
            groups.resize(static_cast<std::size_t>(want));
            d.id.groups = std::move(groups);
            return d;
        }
        n = want > n ? want : n * 2;
    }
    throw Error("cannot read the groups of user " + quoted(d.name));
}

namespace {

[[noreturn]] void chrootlaunch(const privilege::Prologue& pro, const ChrootlaunchRequest& req, const Reporter& report) {
    namespace x = chrootlaunch_exit;
    if (pro.caller.uid != 0 || pro.caller.euid != 0)
        throw Error("abort, jk_chrootlaunch must be run by root (user ID " + std::to_string(pro.caller.uid) +
                        ") and is not meant to be setuid",
                    x::usage);

    DaemonIdentity d;
    try {
        d = resolve_daemon_identity(req.user, req.group);
    } catch (const Error& e) {
        throw Error(std::string("abort, ") + e.what(), x::usage);
    }
    if (req.jail.empty()) throw Error("abort, no jail directory given (-j)", x::no_jail);
    if (req.executable.empty()) throw Error("abort, no executable given (-x)", x::no_exec);
    if (req.jail.front() != '/')
        throw Error("abort, the jail directory " + quoted(text::printable(req.jail, 400)) + " is not an absolute path",
                    x::jail_not_absolute);
    const std::string jail_path = normalize_absolute(req.jail);

    std::optional<Jail> jail;
    try {
        jail.emplace(Jail::open(jail_path));
    } catch (const UnsafePath& e) {
        throw Error("abort, " + jail_path + " is not a safe jail, check ownership and permissions: " + e.what(),
                    x::unsafe_jail);
    } catch (const SysError& e) {
        throw Error("abort, cannot change directory to the jail " + jail_path + ": " + std::strerror(e.err()),
                    x::chdir_failed);
    }
    bool thin = false;
    std::optional<isolation::Policy> policy = policy_and_thin_tree(jail, thin, x::isolation_failed);

    std::string inner;
    UniqueFd exec_fd;
    try {
        inner = chrootlaunch_inner_path(jail_path, req.executable);
        exec_fd = open_executable(*jail, inner, ExecRule::trusted_daemon);
    } catch (const Error& e) {
        throw Error(std::string("abort, ") + e.what(), x::unsafe_exec);
    }

    entry::Request r;
    r.jail = &*jail;
    r.policy_read = true;
    r.policy = std::move(policy);
    r.thin_assembled = thin;
    r.identity = d.id;
    r.root = entry::RootInJail::allowed;
    r.own_session = false;  // made above, before the pidfile
    r.program_fd = exec_fd.get();
    r.program = inner;
    r.argv.push_back(inner);
    r.argv.insert(r.argv.end(), req.args.begin(), req.args.end());
    r.env = environment(pro.environment, d.name, d.home, d.shell);
    r.umask = pro.caller_umask;

    // A daemon launcher: the daemon gets a session of its own, without the
    // caller's terminal, before its pid is written (ensure_own_session may
    // fork; the pidfile names the process that execs the daemon).
    try {
        privilege::ensure_own_session(privilege::Terminal::drop);
    } catch (const SysError& e) {
        throw Error(std::string("abort, ") + e.what(), x::exec_failed);
    }
    if (req.pidfile) {
        try {
            write_pidfile(*req.pidfile, ::getpid());
        } catch (const Error& e) {
            throw Error(std::string("abort, ") + e.what(), x::usage);
        }
    }

    std::string groups;
    for (gid_t g : d.id.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
    const std::string who = (d.name.empty() ? std::string("uid ") : d.name + " ") + "(" + std::to_string(d.id.uid) +
                            ") group " + std::to_string(d.id.gid) + " groups " + groups;
    report(LOG_INFO, "starting " + text::printable(inner, 400) + " in jail " + jail_path + " as " + who + ", pid " +
                         std::to_string(::getpid()) +
                         (req.args.empty() ? std::string() : ", arguments " + join(req.args)));
    if (d.id.uid == 0) report(LOG_WARNING, "the program in jail " + jail_path + " runs as root and can leave the jail");

    try {
        entry::enter_and_exec(std::move(r));
    } catch (const entry::EntryError& e) {
        switch (e.step()) {
            case entry::Step::policy:
            case entry::Step::isolation:
                throw Error("abort, cannot isolate the jail " + jail_path + " as its policy asks: " + e.what(),
                            x::isolation_failed);
            case entry::Step::chroot: throw Error(std::string("abort, ") + e.what(), x::chroot_failed);
            case entry::Step::drop: {
                privilege::DropStep step = e.drop_step().value_or(privilege::DropStep::verify);
                bool group_step = step == privilege::DropStep::setgroups || step == privilege::DropStep::setgid;
                throw Error(std::string("abort, ") + e.what(), group_step ? x::setgid_failed : x::setuid_failed);
            }
            case entry::Step::home:
            case entry::Step::session:
            case entry::Step::exec: break;
        }
        throw Error("abort, failed to execute " + text::printable(inner, 400) + " in jail " + jail_path + ": " +
                        std::strerror(e.err()),
                    x::exec_failed);
    }
}

}  // namespace

void run_chrootlaunch(const privilege::Prologue& prologue, const ChrootlaunchRequest& request, const Reporter& report) {
    reported(report, [&] { chrootlaunch(prologue, request, report); });
}

}  // namespace jk::launch
