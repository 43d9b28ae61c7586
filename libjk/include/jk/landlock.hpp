// Landlock (Documentation/userspace-api/landlock.rst): a restriction the
// kernel keeps on this process and on everything it executes afterwards,
// which nothing the process does later can lift.
//
// jk_lsh uses it to confine what a git-family program may execute: git
// obeys repository configuration, the user writes that configuration (in a
// repository of their own, at any moment, after any check we could make),
// and several keys name programs. With execution allowed only beneath git's
// own files, whatever such a key names is refused by the kernel at exec
// time: git runs a value with blanks or shell syntax as /bin/sh -c VALUE
// (sh is not executable) and a bare path directly (not executable either).
//
// MUST:
//  1. Fail closed: a kernel without Landlock (or with it disabled) is an
//     error the caller sees, never a silent no-op.
//  2. Handle only EXECUTE (and REFER, see restrict_exec_to): reading and
//     writing files is untouched, so git works as it would without us.
#pragma once

#include <string>
#include <vector>

namespace jk::landlock {

// The Landlock ABI version the running kernel offers, 0 when it offers none
// (kernel built without it, or Landlock not among the active LSMs). Never
// throws.
int abi_version() noexcept;

// Restricts the calling thread, and every program it executes from now on,
// so that a file may be executed (execve, and the kernel's open of an ELF or
// script interpreter) only when it is one of `allowed` or lies beneath one
// of them (a directory allows everything beneath it). Sets
// PR_SET_NO_NEW_PRIVS, which the kernel requires of an unprivileged caller
// and which a restricted process should have anyway.
//
// Each entry of `allowed` is opened (following symlinks) as it is now; an
// entry that does not exist is skipped (a jail may lack one of git's
// directories). Renaming and hard-linking across directories stay allowed
// everywhere: since ABI 2 the kernel refuses them (EXDEV) under any ruleset
// unless LANDLOCK_ACCESS_FS_REFER is handled and granted, and git moves
// received objects from its quarantine directory with link(2)/rename(2).
//
// Throws SysError: ENOSYS/EOPNOTSUPP when the kernel has no usable Landlock
// (MUST 1), or the failing call's errno. Call it in the process that then
// executes the confined program (single-threaded: the restriction applies to
// the calling thread only).
void restrict_exec_to(const std::vector<std::string>& allowed);

}  // namespace jk::landlock
