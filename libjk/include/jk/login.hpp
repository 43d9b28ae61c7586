// jk_chrootsh's login sequence (COMPAT.md 2.3): who is logging in, which
// jail and home their passwd entry names, whether both are safe, and the
// shell to run inside. Pure decisions (settings, environment, in-jail
// account, argv) are apart from the steps that touch the system, so each
// rule is unit-tested on its own.
//
// MUST (DESIGN.md invariants 1-3; jailkit's W9, W10):
//  1. The jail is validated (itself and every parent) and entered through
//     the same directory fd; the home and the shell are opened beneath it
//     and checked on the opened fds.
//  2. The in-jail shell is refused, not merely logged, when it is unsafe
//     (symlink out of nowhere, not root-owned, writable by group or others,
//     setuid/setgid unless allow_setuid).
//  3. The shell gets an environment built from scratch: HOME, USER,
//     USERNAME, LOGNAME, SHELL, a default PATH, and only the variables the
//     admin listed in env= - never the loader's or the shell's own traps,
//     never a value libc would read as a file (privilege::unsafe_value).
//  4. The home names one jail in one way (<jail>/./<home>, no other '.',
//     '..' or '//'), and the jail's passwd and group, which say who the
//     user is inside, are believed only when root-owned, writable by nobody
//     else and reached without a symlink.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"
#include "jk/entry.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/privilege.hpp"
#include "jk/users.hpp"

namespace jk {
class Jail;
}

namespace jk::login {

// jailkit 2.23's exit codes for jk_chrootsh, kept for scripts that test them.
enum Exit : int {
    bad_invocation_name = 1,
    not_setuid = 11,
    run_by_root = 12,
    no_user_info = 13,
    unsafe_config = 14,
    gid_mismatch = 15,
    empty_home = 16,
    no_jail_in_home = 17,
    no_jail_dir = 19,
    jail_path_mismatch = 21,
    chroot_failed = 33,
    setgid_failed = 34,
    setgroups_failed = 35,
    injail_user_missing = 35,
    setuid_failed = 36,
    injail_name_mismatch = 37,
    injail_home_mismatch = 39,
    chdir_home_failed = 41,
    unsafe_path = 53,
    isolation_failed = 60,  // ours: the jail's isolation policy cannot be read or applied (jk_jail.ini(5))
    capabilities_failed = 101,
    exec_failed = 111,
};

// A login refused with jailkit's exit code; what() is the log line.
class Refused : public Error {
public:
    Refused(int code, const std::string& message) : Error(message, code) {}
};

// The jk_chrootsh.ini keys of the section chosen for the user.
struct Settings {
    std::vector<std::string> env;  // caller variables passed on
    bool relax_home_group_permissions = false;
    bool relax_home_other_permissions = false;
    bool relax_home_group = false;
    bool relax_home_owner = false;
    std::optional<std::string> injail_shell;
    bool injail_login_shell = false;
    bool skip_injail_passwd_check = false;
    bool allow_setuid = false;  // ours: keep setuid programs in the jail working
};

// Reads the keys of `section` (nullptr: defaults). Malformed values throw
// ConfigError; unknown keys and ignored variables add to `warnings`.
Settings read_settings(const config::Section* section, std::vector<std::string>& warnings);

// True for the names jailkit answers to: jk_chrootsh, -jk_chrootsh (a login
// by login(1)/sshd), su and -su.
bool valid_invocation_name(std::string_view argv0);

// The host account logging in.
struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string group_name;
};

// The host account for the caller: the one named by $USER when set (it must
// have the caller's uid: accounts may share a uid, the name picks among
// them), else the one for the caller's uid. Its primary gid must be the
// caller's gid. Throws Refused (13, 15). Uses NSS (the host's), or in a
// static tool the files where they give NSS's answer, else hands the login
// to the tool's twin (handover.hpp).
Account host_account(const privilege::Caller& caller, const std::optional<std::string>& env_user);

// The host-side config file <dir>/<name>: the directory and each parent
// must be root-owned and not writable by others (group-writable only when
// the group is root), the file root-owned and not group/other-writable.
// nullopt when the directory or the file does not exist (defaults apply).
// Throws Refused(14) when unsafe or malformed.
std::optional<config::IniFile> load_config(const std::string& dir, const std::string& name);

// The settings that apply to `who` in a loaded config (user > group >
// DEFAULT), read by `read`, which appends its warnings to `warnings` after
// the file's own. A value `read` rejects refuses with unsafe_config (14): a
// setuid tool never guesses what a broken file meant.
template <class Settings>
Settings settings_for(const config::IniFile& ini, const Account& who, std::vector<std::string>& warnings,
                      Settings (*read)(const config::Section*, std::vector<std::string>&)) {
    for (const auto& w : ini.warnings()) warnings.push_back(w);
    try {
        return read(ini.select_for_user(who.name, who.group_name), warnings);
    } catch (const ConfigError& e) {
        throw Refused(unsafe_config, std::string("abort, ") + e.what());
    }
}

