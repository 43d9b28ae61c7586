// passwd, group and shadow files: pure parsers and formatters, pure merging
// of host entries into a jail's copies, the "/./" home convention, and a
// thin layer that reads the host files and writes a jail's files.
//
// Parsing rules (all three files):
//  - One record per "\n"-terminated line; the last line needs no newline.
//  - Blank lines, '#' comment lines and NIS compat lines (starting with '+' or
//    '-') are kept verbatim as records without an entry, so a rewritten file
//    keeps them where they were. NIS lines are never interpreted.
//  - A malformed line (wrong number of ':' fields, empty name, uid/gid not a
//    plain decimal number in 0..4294967294, a NUL or carriage return) is a
//    ConfigError(file, line, reason) by default; with Malformed::skip it is
//    kept verbatim as a record without an entry and reported in warnings.
//    Merging into a jail always parses strictly: a file we rewrite must be
//    understood in full.
//
// Writing rules: no field may contain ':', '\n', '\r' or NUL; a name must be
// non-empty, must not start with '+' or '-' (NIS syntax) and must not contain
// ','; violations throw jk::Error and nothing is written.
//
// Shadow in a jail: nothing inside a jail needs the password hashes (sshd
// authenticates on the host before jk_chrootsh runs), so entries merged into
// a jail get "*" (no password matches) as password unless Hashes::keep is
// asked for; this differs from jailkit, which copied host lines verbatim.
#pragma once

#include <sys/types.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk {
class Jail;
}

namespace jk::users {

struct PasswdEntry {
    std::string name;
    std::string password;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string gecos;
    std::string home;
    std::string shell;
};

struct GroupEntry {
    std::string name;
    std::string password;
    gid_t gid = 0;
    std::vector<std::string> members;
};

struct ShadowEntry {
    std::string name;
    std::string password;
    // lastchg, min, max, warn, inactive, expire, reserved: kept as written.
    std::array<std::string, 7> aging;
};

// One line of a file. entry is empty for blank, comment, NIS and skipped
// malformed lines; raw is always what the line holds (without "\n").
template <class E>
struct Record {
    int line = 0;  // 1-based line in the source; 0 for records added in memory
    std::string raw;
    std::optional<E> entry;
};

template <class E>
struct Table {
    std::string filename;
    std::vector<Record<E>> records;
    std::vector<std::string> warnings;  // "file:line: reason, ignoring" (Malformed::skip)

