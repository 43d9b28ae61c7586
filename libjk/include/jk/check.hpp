// jk_check: auditing a jail (COMPAT.md 2.9, "done right").
//
// Pure parts (finding text, JSON, ignore matching, passwd comparison) are
// apart from the walking layer so they can be tested without a jail.
//
// MUST (the walking layer, check_jail):
//  1. Nothing in the jail is ever written, chmod'ed or executed; files are
//     only opened for reading.
//  2. The jail is walked through directory fds (openat + fstatat with
//     AT_SYMLINK_NOFOLLOW relative to the parent's fd), never by host path
//     strings, so a symlink planted in the jail cannot make root read a host
//     file in its place. Symlinked directories are not descended; a
//     directory on another filesystem (a proc/sys/dev mount) is skipped.
//  3. Paths looked up for the ELF closure check are resolved beneath the
//     jail fd (the resolver with SearchConfig::root_fd), as the loader would
//     see them after chroot.
//  5. Whether a jail file is the same as the host's is jk_update's own
//     decision (jk/inventory.hpp), so jk_check reports what jk_update would
//     replace.
//  4. A problem is a finding, never a crash: an unsafe jail is reported and
//     then checked through an unchecked open so the rest is still reported.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"
#include "jk/users.hpp"

namespace jk::check {

enum class Severity { warning, error };

struct Finding {
    Severity severity = Severity::warning;
    std::string kind;     // "writable-group", "setuid", "differs", ... (JSON "kind")
    std::string path;     // host path the finding is about
    std::string message;  // the whole line, e.g. "WARNING: /j/tmp is writable for others!"
};

// "warning" or "error".
const char* severity_name(Severity s) noexcept;

// The per-jail ini keys (jk_check.ini, Python dialect with [DEFAULT]).
// Every path is a host path ("/home/jail/tmp"), as in jailkit's example file.
struct Ignores {
    std::vector<std::string> everywhere;       // ignorepatheverywhere (path_ignored)
    std::vector<std::string> on_compare;       // ignorepathoncompare (path_ignored)
    std::vector<std::string> writable_group;   // ignorewritableforgroup (path_ignored)
    std::vector<std::string> writable_others;  // ignorewritableforothers (path_ignored)
    std::vector<std::string> setuid_user;      // ignoresetuidexecuteforuser (exact)
    std::vector<std::string> setuid_group;     // ignoresetuidexecuteforgroup (exact)
    std::vector<std::string> setuid_others;    // ignoresetuidexecuteforothers (exact)
};

// The keys a jk_check.ini section may hold.
inline constexpr std::string_view known_keys[] = {
    "ignorepatheverywhere",         "ignorepathoncompare",        "ignorewritableforgroup",
    "ignorewritableforothers",      "ignoresetuidexecuteforuser", "ignoresetuidexecuteforgroup",
    "ignoresetuidexecuteforothers",
};

// Reads the ignore lists of one section (already merged with DEFAULT).
// Throws ConfigError as Section::get_list does.
Ignores ignores_from_section(const config::Section& section);

// True when `path` is an item or lies below one, by whole path components
// ("/j/tmp" and "/j/tmp/" cover "/j/tmp" and "/j/tmp/x", never
// "/j/tmpevil"). jailkit matched string prefixes, so ignoring a directory
// also hid every sibling name that began with it. Empty items never match.
bool path_ignored(const std::vector<std::string>& items, std::string_view path);

// Exact match (the setuid lists).
bool exactly_ignored(const std::vector<std::string>& items, std::string_view path);

// JSON string contents for arbitrary bytes: '"', '\\' and control characters
// escaped, valid UTF-8 kept, every byte of an invalid UTF-8 sequence written
// as \u00XX, so the output is always valid JSON. Pure; never throws.
std::string json_escape(std::string_view bytes);

struct JailReport {
    std::string jail;
    std::vector<Finding> findings;
};

// {"jails":[{"jail":"/j","findings":[{"severity":..,"kind":..,"path":..,"message":..}]}]}
// followed by a newline.
std::string to_json(const std::vector<JailReport>& reports);

// ---- finding constructors (the exact jailkit phrases where there are some)

Finding writable(std::string_view path, bool for_group);
// One finding for one x bit ("user", "group" or "others") of a setuid or
// setgid file. Root-owned (uid 0 or gid 0) files get jailkit's
// "is executable for others and setuid root!!"; others name the owner.
Finding setuid(std::string_view path, std::string_view who, uid_t uid, gid_t gid, bool setuid_bit);
Finding different_size(std::string_view jail_path, std::string_view host_path);
Finding different_content(std::string_view jail_path, std::string_view host_path);
Finding different_symlink(std::string_view jail_path, std::string_view host_path);
// jail_is_symlink: "are not both symlinks!" (jailkit), else "are not both regular files!".
Finding different_type(std::string_view jail_path, std::string_view host_path, bool jail_is_symlink);
Finding missing_library(std::string_view path, std::string_view library);
Finding missing_interpreter(std::string_view path, std::string_view interpreter);
// A library the loader would find in the jail but refuse to load (not ELF,
// truncated, an executable...), so the program cannot start.
Finding unloadable(std::string_view path, std::string_view reason);
Finding unsafe_jail(std::string_view jail, std::string_view reason);
Finding unreadable(std::string_view path, std::string_view reason);
// A bind of a thin jail's mount plan that every entry would refuse:
// `path` is the host source or the mount point (JAIL + bind), `reason` the
// refusal (jk/namespaces.hpp, check_thin_plan).
Finding thin_bind(std::string_view jail, std::string_view path, std::string_view reason);

// The jail part of every host home containing "/./" (cleaned, in passwd
// order, each once). Homes whose jail part is unusable are skipped.
std::vector<std::string> jails_from_passwd(const users::PasswdFile& host);

// passwd consistency both ways for the jail `jail` (a cleaned absolute path):
//  - every user of the jail's passwd except root must exist on the host with
//    the same uid and gid; when the host home has a "/./" it must be
//    jail + "/./" + the jail's home; without one, the two homes must be equal
//    (a system user such as nobody copied as it is);
//  - every host user whose home has a "/./" into this jail must be in the
//    jail's passwd (when the jail has none: jail_passwd nullopt, each is
//    reported), and should have jk_chrootsh (/usr/sbin or /sbin) as shell.
// Pure; never throws.
std::vector<Finding> compare_passwd(const std::string& jail, const std::optional<users::PasswdFile>& jail_passwd,
                                    const users::PasswdFile& host);

// Message text for a path: control characters and '\' written C-style
// (\n, \t, \x1b, \\), so a hostile file name cannot forge an output line.
// The Finding's `path` keeps the raw bytes (JSON escapes them itself).
std::string shown(std::string_view path);

// What to check and with which ignore lists.
struct Target {
    std::string jail;  // cleaned absolute path
    Ignores ignores;
};

// The jails to check (pure, given the parsed inputs):
//  - with positional jails: those (relative ones made absolute against
//    `cwd`), each with the ignores of its ini section (matched after
//    cleaning, so "[/j/]" is the jail /j) or else of [DEFAULT];
//  - without: every ini section except DEFAULT (a name that is not an
//    absolute path gets a warning and is skipped), then every jail of a
//    host home with "/./" not already listed, with [DEFAULT]'s ignores.
// `warnings` receives unknown keys and skipped sections. Throws ConfigError
// for a malformed list value, Error for an unusable positional path.
std::vector<Target> select_targets(const config::IniFile* ini, const std::vector<std::string>& positional,
                                   const users::PasswdFile& host, const std::string& cwd,
                                   std::vector<std::string>& warnings);

// ---- the walking layer

struct Options {
    Ignores ignores;
    // Called for each finding as it is found (in walk order).
    std::function<void(const Finding&)> report;
    // Verbose notes ("skipping mount point X"); may be empty.
    std::function<void(const std::string&)> note;
};

// Checks one jail (an absolute host path; cleaned here). `host_passwd` is the
// host's passwd (checks 5). Returns the number of findings reported. Throws
// only for failures outside the jail (std::bad_alloc); everything about the
// jail is a finding.
//
// A thin jail (its policy has [thin] ro_binds): every bind is checked as an
// entry would check it (findings "thin-bind"); the bind points themselves
// are not walked (they show the host's files at every entry). When the plan
// is sound and the caller is root, the jail is assembled as a login sees it
// (jk/namespaces.hpp, assemble_thin) so that programs' libraries are looked
// up in the host's bound /usr and its ld.so.cache: the calling process is
// then in a mount namespace of its own, with "/" as working directory, for
// the rest of its life (the caller must be single-threaded, as unshare
// requires). Otherwise the library check is left out, with a note.
std::size_t check_jail(const std::string& jail, const users::PasswdFile& host_passwd, const Options& options);

}  // namespace jk::check
