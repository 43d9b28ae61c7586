// Jail path handling: path::components, split_leaf, normalize_absolute and
// the "/./" home split (users::split_jail_home), with the invariants the
// jail code relies on.
#include "jk/jail.hpp"
#include "jk/path.hpp"
#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    for (const auto& c : jk::path::components(input)) check(!c.empty() && c.find('/') == std::string::npos);
    tolerate([&] {
        auto split = jk::split_leaf(input);
        check(split.leaf.find('/') == std::string::npos && split.leaf != "..");
    });
    tolerate([&] {
        const auto home = jk::users::split_jail_home(input);
        if (!home) return;
        // Both parts are clean absolute paths; the jail is never "/".
        check(!home->jail.empty() && home->jail != "/" && home->jail[0] == '/');
        check(!home->home.empty() && home->home[0] == '/');
        for (const auto& c : jk::path::components(home->jail)) check(c != ".." && c != ".");
        for (const auto& c : jk::path::components(home->home)) check(c != ".." && c != ".");
    });
    const std::string norm = jk::normalize_absolute(input);
    // Normalised paths are absolute, have no "." or ".." and are fixed points.
    check(!norm.empty() && norm[0] == '/' && jk::normalize_absolute(norm) == norm);
    for (const auto& c : jk::path::components(norm)) check(c != ".." && c != ".");
    if (norm != "/") (void)jk::path::parent_of(norm);
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
