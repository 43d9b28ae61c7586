// A thin jail's plan as jk_init writes it: which host paths a thin jail sees
// through read-only binds, and the [thin] section of the jail's policy file
// (CONFDIR/jails.d/<escaped>.ini, isolation.hpp) that lists them.
//
// Split in two (STYLE.md habit 14): the pure part (where a host path goes,
// the [thin] section edited inside the file's text) and the system part
// (reading and replacing the policy file, making a bind's mount point).
//
// MUST:
//  1. Only the [thin] section is ours: every other line of the policy file
//     (the admin's [isolation], [limits], [cgroup], comments, blank lines)
//     is kept byte for byte.
//  2. The file is replaced atomically (a temporary file in jails.d, fsync,
//     rename), root:root 0644: it is the old file or the whole new one.
//  3. Nothing is written that the entry would refuse: the new text is parsed
//     with isolation::parse_policy first.
//  4. The policy directory and file are opened with trust's rules
//     (config_directory, trusted_file) on the fds that are then used, as
//     isolation::load_policy reads them.
//  5. A mount point is made beneath the jail's fd one component at a time and
//     checked with the entry's own rule (jail_system_dir / jail_system_file),
//     so what jk_init leaves is exactly what the entry accepts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/jail.hpp"

namespace jk::thin {

// The host's system roots: a thin jail sees them through binds (a real
// directory) or has the same symlink (merged /usr: bin -> usr/bin).
inline constexpr std::string_view system_roots[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"};

// The loader's cache: bound from the host so it is always the current one.
inline constexpr std::string_view ld_cache = "/etc/ld.so.cache";

// ---------------------------------------------------------------- pure

// True when `path` is `dir` or lies below it (whole components).
bool within(std::string_view path, std::string_view dir) noexcept;

// Where a section's host path goes in a thin jail.
enum class Place {
    system,  // under a system root: seen through the binds, not copied
    copy,    // under /etc, or where no bind may land (/dev, /proc, /sys, /run, /tmp, /home): copied
    bind,    // anywhere else (/opt/x, /var/lib/y): bound read-only
};
Place place_of(std::string_view host_path) noexcept;

// `binds` sorted, duplicates dropped, and every path below another one
// dropped (it is seen through the bind above it).
std::vector<std::string> tidy_binds(std::vector<std::string> binds);

// "[thin]\nro_binds = A, B\n".
std::string render_section(const std::vector<std::string>& binds);

// True when `text` has a [thin] header (headers as the INI parser reads them).
bool has_section(std::string_view text);

// `text` with its [thin] section (header to the last key line before the
// next header) replaced by render_section(binds), or the section appended
// after a blank line when there is none. Every other line is kept (MUST 1);
// comments and blank lines just before the next header stay with it.
std::string set_section(std::string_view text, const std::vector<std::string>& binds);

// `text` without its [thin] section, as set_section delimits it; nullopt
// when it has none.
std::optional<std::string> remove_section(std::string_view text);

// True when `text` still holds a section header.
bool has_any_section(std::string_view text);

// ---------------------------------------------------------------- system

// The text of the jail's policy file, nullopt when there is none (the file
// or jails.d missing). Throws UnsafePath when CONFDIR, jails.d or the file
// fail trust (MUST 4), SysError when they cannot be read.
std::optional<std::string> read_policy(const std::string& confdir, const std::string& canonical_jail);

// What write_policy would write: the current file's text with the [thin]
// section set to `binds`, checked with isolation::parse_policy (MUST 3).
// Throws ConfigError for a result the entry would refuse (a bad bind, or a
// malformed section of the admin's), and as read_policy.
std::string planned_policy(const std::string& confdir, const std::string& canonical_jail,
                           const std::vector<std::string>& binds);

// Replaces the jail's policy file with `text` (MUST 2), creating jails.d
// (root:root 0755) when missing; with an empty optional, deletes the file
// (absent already: nothing). Throws UnsafePath or SysError.
void replace_policy(const std::string& confdir, const std::string& canonical_jail,
                    const std::optional<std::string>& text);

// Makes `inner` (absolute, canonical) a mount point in the jail for a
// directory or a file: missing components are created root:root 0755, a
// missing file as an empty root:root 0644 one; existing ones are kept. Every
// component is then checked as the entry checks it (MUST 5). Returns true
// when something was created. Throws UnsafePath / SymlinkNotAllowed for what
// the entry would refuse, SysError for a failed call.
bool make_mount_point(const Jail& jail, const std::string& inner, bool directory);

}  // namespace jk::thin
