#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/landlock.hpp"
#include "jk/lsh_system.hpp"

using jk::lsh::git_exec_allowlist;
using jk::lsh::has_loader_variables;

TEST_CASE("has_loader_variables: LD_* and glibc's unsafe names", "[lsh]") {
    CHECK(has_loader_variables({"HOME=/x", "LD_PRELOAD=/tmp/x.so"}));
    CHECK(has_loader_variables({"LD_LIBRARY_PATH="}));
    CHECK(has_loader_variables({"GCONV_PATH=/x"}));
    CHECK_FALSE(has_loader_variables({"HOME=/x", "OLD_PWD=/", "TERM=xterm"}));
    CHECK_FALSE(has_loader_variables({}));
}

TEST_CASE("git_exec_allowlist: the program, git's exec dirs, the interpreter from PT_INTERP", "[lsh]") {
    const std::vector<std::string> a = git_exec_allowlist("/usr/bin/git");
    auto has = [&](const std::string& p) { return std::find(a.begin(), a.end(), p) != a.end(); };
    CHECK(has("/usr/bin/git"));
    CHECK(has("/usr/lib/git-core"));
    // Debian's git is a dynamic PIE: its interpreter must be executable too.
    CHECK(
        std::any_of(a.begin(), a.end(), [](const std::string& p) { return p.find("ld-linux") != std::string::npos; }));
    CHECK_THROWS(git_exec_allowlist("/nonexistent/git"));
}

TEST_CASE("landlock: this kernel offers an ABI jk_lsh can use", "[lsh]") {
    // The git confinement fails closed without it; the CI machine has it.
    CHECK(jk::landlock::abi_version() >= 2);
}
