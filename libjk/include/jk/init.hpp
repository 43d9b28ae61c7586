// jk_init's logic: turning jk_init.ini sections into one copy plan, the
// users and groups a jail needs, empty directories, and the jail's entry in
// jk_socketd.ini.
//
// Split in two (STYLE.md habit 14):
//  - pure functions (section resolution with includesections, key handling,
//    nsswitch.conf parsing, the jk_socketd.ini edit) that touch no syscall;
//  - a system layer (glob expansion, safe creation of the jail directory,
//    the run itself) that does the I/O.
//
// MUST:
//  1. Nothing is written before every section, path and user has been
//     resolved, so --strict refuses a request without touching the jail.
//  2. The jail directory is created (when missing) one component at a time
//     relative to the fd of a parent that was checked safe, and then opened
//     with Jail::open, which checks it and every parent again on the fd used.
//  3. Every write inside the jail goes through the jail's fd (copy engine,
//     users::write_jail_users, make_dirs); jk_socketd.ini is replaced
//     atomically (temporary file + rename) in the config file's directory.
//  4. need_logsocket is a boolean ("0", "no", "false" are false): jailkit
//     2.23 edited jk_socketd.ini for any non-empty value (COMPAT.md W15).
//  5. need_proc is never acted upon (jailkit edited /etc/fstab and mounted).
//  6. A thin jail (Options::thin, thin_plan.hpp) gets no copy of the host's
//     system: the system roots (/usr, /lib...) and the loader's cache are
//     bound read-only at entry, by the [thin] section of the jail's policy
//     file. Only what the manifest records as copied is ever removed when a
//     copy jail is made thin; the admin's other policy sections are kept.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/changes.hpp"
#include "jk/config.hpp"
#include "jk/jail.hpp"

