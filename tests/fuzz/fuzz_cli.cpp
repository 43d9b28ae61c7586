// Every tool's pure command-line parser. The input is one byte choosing
// the tool, then argv[1..] as NUL-separated words (argv[0] is the tool's
// name, or for the login shells a fuzzed word: they judge their argv[0]).
// A parser may refuse only with jk::Error (usage errors); jk_lsh's never
// throws at all.
#include <string>
#include <vector>

#include "jk_check/cli.hpp"
#include "jk_chrootlaunch/cli.hpp"
#include "jk_chrootsh/cli.hpp"
#include "jk_exec/cli.hpp"
#include "jk_init/cli.hpp"
#include "jk_jailuser/cli.hpp"
#include "jk_list/cli.hpp"
#include "jk_lsh/cli.hpp"
#include "jk_procmailwrapper/cli.hpp"
#include "jk_socketd/cli.hpp"
#include "jk_uchroot/cli.hpp"
#include "jk_update/cli.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
void one_input(std::string_view input) {
    if (input.empty()) return;
    // The seeds' first bytes are below 11: adding a tool at the end keeps
    // each seed on its tool.
    const auto tool = static_cast<unsigned char>(input[0]) % 12;
    std::vector<std::string> argv{"tool"};
    if (input.size() > 1)
        for (auto& w : jk_fuzz::split_nul(input.substr(1))) argv.push_back(std::move(w));
    switch (tool) {
        case 0:
            argv[0] = "jk_init";
            (void)jk_init::parse_args(argv);
            break;
        case 1:
            argv[0] = "jk_check";
            (void)jk_check::parse_args(argv);
            break;
        case 2:
            argv[0] = "jk_update";
            (void)jk_update::parse_args(argv);
            break;
        case 3: {
            argv[0] = "jk_lsh";
            try {
                const auto o = jk_lsh::parse_args(argv);
                if (o.mode == jk_lsh::Options::Mode::command) jk_fuzz::check(argv.size() >= 3);
            } catch (...) {
                __builtin_trap();  // documented never to throw
            }
            break;
        }
        case 4:
            argv[0] = "jk_jailuser";
            (void)jk_jailuser::parse_args(argv);
            break;
        case 5:
            argv[0] = "jk_socketd";
            (void)jk_socketd::parse_args(argv);
            break;
        case 6:
            argv[0] = "jk_chrootlaunch";
            (void)jk_chrootlaunch::parse_args(argv);
            break;
        case 7:
            argv[0] = "jk_uchroot";
            (void)jk_uchroot::parse_args(argv);
            break;
        case 8:
            argv[0] = "jk_list";
            (void)jk_list::parse_args(argv);
            break;
        case 9: (void)jk_chrootsh::parse_action(argv); break;
        case 10: (void)jk_procmailwrapper::parse_action(argv); break;
        default: {
            argv[0] = "jk_exec";
            const auto o = jk_exec::parse_args(argv);
            // Whatever follows JAIL is the command's, whole and in order.
            if (!o.help && !o.version) jk_fuzz::check(!o.jail.empty() && !o.command.empty());
            break;
        }
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
