// A jail: a directory validated once by the jailkit safety rule and then
// used only through the directory fd that was validated.
//
// MUST (DESIGN.md invariants 2 and 4):
//  1. The jail is checked on the fd that is then used; there is no second
//     lookup by name between check and use.
//  2. Every path inside the jail is resolved beneath that fd, with symlinks
//     interpreted as they would be after chroot (absolute targets and ".."
//     are clamped at the jail root). A planted symlink can therefore point
//     only at something inside the jail.
//  3. The final component of a path that is created, replaced, chmod'ed or
//     chowned is never followed: writes go to a new temporary name in the
//     resolved parent and are renamed over the leaf.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "jk/fd.hpp"

namespace jk {

enum class ResolveMethod {
    automatic,  // openat2(RESOLVE_IN_ROOT), falling back when the kernel lacks it
    openat2,    // openat2 only (ENOSYS is an error)
    walk,       // component-wise O_NOFOLLOW walk emulating RESOLVE_IN_ROOT
};

// Opens `path` (relative to rootfd; leading '/' allowed) beneath rootfd as
// if rootfd were "/" (chroot semantics). flags are openat flags; O_CLOEXEC is
// added. With O_NOFOLLOW the last component is not followed. Throws SysError
// (ENOENT, ELOOP, ...). `what` names the path in errors.
UniqueFd open_in_root(int rootfd, std::string_view path, int flags, mode_t mode, const std::string& what,
                      ResolveMethod method = ResolveMethod::automatic);

// Splits a jail-internal path into its directory part and leaf name after
// lexical cleanup ("//" and "." removed). Throws Error for an empty path,
// the root itself, or a leaf of "..".
struct PathSplit {
    std::string dir;  // "" for the jail root
    std::string leaf;
};
PathSplit split_leaf(std::string_view path);

// Lexically normalises an absolute host path: collapses "//", drops ".",
// resolves ".." textually (callers refuse symlinks separately). Throws Error
// for a relative or empty path.
std::string normalize_absolute(std::string_view path);

// A fresh name for a temporary entry beside `leaf` in the same directory
// (".jk-<leaf>.<random>"), created with O_EXCL by the caller.
std::string temp_name_for(const std::string& leaf);

class Jail {
public:
    // Validates `path` by the jailkit rule extended to every parent: each
    // component from "/" down is a real directory (never a symlink), owned by
    // root, not writable by group or others. Well-known subdirectories (etc,
    // usr, var, bin, dev, proc, sbin, sys, lib, lib64) that exist must be
    // root-owned and not group/other-writable; a symlinked one must stay
    // inside the jail and point to a safe directory. Throws UnsafePath,
    // SymlinkNotAllowed or SysError.
    static Jail open(const std::string& path);

    // Opens `path` without the safety rule (for tests and for tools that only
    // read). The path must still be an existing directory.
    static Jail open_unchecked(const std::string& path);

    const std::string& path() const noexcept { return path_; }
    int fd() const noexcept { return fd_.get(); }

    // The same jail reached through `fd`: the directory re-opened in a new
    // mount namespace (isolation::assemble_thin), which the caller has
    // checked to be this jail's directory.
    Jail reached_through(UniqueFd fd) const { return Jail(path_, std::move(fd)); }

    // Host path of a jail-internal path, for messages only: never open it.
    std::string host_path(std::string_view inner) const;

    // open_in_root beneath this jail.
    UniqueFd open(std::string_view inner, int flags, mode_t mode = 0) const;

    // The directory holding `inner`, resolved beneath the jail (directory
    // components follow symlinks as inside the jail), and the leaf name.
    struct Parent {
        UniqueFd dir;
        std::string leaf;
    };
    Parent open_parent(std::string_view inner) const;

    // lstat of `inner` (leaf not followed); nullopt if it does not exist or
    // a directory component is missing.
    std::optional<struct stat> lstat(std::string_view inner) const;

    // Replaces `inner` atomically with `content`: written to a fresh
    // temporary file in the same directory, fsync'ed, given mode and owner,
    // and renamed over the old entry (which, if a symlink, is replaced, not
    // followed).
    void replace_file(std::string_view inner, std::string_view content, mode_t mode, uid_t uid, gid_t gid) const;

private:
    Jail(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    std::string path_;
    UniqueFd fd_;
};

}  // namespace jk
