// Starting one program inside a jail as some user: what jk_uchroot (a user
// enters an allowed jail, COMPAT.md 2.5) and jk_chrootlaunch (root starts a
// daemon in a jail, COMPAT.md 2.7) have in common, and the two sequences.
// The model is jk_chrootsh's (jk/login.hpp): validate the jail, resolve
// what will run beneath the jail fd, enter through that fd, drop, exec the
// checked fd.
//
// MUST (DESIGN.md invariants 1-4; jailkit's W8, W9, W11):
//  1. The jail is validated (itself and every parent) and entered through
//     the same directory fd (privilege::enter_root).
//  2. The executable is resolved beneath the jail fd (symlinks interpreted
//     inside the jail), checked on the opened fd and executed from that fd.
//     No host path below the jail is ever stat'ed or opened by name as root.
//  3. The program's environment is built from scratch (HOME, USER,
//     USERNAME, LOGNAME, SHELL, a default PATH, and TERM/LANG from the
//     caller); nothing that steers the loader or a shell passes.
//  4. Supplementary groups are exactly those of the identity run as: the
//     caller's own for jk_uchroot (the caller is the user), the target
//     user's from the host group database for jk_chrootlaunch - never the
//     groups of whoever started jk_chrootlaunch.
//  5. The program runs in a session of its own (no TIOCSTI into a terminal
//     it does not own), with fds above 2 closed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/privilege.hpp"

namespace jk {
class Jail;
}

