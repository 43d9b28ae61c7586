#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace u = jk::users;

JK_FUZZ_TARGET({
    auto passwd = u::parse_passwd(input, "passwd", u::Malformed::skip);
    // What render() writes must parse back strictly.
    (void)u::parse_passwd(u::render(passwd), "passwd-rendered");
    auto group = u::parse_group(input, "group", u::Malformed::skip);
    (void)u::parse_group(u::render(group), "group-rendered");
    (void)u::parse_shadow(input, "shadow", u::Malformed::skip);
    try {
        (void)u::split_jail_home(input);
    } catch (const jk::Error&) {
    }
})