namespace jk::init {

// jailkit 2.23's exit codes (COMPAT.md 2.1), plus 4 for --strict.
enum Exit { ok = 0, bad_option = 1, missing_args = 2, unsafe_or_no_config = 3, strict_failure = 4, not_root = 5 };

// The default configuration file (jailkit's path, whatever the prefix).
inline constexpr const char* default_config = JK_SYSCONFDIR "/jk_init.ini";

// ---------------------------------------------------------------- pure

// What the requested sections ask for, merged in processing order.
struct Request {
    std::vector<std::string> sections;          // processed, includes first (depth-first)
    std::vector<std::string> missing_sections;  // requested or included but absent from the file
    std::vector<std::string> paths;             // paths + the deprecated synonyms
    std::vector<std::string> owner_paths;       // paths_w_owner
    std::vector<std::string> setuid_paths;      // paths_w_setuid (never globbed)
    std::vector<std::string> devices;
    std::vector<std::string> emptydirs;
    std::vector<std::string> users;  // names or numeric ids
    std::vector<std::string> groups;
    bool need_logsocket = false;
    bool need_proc = false;
    // packages = (Debian package names, "name" or "name:arch"), all of
    // them; depends_packages: those a section with usedepends true named,
    // whose Pre-Depends/Depends closure is followed. blockdepends of every
    // processed section apply to the whole run's closure.
    std::vector<std::string> packages;
    std::vector<std::string> depends_packages;
    std::vector<std::string> block_depends;
    // donotcopy = (makejail's doNotCopy): fnmatch(3) patterns, '*' matching
    // '/' too, of host paths the package files leave out; those of every
    // processed section apply to the whole run.
    std::vector<std::string> do_not_copy;
    std::vector<std::string> warnings;  // "file:line: ..., ignoring" and the like
};

// Resolves `names` against `ini` with the Python tools' dialect: DEFAULT keys
// are inherited by every section; includesections are processed before the
// section that names them, depth-first; each section is processed once per
// run (a cycle is therefore harmless). List items are deduplicated keeping
// the first occurrence. Throws ConfigError for a malformed need_logsocket or
// need_proc value (file:line).
Request resolve(const config::IniFile& ini, const std::vector<std::string>& names);

// A value read as a boolean: empty means false (configparser gave ""),
// otherwise Section::get_bool's words. Throws ConfigError for anything else.
bool section_flag(const config::Section& section, std::string_view key);

// `name - comment` for every section but DEFAULT, sorted by name.
struct SectionInfo {
    std::string name;
    std::string comment;
};
std::vector<SectionInfo> list_sections(const config::IniFile& ini);

// True when `s` contains a glob(3) metacharacter ('*', '?', '[').
bool has_glob(std::string_view s);

// The NSS services named on the passwd, group, shadow, gshadow, initgroups
// and hosts lines of an nsswitch.conf text that are not built into glibc
// (2.34+ has "files" and "dns" inside libc), in order of first appearance.
// Comments ('#' to end of line) and "[STATUS=action]" items are skipped.
std::vector<std::string> nss_services(std::string_view nsswitch_text);

// The section header jk_socketd.ini gets for a jail: "<jail>/dev/log".
std::string log_socket_name(const std::string& jail);

// `socketd_text` with the jail's socket section appended
// ("\n[<jail>/dev/log]\nbase=512\npeak=2048\ninterval=10\n"), or nullopt when
// a line holding exactly that header (blanks around it ignored) is already
// there, so registering twice changes nothing. Throws Error for a jail whose
// name holds a line break or ']' (it cannot be a section header).
std::optional<std::string> add_log_socket(std::string_view socketd_text, const std::string& jail);

// Whether a path a package lists is documentation jk_init leaves out of a
// jail (packages = only): /usr/share/doc, /usr/share/man, /usr/share/info,
// /usr/share/lintian and what they hold, as Debian's minimal images drop
// them with dpkg's path-exclude.
bool package_doc_path(std::string_view path);

// Whether `path` matches one of the donotcopy patterns (fnmatch(3) without
// flags: '*' matches '/' too, so "/usr/share/locale/*" is the whole tree).
bool not_copied(const std::vector<std::string>& patterns, const std::string& path);

// ---------------------------------------------------------------- system

struct Options {
    std::string config_file = default_config;
    bool verbose = false;
    bool force = false;
    bool hardlink = false;
    bool strict = false;
    // Make (or keep) the jail thin; without it a thin jail is made a copy
    // jail again (its [thin] section removed).
    bool thin = false;
    // Where the entry reads the jail's policy (jails.d/): always the
    // configured directory, whatever -c names.
    std::string confdir = JK_SYSCONFDIR;
    // --policy: a file whose sections (jk_jail.ini(5), all but [thin]) the
    // jail's policy file is to hold; empty: the policy's sections are left
    // as they are. A file without sections removes the policy (but [thin]).
    std::string policy_file;
    // Resolve, check and decide everything, change nothing: every step
    // goes to Sink::report only.
    bool dry_run = false;
};

// Where run() reports: `out` gets the jailkit stdout phrases ("Copying A to
// B"), `warn` the lines for stderr.
struct Sink {
    std::function<void(const std::string&)> out;
    std::function<void(const std::string&)> warn;
    // Where each step is recorded (changes.hpp): the jail's entries by
    // their path inside it, jk_socketd.ini and the policy by host path.
    changes::Report* report = nullptr;
};

// The host paths an item of a path list stands for: a glob is expanded with
// glob(3) (a glob matching nothing gives nothing); a bare name without '/' is
// looked up in $PATH; anything else is returned when it exists (lstat).
// "A | B | ...": alternatives, each expanded so, the results together.
// Empty result = missing.
std::vector<std::string> expand_item(const std::string& item, bool allow_glob);

// The host's libnss_<service>.so.2 for each service, from the first library
// directory that has it; services without a module are left out.
std::vector<std::string> nss_module_paths(const std::vector<std::string>& services);

// Creates the missing components of the absolute, normalised host path `path`
// as 0755 root:root directories. Each existing component is opened without
// following symlinks and must be root-owned and not writable by group or
// others before anything is created in it. Throws UnsafePath,
// SymlinkNotAllowed or SysError. Returns true when something was created
// (with dry_run: would be; the checks are the same, nothing is created).
bool create_jail_dir(const std::string& path, bool dry_run = false);

// Creates `inner` and its missing parents inside the jail as 0755 root:root
// directories (through the jail's fd; existing ones are left alone).
// Each directory made is recorded in sink.report (with dry_run: only
// recorded), `inner` as unchanged when it was there.
void make_dirs(const Jail& jail, const std::string& inner, const Sink& sink, bool verbose, bool dry_run = false);

// Adds the jail's log socket to <dir>/jk_socketd.ini (created 0644 when
// absent) atomically. Returns false when it was already registered.
// With dry_run, only says whether it would add it.
bool register_log_socket(const std::string& config_dir, const std::string& jail, bool dry_run = false);

// What the packages of a Request bring: the host paths to copy (each to be
// planned with Planner::add_shallow), found in dpkg's database under
// `admindir` (dpkg_db.hpp), and what is wrong with them.
struct PackageFiles {
    std::vector<std::string> paths;          // regular files, symlinks, directories (as empty ones)
    std::vector<std::string> packages;       // "name:arch" of every package taken, closure included
    std::vector<std::string> not_installed;  // requested names not installed
    std::vector<std::string> changed;        // "PATH (package P)": differs from dpkg's MD5 sum, not copied
    std::vector<std::string> absent;         // "PATH (package P)": listed, not on the host
    std::vector<std::string> warnings;       // unsatisfied dependencies, packages without a file list
    std::vector<std::string> notes;          // for -v: files without a recorded sum
};
// Reads the database only when the request names packages. A database that
// cannot be read makes every requested package not installed (a warning
// says why). Regular files are checked against PKG.md5sums before they are
// taken; conffiles (dpkg records no sum for them there) and files without a
// sum are taken as they are.
PackageFiles package_files(const Request& req, const std::string& admindir);

// The whole of jk_init for `jail_arg` (as given) and `section_names`. Requires root
// (the caller checks). Throws Error carrying one of the Exit codes: 3 for a
// missing config file or an unsafe jail, 4 for what --strict refuses;
// ConfigError / SysError (exit 1) for other failures.
void run(const Options& options, const std::string& jail_arg, const std::vector<std::string>& section_names,
         const Sink& sink);

}  // namespace jk::init
