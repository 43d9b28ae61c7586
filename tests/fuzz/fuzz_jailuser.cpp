// jk_jailuser's pure planner. The input is
// "HOST_PASSWD\0HOST_GROUP\0JAIL\0JAIL_PASSWD\0JAIL_GROUP" (JAIL_GROUP
// absent: the jail has no etc/group). Every user of the host passwd is
// planned; the plan must be consistent with what it writes, and applying a
// plan's texts then planning again must change nothing (idempotence).
#include <optional>
#include <string>

#include "jk/jailuser.hpp"
#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace ju = jk::jailuser;
namespace u = jk::users;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const auto host_passwd = u::parse_passwd(jk_fuzz::next_part(input), "passwd", u::Malformed::skip);
    const auto host_group = u::parse_group(jk_fuzz::next_part(input), "group", u::Malformed::skip);
    const std::string jail_raw(jk_fuzz::next_part(input));
    const std::string jail_passwd(jk_fuzz::next_part(input));
    std::optional<std::string> jail_group;
    if (!input.empty()) jail_group = std::string(input);

    tolerate([&] { (void)ju::clean_path(jail_raw); });
    std::string jail = "/home/jail";
    tolerate([&] { jail = ju::clean_path(jail_raw); });
    check(!jail.empty() && jail[0] == '/');
    check(ju::clean_path(jail) == jail);

    const ju::Request req{jail, "/bin/bash", "/usr/sbin/jk_chrootsh"};
    std::size_t n = 0;
    for (const auto& r : host_passwd.records) {
        if (!r.entry || ++n > 8) continue;
        const auto& user = *r.entry;
        tolerate([&] {
            const auto m = ju::map_home(user.home, jail);
            check(!m.inner.empty() && m.inner[0] == '/');
        });
        tolerate([&] {
            const auto plan = ju::plan(user, host_group, req, jail_passwd, jail_group);
            check(plan.user == user.name);
            check(!plan.inner_home.empty() && plan.inner_home[0] == '/');
            check(plan.new_host_home.rfind(jail + "/.", 0) == 0);
            if (plan.move_source) check(*plan.move_source != "/");
            // The jail passwd now holds the user; planning again against it
            // changes neither file.
            const auto after = u::parse_passwd(plan.passwd.text, "jail-passwd");
            check(after.find(user.name) != nullptr);
            std::optional<std::string> group_after = jail_group;
            if (plan.group.changed) group_after = plan.group.text;
            auto moved = user;
            moved.home = plan.new_host_home;
            moved.shell = req.chrootsh;
            const auto again = ju::plan(moved, host_group, req, plan.passwd.text, group_after);
            check(!again.passwd.changed && !again.group.changed);
            check(!again.host_change);
        });
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
