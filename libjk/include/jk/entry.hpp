// The one way into a jail (DESIGN.md, "Entering a jail"). jk_chrootsh,
// jk_procmailwrapper, jk_uchroot, jk_chrootlaunch and jk_exec all end here,
// so a jail is entered the same way whichever tool a process comes through.
//
// MUST:
//  1. The root is entered through the jail's checked fd (Jail::open), never
//     by path.
//  2. Privileges are dropped for good after the root is entered and before
//     anything of the jail's is opened as the user (privilege::drop_to).
//  3. Root stays root in the jail only where the caller says so
//     (jk_chrootlaunch and jk_uchroot, as jailkit allowed; jk_exec, run by
//     root); the login tools refuse it.
//  4. The program executed is the fd the caller checked (exec_checked).
//  5. A jail with an isolation policy (jk_jail.ini(5)) gets all of it or
//     nothing: what the host cannot apply fails the entry (Step::policy or
//     Step::isolation), never a weaker jail. A jail without one is entered
//     exactly as before (steps 1, 5 and 7 of DESIGN.md).
//  6. After a new mount namespace nothing opened before it is used to reach
//     the jail's tree: the root and the home are re-derived in it (the home
//     checked to be the same directory), see namespaces.hpp MUST 2.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/isolation.hpp"
#include "jk/jail.hpp"
#include "jk/privilege.hpp"

namespace jk::entry {

enum class Step {
    policy,     // the jail's isolation policy cannot be read or applied as asked
    isolation,  // the host refused a limit, namespace or the filter the policy asks for
    chroot,     // into the jail's root
    drop,       // the identity change (drop_step says which part)
    home,       // into the home, as the user
    session,    // a session of its own
    exec,       // the program
};

// Why entering failed; what() is the underlying system message, for the
// caller to put in its own words and map to its exit code.
class EntryError : public Error {
public:
    EntryError(Step step, const std::string& message, int err,
               std::optional<privilege::DropStep> drop_step = std::nullopt)
        : Error(message), step_(step), err_(err), drop_step_(drop_step) {}
    Step step() const noexcept { return step_; }
    int err() const noexcept { return err_; }
    std::optional<privilege::DropStep> drop_step() const noexcept { return drop_step_; }

private:
    Step step_;
    int err_;
    std::optional<privilege::DropStep> drop_step_;
};

// Whether identity uid 0 may stay root inside the jail (MUST 3).
enum class RootInJail { refused, allowed };

struct Request {
    const Jail* jail = nullptr;
    privilege::Identity identity;  // exactly these ids and supplementary groups
    privilege::DropOptions drop;
    RootInJail root = RootInJail::refused;
    const UniqueFd* home = nullptr;  // fchdir into it as the user; nullptr: stay at the jail's "/"
    std::string home_path;           // the same directory's path inside the jail (re-opened in a new mount namespace)
    bool own_session = true;         // setsid unless already a session leader (TIOCSTI)
    int program_fd = -1;             // checked by the caller, inside the jail
    std::string program;             // its path inside the jail (#! scripts, messages)
    std::vector<std::string> argv;   // argv[0] included
    std::vector<std::string> env;
    mode_t umask = 022;
    // Where jails.d/ is; nullptr: the configured directory (JK_SYSCONFDIR).
    const char* confdir = nullptr;
    // The jail's policy when the tool read it already (policy_of, for its
    // log line); otherwise enter_and_exec reads it itself.
    bool policy_read = false;
    std::optional<isolation::Policy> policy;
    // assemble_thin ran: `jail` is the thin jail in this process's own mount
    // namespace, its binds in place.
    bool thin_assembled = false;
};

// For a thin jail (policy->thin()): its tree assembled in a mount namespace
// of this process's own (isolation::assemble_thin) and `jail` replaced by
// the same jail reached in it, so that what the caller looks up next (the
// shell, procmail, a daemon) is found in the binds. Returns whether it did;
// false, and nothing changed, for any other jail. Call it once, as root,
// right after policy_of and before the lookups; set
// Request::thin_assembled to what it returned. Throws
// EntryError(Step::isolation) when the host refuses; the caller gives up.
bool assemble_thin(std::optional<Jail>& jail, const std::optional<isolation::Policy>& policy);

// The policy the entry will apply to `jail`; nullopt when it has none (or
// one that turns nothing on). Throws EntryError(Step::policy) when the file
// is untrusted or malformed. For the tools' log line before the entry.
std::optional<isolation::Policy> policy_of(const Jail& jail, const char* confdir = nullptr);

// The jail's policy (isolation::load_policy from the host's configuration
// directory), then, in this order, with a policy: rlimits; with a slice,
// the process placed by cgroup::placer_for's choice, in
// DELEGATE/SLICE/logins (cgroup::place_self) or in a systemd transient scope
// in the slice (systemd::place_self), a slice neither can place refused; a
// session of its own; the namespaces; with a pid namespace the jail's pid 1
// started (isolation::run_init), the caller waiting as the login's process,
// pid 1 mounting the jail's /proc, entering the root, dropping and
// starting the program under it; in the program's process the home, the umask and the
// syscall filter right before the exec. Without a policy:
// into the jail through its checked fd; the identity change
// (privilege::drop_to: bounding set emptied, no_new_privs, verified; for uid
// 0 where allowed, only the groups and the gid are set and the process
// keeps root's capabilities in the jail); into the home; a session of its
// own; the umask; exec of the checked program. Returns only by throwing
// EntryError.
[[noreturn]] void enter_and_exec(Request request);

}  // namespace jk::entry
