#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/lsh_command.hpp"
#include "jk/lsh_rules.hpp"

using jk::lsh::ArgRules;
using jk::lsh::builtin_rules;
using jk::lsh::check_arguments;
using jk::lsh::matches_allow;
using jk::lsh::matches_deny;
using jk::lsh::rules_for;

namespace {

// Checks a whole command line ("prog args...") against the built-in rules
// of the program named by its first word.
bool allowed(const std::string& line, const std::string& prog_path) {
    auto split = jk::lsh::split_command(line);
    REQUIRE(split.status == jk::lsh::SplitResult::Status::ok);
    REQUIRE_FALSE(split.words.empty());
    auto rules = builtin_rules(prog_path);
    if (!rules) return true;
    std::vector<std::string> args(split.words.begin() + 1, split.words.end());
    return check_arguments(*rules, args).allowed;
}

bool rsync_ok(const std::string& line) {
    return allowed(line, "/usr/bin/rsync");
}
bool scp_ok(const std::string& line) {
    return allowed(line, "/usr/bin/scp");
}
bool git_ok(const std::string& line) {
    return allowed(line, "/usr/bin/git");
}
bool find_ok(const std::string& line) {
    return allowed(line, "/usr/bin/find");
}
bool tar_ok(const std::string& line) {
    return allowed(line, "/bin/tar");
}

jk::config::IniFile ini(const std::string& text) {
    return jk::config::IniFile::parse(text, "jk_lsh.ini");
}

}  // namespace

TEST_CASE("deny patterns: long options with abbreviations", "[lsh]") {
    CHECK(matches_deny("--rsh", "--rsh"));
    CHECK(matches_deny("--rsh", "--rsh=sh"));
    CHECK(matches_deny("--rsh", "--rs=sh"));
    CHECK(matches_deny("--rsh", "--r"));
    CHECK_FALSE(matches_deny("--rsh", "--rshx"));
    CHECK(matches_deny("--rsh*", "--rshx=1"));
    CHECK(matches_deny("--rsh*", "--rs"));
    CHECK_FALSE(matches_deny("--rsh", "--recursive"));
    CHECK_FALSE(matches_deny("--rsh", "--"));
    CHECK_FALSE(matches_deny("--rsh", "--=x"));
    CHECK_FALSE(matches_deny("--rsh", "-rsh"));
    CHECK_FALSE(matches_deny("--rsh", "rsh"));
    CHECK(matches_deny("--rsync-path*", "--rsync-p=/x"));
    CHECK(matches_deny("--rsync-path*", "--rsync-path=/x"));
    CHECK_FALSE(matches_deny("--daemon*", "--delete"));
}

TEST_CASE("deny patterns: short letters in clusters, words, plain globs", "[lsh]") {
    CHECK(matches_deny("-e", "-e"));
    CHECK(matches_deny("-e", "-esh"));
    CHECK(matches_deny("-e", "-ave"));
    CHECK(matches_deny("-e*", "-ave"));
    CHECK_FALSE(matches_deny("-e", "--exclude"));
    CHECK_FALSE(matches_deny("-e", "e"));
    CHECK_FALSE(matches_deny("-e", "-"));
    // rsync's capability string: "e." ends the cluster.
    CHECK_FALSE(matches_deny("-e", "-vlogDtpre.iLsfxCIvu", true));
    CHECK(matches_deny("-e", "-vlogDtpre.iLsfxCIvu", false));
    CHECK(matches_deny("-e", "-vle", true));
    CHECK(matches_deny("-e", "-vlesh", true));
    CHECK(matches_deny("-M", "-vMe.x", true));
    CHECK_FALSE(matches_deny("-s", "-vlogDtpre.iLsfxCIvu", true));
    // Words (find's primaries), and globs on them.
    CHECK(matches_deny("-exec*", "-exec"));
    CHECK(matches_deny("-exec*", "-execdir"));
    CHECK_FALSE(matches_deny("-exec", "-execdir"));
    CHECK(matches_deny("-exec", "-exec"));
    CHECK_FALSE(matches_deny("-exec*", "-name"));
    CHECK(matches_deny("foo*", "foobar"));
    CHECK(matches_deny("*", "anything"));
    CHECK_FALSE(matches_deny("", "x"));
    CHECK(matches_allow("--timeout=*", "--timeout=5"));
    CHECK_FALSE(matches_allow("--timeout=*", "--timeout"));
    CHECK(matches_allow("--strict", "--strict"));
    CHECK_FALSE(matches_allow("--strict", "--stri"));
}

