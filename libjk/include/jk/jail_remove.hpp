// jk_init --remove: deletes a jail, everything in it and its policy file
// (jails.d), so that configuration management never needs `rm -rf` on a
// path it was handed.
//
// MUST:
//  1. The jail is named canonically and opened with Jail::open, by
//     open_named_jail as every tool names a jail: it and every parent pass
//     the jail rules on the fd then used, so a path through a symlink or a
//     user-writable directory is refused, never followed.
//  2. Nothing is deleted while a process runs with its root in the jail
//     (or below it), or while a host user's home lies inside it: the jail is
//     in use, and deleting it would pull files from under a live login.
//  3. The tree is walked beneath the jail's fd, one openat(O_NOFOLLOW |
//     O_DIRECTORY) per directory, and every entry is unlinked relative to
//     its parent's fd: a symlink is removed, never followed, and a directory
//     renamed away during the walk is never reached through a path.
//  4. A mount point inside the jail (another device, or a bind mount of the
//     same one) refuses the removal before anything is deleted, and again
//     during the walk if one appears: a mounted /proc, a bind of the host's
//     /usr or of a home must never be emptied.
//  5. The jail directory itself is unlinked from its parent's fd only after
//     checking that the name there is still the directory that was emptied
//     (same device and inode).
//  6. A dry run checks all of the above and changes nothing.
#pragma once

#include <string>

#include "jk/init.hpp"

namespace jk::jail_remove {

struct Options {
    // Where the jail's policy file is (jails.d/).
    std::string confdir = JK_SYSCONFDIR;
    bool dry_run = false;
    bool verbose = false;
};

// Removes the jail at `jail_arg` (absolute, canonical) and its policy file.
// A jail already gone is not an error: only a leftover policy file is
// removed then. Each removal is recorded in sink.report ("/" for the jail
// directory, with the number of entries it held). Throws Error with
// init::unsafe_or_no_config (3) for an unsafe jail, Error (1) for a jail
// in use or holding a mount point, SysError for a failed call.
void run(const Options& options, const std::string& jail_arg, const init::Sink& sink);

}  // namespace jk::jail_remove
