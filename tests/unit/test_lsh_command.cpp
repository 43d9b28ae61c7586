#include <cstdlib>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/lsh_command.hpp"

using jk::lsh::expand_command;
using jk::lsh::split_command;
using jk::lsh::SplitResult;
using Status = SplitResult::Status;
using Words = std::vector<std::string>;

namespace {
Words words(const std::string& line) {
    SplitResult r = split_command(line);
    INFO("line: " << line << " reason: " << r.reason);
    REQUIRE(r.status == Status::ok);
    return r.words;
}
Status status(const std::string& line) {
    return split_command(line).status;
}
}  // namespace

TEST_CASE("split_command: blanks separate words, no expansion", "[lsh]") {
    CHECK(words("ls -l /tmp") == Words{"ls", "-l", "/tmp"});
    CHECK(words("  ls\t\t-l   ") == Words{"ls", "-l"});
    CHECK(words("") == Words{});
    CHECK(words("   \t ") == Words{});
    // No expansion of any kind: variables, globs, tildes stay literal.
    CHECK(words("echo $HOME *.txt ~ ~root a?b [x]") == Words{"echo", "$HOME", "*.txt", "~", "~root", "a?b", "[x]"});
    CHECK(words("a#b # c") == Words{"a#b", "#", "c"});
}

TEST_CASE("split_command: single quotes, double quotes, backslashes", "[lsh]") {
    CHECK(words("echo 'a b' 'x\"y'") == Words{"echo", "a b", "x\"y"});
    CHECK(words("echo '$(id)' '`id`' ';|&<>'") == Words{"echo", "$(id)", "`id`", ";|&<>"});
    CHECK(words("echo \"a b\" \"q\\\"q\" \"b\\\\s\" \"d\\$x\" \"t\\`x\"") ==
          Words{"echo", "a b", "q\"q", "b\\s", "d$x", "t`x"});
    // Inside "...", other backslashes stay.
    CHECK(words("echo \"a\\nb\"") == Words{"echo", "a\\nb"});
    // A plain $VAR in double quotes is literal text here.
    CHECK(words("echo \"$HOME\"") == Words{"echo", "$HOME"});
    CHECK(words("a\\ b c\\;d \\'e") == Words{"a b", "c;d", "'e"});
    CHECK(words("x'a'\"b\"c") == Words{"xabc"});
    // Empty quoted words are words.
    CHECK(words("a '' \"\" b") == Words{"a", "", "", "b"});
    // Backslash-newline is a line continuation, outside and inside "...".
    CHECK(words("ab\\\ncd") == Words{"abcd"});
    CHECK(words("\"ab\\\ncd\"") == Words{"abcd"});
    // Quoted newlines and metacharacters are data.
    CHECK(words("echo 'a\nb' \"c\nd\" \"e;f|g\"") == Words{"echo", "a\nb", "c\nd", "e;f|g"});
    // rsync's own escaping of a file name with a blank.
    CHECK(words("rsync --server -vlogDtpre.iLsfxCIvu . my\\ dir/") ==
          Words{"rsync", "--server", "-vlogDtpre.iLsfxCIvu", ".", "my dir/"});
}

TEST_CASE("split_command: refuses shell syntax instead of passing it on", "[lsh]") {
    for (const char* line : {"ls; id", "ls;id", "ls | id", "ls || id", "ls & id", "ls && id", "ls > x", "ls < x",
                             "ls >> x", "ls `id`", "ls $(id)", "ls ${HOME}", "ls\nid", "ls (x)", "ls )",
                             "echo \"$(id)\"", "echo \"`id`\"", "echo \"${X}\"", "echo a\\$(id)"}) {
        INFO(line);
        SplitResult r = split_command(line);
        CHECK(r.status == Status::forbidden);
        CHECK_FALSE(r.reason.empty());
        CHECK(r.words.empty());
    }
    CHECK(split_command("ls\nid").reason.find("newline") != std::string::npos);
    CHECK(split_command("ls; id").reason.find("';'") != std::string::npos);
}

TEST_CASE("split_command: unterminated quotes and a trailing backslash are malformed", "[lsh]") {
    CHECK(status("echo 'abc") == Status::malformed);
    CHECK(status("echo \"abc") == Status::malformed);
    CHECK(status("echo \"abc\\\"") == Status::malformed);
    CHECK(status("echo abc\\") == Status::malformed);
    CHECK(status("'") == Status::malformed);
    CHECK(split_command("echo 'abc").reason.find("unterminated single quote") != std::string::npos);
}

TEST_CASE("split_command: very long command lines are handled whole", "[lsh]") {
    const std::string big(100 * 1024, 'a');
    CHECK(words("echo " + big) == Words{"echo", big});
    CHECK(words("echo '" + big + " " + big + "'") == Words{"echo", big + " " + big});
    std::string many = "echo";
    for (int i = 0; i < 20000; ++i) many += " w" + std::to_string(i);
    const Words w = words(many);
    REQUIRE(w.size() == 20001);
    CHECK(w.back() == "w19999");
    // A metacharacter at the very end of a long line is still seen.
    CHECK(status("echo " + big + ";") == Status::forbidden);
}

TEST_CASE("expand_command: wordexp without command substitution", "[lsh]") {
    ::setenv("JK_LSH_TEST_VAR", "one two", 1);
    SplitResult r = expand_command("echo $JK_LSH_TEST_VAR \"$JK_LSH_TEST_VAR\" 'a b'");
    REQUIRE(r.status == Status::ok);
    CHECK(r.words == Words{"echo", "one", "two", "one two", "a b"});
    ::unsetenv("JK_LSH_TEST_VAR");

    for (const char* line : {"echo $(id)", "echo `id`", "echo \"$(id)\"", "echo $(echo x)"}) {
        INFO(line);
        SplitResult s = expand_command(line);
        CHECK(s.status == Status::malformed);
        CHECK(s.reason == "command substitution not allowed");
        CHECK(s.words.empty());
    }
    CHECK(expand_command("ls; id").status == Status::malformed);
    CHECK(expand_command("ls | id").status == Status::malformed);
    CHECK(expand_command("echo 'abc").status == Status::malformed);
    // Quoting and ~ are expanded.
    SplitResult t = expand_command("echo ~root");
    REQUIRE(t.status == Status::ok);
    CHECK(t.words.size() == 2);
    CHECK(t.words[1] != "~root");
}
