// jk_check's pure parts that take file contents. The input is
// "JK_CHECK_INI\0HOST_PASSWD\0JAIL_PASSWD\0POSITIONAL...": the jails to
// check are selected from the ini, the host passwd's "/./" homes and the
// positional jails; each is compared with the jail's passwd both ways; the
// ignore lists are matched against the file names; findings go to JSON.
#include <optional>
#include <string>
#include <vector>

#include "jk/check.hpp"
#include "jk/config.hpp"
#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace ck = jk::check;
namespace u = jk::users;
using jk_fuzz::check;
using jk_fuzz::tolerate;

bool clean(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

void one_input(std::string_view input) {
    const std::string_view ini_text = jk_fuzz::next_part(input);
    const auto host = u::parse_passwd(jk_fuzz::next_part(input), "passwd", u::Malformed::skip);
    const std::string_view jail_passwd_text = jk_fuzz::next_part(input);
    std::vector<std::string> positional;
    if (!input.empty()) positional = jk_fuzz::split_nul(input);

    std::optional<jk::config::IniFile> ini;
    tolerate([&] { ini = jk::config::IniFile::parse(ini_text, "jk_check.ini"); });
    for (const auto& j : ck::jails_from_passwd(host)) check(!j.empty() && j[0] == '/' && j != "/");

    std::vector<std::string> warnings;
    std::vector<ck::Target> targets;
    tolerate([&] { targets = ck::select_targets(ini ? &*ini : nullptr, positional, host, "/root", warnings); });
    tolerate([&] { targets = ck::select_targets(ini ? &*ini : nullptr, {}, host, "/", warnings); });
    std::optional<u::PasswdFile> jail_passwd;
    tolerate([&] { jail_passwd = u::parse_passwd(jail_passwd_text, "jail-passwd"); });

    std::vector<ck::JailReport> reports;
    std::size_t n = 0;
    for (const auto& t : targets) {
        if (++n > 8) break;
        check(!t.jail.empty() && t.jail[0] == '/');
        ck::JailReport rep;
        rep.jail = t.jail;
        rep.findings = ck::compare_passwd(t.jail, jail_passwd, host);
        for (const auto& f : rep.findings) check(clean(f.message));
        for (const auto& p : positional) {
            (void)ck::path_ignored(t.ignores.everywhere, p);
            (void)ck::exactly_ignored(t.ignores.setuid_user, p);
            check(clean(ck::shown(p)));
        }
        reports.push_back(std::move(rep));
    }
    auto json = ck::to_json(reports);
    check(!json.empty() && json.back() == '\n');
    json.pop_back();
    check(clean(json));
    check(clean(ck::json_escape(ini_text)));
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