    // The first entry with this name, or nullptr.
    const E* find(std::string_view name) const {
        for (const Record<E>& r : records)
            if (r.entry && r.entry->name == name) return &*r.entry;
        return nullptr;
    }
};

using PasswdFile = Table<PasswdEntry>;
using GroupFile = Table<GroupEntry>;
using ShadowFile = Table<ShadowEntry>;

enum class Malformed { error, skip };

// Parse a whole file's text; `filename` is for messages. Throw ConfigError
// for a malformed line unless policy is Malformed::skip (see above).
PasswdFile parse_passwd(std::string_view text, const std::string& filename, Malformed policy = Malformed::error);
GroupFile parse_group(std::string_view text, const std::string& filename, Malformed policy = Malformed::error);
ShadowFile parse_shadow(std::string_view text, const std::string& filename, Malformed policy = Malformed::error);

// Lookups by id: the first entry with that id, or nullptr.
const PasswdEntry* find_uid(const PasswdFile& file, uid_t uid);
const GroupEntry* find_gid(const GroupFile& file, gid_t gid);

// Throws jk::Error naming the problem when `name` cannot be written as a
// user or group name (see the writing rules above).
void validate_name(std::string_view name);

// One line (without "\n") for an entry. Throws jk::Error per the writing rules.
std::string format(const PasswdEntry& e);
std::string format(const GroupEntry& e);
std::string format(const ShadowEntry& e);

// The file text for a table: every record's raw line, each ending in "\n".
std::string render(const PasswdFile& file);
std::string render(const GroupFile& file);
std::string render(const ShadowFile& file);

// The "/./" home convention: "/home/jail/./home/alice" is the jail
// "/home/jail" and, inside it, the home "/home/alice". The LAST "/./" splits
// (as jailkit's getjaildir). Both parts are returned lexically cleaned
// (repeated and trailing '/' and "." components removed; the inner home of
// "/jail/./" is "/").
struct JailHome {
    std::string jail;
    std::string home;
};
// nullopt when `home` has no "/./". Throws jk::Error when it has one but the
// jail part is unusable: relative, empty or "/" once cleaned ("/./x",
// "////./x"), or either part contains a ".." component.
std::optional<JailHome> split_jail_home(std::string_view home);

// Why a "/./" home is not written canonically, or nullopt when it is (or
// holds no "/./" at all, which split_jail_home reports). A login home must
// name one jail and one home: a single "/./" and otherwise no empty ("//"),
// "." or ".." component; one trailing '/' is accepted (jailkit 2.23 accepts
// it too, and it changes nothing). split_jail_home cleans such forms for
// tools that only read homes; jk_chrootsh refuses them, as jailkit 2.23
// does for most of them ("/j/./a/./h" and "/j/./h/./x" chroot jailkit into
// a path that getcwd() then disowns), so the jail is always the directory
// the admin wrote.
std::optional<std::string> noncanonical_jail_home(std::string_view home);

// The result of merging entries into a jail's file.
struct MergeResult {
    std::string text;                   // the new file text (the old text unchanged when !changed)
    std::vector<std::string> warnings;  // for the caller to print
    bool changed = false;
};

// Adds `add` to the jail passwd text: entries whose name is already there
// are left alone (the jail's line is kept verbatim, jailkit does the same);
// new entries are appended in order. A new entry whose uid already belongs to
// another name in the jail is still added (so that user can log in; jailkit
// did so silently), with a warning. Throws ConfigError for a malformed jail
// file and jk::Error for an entry that cannot be written.
MergeResult merge_passwd(std::string_view jail_text, const std::string& filename, const std::vector<PasswdEntry>& add);

// A user to put in a group's member list.
struct Membership {
    std::string group;
    std::string user;
};

// As merge_passwd for groups (gid collisions warned about the same way);
// then each membership adds the user to the jail group's member list unless
// already listed (idempotent). A membership for a group absent from the jail
// is skipped with a warning.
MergeResult merge_group(std::string_view jail_text, const std::string& filename, const std::vector<GroupEntry>& add,
                        const std::vector<Membership>& memberships = {});

enum class Hashes { replace, keep };

// The entry as it should appear in a jail: the password field is "*" unless
// hashes is Hashes::keep.
ShadowEntry jail_shadow_entry(const ShadowEntry& host, Hashes hashes = Hashes::replace);

// As merge_passwd for shadow, each new entry passed through jail_shadow_entry.
MergeResult merge_shadow(std::string_view jail_text, const std::string& filename, const std::vector<ShadowEntry>& add,
                         Hashes hashes = Hashes::replace);

// ---- system layer

struct HostUsers {
    PasswdFile passwd;
    GroupFile group;
};

// Reads <etc_dir>/passwd and <etc_dir>/group as trusted files (regular,
// root-owned, not group/other-writable, no symlink; config::read_config_text)
// and parses them. Throws SysError, ConfigError.
HostUsers read_host_users(Malformed policy = Malformed::error, const std::string& etc_dir = "/etc");

// Reads <etc_dir>/shadow the same way (it is root:shadow 0640, which passes).
ShadowFile read_host_shadow(Malformed policy = Malformed::error, const std::string& etc_dir = "/etc");

// A jail's /etc/passwd, /etc/group, /etc/shadow texts; nullopt = absent (when
// reading) or leave alone (when writing).
struct JailUserTexts {
    std::optional<std::string> passwd;
    std::optional<std::string> group;
    std::optional<std::string> shadow;
};

// Reads the three files through the jail's fd (resolved beneath the jail).
// A missing file is nullopt; one that is not a regular file or is over
// 16 MiB is a ConfigError. Throws SysError for other failures.
JailUserTexts read_jail_users(const Jail& jail);

// The jail's /etc/passwd and /etc/group as a login reads them to find the
// user (jailkit's internal_getpwuid): only when they can be trusted. etc is
// opened beneath the jail fd without following a symlink and must be a
// root-owned directory not writable by group or others; each file is opened
// beneath it without following a symlink and, on the fd that is then read,
// must be a regular file owned by root and writable by nobody else
// (trust::jail_passwd). A jail user who could edit or replace these files
// could otherwise name any home or shell for themselves. shadow is not read.
// A missing file is nullopt. Throws UnsafePath (SymlinkNotAllowed for a
// symlink) naming the file, ConfigError when over 16 MiB, SysError.
JailUserTexts read_trusted_jail_users(const Jail& jail);

// Writes the given texts atomically inside the jail (Jail::replace_file):
// passwd and group 0644 root:root, shadow 0640 root and the gid of group
// "shadow" in the jail's group file (the one being written, else the one in
// the jail), or 0. Each text is parsed strictly first, so a malformed text is
// refused (ConfigError) before anything is written. /etc must exist.
void write_jail_users(const Jail& jail, const JailUserTexts& texts);

}  // namespace jk::users
