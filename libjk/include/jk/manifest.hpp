// The record, kept inside each jail, of what the suite installed there:
// JAIL/etc/jailkit/jk_manifest. jk_update deletes only what is listed (never
// the admin's own files), and jk_check proves a copy unchanged from its inode
// and ctime without reading it (a ctime cannot be set back by anyone, so a
// same-size edit with a forged mtime still shows).
//
// Format: a header line, then one entry per line, tab-separated:
//   path type source size mtime_ns ino ctime_ns
// path and source are jail-absolute / host-absolute; '%', TAB, CR and LF in
// them are written as %XX. type: f file, h hardlink, l symlink, d directory,
// c/b device, p fifo.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>

#include "jk/jail.hpp"

namespace jk::manifest {

inline constexpr const char* path_in_jail = "/etc/jailkit/jk_manifest";

// The inode recorded for an entry jk_update is replacing, until the copy
// engine records the new one (no file system gives out inode 0).
inline constexpr unsigned long long replacing = 0;

struct Entry {
    std::string path;  // inside the jail, e.g. "/usr/bin/bash"
    char type = 'f';
    std::string source;          // the host path it was made from
    long long size = 0;          // of the source when copied
    long long mtime_ns = 0;      // of the source when copied
    unsigned long long ino = 0;  // of the jail entry once in place
    long long ctime_ns = 0;      // of the jail entry once in place
};

struct Manifest {
    std::map<std::string, Entry> entries;  // by path
};

// The stat type (S_IFREG, S_IFLNK...) an Entry::type letter was recorded
// for ('h', a hard link, is a regular file); 0 for a letter not known.
mode_t stat_type(char recorded) noexcept;

// Parses manifest text. Throws ConfigError(filename, line) for a malformed
// line or an unknown header.
Manifest parse(std::string_view text, const std::string& filename);

// The text parse() reads back.
std::string render(const Manifest& m);

// Path escaping used in the file (exposed for tests).
std::string escape(std::string_view s);
std::string unescape(std::string_view s, const std::string& filename, int line);

// The jail's manifest; empty when it has none yet.
Manifest load(const Jail& jail);

// Writes the manifest atomically (root:root 0644), creating /etc/jailkit in
// the jail when needed.
void save(const Jail& jail, const Manifest& m);

}  // namespace jk::manifest
