// jk_chrootsh's pure rules. The input is
// "INI\0USER\0HOST_HOME\0JAIL_PASSWD\0JAIL_GROUP\0ENV\0ENV...":
// jk_chrootsh.ini's section for the user is read (read_settings), the
// caller's environment filtered (shell_environment: nothing that steers the
// loader or a shell may pass) and the jail's passwd/group judged against
// the host account (check_jail_account), looked up by name and by uid.
#include <string>
#include <vector>

#include "jk/config.hpp"
#include "jk/login.hpp"
#include "jk/privilege.hpp"
#include "jk/users.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace lg = jk::login;
namespace u = jk::users;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const std::string_view ini_text = jk_fuzz::next_part(input);
    const std::string user(jk_fuzz::next_part(input));
    const std::string host_home(jk_fuzz::next_part(input));
    const std::string_view jail_passwd = jk_fuzz::next_part(input);
    const std::string_view jail_group = jk_fuzz::next_part(input);
    std::vector<std::string> env;
    if (!input.empty()) env = jk_fuzz::split_nul(input);

    (void)lg::valid_invocation_name(user);
    lg::Account who{user.empty() ? "alice" : user, 1000, 1000, host_home, "users"};

    lg::Settings s;
    std::vector<std::string> warnings;
    tolerate([&] {
        const auto ini = jk::config::IniFile::parse(ini_text, "jk_chrootsh.ini");
        s = lg::read_settings(ini.select_for_user(who.name, who.group_name), warnings);
    });
    (void)lg::read_settings(nullptr, warnings);

    std::string inner = host_home;
    tolerate([&] {
        if (auto split = u::split_jail_home(host_home)) inner = split->home;
    });
    const std::string shell = s.injail_shell.value_or("/bin/sh");
    const auto out = lg::shell_environment(jk::privilege::CallerEnvironment(env), s, who, inner, shell, warnings);
    for (const auto& e : out) {
        const auto eq = e.find('=');
        check(eq != std::string::npos && eq > 0);
        const std::string name = e.substr(0, eq);
        check(name.rfind("LD_", 0) != 0);
        check(name != "IFS" && name != "BASH_ENV" && name != "ENV" && name != "GCONV_PATH" && name != "LOCPATH" &&
              name != "SHELLOPTS" && name != "BASHOPTS");
    }
    const auto argv = lg::shell_argv(shell, env, s);
    check(!argv.empty() && argv[0] == shell);

    const auto passwd = u::parse_passwd(jail_passwd, "jail-passwd", u::Malformed::skip);
    const auto group = u::parse_group(jail_group, "jail-group", u::Malformed::skip);
    for (bool by_name : {true, false}) {
        tolerate([&] {
            const auto e = lg::check_jail_account(passwd, group, who, by_name, inner, s);
            if (!e) return;
            // Whatever is accepted is the same user.
            check(e->uid == who.uid && e->gid == who.gid);
            check(e->name == who.name);
        });
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
