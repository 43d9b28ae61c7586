// The setuid entry sequence and the one-way privilege drop, shared by every
// setuid tool (jk_chrootsh, jk_uchroot, jk_procmailwrapper).
//
// MUST (DESIGN.md invariants 1-3):
//  1. setuid_prologue() is the first statement of a setuid tool's main: it
//     runs before anything reads the environment, opens a file or allocates
//     a descriptor the caller could have pre-empted.
//  2. A jail is entered through the directory fd that was validated
//     (fchdir + chroot(".")), never by name.
//  3. drop_to() changes identity in a fixed order and then proves the change:
//     every real/effective/saved id is the target's, regaining root fails,
//     and no capability is left in any set.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jk/error.hpp"

namespace jk::privilege {

// Why the caller's NAME=value must never be handed to a program, or nullopt
// when it may be (whether it is, is each tool's allow-list). These are the
// variables whose value libc takes as a file to read, so a caller could make
// a jailed program (or one run on root's behalf) parse any file it names:
//  - TZ: glibc reads a zone file for every value, the name after an optional
//    ':' taken relative to the zoneinfo directory unless it starts with '/'.
//    Refused: a '..' component anywhere ("../../etc/shadow"), and an
//    absolute name other than /etc/localtime or one under
//    /usr/share/zoneinfo/ (glibc's own rule for setuid programs). Zone names
//    ("Europe/Paris", ":Europe/Paris"), POSIX rules ("CET-1CEST,M3.5.0,
//    M10.5.0/3") and ":/etc/localtime" pass.
//  - LANG, LANGUAGE and LC_*: a locale or catalog name holding '/' is read
//    as a path by setlocale and gettext; no real locale name has one.
// Pure: no system calls.
std::optional<std::string> unsafe_value(std::string_view name, std::string_view value);

// The caller's environment as it was at entry, kept aside so a tool can pick
// the few variables it honours ($USER, the env= keys); the process itself
// runs with an empty environment from the prologue on. Entries whose value
// unsafe_value refuses are left out here, once for every tool that takes
// its environment from the caller, and their names kept for warnings.
class CallerEnvironment {
public:
    CallerEnvironment() = default;
    explicit CallerEnvironment(std::vector<std::string> entries);
    // The value of the first well-formed entry NAME=value, or nullopt.
    std::optional<std::string> get(std::string_view name) const;
    const std::vector<std::string>& entries() const noexcept { return entries_; }
    // Why the caller's NAME was left out (unsafe_value), or nullopt.
    std::optional<std::string> dropped(std::string_view name) const;

private:
    std::vector<std::string> entries_;
    std::vector<std::pair<std::string, std::string>> dropped_;  // name, why
};

// Who started the setuid program, as the kernel says.
struct Caller {
    uid_t uid = 0;              // real uid
    gid_t gid = 0;              // real gid
    uid_t euid = 0;             // effective uid (0 when the setuid bit worked)
    std::vector<gid_t> groups;  // supplementary groups (getgroups)
};

struct Prologue {
    Caller caller;
    CallerEnvironment environment;
    mode_t caller_umask = 022;  // restored for the program exec'd at the end
};

// Thrown when fds 0-2 cannot be made valid (jailkit's exit 10).
class PrologueError : public Error {
public:
    explicit PrologueError(const std::string& message) : Error(message, 10) {}
};

// The setuid prologue, in this order, each step before anything could be
// misled by what the caller left behind:
//  - fds 0, 1, 2 open (a closed one is reopened on /dev/null, so a file we
//    open later can never become someone's stdout);
//  - every other fd closed (close_range; cost flat in RLIMIT_NOFILE), so an
//    inherited directory fd cannot be used to fchdir out of a jail;
//  - not dumpable (no core file, no ptrace by the caller);
//  - signal mask emptied and dispositions reset to default;
//  - environment snapshotted (minus the values unsafe_value refuses) and
//    cleared (LD_*, IFS, PATH... reach nothing);
//  - umask 022 for our own work (the caller's is kept for the exec).
// Throws PrologueError.
Prologue setuid_prologue();

// Closes every fd >= first. Uses close_range(2), falling back to the
// entries of /proc/self/fd and last to a loop bounded by RLIMIT_NOFILE.
void close_fds_from(int first);

// Enters the directory behind dirfd as the new root: fchdir(dirfd) then
// chroot("."), then chdir("/") for certainty. Throws SysError.
void enter_root(int dirfd, const std::string& what);

// Which step of drop_to failed; tools map it to their exit codes.
enum class DropStep {
    bounding_set,  // PR_CAPBSET_DROP / ambient clear
    setgroups,
    setgid,
    setuid,
    capabilities,  // clearing the remaining capability sets
    verify,        // a post-check found a privilege left
    no_new_privs,
};

class DropError : public Error {
public:
    DropError(DropStep step, const std::string& message, int err);
    DropStep step() const noexcept { return step_; }
    int err() const noexcept { return err_; }

private:
    DropStep step_;
    int err_;
};

struct Identity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups, exactly these
};

