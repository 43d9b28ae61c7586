// jk_exec (FreeBSD's jexec(8)): root runs one command inside a jail, in the
// foreground, through the same entry as a login (entry::enter_and_exec), so
// the jail's isolation policy applies exactly as it does to its users. The
// pure rules (which user, which program, which environment) are apart from
// the sequence that touches the system, so each is unit-tested on its own.
//
// MUST (DESIGN.md invariants 1-4, "Entering a jail"):
//  1. Only root runs it (real and effective uid 0); it is not setuid and
//     refuses to act for anyone else.
//  2. The jail is named canonically (path::noncanonical) and validated on
//     the fd that is then entered (Jail::open); its policy is the one of
//     that canonical path.
//  3. Everything of the jail's is read beneath the jail fd: the user from
//     the jail's passwd and group only when those can be trusted
//     (users::read_trusted_jail_users), the command resolved inside the jail
//     (an absolute path, or a bare name searched in search_dirs), never on
//     the host.
//  4. A command that will run as root is a root-owned file writable by
//     nobody else (trust::trusted_executable, checked on the fd that is
//     executed): a jail user must not be able to plant a program that root
//     then runs with every capability (and so leaves the jail).
//  5. The environment is built from scratch (HOME, USER, LOGNAME, SHELL,
//     PATH, and TERM/LANG from the caller); the supplementary groups are
//     exactly the target user's, never the caller's.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/error.hpp"
#include "jk/privilege.hpp"
#include "jk/users.hpp"

namespace jk::jexec {

// jk_exec's exit codes for its own failures (jk_exec(8), EXIT STATUS). The
// command's own status is passed through unchanged.
namespace exit_code {
enum : int {
    usage = 1,
    not_root = 2,
    bad_jail = 3,           // not absolute and canonical, missing, not a directory
    unsafe_jail = 4,        // the jail, a parent or its passwd/group fail the trust rules
    no_user = 5,            // -u/-U names no user (or a uid without an entry)
    entry_failed = 6,       // chroot, identity change, working directory
    isolation_failed = 60,  // as the other tools: the jail's policy cannot be read or applied
    cannot_execute = 126,   // the command was found but cannot be run (or is refused, MUST 4)
    not_found = 127,        // no such command in the jail
};
}

// ---------------------------------------------------------------- pure rules

// Where a bare command name is looked for inside the jail, in this order;
// also the command's PATH.
inline constexpr std::string_view search_dirs = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

// The paths inside the jail to try for `command`, in order: an absolute
// path alone (lexically cleaned); a bare name in each of search_dirs.
// Throws Error for an empty command, one with a NUL, or a relative path
// holding a '/' (there is no working directory in the jail to be relative
// to yet: give it absolute).
std::vector<std::string> command_candidates(std::string_view command);

// Which user database -u/-U reads.
enum class UserDb { jail, host };

// Whom the command runs as, and what it is told about them.
struct Target {
    privilege::Identity id;
    std::string name;   // for USER and LOGNAME
    std::string home;   // inside the jail: HOME, and the working directory when it exists there
    std::string shell;  // SHELL
};

// No -u/-U: root, with root's group alone ({0}), home /root, shell /bin/sh.
// The jail's passwd is not consulted, so a jail without one can be entered.
Target default_target();

// -u SPEC in the jail's databases: SPEC is a name, or a uid (all digits)
// that must have an entry too. The gid is the entry's; the supplementary
// groups are that gid followed by every group of `group` naming the user
// as a member (as initgroups(3) would set them inside the jail). An empty
// home is "/"; an empty shell "/bin/sh". Throws Error naming the file for a
// user not there (no_user).
Target jail_target(const users::PasswdFile& passwd, const users::GroupFile& group, std::string_view spec);

// The home inside `jail` (canonical) for a host passwd home: "<jail>/./X"
// (the jailkit convention) gives "/X"; any other absolute home is taken as
// a path inside the jail; a relative or empty one is "/".
std::string home_inside(std::string_view jail, std::string_view host_home);

// The command's environment (MUST 5): HOME, USER, LOGNAME (left out for a
// uid without a name), SHELL, PATH=search_dirs, then TERM and LANG when the
// caller has them.
std::vector<std::string> environment(const privilege::CallerEnvironment& caller, const Target& who);

// ---------------------------------------------------------------- the tool

struct Request {
    std::string jail;                  // as given: absolute and canonical, one trailing '/' accepted
    std::optional<std::string> user;   // -u/-U NAME|UID; nullopt: root (default_target)
    UserDb user_db = UserDb::jail;     // where `user` is looked up
    std::vector<std::string> command;  // COMMAND [ARG...]; COMMAND becomes argv[0]
};

// Receives every decision for syslog (priority, message).
using Reporter = std::function<void(int priority, const std::string& message)>;

// jk_exec's sequence after the prologue: root only; the jail (MUST 2); the
// user (-u: the jail's trusted passwd and group; -U: the host's, with the
// host's groups); the command opened beneath the jail (MUST 3, 4); the
// home opened beneath the jail when it is a directory there; the start
// logged; then entry::enter_and_exec without a session of its own (the
// command keeps the caller's terminal, as jexec's does). Returns only by
// throwing an Error whose exit_code() is one of exit_code, reported before
// it is thrown.
[[noreturn]] void run(const privilege::Prologue& prologue, const Request& request, const Reporter& report);

}  // namespace jk::jexec