TEST_CASE("rsync: only the server side, none of the options that start programs", "[lsh]") {
    CHECK(rsync_ok("rsync --server -vlogDtpre.iLsfxCIvu . dest"));
    CHECK(rsync_ok("rsync --server --sender -vlogDtpre.iLsfxCIvu . src/"));
    CHECK(rsync_ok("rsync --server -vlogDtpre.iLsfxCIvu --delete --partial --timeout=30 . dest/"));
    CHECK(rsync_ok("rsync --server -logDtprze.iLsfxCIvu --log-format=X . /home/u/x"));
    // Client mode can run a remote shell program (W6: rsync -e sh evilhost:x /tmp/).
    CHECK_FALSE(rsync_ok("rsync -e sh x:y z"));
    CHECK_FALSE(rsync_ok("rsync -a x y"));
    CHECK_FALSE(rsync_ok("rsync"));
    for (const char* l : {"rsync --server -e sh . x",
                          "rsync --server -esh . x",
                          "rsync --server -ve . x",
                          "rsync --server -vlogDtpre . x",
                          "rsync --server --rsh=sh . x",
                          "rsync --server --rsh sh . x",
                          "rsync --server --rs=sh . x",
                          "rsync --server --rsync-path=/tmp/x . x",
                          "rsync --server --rsync-p=/tmp/x . x",
                          "rsync --server --daemon .",
                          "rsync --server --daem .",
                          "rsync --server --config=/home/u/c .",
                          "rsync --server --dparam=x .",
                          "rsync --server -M--rsh=sh . x",
                          "rsync --server --remote-option=x . x",
                          "rsync --server -s . x",
                          "rsync --server -vse.iLs . x",
                          "rsync --server --secluded-args . x",
                          "rsync --server --protect-args . x",
                          "rsync --server --copy-as=root . x",
                          "rsync --server --early-input=/x . x",
                          "rsync --server . x --rsh=sh"}) {
        INFO(l);
        CHECK_FALSE(rsync_ok(l));
    }
}

TEST_CASE("scp: only the legacy server side, no program options", "[lsh]") {
    CHECK(scp_ok("scp -t /home/u/x"));
    CHECK(scp_ok("scp -f /home/u/x"));
    CHECK(scp_ok("scp -v -r -p -d -t -- /home/u/dir"));
    CHECK(scp_ok("scp -r -f 'a b'"));
    for (const char* l :
         {"scp -S /tmp/sh -t x", "scp -S/tmp/sh -t x", "scp -o ProxyCommand=sh -t x", "scp -oProxyCommand=sh -t x",
          "scp -F cfg -t x", "scp -J h -t x", "scp -rS x -t y", "scp -to x", "scp a host:b", "scp x", "scp -3 -t x"}) {
        INFO(l);
        CHECK_FALSE(scp_ok(l));
    }
}