struct DropOptions {
    // jk_chrootsh's allow_setuid: a jail whose setuid programs must work
    // (su, passwd inside the jail) keeps the bounding set and may gain
    // privileges by exec; everything else is still dropped.
    bool allow_setuid_programs = false;
};

// Becomes `who` for good. As root: clear the ambient set and (unless
// allowed) the bounding set, which needs CAP_SETPCAP and so must come
// first; then supplementary groups, gid, uid (setres*: real, effective and
// saved alike). As the user: clear every capability set, set no_new_privs
// (unless allowed), then verify: the ids read back as `who`, setuid(0) and
// setgid(0) fail, no capability is left. Throws DropError naming the step.
// Refuses who.uid == 0 (that would not be a drop).
void drop_to(const Identity& who, const DropOptions& options = {});

// Makes sure the process is a session leader without a terminal it does not
// own: a process that is already a session leader (sshd's child) keeps its
// session and terminal; otherwise the process forks, the child calls
// setsid() and returns, and the parent waits, passes on SIGHUP, SIGINT,
// SIGQUIT and SIGTERM, and exits with the child's status. Without this a
// jailed program sharing an admin's terminal could push keystrokes into it
// with TIOCSTI (bubblewrap CVE-2017-5226). Returns in the new session only.
// With Terminal::drop even a session leader forks into a new session: a
// daemon launched by root from a terminal (`ssh -t root@host jk_chrootlaunch
// ...` makes it the leader of the terminal's session) must not keep that
// terminal.
enum class Terminal { keep_own, drop };
void ensure_own_session(Terminal terminal = Terminal::keep_own);

// Executes the file behind `fd`, which was opened (typically as root, beneath
// a jail) and checked by the caller, so no one can swap it between the check
// and the exec. Because root opened it, the identity now running must still
// reach the same file by `path` (a user must not run what sits in a 0700
// directory): a stat by path that fails or names another file is refused.
// A #! script cannot run from a close-on-exec fd, so ENOENT from the fd
// falls back to `path`. Throws SysError("cannot execute", path, errno).
[[noreturn]] void exec_checked(int fd, const std::string& path, std::vector<std::string> argv,
                               std::vector<std::string> env);

// The main of every tool that starts with the prologue (the setuid ones and
// jk_chrootlaunch): setuid_prologue() before anything else, its failure
// being exit 10 with nothing printed (stderr may be what was closed); then
// fn(prologue, argv) under run_main's exit-code funnel. `name` stands in
// for a missing argv[0]. All of it runs on a stack of its own when the
// caller's RLIMIT_STACK is small (own_stack.hpp).
int setuid_main(int argc, char** argv, const char* name,
                const std::function<int(const Prologue&, const std::vector<std::string>&)>& fn);

}  // namespace jk::privilege
