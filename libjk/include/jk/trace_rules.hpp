// jk_trace's pure rules (issue 14): which syscall arguments name paths,
// which host paths may be copied into a jail (deny list, allowed roots),
// and the jk_init.ini section that records what a trace added. Nothing
// here touches the system, so each rule is unit-tested on its own.
//
// MUST (issue 14, "Safety: the user is hostile"):
//  1. A path is copyable only when it lies under an allowed root and under
//     no denied prefix; both tests are on lexically normalised absolute
//     paths, by whole components ("/etc/ssh" denies "/etc/ssh/x", never
//     "/etc/sshd_config"). A trailing '*' denies every name starting so
//     ("/etc/shadow*" denies "/etc/shadow-").
//  2. The default deny list holds the homes, /root, the shadow files,
//     sudoers, host keys, private TLS keys, /proc, /sys, /dev, /run, the
//     temporary and spool directories and the host's user database
//     (/etc/passwd, /etc/group: a jail's users are made by jk_jailuser, the
//     host's list of accounts is not the jail's business).
//  3. A section written for jk_init lists each path once, sorted, so the
//     same trace writes the same text; replacing it in a file keeps every
//     other byte of the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::trace {

// What a syscall does with a path, as far as jk_trace cares.
enum class PathUse {
    lookup,  // open, stat, access, readlink...: a missing file is wanted
    exec,    // execve, execveat: a missing program is wanted
    socket,  // connect/bind on AF_UNIX: never copied, only reported
};

// Where a syscall's path is: the index of the dirfd argument (-1: relative
// to the working directory), the index of the path argument, the use.
struct PathArg {
    const char* name;
    int dirfd_arg;
    int path_arg;
    PathUse use;
    bool empty_path_ok;  // AT_EMPTY_PATH-able (statx, newfstatat, execveat): "" is no lookup
};

// The path argument of native syscall `nr`, nullopt for a syscall that
// names no path jk_trace records (connect/bind are found by socket_call).
std::optional<PathArg> path_arg(long nr);

// connect(2) or bind(2): their name; nullptr for any other syscall.
const char* socket_call(long nr);

// --------------------------------------------------------------- paths

// `path` (absolute, as the kernel shows /proc/PID/cwd) inside the jail
// `jail` (canonical, no trailing '/'): the path inside the jail, or nullopt
// when it is not inside. "/" as the jail means the host itself.
std::optional<std::string> inside_jail(std::string_view jail, std::string_view path);

// Joins a path a syscall named with the directory it is relative to (both
// in the same view: the tracee's root) and cleans it lexically. An absolute
// `path` ignores `base`. Returns "" for an empty path.
std::string join_clean(std::string_view base, std::string_view path);

// --------------------------------------------------------------- filtering

struct Rules {
    std::vector<std::string> allowed_roots;  // copy only beneath these
    std::vector<std::string> deny;           // never beneath these (MUST 1)
};

// The built-in allowed roots and deny list (MUST 2); `jail` is denied too.
Rules default_rules(std::string_view jail);

// Why `path` (absolute host path) may not be copied: "is denied (/etc/ssh)",
// "is outside the allowed roots"; nullopt when it may.
std::optional<std::string> refused(const Rules& rules, std::string_view path);

// Whether `path` equals `prefix` or lies beneath it, by whole components;
// a prefix ending in '*' matches any name starting with what precedes it.
bool under(std::string_view path, std::string_view prefix);

// A directory copied whole when something in it is wanted, because its
// users stop at the first missing file and would take one round per file:
// a locale (/usr/lib/locale/C.utf8, glibc reads its LC_* files one by
// one) and gconv's gconv-modules.d. nullopt for any other path.
std::optional<std::string> whole_directory(std::string_view path);

// --------------------------------------------------------------- sections

// The jk_init.ini section `[name]` for `paths` and `emptydirs` (each
// sorted and deduplicated here): a comment line, "paths = a, b, c", and an
// "emptydirs = ..." line when there are any.
std::string section_text(std::string_view name, std::string_view comment, std::vector<std::string> paths,
                         std::vector<std::string> emptydirs = {});

// `file` (the text of an ini file) with its section `[name]` replaced by
// `section` (which ends in a newline), or `section` appended when the file
// has no such section. Every other line is kept as it was.
std::string replace_section(std::string_view file, std::string_view name, std::string_view section);

// A section name jk_init can read: letters, digits, '-', '_', '.', '+'.
bool valid_section_name(std::string_view name);

}  // namespace jk::trace