// Opens the home beneath the jail without following a final symlink and
// checks it: a directory, owned by the user and the user's group, not
// writable by group or others, each unless the matching relax_ key is set.
// Throws Refused(53).
UniqueFd open_home(const Jail& jail, const std::string& home, const Account& who, const Settings& s);

// The passwd/group entries inside the jail must describe the same user:
// same name (when looked up by uid), same uid and group, home equal to the
// part after "/./". Returns the jail's passwd entry. Throws Refused (35, 37,
// 39). With skip_injail_passwd_check (honoured, as in jailkit, when
// injail_shell is set) nothing is checked and nullopt is returned.
std::optional<users::PasswdEntry> check_jail_account(const users::PasswdFile& passwd, const users::GroupFile& group,
                                                     const Account& who, bool by_name, const std::string& home,
                                                     const Settings& s);

// Opens the shell beneath the jail (symlinks resolved inside it) and checks
// it: a regular executable file, owned by root, not writable by group or
// others, in a directory owned by root and not writable by group or others,
// no setuid/setgid bit unless allow_setuid. Throws Refused(111) when
// missing, Refused(53) when unsafe.
UniqueFd open_shell(const Jail& jail, const std::string& shell, const Settings& s);

// The environment of the shell (see MUST 3). Variables listed in env= are
// copied from the caller, except those that steer the loader or the shell
// (LD_*, GCONV_PATH, IFS, ...), which add a warning instead.
std::vector<std::string> shell_environment(const privilege::CallerEnvironment& caller, const Settings& s,
                                           const Account& who, const std::string& home, const std::string& shell,
                                           std::vector<std::string>& warnings);

// argv for the shell: the shell's path, "--login" when injail_login_shell,
// then every argument jk_chrootsh got (sshd's "-c", "command").
std::vector<std::string> shell_argv(const std::string& shell, const std::vector<std::string>& args, const Settings& s);

// ---- steps shared by every tool that enters a user's jail (jk_chrootsh,
// jk_procmailwrapper): each maps its failure to jailkit's exit code.

// Jail::open with jailkit's codes: 21 for a symlink on the way, 53 for an
// unsafe jail or parent, 19 when it cannot be opened. Throws Refused.
Jail open_jail(const std::string& path);

// The jail's isolation policy (entry::policy_of) and, for a thin jail, its
// tree assembled and `jail` replaced by it (entry::assemble_thin), before
// the shell or procmail is looked up in it. Sets `thin` to whether it was.
// Throws Refused(isolation_failed) when the policy is unsafe or the host
// refuses.
std::optional<isolation::Policy> policy_and_thin_tree(std::optional<Jail>& jail, bool& thin);

// Reads the jail's passwd and group through its fd, only when they can be
// trusted (users::read_trusted_jail_users), and applies check_jail_account.
// Throws Refused (53 when a file or etc is a symlink, not root's or writable
// by others; 35 when unreadable; 35/37/39).
std::optional<users::PasswdEntry> check_account_in(const Jail& jail, const Account& who, bool by_name,
                                                   const std::string& home, const Settings& s);

// The exit code for a failed step of privilege::drop_to (34/35/36, 101-104).
int exit_for(privilege::DropStep step);

// What enter_and_exec needs, all checked beforehand.
struct Entry {
    entry::Request request;  // home: open_home's fd; program_fd: open_shell's
    std::string what;        // "shell", "procmail": for messages
};

// The jailed tail through entry::enter_and_exec (into the jail, 33; drop for
// good, drop_to's codes; into the home as the user, 41; a session of its
// own; the caller's umask; the checked program, 111), its failures in
// jailkit's words and exit codes. Returns only by throwing Refused.
[[noreturn]] void enter_and_exec(Entry entry, const Account& who);

// Receives every decision for syslog (priority, message).
using Reporter = std::function<void(int priority, const std::string& message)>;

// Configuration warnings reported exactly once: when asked (once the jail's
// policy is read, which may hand the login to the tool's twin:
// handover.hpp), or when a refusal unwinds past them. An exec, the login's
// or the handover's, runs no destructor: the twin reports them itself.
class WarningsOnce {
public:
    WarningsOnce(std::vector<std::string> warnings, int priority, const Reporter& report);
    WarningsOnce(const WarningsOnce&) = delete;
    WarningsOnce& operator=(const WarningsOnce&) = delete;
    ~WarningsOnce();
    void report_now() noexcept;

private:
    std::vector<std::string> warnings_;
    int priority_;
    const Reporter& report_;
};

// The whole login: checks, chroot, drop, exec. Returns only by throwing
// (Refused with the exit code, after reporting it).
[[noreturn]] void run(const privilege::Prologue& prologue, const std::vector<std::string>& argv,
                      const Reporter& report);

}  // namespace jk::login
