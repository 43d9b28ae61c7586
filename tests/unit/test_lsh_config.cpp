#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/lsh_config.hpp"

using namespace jk::lsh;
using Strings = std::vector<std::string>;

namespace {

jk::config::IniFile ini(const std::string& text) {
    return jk::config::IniFile::parse(text, "/etc/jailkit/jk_lsh.ini");
}

const User alice{"alice", 1001, "/home/alice", "/usr/sbin/jk_lsh", "users"};

// A fake file system: these paths exist as regular files.
FileTest files(std::set<std::string> existing) {
    return [existing = std::move(existing)](const std::string& p) { return existing.count(p) > 0; };
}

const FileTest fs = files({"/usr/bin/id", "/usr/bin/rsync", "/bin/ls", "/usr/bin/env", "/usr/lib/openssh/sftp-server",
                           "/usr/bin/git-upload-pack", "/usr/bin/scp", "/bin/sh", "/usr/bin/find"});

const std::string base =
    "[DEFAULT]\npaths = /usr/bin, /bin\n"
    "executables = /usr/bin/id, /usr/bin/rsync, /bin/ls, /usr/bin/env, "
    "/usr/lib/openssh/sftp-server, /usr/bin/git-upload-pack, /usr/bin/scp, /usr/bin/find\n";

Decision run(const std::string& text, const std::string& cmd, const Strings& env = {}, const User& u = alice) {
    return decide(ini(text), u, cmd, env, fs);
}

std::string env_value(const Strings& env, const std::string& name) {
    for (const auto& e : env)
        if (e.rfind(name + "=", 0) == 0) return e.substr(name.size() + 1);
    return "<unset>";
}

}  // namespace

TEST_CASE("lexical path checks", "[lsh]") {
    CHECK(is_clean_absolute("/usr/bin/id"));
    CHECK(is_clean_absolute("/x"));
    for (const char* p : {"/usr/bin//id", "/usr/bin/../../bin/sh", "/usr/./bin/id", "/usr/bin/", "/", "//usr/bin/id",
                          "/usr/bin/.", "/usr/bin/..", "usr/bin/id", ""}) {
        INFO(p);
        CHECK_FALSE(is_clean_absolute(p));
    }
    CHECK(has_dotdot("../x"));
    CHECK(has_dotdot("a/../x"));
    CHECK(has_dotdot(".."));
    CHECK_FALSE(has_dotdot("a..b/x.."));
}

TEST_CASE("resolve_executable: absolute, relative via paths, never $PATH", "[lsh]") {
    const Strings paths{"/usr/local/bin", "/usr/bin/", "/bin"};
    CHECK(resolve_executable("/usr/bin/id", paths, fs).path == std::string("/usr/bin/id"));
    CHECK(resolve_executable("id", paths, fs).path == std::string("/usr/bin/id"));
    CHECK(resolve_executable("ls", paths, fs).path == std::string("/bin/ls"));
    CHECK(resolve_executable("bin/id", {"/usr"}, fs).path == std::string("/usr/bin/id"));
    CHECK(resolve_executable("usr/bin/id", {"/"}, fs).path == std::string("/usr/bin/id"));
    // Order of paths matters.
    auto both = files({"/a/x", "/b/x"});
    CHECK(resolve_executable("x", {"/b", "/a"}, both).path == std::string("/b/x"));
    CHECK_FALSE(resolve_executable("/usr/bin/../../bin/sh", paths, fs).path);
    CHECK_FALSE(resolve_executable("/usr/bin//id", paths, fs).path);
    CHECK_FALSE(resolve_executable("/usr/bin/nothere", paths, fs).path);
    CHECK_FALSE(resolve_executable("../bin/sh", paths, fs).path);
    CHECK_FALSE(resolve_executable("bin/../bin/sh", {"/"}, fs).path);
    CHECK_FALSE(resolve_executable("id", {}, fs).path);
    CHECK_FALSE(resolve_executable("", paths, fs).path);
    // Relative paths entries would be relative to the user's cwd: skipped.
    auto rel = files({"usr/bin/id"});
    CHECK_FALSE(resolve_executable("id", {"usr/bin"}, rel).path);
}

TEST_CASE("decide: allowed commands run with argv as split", "[lsh]") {
    Decision d = run(base, "id -u");
    CHECK(d.exit_code == exit_ok);
    CHECK(d.path == "/usr/bin/id");
    CHECK(d.argv == Strings{"id", "-u"});
    CHECK(d.message == "executing command 'id -u' for user alice (1001)");
    CHECK(d.umask == 022);
    d = run(base, "/usr/lib/openssh/sftp-server");
    CHECK(d.exit_code == exit_ok);
    CHECK(d.path == "/usr/lib/openssh/sftp-server");
    d = run(base, "rsync --server -vlogDtpre.iLsfxCIvu . dest");
    CHECK(d.exit_code == exit_ok);
    CHECK(d.argv == Strings{"rsync", "--server", "-vlogDtpre.iLsfxCIvu", ".", "dest"});
    d = run(base, "scp -t /home/alice");
    CHECK(d.exit_code == exit_ok);
    d = run(base, "git-upload-pack '/home/u/repo.git'");
    CHECK(d.exit_code == exit_ok);
    CHECK(d.argv == Strings{"git-upload-pack", "/home/u/repo.git"});
}

