#include "jk/lsh_command.hpp"

#include <wordexp.h>

#include <cstdio>

#include "jk/text.hpp"

namespace jk::lsh {

namespace {

using Status = SplitResult::Status;

SplitResult refuse(Status st, std::string reason) {
    SplitResult r;
    r.status = st;
    r.reason = std::move(reason);
    return r;
}

std::string at(std::size_t pos) {
    return " at offset " + std::to_string(pos);
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// Characters that end a simple command, redirect, or start a subshell or
// substitution when they appear unquoted.
bool is_unquoted_meta(char c) {
    switch (c) {
        case ';':
        case '|':
        case '&':
        case '<':
        case '>':
        case '`':
        case '(':
        case ')':
        case '\n': return true;
        default: return false;
    }
}

std::string describe(char c) {
    if (c == '\n') return "a newline";
    return std::string("'") + c + "'";
}

}  // namespace

SplitResult split_command(std::string_view s) {
    SplitResult r;
    std::string word;
    bool in_word = false;  // '' makes an empty word, so "started" is tracked apart from the text
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto finish_word = [&] {
        if (in_word) r.words.push_back(std::move(word));
        word.clear();
        in_word = false;
    };
    while (i < n) {
        const char c = s[i];
        if (is_blank(c)) {
            finish_word();
            ++i;
        } else if (c == '\\') {
            if (i + 1 == n) return refuse(Status::malformed, "trailing backslash");
            if (s[i + 1] != '\n') {  // backslash-newline is a line continuation: both vanish
                word += s[i + 1];
                in_word = true;
            }
            i += 2;
        } else if (c == '\'') {
            const std::size_t end = s.find('\'', i + 1);
            if (end == std::string_view::npos) return refuse(Status::malformed, "unterminated single quote" + at(i));
            word.append(s.substr(i + 1, end - i - 1));
            in_word = true;
            i = end + 1;
        } else if (c == '"') {
            const std::size_t open = i++;
            in_word = true;
            for (;;) {
                if (i == n) return refuse(Status::malformed, "unterminated double quote" + at(open));
                const char d = s[i];
                if (d == '"') {
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < n) {
                    const char e = s[i + 1];
                    if (e == '"' || e == '\\' || e == '$' || e == '`') {
                        word += e;
                        i += 2;
                        continue;
                    }
                    if (e == '\n') {
                        i += 2;
                        continue;
                    }
                    word += d;  // any other backslash stays, as in sh
                    ++i;
                    continue;
                }
                // A shell expands these inside double quotes too.
                if (d == '`') return refuse(Status::forbidden, "command substitution '`'" + at(i));
                if (d == '$' && i + 1 < n && (s[i + 1] == '(' || s[i + 1] == '{'))
                    return refuse(Status::forbidden, std::string("expansion '$") + s[i + 1] + "'" + at(i));
                word += d;
                ++i;
            }
        } else if (c == '$' && i + 1 < n && (s[i + 1] == '(' || s[i + 1] == '{')) {
            return refuse(Status::forbidden, std::string("expansion '$") + s[i + 1] + "'" + at(i));
        } else if (is_unquoted_meta(c)) {
            return refuse(Status::forbidden, "shell metacharacter " + describe(c) + at(i));
        } else {
            word += c;
            in_word = true;
            ++i;
        }
    }
    finish_word();
    return r;
}

SplitResult expand_command(const std::string& line) {
    // wordfree must run whatever happens after a call that filled we (also
    // for WRDE_NOSPACE, which may leave a partial result).
    struct Words {
        wordexp_t we{};
        bool filled = false;
        ~Words() {
            if (filled) ::wordfree(&we);
        }
    } w;
    const int rc = ::wordexp(line.c_str(), &w.we, WRDE_NOCMD);
    w.filled = rc == 0 || rc == WRDE_NOSPACE;
    switch (rc) {
        case 0: break;
        case WRDE_CMDSUB: return refuse(Status::malformed, "command substitution not allowed");
        case WRDE_BADCHAR:
            return refuse(Status::malformed, "unquoted shell metacharacter (one of | & ; < > ( ) { } newline)");
        case WRDE_SYNTAX: return refuse(Status::malformed, "shell syntax error (unbalanced quotes?)");
        case WRDE_BADVAL: return refuse(Status::malformed, "undefined variable");
        case WRDE_NOSPACE: return refuse(Status::malformed, "out of memory while expanding");
        default: return refuse(Status::malformed, "word expansion failed (" + std::to_string(rc) + ")");
    }
    SplitResult r;
    for (std::size_t k = 0; k < w.we.we_wordc; ++k) r.words.emplace_back(w.we.we_wordv[k]);
    return r;
}

}  // namespace jk::lsh
