// Per-executable argument rules for jk_lsh (COMPAT.md W6: jailkit checked
// only argv[0], so an account limited to rsync could run `rsync -e sh ...`).
//
// A rule set is checked on argv[1..] after splitting/expansion. Everything
// here is pure. The model (jk_lsh(8), "ARGUMENT RULES"):
//  - require_first: argv[1] must equal one of these (empty: no requirement).
//  - require_any:   some argument must equal one of these (empty: none).
//  - allow_options: when set, every argument starting with '-' must match one
//                   of these patterns (anything else is refused).
//  - deny:          no argument may match one of these patterns.
//  - rsync_capabilities: in a short-option cluster, "e." ends the cluster
//                   (rsync --server receives its capability string as
//                   `-e.iLsfxC`, glued to other flags: -vlogDtpre.iLsfxCIvu).
//  - old_style_options: a first argument without '-' is also a short-option
//                   cluster (tar's "tar xIf ...").
//  - local_files_only: no argument may name a remote file HOST:FILE (a ':'
//                   with no '/' before it), which tar opens by running
//                   /usr/bin/rsh (an ssh that reads the user's own
//                   ~/.ssh/config), unless "--force-local" is given. Checked
//                   on every argument not starting with '-', on a --file=
//                   value and on what follows 'f' in a short-option cluster.
// Every argument is checked, including those after "--": over-refusing a
// file named like an option is better than missing a program (find reads
// "-exec" after "--" as an expression).
//
// Patterns:
//  "--name"   a long option: the argument "--X" or "--X=..." is matched when
//             X is a non-empty prefix of "name" (getopt_long and git accept
//             unambiguous abbreviations, so "--rs=sh" may be "--rsh=sh";
//             an ambiguous one is refused anyway, over- rather than
//             under-denying).
//  "--name*"  as above, and also every "--X[=...]" where X starts with name.
//  "-c" "-c*" one letter: any single-dash cluster ("-abc", not "--") that
//             contains the letter (the rest of a cluster may be an option
//             argument, which is over-denied).
//  "-word"    (two or more characters after '-'): exactly that argument,
//             "-word*": any argument starting with "-word" (find's -exec).
//  "word", "word*": exactly that argument / any starting with "word".
// For allow_options the same patterns are used but long options must be
// written in full (no abbreviation is accepted as allowed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::config {
class IniFile;
class Section;
}  // namespace jk::config

namespace jk::lsh {

struct ArgRules {
    std::vector<std::string> require_first;
    std::vector<std::string> require_any;
    std::optional<std::vector<std::string>> allow_options;
    std::vector<std::string> deny;
    bool rsync_capabilities = false;
    bool old_style_options = false;
    bool local_files_only = false;

    bool empty() const {
        return require_first.empty() && require_any.empty() && !allow_options && deny.empty() && !local_files_only;
    }
};

// The built-in rules for an executable, chosen by the basename of `path`
// (rsync, scp, git, git-upload-pack, git-receive-pack, git-upload-archive,
// find, tar). nullopt when there are none (e.g. sftp-server, which cannot
// start programs).
std::optional<ArgRules> builtin_rules(std::string_view path);

// True for the git binaries whose exec environment is hardened (hooks off).
bool is_git_family(std::string_view path);

// The rules that apply to `path`: a section "[arguments <absolute path>]",
// else "[arguments <basename>]", else the built-in ones. A section replaces
// the built-in rules whole; one with no rule keys means no rules.
// Throws ConfigError for a malformed value in the chosen section.
// `source` (optional) receives a description: "builtin", "[arguments X]",
// or "none".
std::optional<ArgRules> rules_for(const config::IniFile& ini, std::string_view path, std::string* source = nullptr);

// Reads the keys of one "[arguments X]" section (unknown keys are the
// caller's to report; see rule_keys). Throws ConfigError for bad values.
ArgRules rules_from_section(const config::Section& section);

// The keys an "[arguments X]" section may hold.
inline constexpr std::string_view rule_keys[] = {"require_first",      "require_any",       "allow_options",   "deny",
                                                 "rsync_capabilities", "old_style_options", "local_files_only"};

// The section-name prefix for rule sections.
inline constexpr std::string_view rule_section_prefix = "arguments ";

// Whether one argument matches one deny pattern (see above).
bool matches_deny(std::string_view pattern, std::string_view arg, bool rsync_capabilities = false);

// Whether one argument matches one allow pattern (exact, or "x*" prefix).
bool matches_allow(std::string_view pattern, std::string_view arg);

struct RuleVerdict {
    bool allowed = true;
    std::string argument;  // the offending argument, when refused
    std::string reason;    // why, for the log and the user
};

// Checks args (argv[1..]) against rules.
RuleVerdict check_arguments(const ArgRules& rules, const std::vector<std::string>& args);

}  // namespace jk::lsh