TEST_CASE("decide: refusals and their exit codes", "[lsh]") {
    Decision d = run(base, "sh -c id");
    CHECK(d.exit_code == exit_not_allowed);
    CHECK(d.message ==
          "WARNING: user alice (1001) tried to run '/bin/sh', which is not allowed according to "
          "/etc/jailkit/jk_lsh.ini");
    CHECK(run(base, "/usr/bin/../../bin/sh").exit_code == exit_not_allowed);
    CHECK(run(base, "/usr/bin//id").exit_code == exit_not_allowed);
    CHECK(run(base, "nothere").exit_code == exit_not_allowed);
    CHECK(run(base, "").exit_code == exit_not_allowed);
    CHECK(run(base, "id; sh").exit_code == exit_not_allowed);
    CHECK(run(base, "id | sh").exit_code == exit_not_allowed);
    CHECK(run(base, "id $(sh)").exit_code == exit_not_allowed);
    CHECK(run(base, "id `sh`").exit_code == exit_not_allowed);
    CHECK(run(base, "id\nsh").exit_code == exit_not_allowed);
    CHECK(run(base, "id 'x").exit_code == exit_expansion);
    d = run(base, "rsync -e sh x:y z");
    CHECK(d.exit_code == exit_not_allowed);
    CHECK(d.message.find("argument rules") != std::string::npos);
    d = run(base, "rsync --server --rsh=sh . x");
    CHECK(d.exit_code == exit_not_allowed);
    CHECK(d.message.find("'--rsh=sh'") != std::string::npos);
    CHECK(run(base, "find . -exec sh {} +").exit_code == exit_not_allowed);
    // No executables key: 5. No section: 3. Bad value: 1.
    CHECK(run("[DEFAULT]\npaths = /usr/bin\n", "id").exit_code == exit_no_executables);
    CHECK(run("[bob]\nexecutables = /usr/bin/id\n", "id").exit_code == exit_section);
    CHECK(run("[DEFAULT]\nexecutables = /usr/bin/id\numask = 099\n", "/usr/bin/id").exit_code == exit_config);
    CHECK(run("[DEFAULT]\nexecutables = /usr/bin/id\nallow_word_expansion = perhaps\n", "/usr/bin/id").exit_code ==
          exit_config);
    CHECK(run(base + "[arguments find]\nallow_options = x\nrsync_capabilities = maybe\n", "find .").exit_code ==
          exit_config);
}

TEST_CASE("decide: section selection user > group > DEFAULT, no merging", "[lsh]") {
    const std::string text =
        "[DEFAULT]\nexecutables = /bin/ls\n"
        "[group users]\nexecutables = /usr/bin/env\n"
        "[alice]\nexecutables = /usr/bin/id\n"
        "[arguments alice]\ndeny = x\n";
    CHECK(run(text, "/usr/bin/id").exit_code == exit_ok);
    CHECK(run(text, "/bin/ls").exit_code == exit_not_allowed);
    const User bob{"bob", 1002, "/home/bob", "/usr/sbin/jk_lsh", "users"};
    CHECK(run(text, "/usr/bin/env", {}, bob).exit_code == exit_ok);
    CHECK(run(text, "/usr/bin/id", {}, bob).exit_code == exit_not_allowed);
    const User carol{"carol", 1003, "/home/carol", "/usr/sbin/jk_lsh", "staff"};
    CHECK(run(text, "/bin/ls", {}, carol).exit_code == exit_ok);
    // A user named like a rule section cannot exist (a space), so a rules
    // section is never chosen for a user.
    const User arg{"arguments", 1004, "/", "/bin/false", "arguments"};
    CHECK(run(text, "/bin/ls", {}, arg).exit_code == exit_ok);
}

TEST_CASE("decide: umask is 022 unless the section sets one", "[lsh]") {
    CHECK(run(base, "id").umask == 022);
    CHECK(run(base + "umask = 077\n", "id").umask == 077);
    CHECK(run(base + "umask = 0\n", "id").umask == 0);
}

TEST_CASE("decide: word expansion mode uses the expander", "[lsh]") {
    const std::string text = base + "allow_word_expansion = 1\n";
    Strings seen;
    Expander fake = [&](const std::string& line) {
        seen.push_back(line);
        SplitResult r;
        r.words = {"id", "expanded"};
        return r;
    };
    Decision d = decide(ini(text), alice, "id $X", {}, fs, fake);
    CHECK(d.exit_code == exit_ok);
    CHECK(d.argv == Strings{"id", "expanded"});
    CHECK(seen == Strings{"id $X"});
    // The real expander refuses command substitution with exit 6.
    CHECK(run(text, "id $(sh)").exit_code == exit_expansion);
    CHECK(run(text, "id `sh`").exit_code == exit_expansion);
    // Without the key, the expander is never called.
    seen.clear();
    d = decide(ini(base), alice, "id $X", {}, fs, fake);
    CHECK(seen.empty());
    CHECK(d.argv == Strings{"id", "$X"});
}

