// jk_lsh's decision: which section of jk_lsh.ini applies to the user, which
// program a command line names, whether it may run with these arguments,
// and the umask and environment it runs with. Pure apart from the two
// callbacks (a file test and the word expander), so the whole policy is
// unit-tested; jk_lsh/main.cpp only gathers the inputs and execs.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/lsh_command.hpp"

namespace jk::config {
class IniFile;
class Section;
}  // namespace jk::config

namespace jk::lsh {

// jailkit 2.23's exit codes (COMPAT.md 2.4), plus exec failure (126/127).
enum Exit : int {
    exit_ok = 0,
    exit_config = 1,       // jk_lsh.ini missing, untrusted or malformed
    exit_user = 2,         // user lookup failed, or $USER names another uid
    exit_section = 3,      // group lookup failed, or no section applies
    exit_not_allowed = 4,  // program or argument refused, shell syntax refused
    exit_no_executables = 5,
    exit_expansion = 6,  // malformed command line / word expansion error
    exit_interactive = 7,
    exit_exec_failed = 126,
    exit_exec_missing = 127,
};

inline constexpr mode_t default_umask = 022;  // jailkit used 0 (W5)
inline constexpr const char* default_path = "/usr/local/bin:/usr/bin:/bin";

// GIT_CONFIG_PARAMETERS for the git family: hooks off, and every fixed-name
// key that names a program set to nothing (or to git's "do nothing" ':').
inline constexpr const char* git_config_overrides =
    "'core.hooksPath'='/dev/null' 'core.fsmonitor'='false' 'core.sshCommand'='' 'core.pager'='' "
    "'core.editor'=':' 'sequence.editor'=':' 'core.askPass'='' 'core.gitProxy'='' 'diff.external'='' "
    "'credential.helper'='' 'gpg.program'='' 'protocol.ext.allow'='never'";

// The keys of a user/group/DEFAULT section.
inline constexpr std::string_view settings_keys[] = {"executables", "paths", "allow_word_expansion", "umask",
                                                     "environment"};

struct Settings {
    std::optional<std::vector<std::string>> executables;  // required; nullopt when the key is absent
    std::vector<std::string> paths;
    bool allow_word_expansion = false;
    std::optional<mode_t> umask;
    std::vector<std::string> environment;  // "K=V" items as written
};

// Typed reading of one section. Throws ConfigError for a malformed value
// (umask not octal, allow_word_expansion not a boolean).
Settings read_settings(const config::Section& section);

struct User {
    std::string name;
    uid_t uid = 0;
    std::string home;
    std::string shell;
    std::string group;  // primary group name
};

// "Does this path exist as a regular file?" (stat, following symlinks).
using FileTest = std::function<bool(const std::string&)>;
using Expander = std::function<SplitResult(const std::string&)>;

// An absolute path with no empty, "." or ".." component and no trailing '/'.
bool is_clean_absolute(std::string_view path);

// True when some '/'-separated component of path is "..".
bool has_dotdot(std::string_view path);

struct Resolution {
    std::optional<std::string> path;  // found
    std::string reason;               // when not found
};

// argv0 absolute: must be clean (is_clean_absolute) and a regular file.
// Otherwise: no ".." component; the first "<entry>/<argv0>" over the
// absolute entries of `paths` (a trailing '/' of an entry ignored) that is a
// regular file. $PATH is never consulted.
Resolution resolve_executable(const std::string& argv0, const std::vector<std::string>& paths, const FileTest& is_file);

struct Environment {
    std::vector<std::string> env;       // "K=V", in order
    std::vector<std::string> warnings;  // items of `environment` that were ignored
};

// The environment the command gets, from scratch: HOME, USER, LOGNAME,
// SHELL, PATH; then TERM, LANG, LC_*, TZ, SSH_CLIENT, SSH_CONNECTION,
// SSH_TTY, SSH_ORIGINAL_COMMAND copied from `inherited` when present; then
// the section's `environment` items (may override; an item with a second
// '=', without '=', with a bad name, or naming a loader/libc variable such
// as LD_* or GCONV_PATH is ignored with a warning); for the git binaries
// last, GIT_CONFIG_PARAMETERS (git_config_overrides: hooks off, command keys
// emptied) and GIT_CONFIG_GLOBAL=/dev/null, which nothing overrides.
Environment build_environment(const User& user, const Settings& st, const std::vector<std::string>& inherited,
                              bool git_family);

// Whether `name` may never be set through `environment` (LD_*, GCONV_PATH...).
bool is_unsafe_env_name(std::string_view name);

struct Decision {
    int exit_code = exit_ok;
    // exit_ok: "executing command '...' for user U (uid)"; else the refusal.
    std::string message;
    std::vector<std::string> warnings;  // non-fatal config findings, for syslog
    std::string path;                   // the program, when exit_ok
    std::vector<std::string> argv;
    std::vector<std::string> env;
    mode_t umask = default_umask;
};

// The whole policy for one command line. Never throws jk::Error (config
// problems become exit_config), only std::bad_alloc.
Decision decide(const config::IniFile& ini, const User& user, const std::string& command,
                const std::vector<std::string>& inherited_env, const FileTest& is_file,
                const Expander& expand = expand_command);

}  // namespace jk::lsh
