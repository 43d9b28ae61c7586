// What the suite trusts, in one place: the named rules a file or directory
// must meet before a root tool relies on it, and the one walker that applies
// them component by component on the fds it goes on to use.
//
// MUST (DESIGN.md invariants 1, 2 and 4):
//  1. A rule is checked on an fd (fstat), never on a path string, and the
//     fd that passed is the one the caller uses.
//  2. A walk starts at "/" and opens each component with O_NOFOLLOW beneath
//     the previous fd: a symlink anywhere on the way is refused, never
//     followed, so nothing can be swapped in between check and use.
//  3. Every directory a walk passes meets the rule's `parents` rule: whoever
//     may write a directory on the way may replace what lies beneath it.
//  4. No other file of libjk checks owner or mode bits to decide trust; it
//     names one of these rules instead (SECURITY.md, "one owner of trust").
//  5. A walk that judges a path for a user (host_file_for_user,
//     look_up_for_user) takes one component at a time with
//     O_PATH|O_NOFOLLOW beneath the fd of the one before and judges that
//     fd: no component is looked up by a path string from "/" again.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "jk/fd.hpp"
#include "jk/privilege.hpp"

namespace jk::trust {

// A socket's mode bits say only who may connect: for Kind::socket the
// owner is judged, the write bits are not.
enum class Kind { directory, regular_file, executable, socket };

struct Rule {
    const char* name;  // for messages: "jail directory", "setuid configuration directory"
    Kind kind;
    // Only the kind is judged, not owner or mode (real_directory).
    bool kind_only = false;
    // Owned by root. Off only for a pidfile's directory: the pidfile in it is
    // opened with O_NOFOLLOW and checked, so only who may plant names matters.
    bool root_owner = true;
    // Group root as well (jailkit's rule for the jail itself).
    bool root_group = false;
    // Group-writable is acceptable when the group is root (gid 0): only root
    // is in it on a sane host, and /etc/jailkit is often root:root 0775.
    bool group_write_if_root_group = false;
    // Setuid/setgid bits refused (a daemon started as a user must not gain
    // another identity through its own executable).
    bool refuse_setid = false;
    // The rule every directory on the way down must meet; nullptr:
    // real_directory.
    const Rule* parents = nullptr;
};

// ---------------------------------------------------------------- the rules

// A real directory and nothing more (owner and mode are not judged): the
// walk through it still refuses a symlink in its place.
extern const Rule real_directory;

// A directory on the way to a jail: sshd's ChrootDirectory rule. Root-owned,
// not writable by group or others.
extern const Rule jail_parent;
// The jail itself: jailkit's rule, root:root and not writable by group or
// others; every parent a jail_parent.
extern const Rule jail_directory;
// A well-known directory inside a jail (etc, usr, bin, lib...): where the
// loader and jailed programs look first. Root-owned, not group/other-writable.
extern const Rule jail_system_dir;
// A file of a jail's system that a thin jail's bind lands on (an empty
// placeholder for etc/ld.so.cache): root-owned, not group/other-writable,
// every directory above it in the jail a jail_system_dir.
extern const Rule jail_system_file;
// A host directory or file a thin jail binds read-only (/usr, the loader's
// cache): root-owned, not group/other-writable, every directory above it a
// jail_parent, so no user can swap what every thin jail runs.
extern const Rule system_source_dir;
extern const Rule system_source_file;
// A directory holding a setuid tool's configuration (and every directory
// above it): root-owned, not writable by others, group-writable only when
// the group is root.
extern const Rule config_directory;
// A configuration file a root tool obeys (ini files, the jail's manifest):
// a regular file owned by root, writable by nobody else.
extern const Rule trusted_file;
// The jail's etc/passwd and etc/group as jk_chrootsh reads them to find the
// user: a regular file owned by root and writable by nobody else.
extern const Rule jail_passwd;
// A program run with root's privileges or on root's behalf (procmail, a
// jailed login shell): a root-owned regular file with an execute bit,
// writable by nobody else.
extern const Rule trusted_executable;
// A daemon started by jk_chrootlaunch: a root:root regular file, writable by
// nobody else, neither setuid nor setgid (its x bits are exec's business).
extern const Rule daemon_executable;
// A cgroup v2 directory delegated to jailkit ([cgroup] delegate), and the
// slice and leaf made below it: root-owned, not group/other-writable (who
// may write it could move a jail's processes out of their limits), every
// directory above it a jail_parent.
extern const Rule cgroup_delegate;
// The system bus socket the entry asks systemd through (systemd_scope.hpp):
// root-owned (only root binds it there), every directory above it a
// jail_parent, so nobody else can put a bus of their own in its place.
extern const Rule system_bus_socket;
// The directory root writes a pidfile into: not writable by others, and by
// its group only when that is root. (Its owner may be anyone: the name in it
// is opened with O_NOFOLLOW and checked.)
extern const Rule pidfile_directory;

// ---------------------------------------------------------------- checks

// Why `st` fails `rule` ("is writable by group or others", ...), suitable
// after a quoted path; nullopt when it passes. Pure: no system calls.
std::optional<std::string> problem(const struct stat& st, const Rule& rule);

// Throws UnsafePath (SymlinkNotAllowed for a symlink) naming `shown` when the
// object open at `fd` fails `rule`.
void require(int fd, const std::string& shown, const Rule& rule);

// One step of a walk: opens `name` beneath `dirfd` with O_PATH|O_NOFOLLOW and
// checks it against `rule`. Throws SysError (ENOENT...) when it cannot be
// opened, SymlinkNotAllowed or UnsafePath when it fails the rule.
UniqueFd step(int dirfd, const std::string& name, const std::string& shown, const Rule& rule);

// Opens the absolute `path` from "/" by the walk of MUST 2 and 3: "/" and
// every directory on the way meet rule.parents, the last component meets
// `rule`. The result is opened with `flags` (O_PATH for a directory to go on
// from, O_RDONLY for a file to read; O_NOFOLLOW and O_CLOEXEC are added).
// `path` must be absolute and lexically clean (no "." or ".." components);
// "//" is tolerated. Throws Error for a bad path, SysError when a component
// cannot be opened (ENOENT for a missing one), SymlinkNotAllowed or
// UnsafePath when one fails its rule.
UniqueFd open_checked(std::string_view path, const Rule& rule, int flags = O_PATH);

// open_checked for a file that may be absent: an empty UniqueFd when a
// component does not exist (ENOENT), without an exception on the way (the
// setuid tools ask on every start, under whatever RLIMIT_STACK the caller
// left them). Every other failure throws as open_checked does.
UniqueFd open_checked_if_present(std::string_view path, const Rule& rule, int flags = O_PATH);

// ---------------------------------------------------------------- a user's view

// A file opened by open_unreplaceable and the path it was found at, symlinks
// resolved (what an interpreter is handed for a script).
struct UnreplaceableFile {
    UniqueFd fd;  // O_PATH | O_CLOEXEC on the regular file
    std::string canonical;
};

// The rule for a program a user runs as themselves (jk_lsh's allowed
// programs): the file, and "/" and every directory on the way to it, are
// neither owned by `uid` nor writable by it (ACLs and read-only mounts
// counted, through faccessat2 on the fd), so the user cannot swap the
// program between this check and the exec. Unlike open_checked, symlinks
// are followed, by hand and at most 40 as the kernel does: a link cannot
// change once the directory holding it passed. Nothing is judged for uid 0,
// who can replace anything anyway. `path` must be absolute. Throws UnsafePath
// for what the user could replace or a path that does not end at a regular
// file, SysError when a lookup fails (ENOENT...).
UnreplaceableFile open_unreplaceable(const std::string& path, uid_t uid);

// ---------------------------------------------------------------- copied for a user

// Whether `who` may do `bits` (4 read, 2 write, 1 search) on a file of `st`
// by its mode bits alone: the owner's class for the owner, the group's for
// a member of the file's group, the others' otherwise; uid 0 gets no
// exception. ACLs are not read: they can only narrow the group class, so
// this errs on the side of refusing. (faccessat2 cannot serve here: it
// asks for the caller's ids, and the caller is root judging another user.)
// Pure: no system calls.
bool mode_allows(const struct stat& st, const privilege::Identity& who, unsigned bits);

// What host_file_for_user found.
struct HostFile {
    enum class Verdict {
        readable,  // every component root's, reachable and readable by the user
        absent,    // a component is missing, or not a directory on the way
        refused,   // the user may not have it
    };
    Verdict verdict = Verdict::absent;
    // For absent and refused, shown after the path: "does not exist on the
    // host", "/x is not owned by root on the host", "the user cannot read it
    // on the host"...
    std::string why;
    bool directory = false;  // readable: the last component is a directory
};

// The rule for a host file root copies into a jail for `who` (jk_trace,
// issue 14, trace.hpp MUST 2): every component of `real` below "/" owned
// by root, every directory on the way searchable by `who` and the last a
// regular file `who` may read or a directory `who` may read and search
// (mode_allows). `real` is absolute and free of symlinks (realpath's); a
// symlink met on the way (swapped in since) is absent when on the way,
// refused ("is not a regular file or a directory on the host") when last.
// Walked by MUST 5 from "/". A component that cannot be opened is absent.
HostFile host_file_for_user(std::string_view real, const privilege::Identity& who);

// What look_up_for_user found.
struct JailPath {
    bool exists = false;
    // Where the lookup ended inside the jail (symlinks resolved); when it
    // does not exist, with the part not found appended, lexically cleaned.
    std::string resolved;
    // Why it was stopped: "<path> in the jail is controlled by a user",
    // "... loops", "... cannot be read", "... is not a directory".
    std::optional<std::string> refused;
};

// The rule for a path a jail's program asked for, before root acts on it
// (jk_trace copying what is missing, trace.hpp MUST 2): looked up beneath
// the jail's directory fd `jailfd` as the jail's programs would look it up
// (symlinks followed, at most 40; ".." and absolute targets clamped at the
// jail's root), by MUST 5 from the jail's root. Every component passed,
// symlinks included, is owned by root, and none but a symlink is writable
// by group or others unless it is a sticky directory (/tmp): a user's
// directory or symlink is never followed out. The jail's root itself is
// not judged (Jail::open did). A component that cannot be opened ends the
// lookup as not existing.
JailPath look_up_for_user(int jailfd, std::string_view inner);

}  // namespace jk::trust
