// dpkg's database, read for jk_init's `packages =` key: which packages are
// installed, what they depend on, the files each one shipped and the MD5 sum
// dpkg recorded for each file.
//
// Split in two (STYLE.md habit 14):
//  - pure parsers of the database's texts (the status file's stanzas, a
//    relation field such as Depends, a PKG.list, a PKG.md5sums) and the
//    Depends closure over parsed packages; they touch no syscall and are
//    fuzzed (tests/fuzz/fuzz_dpkg.cpp);
//  - a thin system layer reading those files under the admin directory
//    (/var/lib/dpkg, or $DPKG_ADMINDIR as dpkg itself honours it).
//
// MUST:
//  1. A parser never trusts the text: a malformed stanza, relation, list
//     line or md5sums line is skipped (with a warning where one is asked
//     for), never read out of bounds; a path taken from a .list or md5sums
//     is absolute, normalised, without NUL, "..", or line breaks, or it is
//     dropped.
//  2. Version constraints, architecture restrictions ("[amd64]") and build
//     profiles ("<!nocheck>") are parsed and ignored: the closure follows
//     what is installed, whatever version it is.
//  3. The closure never pulls in a package blockdepends names; a package
//     asked for by name is taken even when blocked (the block concerns the
//     closure only).
//  4. Only packages dpkg records as installed (Status "install ok
//     installed", or triggers pending/awaited: their files are all on disk)
//     are found; a package half-installed or removed is "not installed".
//  5. The system layer only reads (no dpkg is run); a package name goes
//     into a file name only after is_package_name() accepted it.
//  6. Every database file is opened by trust's walk as a trusted_file
//     (root-owned, writable by nobody else, every directory above it a
//     config_directory): who could write the database would choose which
//     host files jk_init copies into a jail.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::dpkg {

// ---------------------------------------------------------------- pure

// One alternative of a relation: "name[:arch] [(op version)]".
struct Relation {
    std::string name;
    std::string arch;  // "" (none), "any", "native" or an architecture
    std::string op;    // "", "<<", "<=", "=", ">=", ">>" (ignored, MUST 2)
    std::string version;
};
// "a | b": satisfied by the first alternative that is installed.
using Alternatives = std::vector<Relation>;

// A Depends/Pre-Depends/Provides value: comma-separated groups of
// '|'-separated alternatives. Malformed groups are skipped, each noted in
// `warnings` when given.
std::vector<Alternatives> parse_relations(std::string_view value, std::vector<std::string>* warnings = nullptr);

// True for a name dpkg accepts: [a-z0-9][a-z0-9+.-]+ (policy 5.6.1).
bool is_package_name(std::string_view name);

struct Package {
    std::string name;
    std::string architecture;  // "amd64", "all"...
    std::string multi_arch;    // "", "same", "foreign", "allowed"
    std::string version;
    std::string status;  // the Status field as written
    bool installed = false;
    std::vector<Alternatives> depends;  // Pre-Depends first, then Depends
    std::vector<Relation> provides;
    std::vector<std::string> conffiles;  // absolute paths (Conffiles field)
};

// The stanzas of a status file (RFC 822-like: "Field: value", continuation
// lines start with a blank, stanzas separated by blank lines). A stanza
// without a valid Package field is skipped (noted in `warnings`).
std::vector<Package> parse_status(std::string_view text, std::vector<std::string>* warnings = nullptr);

// The paths of a PKG.list (one absolute path a line; "/." is dropped).
std::vector<std::string> parse_list(std::string_view text);

// A PKG.md5sums: "<32 hex digits>  <path relative to />" a line. The map
// goes from the absolute path to the lowercase digest.
std::map<std::string, std::string> parse_md5sums(std::string_view text);

// The architecture dpkg was built for on this host ("amd64"...), from the
// compiler's target; "" when unknown.
std::string native_arch();

// Installed packages, looked up the way dpkg resolves names.
class Database {
public:
    explicit Database(std::vector<Package> packages, std::string native = native_arch());

    // "name" or "name:arch" as a user writes it (jk_init.ini): the installed
    // package of that name and architecture; without one, the native one,
    // else the Architecture: all one, else the only one installed. nullptr
    // when none is installed (MUST 4).
    const Package* find(std::string_view spec) const;

    // The installed package satisfying `rel` for `from` (whose architecture
    // decides an unqualified relation, as Multi-Arch does), a real package
    // first, then one that Provides the name. nullptr when none.
    const Package* satisfy(const Relation& rel, const Package& from) const;

    const std::vector<Package>& packages() const { return packages_; }
    const std::string& native() const { return native_; }

private:
    std::vector<Package> packages_;  // installed only
    std::string native_;
    std::multimap<std::string, std::size_t> by_name_;
    std::multimap<std::string, std::size_t> providers_;
};

// "name" or "name:arch" of a package, as dpkg names its info files.
std::string qualified_name(const Package& p);

struct Closure {
    std::vector<const Package*> packages;    // the requested first, then their dependencies
    std::vector<std::string> not_installed;  // requested names (as written) not installed
    std::vector<std::string> warnings;       // unsatisfied dependencies
};

// The requested packages and, with `use_depends`, the closure of their
// Pre-Depends and Depends: each group takes its first alternative that is
// installed and not blocked (MUST 3). `block` holds names ("name" blocks
// every architecture, "name:arch" one).
Closure closure(const Database& db, const std::vector<std::string>& requested, bool use_depends,
                const std::vector<std::string>& block);

// ---------------------------------------------------------------- system

// $DPKG_ADMINDIR when set and not empty (dpkg's own variable), else
// /var/lib/dpkg.
std::string admindir();

// The installed packages of <dir>/status (`dir` absolute and lexically
// clean). Throws SysError when it cannot be read, UnsafePath when it or a
// directory above it fails MUST 6.
Database load(const std::string& dir);

// <dir>/info/NAME:ARCH.list, else <dir>/info/NAME.list (dpkg uses the
// qualified name for Multi-Arch: same packages). nullopt when neither exists.
std::optional<std::vector<std::string>> read_list(const std::string& dir, const Package& p);

// The same for NAME[:ARCH].md5sums; an empty map when the package has none.
std::map<std::string, std::string> read_md5sums(const std::string& dir, const Package& p);

}  // namespace jk::dpkg
