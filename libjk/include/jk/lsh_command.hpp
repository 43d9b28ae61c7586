// jk_lsh's command line: the string sshd hands the user's shell with "-c",
// turned into an argv without ever running a shell.
//
// Two modes (COMPAT.md 2.4; jk_lsh(8)):
//  - split_command: POSIX sh word splitting and quote removal, and nothing
//    else. Blanks (space, tab) separate words; '...' is literal; "..." keeps
//    everything but \" \\ \$ \` and backslash-newline, which it unescapes;
//    a backslash outside quotes takes the next character literally
//    (backslash-newline is removed, as in sh). Anything a shell would read as
//    more than one simple command or as an expansion is REFUSED instead of
//    being passed on literally: unquoted ; | & < > ` ( ) and newline, and
//    $( ${ ` anywhere a shell would expand them (also inside "..."). We never
//    run a shell, so a command that means something else to one is an
//    attempt to get past the rules or a mistake; either way it is refused.
//  - expand_command: glibc wordexp(3) with WRDE_NOCMD (no command
//    substitution, jailkit's W7), for allow_word_expansion = 1.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jk::lsh {

struct SplitResult {
    enum class Status {
        ok,
        forbidden,  // shell syntax we refuse (metacharacter, substitution)
        malformed,  // unterminated quote, trailing backslash, expansion error
    };
    Status status = Status::ok;
    std::vector<std::string> words;  // when ok (may be empty: blank command)
    std::string reason;              // when not ok: what and where, for the log
};

// Splits the command line `s`. Pure; never throws except std::bad_alloc. Any length.
SplitResult split_command(std::string_view s);

// wordexp(line, WRDE_NOCMD), with wordfree guaranteed. Uses the process
// environment ($VAR) and the file system (globs, ~user), so it is not pure.
// Command substitution ($(...) or `...`) and every other wordexp error give
// Status::malformed with wordexp's reason.
SplitResult expand_command(const std::string& line);

}  // namespace jk::lsh
