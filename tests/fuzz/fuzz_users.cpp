// passwd/group/shadow lines: parse (lenient and strict), render round
// trips, merging host entries into a jail file, and the "/./" home split.
// The input is "JAIL_TEXT\0HOST_TEXT": the host text's entries are merged
// into the jail text (both also parsed as every format).
#include <string>
#include <vector>

#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace u = jk::users;
using jk_fuzz::check;
using jk_fuzz::tolerate;

template <class E>
std::vector<E> entries_of(const u::Table<E>& t) {
    std::vector<E> out;
    for (const auto& r : t.records)
        if (r.entry) out.push_back(*r.entry);
    return out;
}

void one_input(std::string_view input) {
    const std::string_view jail_text = jk_fuzz::next_part(input);
    const std::string_view host_text = input;

    auto passwd = u::parse_passwd(jail_text, "passwd", u::Malformed::skip);
    // What render() writes must parse back strictly, to the same entries.
    tolerate([&] {
        const auto again = u::parse_passwd(u::render(passwd), "passwd-rendered");
        check(entries_of(again).size() == entries_of(passwd).size());
    });
    auto group = u::parse_group(jail_text, "group", u::Malformed::skip);
    tolerate([&] { (void)u::parse_group(u::render(group), "group-rendered"); });
    auto shadow = u::parse_shadow(jail_text, "shadow", u::Malformed::skip);
    tolerate([&] { (void)u::parse_shadow(u::render(shadow), "shadow-rendered"); });

    const auto host_passwd = u::parse_passwd(host_text, "host-passwd", u::Malformed::skip);
    const auto host_group = u::parse_group(host_text, "host-group", u::Malformed::skip);
    const auto host_shadow = u::parse_shadow(host_text, "host-shadow", u::Malformed::skip);
    tolerate([&] {
        const auto add = entries_of(host_passwd);
        const auto m = u::merge_passwd(jail_text, "jail-passwd", add);
        if (!m.changed) return;
        // Every added name is in the result, and merging again changes nothing.
        const auto merged = u::parse_passwd(m.text, "merged");
        for (const auto& e : add) check(merged.find(e.name) != nullptr);
        check(!u::merge_passwd(m.text, "jail-passwd", add).changed);
    });
    tolerate([&] {
        std::vector<u::Membership> members;
        for (const auto& e : entries_of(host_passwd)) members.push_back({e.name, e.name});
        const auto add = entries_of(host_group);
        const auto m = u::merge_group(jail_text, "jail-group", add, members);
        check(!u::merge_group(m.text, "jail-group", add, members).changed);
    });
    tolerate([&] {
        const auto m = u::merge_shadow(jail_text, "jail-shadow", entries_of(host_shadow));
        check(!u::merge_shadow(m.text, "jail-shadow", entries_of(host_shadow)).changed);
    });
    for (const auto& e : entries_of(host_passwd)) {
        tolerate([&] {
            const auto split = u::split_jail_home(e.home);
            if (!split) return;
            check(!split->jail.empty() && split->jail[0] == '/' && split->jail != "/");
            check(!split->home.empty() && split->home[0] == '/');
        });
        tolerate([&] { u::validate_name(e.name); });
    }
    tolerate([&] { (void)u::split_jail_home(host_text); });
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
