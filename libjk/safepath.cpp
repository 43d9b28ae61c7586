#include "jk/safepath.hpp"

namespace jk::safepath {

unsigned problems(const struct stat& st, const Rule& rule) {
    unsigned p = none;
    if (S_ISLNK(st.st_mode)) return symlink;
    if (rule.require_directory && !S_ISDIR(st.st_mode)) p |= not_a_directory;
    if (st.st_uid != rule.owner) p |= wrong_owner;
    if (rule.group && st.st_gid != *rule.group) p |= wrong_group;
    if ((st.st_mode & S_IWGRP) && !rule.allow_group_write) p |= group_writable;
    if ((st.st_mode & S_IWOTH) && !rule.allow_other_write) p |= other_writable;
    // Setuid/setgid on a directory is harmless for the kernel, but jailkit
    // flags it and an admin should know why a jail dir carries it.
    if (st.st_mode & S_ISUID) p |= setuid;
    if ((st.st_mode & S_ISGID) && !S_ISDIR(st.st_mode)) p |= setgid;
    return p;
}

std::string describe(unsigned p) {
    if (p & symlink) return "is a symbolic link";
    if (p & not_a_directory) return "is not a directory";
    if (p & wrong_owner) return "is not owned by root";
    if (p & wrong_group) return "is not owned by group root";
    if (p & group_writable) return "is writable by group";
    if (p & other_writable) return "is writable by others";
    if (p & setuid) return "has the setuid bit";
    if (p & setgid) return "has the setgid bit";
    return "";
}

}  // namespace jk::safepath
