// What a jail holds, as jk_check and jk_update both judge it: which entries
// the suite installed and still owns (the manifest), which are the jail's
// own by design, and whether a jail entry is current with the host. The two
// tools ask these questions of the same entries; answering them once here
// keeps jk_check reporting exactly what jk_update would change (issue 11).
//
// MUST:
//  1. An entry counts as the suite's only while the manifest proves it is
//     the one installed: same inode and, for a copy, the same ctime. A write,
//     chmod, chown, utimes, rename over or re-link moves the ctime, and
//     nobody can set a ctime back, so an admin's replacement or edit never
//     passes for the suite's file (the manifest has no st_dev: the walks
//     never leave the jail root's file system, where inodes are unique).
//  2. A directory is proven by its inode: its ctime moves whenever an entry
//     is added to it. A hardlink (-k) by its inode, size and mtime: its
//     ctime moves whenever the host renames a new version over its other
//     name, and an inode number freed and reused for an admin's new file
//     still shows a new mtime.
//  3. An entry recorded with inode 0 was being replaced by jk_update when
//     it stopped (killed after some renames, before the manifest caught
//     up): it is the suite's in either version, the old or the new.
//  4. The pure decisions touch no file; content is compared through fds the
//     caller opened beneath the jail.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>

#include "jk/jail.hpp"
#include "jk/manifest.hpp"

namespace jk::inventory {

// What a stat showed of one entry (jail side or host side).
struct Observed {
    mode_t type = 0;  // S_IFMT bits
    long long size = 0;
    long long mtime_ns = 0;
    long long ctime_ns = 0;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    std::string link_target;  // symlinks only, filled by the caller
};

Observed observe(const struct stat& st);

// Paths the jail holds its own version of by design, never compared with
// the host nor replaced from it: its account files, the ld.so.cache ldconfig
// built for it, and the suite's /etc/jailkit (manifest, in-jail jk_lsh.ini)
// and everything below it. Whole components: "/etc/passwd-" is not one.
bool jail_specific(std::string_view inner);

// True when the manifest entry proves that `jail` is still the entry it
// recorded (MUST 1 and 2): the same type and inode, and for a copied file,
// a link or a device the same ctime. Pure.
bool proves_installed(const manifest::Entry& recorded, const Observed& jail);

// Whether a jail entry is the same as the host entry at the same path.
enum class Sameness {
    same,           // nothing to do
    other_type,     // a regular file on one side, something else on the other
    other_target,   // symlinks with different targets
    other_size,     // regular files of different sizes
    compare_bytes,  // regular files of the same size that nothing proves equal
};

// The one currency decision (both tools): host and jail as lstat saw them
// (link targets filled in), `recorded` the manifest's entry or nullptr.
// A hardlink to the host file is the host file; a copy the manifest proves
// unchanged is the host file while the host keeps the recorded size and
// mtime; devices and fifos are never refreshed (same). A directory on either
// side is other_type. Pure.
Sameness compare(const Observed& jail, const Observed& host, const manifest::Entry* recorded);

// The files the suite installed in the jail, from its manifest: one lookup
// for both tools. An entry listed here is the suite's only while
// proves_installed() says so; a listed entry it no longer proves was
// modified or replaced in the jail and is the admin's now.
class Owned {
public:
    Owned() = default;
    explicit Owned(manifest::Manifest m) : manifest_(std::move(m)) {}

    // The jail's manifest (empty when it has none). Throws as manifest::load.
    static Owned load(const Jail& jail) { return Owned(manifest::load(jail)); }

    // The manifest's entry for `inner` or nullptr.
    const manifest::Entry* recorded(const std::string& inner) const;

    manifest::Manifest& manifest() noexcept { return manifest_; }
    const manifest::Manifest& manifest() const noexcept { return manifest_; }

private:
    manifest::Manifest manifest_;
};

// Byte comparison of two open regular files, from their current offsets.
struct ContentResult {
    enum Kind { same, differ, read_error } kind = same;
    int err = 0;             // read_error: errno
    bool jail_side = false;  // read_error: the jail's file failed (else the host's)
};
ContentResult compare_content(int jail_fd, int host_fd);

}  // namespace jk::inventory
