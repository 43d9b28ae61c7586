// libjk/login: jk_chrootsh's decisions, each rule on its own.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/jail.hpp"
#include "jk/login.hpp"
#include "tmpjail.hpp"

using jk::login::Account;
using jk::login::Refused;
using jk::login::Settings;

namespace {

Settings settings_of(const std::string& text, std::vector<std::string>& warnings) {
    auto ini = jk::config::IniFile::parse(text, "jk_chrootsh.ini");
    return jk::login::read_settings(ini.find("DEFAULT"), warnings);
}

int refused_with(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Refused& e) {
        return e.exit_code();
    }
    return 0;
}

Account alice() {
    return Account{"alice", 1001, 1001, "/jail/./home/alice", "alice"};
}

}  // namespace

TEST_CASE("read_settings: defaults without a section") {
    std::vector<std::string> w;
    Settings s = jk::login::read_settings(nullptr, w);
    CHECK(s.env.empty());
    CHECK_FALSE(s.relax_home_owner);
    CHECK_FALSE(s.injail_shell);
    CHECK_FALSE(s.allow_setuid);
    CHECK(w.empty());
}

TEST_CASE("read_settings: every key") {
    std::vector<std::string> w;
    Settings s = settings_of(
        "[DEFAULT]\nenv = TERM, PATH ,LANG\nrelax_home_group_permissions = 1\n"
        "relax_home_other_permissions = yes\nrelax_home_group = true\nrelax_home_owner = on\n"
        "injail_shell = /bin/bash\ninjail_login_shell = 1\nskip_injail_passwd_check = 1\n"
        "allow_setuid = 1\n",
        w);
    CHECK(s.env == std::vector<std::string>{"TERM", "PATH", "LANG"});
    CHECK(s.relax_home_group_permissions);
    CHECK(s.relax_home_other_permissions);
    CHECK(s.relax_home_group);
    CHECK(s.relax_home_owner);
    CHECK(s.injail_shell == "/bin/bash");
    CHECK(s.injail_login_shell);
    CHECK(s.skip_injail_passwd_check);
    CHECK(s.allow_setuid);
    CHECK(w.empty());
}

TEST_CASE("read_settings: malformed values are errors, unknown keys warnings") {
    std::vector<std::string> w;
    CHECK_THROWS_AS(settings_of("[DEFAULT]\nrelax_home_owner = maybe\n", w), jk::ConfigError);
    CHECK_THROWS_AS(settings_of("[DEFAULT]\ninjail_shell = bin/sh\n", w), jk::ConfigError);
    settings_of("[DEFAULT]\nrelax_home = 1\n", w);
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("relax_home") != std::string::npos);
    // The C tools' prefix matching is not reproduced: "env" is not "environment".
    w.clear();
    Settings s = settings_of("[DEFAULT]\nenvironment = TERM\n", w);
    CHECK(s.env.empty());
    CHECK(w.size() == 1);
}

TEST_CASE("valid_invocation_name accepts jailkit's four names only") {
    for (const char* ok : {"jk_chrootsh", "-jk_chrootsh", "su", "-su", "/usr/sbin/jk_chrootsh", "/x/y/su"})
        CHECK(jk::login::valid_invocation_name(ok));
    for (const char* bad : {"", "bash", "jk_chrootsh2", "--jk_chrootsh", "sudo", "/usr/sbin/", "jk_chrootsh/"})
        CHECK_FALSE(jk::login::valid_invocation_name(bad));
}

TEST_CASE("shell_environment is built from scratch") {
    jk::privilege::CallerEnvironment caller({"TERM=xterm", "LANG=C", "PATH=/evil", "LD_PRELOAD=/x.so", "IFS=/",
                                             "HOME=/root", "USER=root", "BASH_FUNC_x%%=() { id; }"});
    std::vector<std::string> w;
    Settings s;
    std::vector<std::string> env = jk::login::shell_environment(caller, s, alice(), "/home/alice", "/bin/bash", w);
    CHECK(env == std::vector<std::string>{"HOME=/home/alice", "USER=alice", "USERNAME=alice", "LOGNAME=alice",
                                          "SHELL=/bin/bash", "PATH=/usr/local/bin:/usr/bin:/bin"});
    s.env = {"TERM", "PATH", "LD_PRELOAD", "IFS", "HOME", "USER", "NOT=A NAME", "MISSING", "BASH_FUNC_x%%"};
    env = jk::login::shell_environment(caller, s, alice(), "/home/alice", "/bin/bash", w);
    CHECK(env == std::vector<std::string>{"HOME=/home/alice", "USER=alice", "USERNAME=alice", "LOGNAME=alice",
                                          "SHELL=/bin/bash", "PATH=/evil", "TERM=xterm"});
    CHECK(w.size() == 4);  // LD_PRELOAD, IFS, the bad name, BASH_FUNC_
}

