#include <string>
#include <vector>

#include "jk_cp/cli.hpp"
#include "tests/fuzz/fuzz_common.hpp"

// The input is argv, words separated by NUL bytes.
JK_FUZZ_TARGET({
    std::vector<std::string> argv{"jk_cp"};
    std::string word;
    for (char c : input) {
        if (c == '\0') {
            argv.push_back(word);
            word.clear();
        } else {
            word += c;
        }
    }
    argv.push_back(word);
    (void)jk_cp::parse_args(argv);
})
