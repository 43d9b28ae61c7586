// A host account looked up in /etc/passwd and /etc/group by libjk's own
// parser, for a setuid tool linked statically (handover.hpp): it answers
// only where glibc's NSS would give the very same answer from the same
// files, and says "cannot tell" everywhere else, so that the tool's
// dynamically linked twin asks NSS itself.
//
// MUST:
//  1. An answer only when nsswitch.conf names `files` first, with no action
//     after it, for the database asked (passwd, then group): NSS then stops
//     at the first entry files return. A missing or unreadable
//     nsswitch.conf, a database named twice, another first service (sss,
//     ldap, compat...), an action ("files [SUCCESS=continue] ...") or a
//     first service glued to more ("files#x", "files[...]": glibc 2.33 and
//     later cut no comment inside a line) is "cannot tell".
//  2. An answer only when the whole file is read alike by both parsers: a
//     line libjk's parser skips as malformed, a NIS line ('+'/'-', which
//     glibc's files service reads as an entry) or a line starting with
//     white space (which glibc skips over) makes the file "cannot tell".
//  3. Only a found entry is an answer: a user or group not in the files may
//     still come from the next service.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "jk/users.hpp"

namespace jk::host_lookup {

// Whether nsswitch.conf (its text) has NSS ask `files` first, and only
// `files`'s answer, for `database` (MUST 1). Pure.
bool files_answer_first(std::string_view nsswitch_conf, std::string_view database);

// Whether libjk's parse of a file (with Malformed::skip) is the one
// glibc's files service makes (MUST 2). Pure.
bool parsed_alike(const users::PasswdFile& table);
bool parsed_alike(const users::GroupFile& table);

// The account and its primary group's name, as getpwuid_r(uid) (or
// getpwnam_r(name) when `name` is set) and getgrgid_r would return them.
struct HostAccount {
    users::PasswdEntry user;
    std::string group_name;
};

// From the texts of nsswitch.conf, passwd and group: nullopt for "cannot
// tell" (MUST 1-3), with the reason in *why_not when given. An entry found
// by name whose uid is not `uid` is still an answer (the caller refuses
// it). Pure.
std::optional<HostAccount> from_texts(std::string_view nsswitch_conf, std::string_view passwd_text,
                                      std::string_view group_text, uid_t uid, const std::optional<std::string>& name,
                                      std::string* why_not = nullptr);

// from_texts over the host's /etc/nsswitch.conf, /etc/passwd and
// /etc/group. A file that cannot be read is "cannot tell". Throws only
// std::bad_alloc.
std::optional<HostAccount> from_host_files(uid_t uid, const std::optional<std::string>& name,
                                           std::string* why_not = nullptr);

}  // namespace jk::host_lookup