TEST_CASE("git: only the server commands, no config or program options", "[lsh]") {
    CHECK(git_ok("git upload-pack '/home/u/repo.git'"));
    CHECK(git_ok("git receive-pack repo.git"));
    CHECK(git_ok("git upload-archive repo.git"));
    CHECK(git_ok("git upload-pack --stateless-rpc --advertise-refs --strict --timeout=10 repo.git"));
    for (const char* l :
         {"git -c core.sshCommand=sh upload-pack x", "git -C /tmp upload-pack x", "git status", "git",
          "git --exec-path=/tmp upload-pack x", "git upload-pack --upload-pack=sh x", "git upload-pack -c x=y r",
          "git receive-pack --receive-pack=sh x", "git upload-pack --config-env=a=b x", "git upload-pack --ex=/tmp x",
          "git upload-pack --stri x"}) {
        INFO(l);
        CHECK_FALSE(git_ok(l));
    }
    CHECK(allowed("git-upload-pack '/home/u/repo.git'", "/usr/bin/git-upload-pack"));
    CHECK(allowed("git-receive-pack 'repo.git'", "/usr/lib/git-core/git-receive-pack"));
    CHECK(allowed("git-upload-pack --http-backend-info-refs --timeout=5 r", "/usr/bin/git-upload-pack"));
    CHECK_FALSE(allowed("git-upload-pack --upload-pack=sh r", "/usr/bin/git-upload-pack"));
    CHECK_FALSE(allowed("git-receive-pack -c x r", "/usr/bin/git-receive-pack"));
    CHECK_FALSE(allowed("git-upload-archive --exec=sh r", "/usr/bin/git-upload-archive"));
    CHECK(jk::lsh::is_git_family("/usr/bin/git"));
    CHECK(jk::lsh::is_git_family("/usr/lib/git-core/git-receive-pack"));
    CHECK(jk::lsh::is_git_family("/usr/bin/git-shell"));
    CHECK_FALSE(jk::lsh::is_git_family("/usr/bin/gitk"));
}

TEST_CASE("find and tar: no options that run programs", "[lsh]") {
    CHECK(find_ok("find . -name '*.txt' -type f -print"));
    CHECK(find_ok("find . -delete"));
    for (const char* l :
         {"find . -exec sh ;", "find . -execdir sh +", "find . -ok sh ;", "find . -okdir sh ;", "find . -fprint /tmp/x",
          "find . -fprintf /tmp/x %p", "find . -fls /tmp/x", "find -- -exec sh"}) {
        INFO(l);
        // ';' must be quoted for the splitter; test the rule on the words.
        std::string line = l;
        if (!line.empty() && line.back() == ';') line.back() = 'x';
        CHECK_FALSE(find_ok(line));
    }
    CHECK(tar_ok("tar -cf - dir"));
    CHECK(tar_ok("tar xzf a.tgz"));
    CHECK(tar_ok("tar --create --file=- dir"));
    for (const char* l :
         {"tar -cf - --to-command=sh x", "tar --to-c=sh -xf a", "tar -I sh -xf a", "tar -xIsh -f a", "tar xIf sh a",
          "tar --use-compress-program=sh -xf a", "tar --use=sh -xf a", "tar --checkpoint-action=exec=sh -cf - x",
          "tar --info-script=sh -cf - x", "tar -F sh -cf - x", "tar --new-volume-script=sh -M -f a",
          "tar --rsh-command=sh -f h:a", "tar --rmt-command=sh -f h:a"}) {
        INFO(l);
        CHECK_FALSE(tar_ok(l));
    }
}

TEST_CASE("tar: no remote archive HOST:FILE (tar would run rsh), unless --force-local", "[lsh]") {
    for (const char* l : {"tar -cf host:x dir", "tar -xf h:a", "tar cf h:a dir", "tar cvfh:a dir", "tar -cfh:a dir",
                          "tar -cvfh:a dir", "tar --file=h:a -c dir", "tar --fi=h:a -c dir", "tar -c --file h:a dir",
                          "tar -xf backup-2026-01-01T10:00.tar", "tar -cf - user@host:dir"}) {
        INFO(l);
        CHECK_FALSE(tar_ok(l));
    }
    for (const char* l :
         {"tar -cf ./h:a dir", "tar -cf /tmp/h:a dir", "tar -cf - dir/a:b", "tar -cf :a dir",
          "tar --force-local -xf backup-2026-01-01T10:00.tar", "tar -cf h:a --force-local dir",
          "tar --exclude=a:b -cf - dir", "tar --transform=s/a:/b/ -cf - dir", "tar -C dir -cf - .", "tar cf - dir"}) {
        INFO(l);
        CHECK(tar_ok(l));
    }
    // The rule is tar's only unless a section asks for it.
    CHECK(allowed("cp h:a b", "/bin/cp"));
    auto r = rules_for(ini("[arguments cpio]\nlocal_files_only = yes\n"), "/bin/cpio");
    REQUIRE(r);
    CHECK(r->local_files_only);
    CHECK_FALSE(r->empty());
    CHECK_FALSE(check_arguments(*r, {"-o", "-F", "h:a"}).allowed);
    CHECK(check_arguments(*r, {"-o", "-F", "./h:a"}).allowed);
}