TEST_CASE("shell_environment never passes a TZ or locale that names a file") {
    jk::privilege::CallerEnvironment caller({"TZ=/etc/shadow", "LANG=../../tmp/evil", "LC_ALL=C.UTF-8"});
    std::vector<std::string> w;
    Settings s;
    s.env = {"TZ", "LANG", "LC_ALL"};
    std::vector<std::string> env = jk::login::shell_environment(caller, s, alice(), "/home/alice", "/bin/bash", w);
    CHECK(env == std::vector<std::string>{"HOME=/home/alice", "USER=alice", "USERNAME=alice", "LOGNAME=alice",
                                          "SHELL=/bin/bash", "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8"});
    REQUIRE(w.size() == 2);
    CHECK(w[0].find("TZ") != std::string::npos);
    CHECK(w[1].find("LANG") != std::string::npos);
    jk::privilege::CallerEnvironment zone({"TZ=Europe/Paris"});
    w.clear();
    env = jk::login::shell_environment(zone, s, alice(), "/home/alice", "/bin/bash", w);
    CHECK(env.back() == "TZ=Europe/Paris");
    CHECK(w.empty());
}

TEST_CASE("shell_argv passes the arguments on, --login when asked") {
    Settings s;
    CHECK(jk::login::shell_argv("/bin/bash", {"-jk_chrootsh"}, s) == std::vector<std::string>{"/bin/bash"});
    CHECK(jk::login::shell_argv("/bin/bash", {"jk_chrootsh", "-c", "id; ls"}, s) ==
          std::vector<std::string>{"/bin/bash", "-c", "id; ls"});
    s.injail_login_shell = true;
    CHECK(jk::login::shell_argv("/bin/bash", {"jk_chrootsh", "-c", "id"}, s) ==
          std::vector<std::string>{"/bin/bash", "--login", "-c", "id"});
}

TEST_CASE("check_jail_account: jailkit's in-jail rules and exit codes") {
    auto passwd = jk::users::parse_passwd(
        "root:x:0:0::/root:/bin/bash\nalice:x:1001:1001::/home/alice/:/bin/sh\nbob:x:1002:1001::/home/x:/bin/sh\n"
        "carol:x:1003:1003::/home/carol:/bin/sh\n",
        "J/etc/passwd");
    auto group = jk::users::parse_group("alice:x:1001:\nwrongname:x:1003:\n", "J/etc/group");
    Settings s;
    auto e = jk::login::check_jail_account(passwd, group, alice(), true, "/home/alice", s);
    REQUIRE(e);
    CHECK(e->shell == "/bin/sh");
    CHECK(jk::login::check_jail_account(passwd, group, alice(), false, "/home/alice", s));

    Account dave{"dave", 1004, 1001, "", "alice"};
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, dave, true, "/home/dave", s); }) == 35);
    Account bob_by_uid{"robert", 1002, 1001, "", "alice"};
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, bob_by_uid, false, "/home/x", s); }) == 37);
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, alice(), true, "/home/other", s); }) == 39);
    Account alice_uid2{"alice", 2000, 1001, "", "alice"};
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, alice_uid2, true, "/home/alice", s); }) ==
          35);
    Account carol{"carol", 1003, 1003, "", "carol"};
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, carol, true, "/home/carol", s); }) == 37);
    Account alice_g{"alice", 1001, 1005, "", "alice"};
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, alice_g, true, "/home/alice", s); }) == 35);

    s.skip_injail_passwd_check = true;  // honoured only with injail_shell, as jailkit
    CHECK(refused_with([&] { jk::login::check_jail_account(passwd, group, dave, true, "/home/dave", s); }) == 35);
    s.injail_shell = "/bin/bash";
    CHECK_FALSE(jk::login::check_jail_account(passwd, group, dave, true, "/home/dave", s));
}

