// The getopt_long loop every tool's parse_args shares: GNU permutation
// (options anywhere, "--" ends them), errors as UsageError naming the
// option, and operands handed back in order. Pure apart from getopt's own
// global state, which it resets on every call.
#pragma once

#include <getopt.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jk::cli {

// Calls on_option(code, optarg) for each option in argv (argv[0] is the
// program name); optarg is nullptr for options without an argument.
// `shortopts` is a getopt optstring without a leading ':'; when it holds
// '?', the word "-?" is reported as the option '?'. A leading '+' stops at
// the first operand (no permutation): what follows it is returned whole,
// options and all, for tools whose operands are a command line of their own
// (jk_exec JAIL COMMAND -x). Throws UsageError (exit 1) for an unknown
// option or a missing argument. Returns the operands.
std::vector<std::string> parse(const std::vector<std::string>& argv, const char* shortopts, const option* longopts,
                               const std::function<void(int code, const char* arg)>& on_option);

// Stores the argument of an option that may be given once. Repeating it with
// the same value is harmless; with another value it is a UsageError naming
// `option` (e.g. "-j/--jail"), since either choice would surprise someone.
void assign_once(std::string& value, bool& given, const char* arg, const char* option);

// The same for an option whose empty argument means nothing (`-j ''`): a
// UsageError "option '-j/--jail' needs a directory" when `what` is
// "a directory".
void assign_nonempty_once(std::string& value, bool& given, const char* arg, const char* option, const char* what);
void assign_nonempty_once(std::optional<std::string>& value, const char* arg, const char* option, const char* what);

// Tools whose arguments all belong to someone else (a login shell's, the
// procmail wrapper's) answer only a lone --help or --version.
enum class LoneOption { none, help, version };
LoneOption lone_option(const std::vector<std::string>& argv);

}  // namespace jk::cli
