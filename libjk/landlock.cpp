#include "jk/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "jk/error.hpp"
#include "jk/fd.hpp"

namespace jk::landlock {

namespace {

// glibc 2.36 has no wrappers for the three Landlock system calls.
long create_ruleset(const landlock_ruleset_attr* attr, std::size_t size, std::uint32_t flags) {
    return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

long add_rule(int ruleset, landlock_rule_type type, const void* attr, std::uint32_t flags) {
    return ::syscall(SYS_landlock_add_rule, ruleset, type, attr, flags);
}

long restrict_self(int ruleset, std::uint32_t flags) {
    return ::syscall(SYS_landlock_restrict_self, ruleset, flags);
}

// Grants `access` beneath `path` (the file itself when it is not a directory).
void allow(int ruleset, const std::string& path, std::uint64_t access) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return;  // not in this jail
        throw SysError("cannot open for the Landlock ruleset", path, errno);
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = access;
    rule.parent_fd = fd.get();
    if (add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
        throw SysError("cannot add a Landlock rule for", path, errno);
}

}  // namespace

int abi_version() noexcept {
    const long v = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v > 0 ? static_cast<int>(v) : 0;
}

void restrict_exec_to(const std::vector<std::string>& allowed) {
    const int abi = abi_version();
    if (abi == 0) throw SysError("Landlock is not available in this kernel", ENOSYS);
    // ABI 1 has no REFER right, and there the kernel refuses every rename or
    // link across directories under a ruleset: git could not store a push.
    if (abi < 2) throw SysError("Landlock ABI 2 (kernel 5.19) is needed, this kernel has ABI 1", EOPNOTSUPP);

    landlock_ruleset_attr attr{};
    attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_REFER;
    UniqueFd ruleset(static_cast<int>(create_ruleset(&attr, sizeof attr, 0)));
    if (!ruleset) throw SysError("cannot create a Landlock ruleset", errno);

    allow(ruleset.get(), "/", LANDLOCK_ACCESS_FS_REFER);
    for (const std::string& p : allowed) allow(ruleset.get(), p, LANDLOCK_ACCESS_FS_EXECUTE);

    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw SysError("cannot set no_new_privs", errno);
    if (restrict_self(ruleset.get(), 0) != 0) throw SysError("cannot enforce the Landlock ruleset", errno);
}

}  // namespace jk::landlock
