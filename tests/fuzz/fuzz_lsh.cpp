// jk_lsh's command line and policy: the input is a command line, or
// "INI\0COMMAND" to fuzz jk_lsh.ini (rule sections included) as well.
// wordexp mode is left out: it reads the file system (globs, ~user).
#include <string>
#include <string_view>
#include <vector>

#include "jk/config.hpp"
#include "jk/lsh_command.hpp"
#include "jk/lsh_config.hpp"
#include "jk/lsh_rules.hpp"
#include "jk/text.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
const char* const default_ini =
    "[DEFAULT]\npaths = /usr/bin, /bin\n"
    "executables = /usr/bin/rsync, /usr/bin/scp, /usr/bin/git, /usr/bin/find, /bin/tar, /usr/bin/id\n"
    "[arguments id]\ndeny = --x*, -y, -word*, w*\nallow_options = -u, --z=*\nrequire_any = -u\n";
}  // namespace

namespace {
// Outside the macro: braced initialisers hold commas.
void one_input(std::string_view input) {
    std::string ini_text = default_ini;
    std::string command(input);
    if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
        ini_text.assign(input.substr(0, nul));
        command.assign(input.substr(nul + 1));
    }
    const auto split = jk::lsh::split_command(command);
    (void)jk::text::printable(command, 64);
    // The argument rules on their own: the words after the first against
    // every tool's built-in rules (each pattern kind, rsync capabilities).
    if (split.status == jk::lsh::SplitResult::Status::ok && !split.words.empty()) {
        const std::vector<std::string> args(split.words.begin() + 1, split.words.end());
        for (const char* tool :
             {"/usr/bin/rsync", "/usr/bin/scp", "/usr/bin/git", "/usr/bin/git-upload-pack", "/usr/bin/git-receive-pack",
              "/usr/bin/git-upload-archive", "/usr/bin/find", "/bin/tar"}) {
            const auto rules = jk::lsh::builtin_rules(tool);
            if (!rules) __builtin_trap();
            const auto v = jk::lsh::check_arguments(*rules, args);
            if (!v.allowed && v.reason.empty()) __builtin_trap();
        }
        (void)jk::lsh::matches_allow(split.words[0], args.empty() ? "" : args[0]);
        (void)jk::lsh::matches_deny(split.words[0], args.empty() ? "" : args[0], true);
    }
    const auto ini = jk::config::IniFile::parse(ini_text, "jk_lsh.ini");
    if (split.status == jk::lsh::SplitResult::Status::ok && !split.words.empty()) {
        try {
            if (const auto rules = jk::lsh::rules_for(ini, split.words[0]))
                (void)jk::lsh::check_arguments(*rules, split.words);
        } catch (const jk::Error&) {
        }
    }
    const jk::lsh::User user{"alice", 1000, "/home/alice", "/usr/sbin/jk_lsh", "users"};
    const auto d = jk::lsh::decide(ini, user, command, {"TERM=x", "LD_PRELOAD=y", "LC_ALL=C"},
                                   [](const std::string& p) { return p.size() % 3 != 0; });
    if (d.exit_code == jk::lsh::exit_ok && (d.argv.empty() || d.path.empty())) __builtin_trap();
    for (const auto& e : d.env)
        if (e.rfind("LD_", 0) == 0) __builtin_trap();
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
