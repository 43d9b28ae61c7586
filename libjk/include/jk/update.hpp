// jk_update's engine (COMPAT.md 2.11, W13): brings the files the suite
// copied into a jail up to date with the host, and removes the ones whose
// host original is gone.
//
// MUST (issues 3 and 11, DESIGN.md invariants 2 and 4):
//  1. Nothing is deleted unless the jail's manifest proves it is still the
//     entry the suite installed (inventory.hpp: same inode, unchanged
//     ctime): a file the admin added, or put in place of an installed one,
//     is never removed. A listed entry the manifest no longer proves is
//     never replaced either: it is left alone and reported.
//  2. An outdated entry is never unlinked first: the copy engine writes the
//     new version under a temporary name and renames it over the old one, so
//     the jail always holds the old or the complete new file.
//  3. The jail is walked through directory fds opened with O_NOFOLLOW; a
//     symlinked directory is never walked (merged /usr: /bin -> usr/bin is
//     compared as a link, /usr/bin is walked once), nor another file system.
//  4. Removals happen through the parent directory's fd, after checking that
//     the entry is still the one that was scanned (type, inode and, for
//     anything but a directory, ctime).
//  5. More removals than Settings::max_remove refuse the whole run before
//     anything is changed.
//
// The decisions (decide, decide_dir, skip matching, ini reading) are pure
// and unit-tested; run() is the walking and IO layer.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jk/changes.hpp"
#include "jk/config.hpp"
#include "jk/inventory.hpp"
#include "jk/jail.hpp"
#include "jk/manifest.hpp"

namespace jk::update {

// jailkit 2.23's directories scanned when none are given.
inline const std::vector<std::string> default_directories = {"/bin/", "/lib/", "/usr/", "/opt/"};

inline constexpr unsigned long default_max_remove = 100;

// ---------------------------------------------------------------- pure part

// A skip as jailkit normalised it: trailing slashes dropped, and a host
// spelling of a jail path ("JAIL/usr/x") turned into the jail path ("/usr/x").
// `jail` is the jail's host path without a trailing slash.
std::string normalize_skip(const std::string& skip, const std::string& jail);

// A scanned directory as a jail path: leading '/' added, trailing slashes and
// a JAIL prefix dropped ("" for the jail root itself).
std::string normalize_directory(const std::string& dir, const std::string& jail);

// True when `inner` (a jail path such as "/usr/bin/x") is a skip or lies
// below one. Skips must be normalised.
bool is_skipped(const std::vector<std::string>& skips, const std::string& inner);

// What the walk saw of one entry (jail side or host side).
using Observed = inventory::Observed;

enum class Verdict {
    current,          // nothing to do
    outdated,         // replace with the host's version
    deprecated,       // installed by the suite and still as installed, gone on the host: remove
    foreign,          // not installed by the suite and not on the host: keep
    changed,          // listed, but modified or replaced since installed: left alone, reported
    compare_content,  // same size, no proof either way: the caller compares bytes
    conflict,         // a directory on one side only: left alone, reported
};

// The decision for a jail entry that is not a directory. host is nullopt
// when the host has nothing at the same path; recorded is the manifest's
// entry for the path or nullptr; same_content is the caller's byte
// comparison once decide() asked for it (compare_content).
Verdict decide(const Observed& jail, const std::optional<Observed>& host, const manifest::Entry* recorded,
               std::optional<bool> same_content = std::nullopt);

// The decision for a jail directory once its contents were scanned:
// deprecated when the host has nothing there, the manifest proves it is the
// directory installed and nothing in it stays; changed when the manifest
// lists it but it is another directory now; conflict when the host has a
// non-directory there.
Verdict decide_dir(const Observed& jail, const std::optional<Observed>& host, const manifest::Entry* recorded,
                   bool empty_after);

// True for a name the copy engine uses for its temporary entries
// (".jk-<leaf>.<10 chars>"), which a killed run may leave behind.
bool is_temp_name(const std::string& name);

// jk_update.ini's section for one jail (the section name is the jail path).
struct IniSettings {
    std::vector<std::string> skips;
    std::vector<std::string> directories;
    std::optional<bool> hardlinks;
    std::vector<std::string> warnings;
};

// Reads section `section` of `ini`. Throws ConfigError naming the file when
// the section is missing or a value is malformed.
IniSettings read_section(const config::IniFile& ini, const std::string& section);

// ---------------------------------------------------------------- the run

struct Settings {
    std::vector<std::string> directories;  // jail paths; default_directories when empty
    std::vector<std::string> skips;        // normalised (normalize_skip)
    bool hardlink = false;
    bool dry_run = false;
    bool verbose = false;
    unsigned long max_remove = default_max_remove;
    // A thin jail's binds (its policy's [thin] ro_binds; empty for a copy
    // jail). A thin jail holds only its own files: run() then looks only at
    // the manifest's entries outside the binds (its copied /etc files),
    // never walks directories, never installs a library and never creates
    // anything at or below a bind (the host provides it at every entry).
    std::vector<std::string> thin_binds;
    // Where each decision is recorded (changes.hpp): outdated files as
    // updated, new libraries they need as created, deprecated ones as
    // removed, and what is left alone (changed since installed, not
    // installed by the suite, a directory on one side only) as unchanged
    // with the reason. Files found current are not listed. Optional.
    changes::Report* changes = nullptr;
};

struct Result {
    unsigned outdated = 0;    // found (dry run) or replaced
    unsigned removed = 0;     // found (dry run) or removed
    unsigned errors = 0;      // scan and removal errors (reported on the output)
    unsigned left_alone = 0;  // listed, but changed since installed: neither replaced nor removed
    bool refused = false;     // more removals than max_remove: nothing was changed
    unsigned long would_remove = 0;
    bool pending() const { return outdated + removed > 0; }
};

// Where run() writes jailkit's stdout phrases ("skip X", "removing outdated
// file X", "Copying A to B", "ERROR:  while scanning dir X: ...") and ours
// ("left alone (changed since installed): X").
using Output = std::function<void(const std::string& line)>;

// The manifest entries run() looks at in a thin jail, in path order: every
// listed path that is neither a directory nor at or below one of `binds`,
// and when `directories` (normalised, normalize_directory) is not empty,
// at or below one of them. Pure.
std::vector<std::string> thin_entries(const manifest::Manifest& manifest, const std::vector<std::string>& binds,
                                      const std::vector<std::string>& directories);

// Scans the settings' directories of `jail` (a thin jail: thin_entries), then (unless dry_run or
// refused) removes the deprecated entries and installs the outdated ones
// through the copy engine, recording both in the manifest. Errors met while
// scanning or removing are reported on `out` and counted; errors of the copy
// engine are thrown.
Result run(const Jail& jail, const Settings& settings, const Output& out);

}  // namespace jk::update
