// libjk/procmail: jk_procmailwrapper's decisions, each rule on its own.
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/procmail.hpp"

using jk::privilege::CallerEnvironment;
using jk::procmail::Settings;

namespace {

Settings settings_of(const std::string& text, std::vector<std::string>& warnings) {
    auto ini = jk::config::IniFile::parse(text, "jk_procmailwrapper.ini");
    return jk::procmail::read_settings(ini.find("DEFAULT"), warnings);
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
    for (const auto& e : env)
        if (e == entry) return true;
    return false;
}

bool has_name(const std::vector<std::string>& env, const std::string& name) {
    for (const auto& e : env)
        if (e.rfind(name + "=", 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("procmail read_settings: defaults") {
    std::vector<std::string> w;
    Settings s = jk::procmail::read_settings(nullptr, w);
    CHECK(s.procmail == "/usr/bin/procmail");
    CHECK_FALSE(s.relax_home_owner);
    CHECK(w.empty());
}

TEST_CASE("procmail read_settings: every key, unknown keys warned") {
    std::vector<std::string> w;
    Settings s = settings_of(
        "[DEFAULT]\nprocmail = /usr/local/bin/procmail\nrelax_home_owner = 1\n"
        "relax_home_group = yes\nrelax_home_group_permissions = 1\n"
        "relax_home_other_permissions = on\nbogus = 1\n",
        w);
    CHECK(s.procmail == "/usr/local/bin/procmail");
    CHECK(s.relax_home_owner);
    CHECK(s.relax_home_group);
    CHECK(s.relax_home_group_permissions);
    CHECK(s.relax_home_other_permissions);
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("bogus") != std::string::npos);
    jk::login::Settings ls = jk::procmail::login_settings(s);
    CHECK(ls.relax_home_owner);
    CHECK(ls.relax_home_other_permissions);
    CHECK_FALSE(ls.allow_setuid);
    CHECK_FALSE(ls.skip_injail_passwd_check);
}

TEST_CASE("procmail read_settings: a relative procmail path is refused") {
    std::vector<std::string> w;
    CHECK_THROWS_AS(settings_of("[DEFAULT]\nprocmail = procmail\n", w), jk::ConfigError);
}

TEST_CASE("only a home with /./ is jailed (jailkit took any '.')") {
    CHECK_FALSE(jk::procmail::jailed_home("/home/john.doe"));
    CHECK_FALSE(jk::procmail::jailed_home("/srv/mail.d/v"));
    CHECK_FALSE(jk::procmail::jailed_home("/home/.hidden/x"));
    CHECK_FALSE(jk::procmail::jailed_home("/home/v/."));
    CHECK_FALSE(jk::procmail::jailed_home(""));
    auto j = jk::procmail::jailed_home("/srv/jail/./home/alice");
    REQUIRE(j);
    CHECK(j->jail == "/srv/jail");
    CHECK(j->home == "/home/alice");
    auto dotted = jk::procmail::jailed_home("/srv/jail.d/./home/john.doe");
    REQUIRE(dotted);
    CHECK(dotted->jail == "/srv/jail.d");
    CHECK(dotted->home == "/home/john.doe");
}

TEST_CASE("an unusable /./ home is refused with 17") {
    int code = 0;
    try {
        jk::procmail::jailed_home("/./home/x");
    } catch (const jk::login::Refused& e) {
        code = e.exit_code();
    }
    CHECK(code == 17);
}

TEST_CASE("delivery environment: built from scratch, allow-list only") {
    CallerEnvironment caller({"USER=mallory", "HOME=/root", "LD_PRELOAD=/tmp/evil.so", "IFS=x", "PATH=/tmp",
                              "GCONV_PATH=/tmp", "SHELL=/tmp/sh", "ORIGINAL_RECIPIENT=alice@example.org",
                              "RECIPIENT=alice+box@example.org", "EXTENSION=box", "SENDER=bob@example.net",
                              "LOCAL=alice", "DOMAIN=example.org", "BASH_ENV=/tmp/x", "TZ=UTC", "MESSAGE_ID=<1@x>",
                              "CLIENT_HELO=bad\nline"});
    auto env = jk::procmail::delivery_environment(caller, "alice", "/home/alice");
    CHECK(env[0] == "HOME=/home/alice");
    CHECK(has(env, "USER=alice"));
    CHECK(has(env, "LOGNAME=alice"));
    CHECK(has(env, "SHELL=/bin/sh"));
    CHECK(has(env, "PATH=/usr/local/bin:/usr/bin:/bin"));
    CHECK(has(env, "ORIGINAL_RECIPIENT=alice@example.org"));
    CHECK(has(env, "RECIPIENT=alice+box@example.org"));
    CHECK(has(env, "EXTENSION=box"));
    CHECK(has(env, "SENDER=bob@example.net"));
    CHECK(has(env, "LOCAL=alice"));
    CHECK(has(env, "DOMAIN=example.org"));
    CHECK(has(env, "TZ=UTC"));
    CHECK(has(env, "MESSAGE_ID=<1@x>"));
    for (const char* trap : {"LD_PRELOAD", "IFS", "GCONV_PATH", "BASH_ENV", "CLIENT_HELO"}) {
        INFO(trap);
        CHECK_FALSE(has_name(env, trap));
    }
    CHECK_FALSE(has(env, "USER=mallory"));
    CHECK_FALSE(has(env, "PATH=/tmp"));
    CHECK_FALSE(has(env, "SHELL=/tmp/sh"));
    std::size_t homes = 0;
    for (const auto& e : env) homes += e.rfind("HOME=", 0) == 0;
    CHECK(homes == 1);
}

TEST_CASE("delivery environment: oversized values are left out") {
    CallerEnvironment caller({"SENDER=" + std::string(5000, 'a'), "DOMAIN=" + std::string(4096, 'b')});
    auto env = jk::procmail::delivery_environment(caller, "u", "/h");
    CHECK_FALSE(has_name(env, "SENDER"));
    CHECK(has_name(env, "DOMAIN"));
}

TEST_CASE("procmail argv: the arguments pass through unchanged") {
    CHECK(jk::procmail::procmail_argv("/usr/bin/procmail", {"/usr/bin/jk_procmailwrapper"}) ==
          std::vector<std::string>{"/usr/bin/procmail"});
    CHECK(jk::procmail::procmail_argv("/usr/bin/procmail",
                                      {"jk_procmailwrapper", "-a", "ext", "-d", "alice", "--", "-x", ""}) ==
          std::vector<std::string>{"/usr/bin/procmail", "-a", "ext", "-d", "alice", "--", "-x", ""});
    CHECK(jk::procmail::procmail_argv("/p", {}) == std::vector<std::string>{"/p"});
}
