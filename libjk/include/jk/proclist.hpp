// jk_list's work (COMPAT.md 2.10): which processes run with a root other
// than "/", read from /proc. The parsing and formatting are pure functions
// over strings, so they are tested with fabricated /proc contents; the scan
// takes the /proc directory as a parameter so a test can point it at a fake
// tree.
//
// MUST (fix of W17): a process that vanishes or cannot be read (ENOENT,
// ESRCH, EACCES, EPERM) is counted and skipped; the listing goes on.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::proclist {

struct Process {
    pid_t pid = 0;
    uid_t uid = 0;                  // real uid (status "Uid:" first field)
    std::string user;               // its name on the host, or the number
    std::string jail;               // readlink of /proc/PID/root (may end in " (deleted)")
    std::string exe;                // readlink of /proc/PID/exe, "" when unreadable
    std::vector<std::string> args;  // cmdline split at NULs
};

struct ScanResult {
    std::vector<Process> jailed;  // sorted by jail, then pid
    std::size_t scanned = 0;      // numeric entries seen
    std::size_t unreadable = 0;   // EACCES/EPERM on root or status
    std::size_t vanished = 0;     // gone while being read
    std::vector<pid_t> unreadable_pids;
};

// True for a /proc entry naming a process: digits only, no leading zero.
bool is_pid_name(std::string_view name);

// The real uid from the text of /proc/PID/status ("Uid:\tR\tE\tS\tF").
std::optional<uid_t> parse_status_uid(std::string_view status);

// cmdline split at NULs; a trailing NUL ends the last argument. A process
// that rewrote its title (no NUL) gives one argument.
std::vector<std::string> split_cmdline(std::string_view cmdline);

// Makes any byte string safe to print on a terminal: '\\' as "\\\\", control
// bytes (< 0x20, 0x7f) as \xHH; other bytes as they are.
std::string escape(std::string_view s);

// The Command column: the exe path, then the arguments, escaped and joined
// by spaces ("[unknown]" when the exe cannot be read).
std::string command_of(const Process& p);

// True when a root link names a jail: anything but "/".
bool is_jailed_root(std::string_view root);

// True when `root` (a readlink of /proc/PID/root) is `jail` (an absolute,
// canonical path), ignoring trailing slashes.
bool root_matches(std::string_view root, std::string_view jail);

// Sorts by jail, then pid.
void sort_processes(std::vector<Process>& procs);

// The table "Pid User Jail Command" with a header line. With `width` each
// line is cut to that many columns (the command is shortened); without it
// nothing is cut (--wide). "No jailed processes found\n" when empty.
std::string format_table(const std::vector<Process>& procs, std::optional<std::size_t> width);

// What jk_list shows of a jail besides its processes: its kind and its
// isolation policy (jk_jail.ini(5)).
enum class JailKind {
    copy,     // the jail holds its own copies of what it runs (no [thin] in its policy, or no policy)
    thin,     // its policy binds host paths read-only at every entry ([thin] ro_binds)
    unknown,  // its policy file is refused, so nobody can tell (and every entry fails)
};

// "copy", "thin" or "unknown".
const char* kind_name(JailKind kind) noexcept;

struct JailInfo {
    JailKind kind = JailKind::copy;
    // isolation::describe of its policy, "(policy refused: WHY)", or
    // nullopt when it has none (or one that turns nothing on).
    std::optional<std::string> policy;
    bool operator==(const JailInfo&) const = default;
};

// By jail path; a jail not in the map is a copy jail without a policy.
using JailInfos = std::map<std::string, JailInfo>;

// The JailInfo of every jail in `procs`, each policy read once from
// CONFDIR/jails.d (isolation::load_policy). A policy that cannot be read is
// an "unknown" jail with "(policy refused: WHY)", never an exception.
JailInfos jail_infos(const std::vector<Process>& procs, const std::string& confdir);

// One line per jail with its process count and kind, jails in order
// ("Processes Kind Jail" header), and "isolated: POLICY" after a jail that
// has one. "No jailed processes found\n" when empty.
std::string format_summary(const std::vector<Process>& procs, const JailInfos& jails = {});

// One JSON document: {"processes":[{pid,uid,user,jail,exe,args,command}],
// "jails":[{jail,processes,policy,kind}], "unreadable":N, "vanished":N};
// policy is the jail's isolation policy or null, kind "thin" or "copy" (null
// when its policy is refused). Bytes that are not UTF-8 are written as
// \u00XX (Latin-1) so the document stays valid.
std::string to_json(const ScanResult& result, const JailInfos& jails = {});

// A JSON string literal (quotes included) for any byte string.
std::string json_string(std::string_view s);

// Reads every process under `proc_root` (normally "/proc"). user_name maps
// a uid to a name (NSS in jk_list; a stub in tests). Throws SysError when
// `proc_root` itself cannot be read.
ScanResult scan(const std::string& proc_root, const std::function<std::string(uid_t)>& user_name);

}  // namespace jk::proclist
