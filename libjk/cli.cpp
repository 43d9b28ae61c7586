#include "jk/cli.hpp"

#include <string_view>
#include <utility>

#include "jk/error.hpp"

namespace jk::cli {

std::vector<std::string> parse(const std::vector<std::string>& argv, const char* shortopts, const option* longopts,
                               const std::function<void(int code, const char* arg)>& on_option) {
    std::vector<std::string> storage(argv.begin(), argv.end());
    if (storage.empty()) storage.emplace_back("jk");
    std::vector<char*> args;
    args.reserve(storage.size() + 1);
    for (auto& s : storage) args.push_back(s.data());
    args.push_back(nullptr);
    const int argc = static_cast<int>(storage.size());
    // glibc reads the ordering ('+') only as the very first character, and
    // the ':' (report a missing argument as ':') right after it.
    const std::string_view shorts(shortopts);
    const bool in_order = !shorts.empty() && shorts.front() == '+';
    const std::string optstring =
        std::string(in_order ? "+:" : ":") + std::string(in_order ? shorts.substr(1) : shorts);
    const bool question_is_option = std::string_view(shortopts).find('?') != std::string_view::npos;

    // optind = 0 makes glibc reinitialise, so repeated calls start clean;
    // opterr = 0 keeps getopt quiet so that run_main does the reporting.
    optind = 0;
    opterr = 0;
    for (;;) {
        const int c = getopt_long(argc, args.data(), optstring.c_str(), longopts, nullptr);
        if (c == -1) break;
        if (c == '?') {
            // getopt answers '?' both for "-?" and for an unknown option.
            if (question_is_option && (optopt == '?' || std::string_view(args[optind - 1]) == "-?")) {
                on_option('?', nullptr);
                continue;
            }
            if (optopt == 0 || optopt > 255) throw UsageError("unrecognized option " + quoted(args[optind - 1]));
            throw UsageError("invalid option -- " + quoted(std::string(1, static_cast<char>(optopt))));
        }
        if (c == ':') throw UsageError("option " + quoted(args[optind - 1]) + " requires an argument");
        on_option(c, optarg);
    }
    // getopt permuted `args` (not `storage`): the operands now sit at its end.
    return std::vector<std::string>(args.begin() + optind, args.begin() + argc);
}

void assign_once(std::string& value, bool& given, const char* arg, const char* option) {
    if (given && value != arg) throw UsageError(std::string("option '") + option + "' given twice");
    value = arg;
    given = true;
}

void assign_nonempty_once(std::string& value, bool& given, const char* arg, const char* option, const char* what) {
    if (*arg == '\0') throw UsageError(std::string("option '") + option + "' needs " + what);
    assign_once(value, given, arg, option);
}

void assign_nonempty_once(std::optional<std::string>& value, const char* arg, const char* option, const char* what) {
    bool given = value.has_value();
    std::string stored = value.value_or(std::string());
    assign_nonempty_once(stored, given, arg, option, what);
    value = std::move(stored);
}

LoneOption lone_option(const std::vector<std::string>& argv) {
    if (argv.size() == 2) {
        if (argv[1] == "--help") return LoneOption::help;
        if (argv[1] == "--version") return LoneOption::version;
    }
    return LoneOption::none;
}

}  // namespace jk::cli
