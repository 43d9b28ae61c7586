// jk_jailuser's logic: moving an existing host user into a jail (COMPAT.md
// 2.8). A pure planner decides everything from the host entry, the host
// groups, the jail path and the jail's passwd/group texts; a thin system
// layer validates the jail, writes the jail files, moves the home directory
// and runs usermod.
//
// MUST:
//  1. No shell anywhere (COMPAT.md W1): usermod is run with an argv.
//  2. Jail files and the home's new place are reached only through the
//     jail's fd (DESIGN.md invariant 4); the jail passwd/group are replaced
//     atomically.
//  3. The home directory's content belongs to the user and is hostile: it is
//     moved with rename(2) or copied through fds, every entry opened with
//     O_NOFOLLOW relative to its parent; symlinks are recreated, never
//     followed, and the source is removed the same way.
//  4. A failed copy leaves the source intact: the copy is built under a
//     temporary name beside the destination and renamed into place before
//     the source is removed.
//  5. Idempotent: a second run with the same arguments changes nothing.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jk/changes.hpp"
#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/users.hpp"

namespace jk::jailuser {

// jailkit's exit status for a jail that fails validation (non-interactive).
inline constexpr int exit_bad_jail = 33;

// A jail that cannot take users: names the jail and the reason.
class BadJail : public Error {
public:
    explicit BadJail(const std::string& message) : Error(message, exit_bad_jail) {}
};

// ---------------------------------------------------------------- pure part

struct Request {
    std::string jail;      // the jail, absolute and lexically clean (Jail::path())
    std::string shell;     // the shell written to the jail's passwd entry
    std::string chrootsh;  // the login shell set on the host
};

struct Plan {
    std::string user;
    std::string inner_home;     // home inside the jail
    std::string new_host_home;  // jail + "/." + inner_home
    // The host directory that holds the home today when it lies outside the
    // jail: a candidate for moving to jail + inner_home. nullopt when the home
    // is already inside this jail (nothing to move) or cannot be moved
    // ("/", or a directory that contains the jail).
    std::optional<std::string> move_source;
    bool host_change = false;           // usermod is needed (home or shell differ)
    users::MergeResult passwd;          // the jail's new passwd text
    users::MergeResult group;           // the jail's new group text
    bool group_file_missing = false;    // the jail had no etc/group; written when group.changed
    std::vector<std::string> notes;     // for -v
    std::vector<std::string> warnings;  // non-fatal problems (stderr)
    std::vector<std::string> actions;   // what will change, one line each (stdout)
};

// Lexically cleans an absolute path ("//" and "." removed, no trailing '/').
// Throws Error for a relative or empty path and for a ".." component (it
// would make the string and what it names differ).
std::string clean_path(std::string_view path);

// Where a host home lands in `jail`:
//   JAIL/./X         -> X (already jailed here; the host home stays)
//   JAIL/X, JAIL     -> /X, / (inside the jail without the marker)
//   OTHER/./X        -> X, moved from OTHER/X
//   /H               -> /H, moved from /H
// Throws Error for an empty, relative or ".."-holding home, and for the
// jail "/" (it cannot take users).
struct HomeMapping {
    std::string inner;
    std::optional<std::string> move_source;
    std::string note;  // why there is nothing to move, for -v
};
HomeMapping map_home(const std::string& host_home, const std::string& jail);

// Decides everything for one user. `jail_passwd` is the jail's passwd text,
// `jail_group` its group text (nullopt: the file does not exist). The jail's
// group file gets the user's primary group and every host group listing the
// user as a member, added when missing (with the user as member) or given
// the user as a member when present with the same gid; a jail group of the
// same name but another gid is left alone with a warning. Throws
// Error when the user must be refused (root, unusable home, a field that
// cannot be written) and ConfigError for a malformed jail file.
Plan plan(const users::PasswdEntry& host_user, const users::GroupFile& host_groups, const Request& request,
          const std::string& jail_passwd, const std::optional<std::string>& jail_group);

// ---------------------------------------------------------------- system layer

// Opens `path` as a jail (Jail::open: root-owned, not group/other-writable,
// every parent too) and checks that it holds etc/passwd (a regular file) and
// `shell` (an executable regular file, resolved beneath the jail). Throws
// BadJail naming the jail and the reason.
Jail open_jail(const std::string& path, const std::string& shell);

struct Callbacks {
    std::function<void(const std::string&)> say;     // what is done (stdout)
    std::function<void(const std::string&)> note;    // -v details
    std::function<void(const std::string&)> warn;    // non-fatal problems (stderr)
    std::function<void(const std::string&)> error;   // why a user was refused (stderr)
    std::function<void(const std::string&)> record;  // one line per jailed user (syslog)
    // Asks a yes/no question; nullopt on end of input.
    std::function<std::optional<std::string>(const std::string& prompt)> ask;
};

// Copying a tree through fds (used when rename(2) says EXDEV).
struct CopyStats {
    std::size_t entries = 0;
    std::vector<std::string> skipped;  // sockets and devices, host paths for messages
};

// Copies the directory open at `src` (O_RDONLY|O_DIRECTORY) into a new
// directory `name` created in `dst_parent`: directories, regular files,
// symlinks (recreated, never followed) and fifos, with owner, mode
// (setuid/setgid included: the files belong to their owner), timestamps,
// extended attributes and ACLs; file capabilities are dropped. Sockets and
// devices are skipped and listed. Hardlinks become separate copies. Throws
// SysError; what was created stays for the caller to remove. `shown` names
// the source in messages.
CopyStats copy_tree(int src, int dst_parent, const std::string& name, const std::string& shown);

// Removes `name` in `parent` and, when it is a directory, everything below
// it, through fds; symlinks are unlinked, never followed. Throws SysError.
void remove_tree(int parent, const std::string& name, const std::string& shown);

enum class MoveResult {
    moved,          // renamed into place (same filesystem)
    copied,         // copied, then the source removed
    already_there,  // the source is gone and the destination exists
    no_source,      // neither exists: nothing to move
};

// Moves the host directory `source` (absolute, clean) to `inner` inside the
// jail, creating missing parents (root:root 0755). Refuses (Error) when both
// exist, when the source is not a directory (a symlink included) or when
// `inner` is the jail root.
MoveResult move_home(const std::string& source, const Jail& jail, const std::string& inner,
                     std::vector<std::string>& skipped);

struct Settings {
    Request request;
    bool move = false;        // -m
    bool interactive = true;  // no -n: ask before moving
    std::string usermod;      // absolute path of usermod
    // Decide everything, change nothing, never ask (a home moves only with
    // -m): every step goes to `changes` only.
    bool dry_run = false;
    // Where each step is recorded (changes.hpp): the jail's passwd and group
    // with detail "user NAME", the home's new place (created) and old one
    // (removed, a host path), the host account (type "config",
    // "/etc/passwd", detail "host account NAME"). Optional.
    changes::Report* changes = nullptr;
};

// The outcome of jailing one user.
enum class UserResult {
    jailed,   // done (or nothing to do)
    missing,  // no such host user (jailkit: exit 0)
    refused,  // refused or partly failed; messages went to callbacks/exceptions
};

// Jails one user: plans, writes the jail files, moves the home when asked,
// runs usermod. Returns `refused` after reporting through cb.error when a
// per-user step fails; throws for failures that concern the jail as a whole
// (ConfigError for a malformed jail file, SysError writing it).
UserResult jail_user(const Jail& jail, const users::HostUsers& host, const std::string& name, const Settings& settings,
                     const Callbacks& cb);

}  // namespace jk::jailuser