TEST_CASE("sftp-server and unknown programs have no built-in rules", "[lsh]") {
    CHECK_FALSE(builtin_rules("/usr/lib/openssh/sftp-server"));
    CHECK_FALSE(builtin_rules("/usr/bin/id"));
    CHECK(allowed("sftp-server -e -l INFO", "/usr/lib/openssh/sftp-server"));
}

TEST_CASE("[arguments X] sections replace the built-in rules", "[lsh]") {
    std::string src;
    SECTION("no section: built-in") {
        auto r = rules_for(ini("[DEFAULT]\nexecutables = /usr/bin/rsync\n"), "/usr/bin/rsync", &src);
        REQUIRE(r);
        CHECK(src == "built-in rules");
        CHECK(r->require_first == std::vector<std::string>{"--server"});
    }
    SECTION("an empty section means no rules") {
        auto r = rules_for(ini("[arguments rsync]\n"), "/usr/bin/rsync", &src);
        CHECK_FALSE(r);
        CHECK(src == "[arguments rsync]");
    }
    SECTION("the absolute path wins over the basename") {
        auto f = ini("[arguments rsync]\ndeny = --foo\n[arguments /usr/bin/rsync]\ndeny = --bar, -x\n");
        auto r = rules_for(f, "/usr/bin/rsync", &src);
        REQUIRE(r);
        CHECK(src == "[arguments /usr/bin/rsync]");
        CHECK(r->deny == std::vector<std::string>{"--bar", "-x"});
        auto r2 = rules_for(f, "/usr/local/bin/rsync", &src);
        REQUIRE(r2);
        CHECK(r2->deny == std::vector<std::string>{"--foo"});
    }
    SECTION("every key") {
        auto f =
            ini("[arguments myprog]\nrequire_first = serve, get\nrequire_any = -t\n"
                "allow_options = -t, --level=*\ndeny = --evil*, -x\nrsync_capabilities = yes\n"
                "old_style_options = true\n");
        auto r = rules_for(f, "/opt/myprog", &src);
        REQUIRE(r);
        CHECK(r->require_first == std::vector<std::string>{"serve", "get"});
        CHECK(r->require_any == std::vector<std::string>{"-t"});
        REQUIRE(r->allow_options);
        CHECK(r->rsync_capabilities);
        CHECK(r->old_style_options);
        CHECK(check_arguments(*r, {"serve", "-t", "--level=3", "x"}).allowed);
        auto v = check_arguments(*r, {"get", "-t", "--evilx"});
        CHECK_FALSE(v.allowed);
        CHECK(v.argument == "--evilx");
        CHECK_FALSE(check_arguments(*r, {"put", "-t"}).allowed);
        CHECK_FALSE(check_arguments(*r, {"serve"}).allowed);
        CHECK_FALSE(check_arguments(*r, {"serve", "-t", "--other"}).allowed);
        CHECK_FALSE(check_arguments(*r, {}).allowed);
    }
    SECTION("a malformed boolean is a ConfigError") {
        CHECK_THROWS_AS(rules_for(ini("[arguments x]\nrsync_capabilities = maybe\n"), "/bin/x"), jk::ConfigError);
    }
}
