// jk_socketd's daemon (COMPAT.md 2.6, W18): the root parent that reads
// jk_socketd.ini, creates the log sockets in the jails, connects the host's
// syslog socket and hands both to the relay child (jk/socketd_relay.hpp),
// which runs chrooted in an empty directory as an unprivileged user. The
// tool's main parses the command line, supplies the reporting sink and maps
// what is thrown to an exit status; everything else is here.
//
// MUST (DESIGN.md invariants 1, 4; jk_socketd(8)):
//  1. The relay child never relays as root: it is chrooted in the empty
//     root through the fd that was checked (trust::jail_parent, and empty),
//     drops to the relay identity with privilege::drop_to, and only then
//     says it is ready; the parent binds no socket before that.
//  2. The relay identity is never root; it is checked before detaching, so
//     a bad --user fails the command, not a daemon nobody watches.
//  3. The pidfile is written by launch::write_pidfile (its directory not
//     writable by others, no symlink followed, a single-link regular file).
//  4. This module never writes to stderr or syslog itself: every message
//     goes through the caller's Sink, with the priority it would be logged
//     at. Processes it forks end with _exit (a forked copy must not run the
//     caller's exit handlers); the process that called run_daemon returns.
//  5. Each process dies with the other: the child has PR_SET_PDEATHSIG, the
//     parent stops when the child ends or closes the control socket.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/privilege.hpp"
#include "jk/socketd_config.hpp"

namespace jk::socketd {

// jailkit 2.23's exit codes for jk_socketd.
namespace daemon_exit {
enum : int {
    ok = 0,              // stopped by SIGTERM or SIGINT
    failure = 1,         // not root, no sockets, no target, bad relay user, the relay child failed
    ini = 11,            // jk_socketd.ini missing, unreadable, malformed or not trusted
    unsafe_confdir = 53  // the configuration directory (or one above it) is unsafe
};
}

// The ini cannot be used (exit 11): missing, unreadable, malformed, or not
// a trusted file.
class IniUnusable : public Error {
public:
    explicit IniUnusable(const std::string& message) : Error(message, daemon_exit::ini) {}
};

// The configuration directory, or one above it, fails its trust rule (53).
class UnsafeConfigDirectory : public Error {
public:
    explicit UnsafeConfigDirectory(const std::string& message) : Error(message, daemon_exit::unsafe_confdir) {}
};

// A refusal to start with exit 1 (not root, no sockets, the target, the
// relay user).
class StartRefused : public Error {
public:
    explicit StartRefused(const std::string& message) : Error(message, daemon_exit::failure) {}
};

// Where the daemon's messages go. The tool's main decides the sinks (today:
// stderr while attached, syslog when detaching).
struct Sink {
    // One message at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE).
    std::function<void(int priority, const std::string& message)> report;
    // Called in the daemon once it has detached: 0-2 are /dev/null now.
    std::function<void()> detached;
};

// The relay child's root: created root 0755 when missing.
inline constexpr const char* default_empty_root = "/run/jk_socketd.empty";

struct DaemonOptions {
    std::string confdir;                         // holds jk_socketd.ini (the tool: JK_SYSCONFDIR)
    bool nodetach = false;                       // -n
    std::string pidfile;                         // -p; empty: none
    std::string socket;                          // --socket: this one socket, no ini
    std::optional<double> base, peak, interval;  // with --socket
    std::string target;                          // the host's syslog socket (absolute)
    std::string user;                            // --user; empty: jk_socketd if it exists, else nobody
    std::string empty_root = default_empty_root;
};

// ---------------------------------------------------------------- the steps

// Reads confdir/jk_socketd.ini by login::load_config's rules and returns its
// sockets; each warning (unknown key, clamped value...) goes to sink.report
// at LOG_WARNING. Throws UnsafeConfigDirectory when confdir or a directory
// above it is unsafe, IniUnusable when the file is missing, unreadable,
// malformed or untrusted.
std::vector<SocketSpec> load_specs(const std::string& confdir, const Sink& sink);

// The one socket of --socket with its limits clamped as the ini's (the
// interval defaults to cli_interval_default). Throws UsageError for a socket
// path normalize_socket_path refuses.
std::vector<SocketSpec> command_line_spec(const DaemonOptions& o);

// The identity the relay child drops to: `wanted`, or when empty the user
// jk_socketd if it exists, else nobody; its passwd gid and no supplementary
// groups. Throws StartRefused for an unknown user or one with uid 0.
privilege::Identity relay_identity(const std::string& wanted);

// Raises the soft limit on open files to the hard limit; reports a warning
// when the hard limit is too low for `sockets` sockets. Never throws.
void raise_fd_limit(std::size_t sockets, const Sink& sink);

// Creates `path` (mode 0755) when missing and opens it without following a
// symlink; it must meet trust::jail_parent (root-owned, not writable by
// group or others) and have a link count of 2 (no subdirectory: the relay
// child, chrooted there, has nowhere to go). Only root can put anything in
// it, so a file left there by root is not looked for. Throws SysError
// (cannot create or open; ELOOP or ENOTDIR for a symlink), UnsafePath
// (fails the rule, or has a subdirectory: "must be an empty directory").
UniqueFd open_empty_root(const std::string& path);

// ---------------------------------------------------------------- the daemon

// The whole daemon: checks (root, the sockets, the target, the relay
// identity), then, unless o.nodetach, detaches (fork, setsid, fork), writes
// the pidfile, starts the relay child, creates the sockets and serves until
// SIGTERM or SIGINT (SIGHUP re-reads the ini). Requires o.target absolute.
//
// Returns the exit status: in the daemon when it stops (daemon_exit::ok, or
// failure when the relay child ended or something failed); in the process
// that called it, after detaching, the daemon's verdict once it serves
// (failure when it failed first). Throws, before detaching only:
// StartRefused, IniUnusable, UnsafeConfigDirectory, UsageError (--socket),
// SysError. Errors once the daemon runs (the empty root, the pidfile, the
// relay child) are not thrown: they go to sink.report at LOG_ERR and become
// the returned status.
int run_daemon(const DaemonOptions& o, const Sink& sink);

}  // namespace jk::socketd