TEST_CASE("load_config: trusted directory and file only", "[root]") {
    jk::test::TempJail dir;
    CHECK_FALSE(jk::login::load_config(dir / "missing", "jk_chrootsh.ini"));
    CHECK_FALSE(jk::login::load_config(dir.path(), "jk_chrootsh.ini"));
    jk::test::sh("printf '[DEFAULT]\\nenv = TERM\\n' > " + (dir / "jk_chrootsh.ini"));
    auto ini = jk::login::load_config(dir.path(), "jk_chrootsh.ini");
    REQUIRE(ini);
    CHECK(ini->find("DEFAULT"));
    jk::test::sh("chmod 0664 " + (dir / "jk_chrootsh.ini"));
    CHECK(refused_with([&] { jk::login::load_config(dir.path(), "jk_chrootsh.ini"); }) == 14);
    jk::test::sh("chmod 0644 " + (dir / "jk_chrootsh.ini") + " && chown 65534 " + (dir / "jk_chrootsh.ini"));
    CHECK(refused_with([&] { jk::login::load_config(dir.path(), "jk_chrootsh.ini"); }) == 14);
    jk::test::sh("chown 0 " + (dir / "jk_chrootsh.ini") + " && chmod 0757 " + dir.path());
    CHECK(refused_with([&] { jk::login::load_config(dir.path(), "jk_chrootsh.ini"); }) == 14);
    jk::test::sh("chmod 0775 " + dir.path() + " && chgrp 0 " + dir.path());
    CHECK(jk::login::load_config(dir.path(), "jk_chrootsh.ini"));  // group root may write, as jailkit
    jk::test::sh("chmod 0755 " + dir.path() + " && mkdir " + (dir / "real") + " && ln -s real " + (dir / "link"));
    CHECK(refused_with([&] { jk::login::load_config(dir / "link", "jk_chrootsh.ini"); }) == 14);
    jk::test::sh("printf '[DEFAULT\\n' > " + (dir / "real/jk_chrootsh.ini"));
    CHECK(refused_with([&] { jk::login::load_config(dir / "real", "jk_chrootsh.ini"); }) == 14);
}

TEST_CASE("open_home and open_shell check the opened objects", "[root]") {
    jk::test::TempJail tj;
    jk::test::sh("mkdir -p " + (tj / "home/alice") + " " + (tj / "bin") + " && chown 1001:1001 " + (tj / "home/alice") +
                 " && cp /bin/true " + (tj / "bin/sh") + " && ln -s /bin/sh " + (tj / "bin/link"));
    jk::Jail jail = jk::Jail::open_unchecked(tj.path());
    Settings s;
    CHECK(jk::login::open_home(jail, "/home/alice", alice(), s).valid());
    jk::test::sh("chmod g+w " + (tj / "home/alice"));
    CHECK(refused_with([&] { jk::login::open_home(jail, "/home/alice", alice(), s); }) == 53);
    s.relax_home_group_permissions = true;
    CHECK(jk::login::open_home(jail, "/home/alice", alice(), s).valid());
    CHECK(refused_with([&] { jk::login::open_home(jail, "/home/nobody", alice(), s); }) == 53);
    jk::test::sh("ln -s alice " + (tj / "home/link"));
    CHECK(refused_with([&] { jk::login::open_home(jail, "/home/link", alice(), s); }) == 53);

    CHECK(jk::login::open_shell(jail, "/bin/sh", s).valid());
    CHECK(jk::login::open_shell(jail, "/bin/link", s).valid());  // resolved inside the jail
    CHECK(refused_with([&] { jk::login::open_shell(jail, "/bin/none", s); }) == 111);
    CHECK(refused_with([&] { jk::login::open_shell(jail, "bin/sh", s); }) == 111);
    jk::test::sh("chmod 4755 " + (tj / "bin/sh"));
    CHECK(refused_with([&] { jk::login::open_shell(jail, "/bin/sh", s); }) == 53);
    s.allow_setuid = true;
    CHECK(jk::login::open_shell(jail, "/bin/sh", s).valid());
    jk::test::sh("chmod 0775 " + (tj / "bin/sh"));
    CHECK(refused_with([&] { jk::login::open_shell(jail, "/bin/sh", s); }) == 53);
    jk::test::sh("chmod 0755 " + (tj / "bin/sh") + " && chmod 0777 " + (tj / "bin"));
    CHECK(refused_with([&] { jk::login::open_shell(jail, "/bin/sh", s); }) == 53);
    jk::test::sh("chmod 0755 " + (tj / "bin") + " && chown 1001 " + (tj / "bin/sh"));
    CHECK(refused_with([&] { jk::login::open_shell(jail, "/bin/sh", s); }) == 53);
}
