// The jailkit safety rule for a directory that confines users, as pure
// predicates over stat results (no syscalls here: the callers stat the very
// fd they go on to use).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

namespace jk::safepath {

// Problems jailkit's testsafepath() reports, as bit flags.
enum Problem : unsigned {
    none = 0,
    not_a_directory = 1u << 0,
    symlink = 1u << 1,
    setuid = 1u << 2,
    setgid = 1u << 3,
    group_writable = 1u << 4,
    other_writable = 1u << 5,
    wrong_owner = 1u << 6,
    wrong_group = 1u << 7,
};

struct Rule {
    uid_t owner = 0;
    std::optional<gid_t> group;  // unset: any group (the write bits decide)
    bool allow_group_write = false;
    bool allow_other_write = false;
    bool require_directory = true;
};

// Problems of one directory entry under `rule`.
unsigned problems(const struct stat& st, const Rule& rule);

// The reason text for the first problem found, e.g. "is writable by group",
// suitable after a quoted path; "" when there is none.
std::string describe(unsigned problems);

}  // namespace jk::safepath
