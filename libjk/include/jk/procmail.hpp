// jk_procmailwrapper's delivery sequence (COMPAT.md 2.12): the MTA runs the
// wrapper as the recipient in place of procmail; a recipient whose home is
// JAIL/./HOME gets the jail's procmail inside the jail, anyone else the
// host's procmail, both as themselves. Pure decisions (settings, which path,
// environment, argv) are apart from the steps that touch the system.
//
// MUST (DESIGN.md invariants 1-3; fixes of jailkit 2.17's wrapper):
//  1. Only a home holding the "/./" separator is jailed (jailkit took any
//     '.', so /home/john.doe was "jailed").
//  2. The recipient is the caller's real uid; $USER only chooses among
//     accounts sharing that uid and naming another uid is refused (13).
//  3. A jailed delivery passes jk_chrootsh's checks with jk_chrootsh's exit
//     codes: the jail (and every parent) validated and entered through the
//     same fd, home and in-jail account checked, privileges dropped for good
//     (no_new_privs), procmail opened beneath the jail, checked like a
//     login shell and executed from that fd.
//  4. procmail gets an environment built from scratch: HOME, USER, LOGNAME,
//     SHELL, PATH and the MTA's delivery variables on a fixed allow-list,
//     never the loader's or the shell's traps. Every fd above 2 is closed
//     (jailkit left fd 3 open).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"
#include "jk/login.hpp"
#include "jk/privilege.hpp"

namespace jk::procmail {

inline constexpr const char* default_procmail = "/usr/bin/procmail";
inline constexpr const char* config_name = "jk_procmailwrapper.ini";

// The jk_procmailwrapper.ini keys of the section chosen for the recipient.
struct Settings {
    // procmail's path, on the host for a host delivery and inside the jail
    // for a jailed one (jailkit's single PROCMAILPATH).
    std::string procmail = default_procmail;
    // The home checks of jk_chrootsh (jk_chrootsh.ini's keys of these names).
    bool relax_home_group_permissions = false;
    bool relax_home_other_permissions = false;
    bool relax_home_group = false;
    bool relax_home_owner = false;
};

// Reads the keys of `section` (nullptr: defaults). A relative procmail path
// throws ConfigError; unknown keys add to `warnings`.
Settings read_settings(const config::Section* section, std::vector<std::string>& warnings);

// jk_chrootsh's settings that open_home / open_procmail understand.
login::Settings login_settings(const Settings& s);

// The variables an MTA exports for procmail that are passed on (Postfix
// local(8): ORIGINAL_RECIPIENT, RECIPIENT, SENDER, LOCAL, DOMAIN,
// EXTENSION, CLIENT_*, SASL_*, ENVID; Exim's pipe transport: LOCAL_PART*,
// MESSAGE_ID, QUALIFY_DOMAIN, HOST; plus TZ and LANG).
const std::vector<std::string_view>& delivery_variables();

// The environment procmail runs with (MUST 4): HOME (the in-jail home for a
// jailed delivery), USER and LOGNAME (the recipient), SHELL=/bin/sh (what
// procmail runs pipe recipes with; the login shell may be jk_chrootsh or
// nologin), PATH=/usr/local/bin:/usr/bin:/bin, then every allow-listed
// variable the MTA set, in the allow-list's order. A value longer than 4096
// bytes or holding a control character (newline, ...) is left out.
std::vector<std::string> delivery_environment(const privilege::CallerEnvironment& caller, const std::string& user,
                                              const std::string& home);

// argv for procmail: its path, then every argument the wrapper got (argv[0]
// of `args` is the wrapper's own name and is replaced).
std::vector<std::string> procmail_argv(const std::string& procmail, const std::vector<std::string>& args);

// Where a home delivers: nullopt for a host delivery (no "/./"), else the
// jail and the in-jail home. Throws login::Refused(17) for a "/./" whose
// jail part is unusable ("/./x", "..").
std::optional<users::JailHome> jailed_home(const std::string& home);

// Receives every decision for syslog: priority including the facility
// (LOG_MAIL for deliveries, LOG_AUTHPRIV for refusals), message.
using Reporter = std::function<void(int priority, const std::string& message)>;

// The whole delivery: who, where, checks, drop, exec. Returns only by
// throwing (login::Refused with the exit code, after reporting it).
[[noreturn]] void run(const privilege::Prologue& prologue, const std::vector<std::string>& argv,
                      const Reporter& report);

}  // namespace jk::procmail