namespace jk::launch {

// ---------------------------------------------------------------- pure rules

// jk_uchroot's allowed_jails match (jailkit's dirs_equal): both paths are
// cleaned lexically ("//", "." and ".." resolved as text, trailing '/'
// dropped, so one trailing slash more or less does not matter) and compared
// as strings. No realpath: a symlinked spelling of an allowed jail is not
// that jail (and Jail::open refuses symlinked components anyway). Relative
// paths never match.
bool jail_allowed(std::string_view jail, const std::vector<std::string>& allowed);

// jk_chrootlaunch's -x: the path inside the jail for EXEC given with JAIL
// (both as on the command line; JAIL absolute). An absolute EXEC below JAIL
// (compared by components after lexical cleanup) loses the JAIL prefix; any
// other absolute EXEC is already a path inside the jail; a relative EXEC is
// relative to the jail's root. Returns an absolute, cleaned inner path.
// Throws Error for an empty EXEC or one that names the jail root itself.
std::string chrootlaunch_inner_path(const std::string& jail, const std::string& exec);

// A -u/-g value that is all digits (a uid/gid), or nullopt for a name.
// Throws Error for a negative number or one that does not fit an id
// (jailkit's "negative user or group": exit 1).
std::optional<unsigned> parse_numeric_id(std::string_view spec);

// The program's environment (MUST 3). TERM and LANG are copied from the
// caller when set; shared with jk_chrootsh's builder (login::shell_environment).
std::vector<std::string> environment(const privilege::CallerEnvironment& caller, const std::string& user,
                                     const std::string& home, const std::string& shell);

// ---------------------------------------------------------------- system steps

// An executable refused (missing, not a regular file, unsafe); what() names
// the jail path.
class ExecRefused : public Error {
public:
    explicit ExecRefused(const std::string& message) : Error(message, 1) {}
};

enum class ExecRule {
    // jk_uchroot: symlinks (also the last one) resolved inside the jail; the
    // target must be a regular file. The user runs it as themselves.
    user_program,
    // jk_chrootlaunch: the last component must not be a symlink and the file
    // must pass trust::daemon_executable (it may run as root).
    trusted_daemon,
};

// Opens `inner` (a path inside the jail) beneath the jail fd with O_PATH and
// checks it by `rule` on the opened fd. Throws ExecRefused.
UniqueFd open_executable(const Jail& jail, const std::string& inner, ExecRule rule);

// Writes "<pid>\n" to the host file `path`: the directory is opened (the
// admin's path, symlinks in it followed) and must not be writable by others
// nor by a group other than root's; the file is opened beneath it with
// O_NOFOLLOW|O_CREAT|O_NONBLOCK (a planted symlink or FIFO is refused, never
// followed) and must then be a regular file with a single link; it is
// truncated and written. Throws Error (exit 1) naming the file.
void write_pidfile(const std::string& path, pid_t pid);

// ---------------------------------------------------------------- the tools

// Receives every decision for syslog (priority, message).
using Reporter = std::function<void(int priority, const std::string& message)>;

// jailkit 2.23's exit codes for jk_uchroot.
namespace uchroot_exit {
enum : int {
    usage = 1,  // also: wrong argv[0], EXEC not a regular file, no config, no allowed_jails
    not_setuid = 11,
    run_by_root = 12,
    no_user_info = 13,
    unsafe_config = 14,
    no_jail_dir = 19,
    not_allowed = 21,
    chroot_failed = 33,
    setgid_failed = 34,
    setgroups_failed = 35,
    injail_user_missing = 35,
    setuid_failed = 36,
    injail_name_mismatch = 37,
    unsafe_jail = 53,
    isolation_failed = 60,      // ours: the jail's isolation policy cannot be read or applied
    capabilities_failed = 101,  // 101-105
    exec_failed = 111,
};
}

struct UchrootRequest {
    std::string argv0;
    std::string jail;
    std::string executable;         // path inside the jail
    std::vector<std::string> args;  // after EXEC
};

// jk_uchroot's whole sequence after the prologue. Returns only by throwing
// (an Error whose exit_code() is jailkit's, reported before it is thrown).
[[noreturn]] void run_uchroot(const privilege::Prologue& prologue, const UchrootRequest& request,
                              const Reporter& report);

// jailkit 2.23's exit codes for jk_chrootlaunch.
namespace chrootlaunch_exit {
enum : int {
    usage = 1,  // also: unknown or negative user/group, not run by root, pidfile refused
    no_jail = 21,
    no_exec = 23,
    unsafe_jail = 25,
    jail_not_absolute = 27,
    unsafe_exec = 29,
    exec_failed = 31,
    chdir_failed = 33,
    chroot_failed = 35,
    setgid_failed = 37,     // also setgroups
    setuid_failed = 39,     // also the capability steps of the drop
    isolation_failed = 60,  // ours: the jail's isolation policy cannot be read or applied
};
}

struct ChrootlaunchRequest {
    std::string jail;
    std::optional<std::string> user;   // -u NAME|UID
    std::optional<std::string> group;  // -g NAME|GID
    std::optional<std::string> pidfile;
    std::string executable;
    std::vector<std::string> args;
};

// The identity a jk_chrootlaunch daemon runs as, from the host's databases.
struct DaemonIdentity {
    privilege::Identity id;
    std::string name;   // "" for a uid without a passwd entry
    std::string home;   // "/" without a passwd entry
    std::string shell;  // "/bin/sh" without a passwd entry
};

// -u/-g to an identity (COMPAT 2.7 and W8): without -u, root; the gid is -g,
// else the user's passwd gid; the supplementary groups are the user's from
// the host group database (getgrouplist with that gid), so nothing of the
// caller's survives. A numeric -u without a passwd entry needs -g and gets
// that group alone. Throws Error (exit 1) for an unknown or negative user or
// group.
DaemonIdentity resolve_daemon_identity(const std::optional<std::string>& user, const std::optional<std::string>& group);

// jk_chrootlaunch's whole sequence after the prologue. Returns only by
// throwing (an Error with jailkit's exit code, reported before it is thrown).
[[noreturn]] void run_chrootlaunch(const privilege::Prologue& prologue, const ChrootlaunchRequest& request,
                                   const Reporter& report);

}  // namespace jk::launch
