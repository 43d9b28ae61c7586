// jk_lsh's system side, next to the pure policy of lsh_config.hpp: finding
// the user, opening the allowed program so that what is executed is what
// was checked, and the exec confinement of git-family programs.
//
// MUST:
//  1. The program executed is the inode checked: it is opened once, checked
//     on that fd, and executed through that fd (execveat AT_EMPTY_PATH).
//  2. A program the user could replace is refused: the file, and every
//     directory looked up on the way to it (symlinks followed by hand), must
//     be neither owned nor writable (faccessat2, so ACLs count) by the user.
//  3. No lookup of the user through NSS when the environment we started
//     with carries loader variables: a static jk_lsh's dlopen of NSS modules
//     would obey LD_LIBRARY_PATH, captured by libc at startup.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/lsh_config.hpp"
#include "jk/trust.hpp"

namespace jk::lsh {

// Executes exe with argv and envp: execveat on its fd; for a script (the
// kernel cannot hand a close-on-exec fd to an interpreter and says ENOENT)
// execve of its canonical path, which the check proved the user cannot
// change. Returns only on failure, with the errno.
int exec_checked(const trust::UnreplaceableFile& exe, char* const argv[], char* const envp[]);

// What a git-family program may execute under jk_lsh (jk/landlock.hpp): the
// program itself, git's exec directories (/usr/lib/git-core,
// /usr/libexec/git-core: the programs git starts for a push, a fetch or an
// archive are all there), and the ELF interpreter of the program and of the
// exec directory's git, read from their PT_INTERP (the kernel opens it for
// execution too). Throws SysError/ElfError when the program cannot be read.
std::vector<std::string> git_exec_allowlist(const std::string& program);

// True when `env` (NAME=VALUE items) sets a variable is_unsafe_env_name()
// names (LD_*, GCONV_PATH...).
bool has_loader_variables(const std::vector<std::string>& env);

// The user jk_lsh runs as: uid's entry (or, when env_user is non-empty, the
// entry of that name, which must have the same uid) and its primary group's
// name, from /etc/passwd and /etc/group read by libjk's own parser (no NSS:
// a jail has only these files, and a static binary needs no NSS modules for
// them). Only when the user is not found there and allow_nss is true, NSS
// (getpwuid/getpwnam/getgrgid) is asked, for a host account from LDAP or
// sssd. Returns nullopt with `why` set when there is no such user or group;
// why_code is exit_user or exit_section.
struct UserLookup {
    std::optional<User> user;
    int exit_code = exit_ok;
    std::string why;
};
UserLookup find_user(uid_t uid, const std::string& env_user, bool allow_nss);

}  // namespace jk::lsh