TEST_CASE("decide: the environment is built from scratch", "[lsh]") {
    const Strings inherited{"LD_PRELOAD=/tmp/x.so",
                            "IFS=x",
                            "GCONV_PATH=/tmp",
                            "TERM=xterm",
                            "LANG=C.UTF-8",
                            "LC_ALL=C",
                            "TZ=UTC",
                            "SSH_CLIENT=1 2 3",
                            "SSH_CONNECTION=a b c d",
                            "SSH_TTY=/dev/pts/1",
                            "SSH_ORIGINAL_COMMAND=id",
                            "PATH=/tmp/evil",
                            "HOME=/tmp",
                            "BASH_ENV=/tmp/x",
                            "TERM=second",
                            "NOEQUALS"};
    Decision d = run(base +
                         "environment = FOO=bar, LD_LIBRARY_PATH=/tmp, A=b=c, NOVALUE, 1X=y, GCONV_PATH=/x, "
                         "HOME=/override\n",
                     "env", inherited);
    REQUIRE(d.exit_code == exit_ok);
    const Strings& e = d.env;
    CHECK(env_value(e, "HOME") == "/override");
    CHECK(env_value(e, "USER") == "alice");
    CHECK(env_value(e, "LOGNAME") == "alice");
    CHECK(env_value(e, "SHELL") == "/usr/sbin/jk_lsh");
    CHECK(env_value(e, "PATH") == "/usr/bin:/bin");
    CHECK(env_value(e, "TERM") == "xterm");
    CHECK(env_value(e, "LANG") == "C.UTF-8");
    CHECK(env_value(e, "LC_ALL") == "C");
    CHECK(env_value(e, "TZ") == "UTC");
    CHECK(env_value(e, "SSH_CLIENT") == "1 2 3");
    CHECK(env_value(e, "SSH_CONNECTION") == "a b c d");
    CHECK(env_value(e, "SSH_TTY") == "/dev/pts/1");
    CHECK(env_value(e, "SSH_ORIGINAL_COMMAND") == "id");
    CHECK(env_value(e, "FOO") == "bar");
    for (const char* gone : {"LD_PRELOAD", "IFS", "GCONV_PATH", "BASH_ENV", "LD_LIBRARY_PATH", "A", "NOVALUE", "1X",
                             "GIT_CONFIG_PARAMETERS"}) {
        INFO(gone);
        CHECK(env_value(e, gone) == "<unset>");
    }
    CHECK(std::count_if(e.begin(), e.end(), [](const std::string& s) { return s.rfind("TERM=", 0) == 0; }) == 1);
    // Every ignored item is reported.
    auto warned = [&](const std::string& item) {
        return std::any_of(d.warnings.begin(), d.warnings.end(),
                           [&](const std::string& w) { return w.find("'" + item + "'") != std::string::npos; });
    };
    CHECK(warned("A=b=c"));
    CHECK(warned("LD_LIBRARY_PATH=/tmp"));
    CHECK(warned("NOVALUE"));
    CHECK(warned("1X=y"));
    CHECK(warned("GCONV_PATH=/x"));
    CHECK_FALSE(warned("FOO=bar"));

    // No paths: the default PATH.
    Decision p = run("[DEFAULT]\nexecutables = /usr/bin/id\n", "/usr/bin/id");
    CHECK(env_value(p.env, "PATH") == "/usr/local/bin:/usr/bin:/bin");
}

TEST_CASE("decide: the git binaries run with hooks disabled", "[lsh]") {
    Decision d = run(base + "environment = GIT_CONFIG_PARAMETERS=x\n", "git-upload-pack repo.git");
    REQUIRE(d.exit_code == exit_ok);
    CHECK(env_value(d.env, "GIT_CONFIG_PARAMETERS") == jk::lsh::git_config_overrides);
    CHECK(env_value(d.env, "GIT_CONFIG_PARAMETERS").find("'core.hooksPath'='/dev/null'") != std::string::npos);
    CHECK(env_value(d.env, "GIT_CONFIG_GLOBAL") == "/dev/null");
}

TEST_CASE("decide: unknown keys are reported, not fatal", "[lsh]") {
    Decision d = run(base + "exec = /bin/sh\n[arguments rsync]\ndenny = x\n", "id");
    CHECK(d.exit_code == exit_ok);
    auto has = [&](const std::string& k) {
        return std::any_of(d.warnings.begin(), d.warnings.end(),
                           [&](const std::string& w) { return w.find("'" + k + "'") != std::string::npos; });
    };
    CHECK(has("exec"));
    CHECK(has("denny"));
}
