// libjk/proclist: jk_list's parsing and formatting over fabricated /proc
// contents, and the scan over a fake /proc tree.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/proclist.hpp"

using jk::proclist::JailKind;
using jk::proclist::Process;

namespace {

using namespace std::string_literals;

Process proc(pid_t pid, const std::string& jail, const std::string& user = "alice",
             const std::string& exe = "/bin/sleep", std::vector<std::string> args = {"sleep", "60"}) {
    Process p;
    p.pid = pid;
    p.uid = 1001;
    p.user = user;
    p.jail = jail;
    p.exe = exe;
    p.args = std::move(args);
    return p;
}

// A scratch directory for a fake /proc (no root needed).
class FakeProc {
public:
    FakeProc() {
        char tmpl[] = "/tmp/jk-proclist.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) FAIL("mkdtemp failed");
        path_ = tmpl;
    }
    ~FakeProc() {
        int rc = std::system(("rm -rf '" + path_ + "'").c_str());
        (void)rc;
    }
    const std::string& path() const { return path_; }
    // A process entry: root and exe links, status and cmdline files.
    void add(const std::string& pid, const std::string& root, uid_t uid, const std::string& exe,
             const std::string& cmdline) {
        std::string d = path_ + "/" + pid;
        ::mkdir(d.c_str(), 0755);
        REQUIRE(::symlink(root.c_str(), (d + "/root").c_str()) == 0);
        if (!exe.empty()) REQUIRE(::symlink(exe.c_str(), (d + "/exe").c_str()) == 0);
        std::ofstream(d + "/status") << "Name:\tsleep\nState:\tS (sleeping)\nUid:\t" << uid << "\t" << uid << "\t"
                                     << uid << "\t" << uid << "\nGid:\t0\t0\t0\t0\n";
        std::ofstream(d + "/cmdline", std::ios::binary) << cmdline;
    }

private:
    std::string path_;
};

}  // namespace

TEST_CASE("is_pid_name: digits only") {
    CHECK(jk::proclist::is_pid_name("1"));
    CHECK(jk::proclist::is_pid_name("4194304"));
    CHECK_FALSE(jk::proclist::is_pid_name("self"));
    CHECK_FALSE(jk::proclist::is_pid_name("thread-self"));
    CHECK_FALSE(jk::proclist::is_pid_name(""));
    CHECK_FALSE(jk::proclist::is_pid_name("012"));
    CHECK_FALSE(jk::proclist::is_pid_name("12a"));
    CHECK_FALSE(jk::proclist::is_pid_name("99999999999"));
}

TEST_CASE("parse_status_uid: the real uid") {
    CHECK(jk::proclist::parse_status_uid("Name:\tx\nUid:\t1001\t0\t0\t0\nGid:\t5\t5\t5\t5\n") == 1001u);
    CHECK(jk::proclist::parse_status_uid("Uid:\t0\t0\t0\t0") == 0u);
    CHECK(jk::proclist::parse_status_uid("Uid: 4294967294 1 1 1\n") == 4294967294u);
    CHECK_FALSE(jk::proclist::parse_status_uid("Name:\tx\nGid:\t5\n"));
    CHECK_FALSE(jk::proclist::parse_status_uid("Uid:\t\n"));
    CHECK_FALSE(jk::proclist::parse_status_uid("Uid:\t99999999999\n"));
    CHECK_FALSE(jk::proclist::parse_status_uid(""));
}

TEST_CASE("split_cmdline: NUL-separated arguments") {
    CHECK(jk::proclist::split_cmdline("sleep\0"
                                      "60\0"s) == std::vector<std::string>{"sleep", "60"});
    CHECK(jk::proclist::split_cmdline("a\0\0b\0"s) == std::vector<std::string>{"a", "", "b"});
    CHECK(jk::proclist::split_cmdline("nginx: worker process") == std::vector<std::string>{"nginx: worker process"});
    CHECK(jk::proclist::split_cmdline("").empty());
}

TEST_CASE("escape: control characters cannot reach the terminal") {
    CHECK(jk::proclist::escape("plain") == "plain");
    CHECK(jk::proclist::escape("a\nb") == "a\\x0ab");
    CHECK(jk::proclist::escape("\x1b[2J") == "\\x1b[2J");
    CHECK(jk::proclist::escape("back\\slash") == "back\\\\slash");
    CHECK(jk::proclist::escape("\x7f") == "\\x7f");
    CHECK(jk::proclist::escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("command_of: exe then arguments") {
    CHECK(jk::proclist::command_of(proc(1, "/j")) == "/bin/sleep sleep 60");
    CHECK(jk::proclist::command_of(proc(1, "/j", "u", "", {"x"})) == "[unknown] x");
    CHECK(jk::proclist::command_of(proc(1, "/j", "u", "/bin/sh", {"sh", "-c", "echo\tx"})) ==
          "/bin/sh sh -c echo\\x09x");
}

TEST_CASE("jailed roots and the -j match") {
    CHECK(jk::proclist::is_jailed_root("/srv/jail"));
    CHECK(jk::proclist::is_jailed_root("/srv/jail (deleted)"));
    CHECK_FALSE(jk::proclist::is_jailed_root("/"));
    CHECK_FALSE(jk::proclist::is_jailed_root(""));
    CHECK(jk::proclist::root_matches("/srv/jail", "/srv/jail/"));
    CHECK(jk::proclist::root_matches("/srv/jail", "/srv/jail"));
    CHECK_FALSE(jk::proclist::root_matches("/srv/jail2", "/srv/jail"));
    CHECK_FALSE(jk::proclist::root_matches("/srv/jail/sub", "/srv/jail"));
}

TEST_CASE("sort: by jail, then pid") {
    std::vector<Process> v = {proc(30, "/b"), proc(5, "/b"), proc(100, "/a"), proc(7, "/a")};
    jk::proclist::sort_processes(v);
    CHECK(v[0].pid == 7);
    CHECK(v[1].pid == 100);
    CHECK(v[2].pid == 5);
    CHECK(v[3].pid == 30);
}

TEST_CASE("format_table: columns, header, none found") {
    CHECK(jk::proclist::format_table({}, std::nullopt) == "No jailed processes found\n");
    std::vector<Process> v = {proc(7, "/srv/a"), proc(12345, "/srv/bbb", "bob")};
    std::string t = jk::proclist::format_table(v, std::nullopt);
    CHECK(t ==
          "  Pid User  Jail     Command\n"
          "    7 alice /srv/a   /bin/sleep sleep 60\n"
          "12345 bob   /srv/bbb /bin/sleep sleep 60\n");
}

TEST_CASE("format_table: lines cut to the width unless --wide") {
    std::vector<Process> v = {proc(7, "/srv/a", "alice", "/bin/sh", {"sh", "-c", std::string(200, 'x')})};
    std::string cut = jk::proclist::format_table(v, 40);
    for (std::size_t pos = 0, nl; (nl = cut.find('\n', pos)) != std::string::npos; pos = nl + 1) CHECK(nl - pos <= 40);
    std::string wide = jk::proclist::format_table(v, std::nullopt);
    CHECK(wide.find(std::string(200, 'x')) != std::string::npos);
}

TEST_CASE("format_summary: one line per jail") {
    CHECK(jk::proclist::format_summary({}) == "No jailed processes found\n");
    std::vector<Process> v = {proc(1, "/srv/a"), proc(2, "/srv/b"), proc(3, "/srv/a")};
    CHECK(jk::proclist::format_summary(v) ==
          "Processes Kind    Jail\n"
          "        2 copy    /srv/a\n"
          "        1 copy    /srv/b\n");
    CHECK(jk::proclist::format_summary(v, {{"/srv/b", {JailKind::copy, "pid,mount net=loopback"}}}) ==
          "Processes Kind    Jail\n"
          "        2 copy    /srv/a\n"
          "        1 copy    /srv/b  isolated: pid,mount net=loopback\n");
}

TEST_CASE("format_summary: a thin jail, and one whose policy is refused") {
    std::vector<Process> v = {proc(1, "/srv/a"), proc(2, "/srv/t"), proc(3, "/srv/x")};
    const jk::proclist::JailInfos jails = {
        {"/srv/t", {JailKind::thin, "mount thin=/usr,/etc/ld.so.cache"}},
        {"/srv/x", {JailKind::unknown, "(policy refused: bad)"}},
    };
    CHECK(jk::proclist::format_summary(v, jails) ==
          "Processes Kind    Jail\n"
          "        1 copy    /srv/a\n"
          "        1 thin    /srv/t  isolated: mount thin=/usr,/etc/ld.so.cache\n"
          "        1 unknown /srv/x  isolated: (policy refused: bad)\n");
    CHECK(std::string(jk::proclist::kind_name(JailKind::thin)) == "thin");
    CHECK(std::string(jk::proclist::kind_name(JailKind::copy)) == "copy");
}

TEST_CASE("json: strings stay valid whatever the bytes") {
    CHECK(jk::proclist::json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(jk::proclist::json_string("\n\x01") == "\"\\n\\u0001\"");
    CHECK(jk::proclist::json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(jk::proclist::json_string("bad\xff\xc3") == "\"bad\\u00ff\\u00c3\"");
    jk::proclist::ScanResult r;
    r.jailed = {proc(7, "/srv/a")};
    r.unreadable = 3;
    std::string j = jk::proclist::to_json(r);
    CHECK(j.find("\"pid\":7") != std::string::npos);
    CHECK(j.find("\"user\":\"alice\"") != std::string::npos);
    CHECK(j.find("\"jail\":\"/srv/a\"") != std::string::npos);
    CHECK(j.find("\"args\":[\"sleep\",\"60\"]") != std::string::npos);
    CHECK(j.find("\"unreadable\":3") != std::string::npos);
    CHECK(j.find("{\"jail\":\"/srv/a\",\"processes\":1,\"policy\":null,\"kind\":\"copy\"}") != std::string::npos);
    CHECK(jk::proclist::to_json(r, {{"/srv/a", {JailKind::copy, "pid net=loopback"}}})
              .find("{\"jail\":\"/srv/a\",\"processes\":1,\"policy\":\"pid net=loopback\",\"kind\":\"copy\"}") !=
          std::string::npos);
    CHECK(jk::proclist::to_json(r, {{"/srv/a", {JailKind::thin, "mount thin=/usr"}}})
              .find("\"policy\":\"mount thin=/usr\",\"kind\":\"thin\"}") != std::string::npos);
    CHECK(jk::proclist::to_json(r, {{"/srv/a", {JailKind::unknown, "(policy refused: x)"}}}).find("\"kind\":null}") !=
          std::string::npos);
}

TEST_CASE("scan: a fake /proc tree") {
    FakeProc fp;
    fp.add("100", "/srv/jail", 1001, "/bin/sleep",
           "sleep\0"
           "60\0"s);
    fp.add("5", "/srv/jail", 1002, "/bin/sh", "sh\0"s);
    fp.add("1", "/", 0, "/sbin/init", "init\0"s);
    fp.add("77", "/srv/other (deleted)", 1001, "", "");
    ::mkdir((fp.path() + "/self").c_str(), 0755);  // not a pid
    ::mkdir((fp.path() + "/200").c_str(), 0755);   // vanished: no root link
    auto r = jk::proclist::scan(fp.path(), [](uid_t u) { return "u" + std::to_string(u); });
    CHECK(r.scanned == 5);
    CHECK(r.vanished == 1);
    CHECK(r.unreadable == 0);
    REQUIRE(r.jailed.size() == 3);
    CHECK(r.jailed[0].pid == 5);
    CHECK(r.jailed[0].jail == "/srv/jail");
    CHECK(r.jailed[0].user == "u1002");
    CHECK(r.jailed[1].pid == 100);
    CHECK(r.jailed[1].uid == 1001);
    CHECK(r.jailed[1].exe == "/bin/sleep");
    CHECK(r.jailed[1].args == std::vector<std::string>{"sleep", "60"});
    CHECK(r.jailed[2].pid == 77);
    CHECK(r.jailed[2].jail == "/srv/other (deleted)");
    CHECK(r.jailed[2].exe.empty());
}

TEST_CASE("scan: an unreadable status is counted, the scan goes on") {
    if (::geteuid() == 0) {
        // Root reads a mode-000 file anyway: use a malformed status instead.
        FakeProc fp;
        fp.add("10", "/srv/jail", 1001, "/bin/x", "x\0"s);
        std::ofstream(fp.path() + "/10/status") << "Name:\tx\n";
        fp.add("11", "/srv/jail", 1001, "/bin/y", "y\0"s);
        auto r = jk::proclist::scan(fp.path(), [](uid_t) { return "u"; });
        CHECK(r.unreadable == 1);
        REQUIRE(r.jailed.size() == 1);
        CHECK(r.jailed[0].pid == 11);
        return;
    }
    FakeProc fp;
    fp.add("10", "/srv/jail", 1001, "/bin/x", "x\0"s);
    ::chmod((fp.path() + "/10/status").c_str(), 0);
    fp.add("11", "/srv/jail", 1001, "/bin/y", "y\0"s);
    auto r = jk::proclist::scan(fp.path(), [](uid_t) { return "u"; });
    CHECK(r.unreadable == 1);
    REQUIRE(r.jailed.size() == 1);
    CHECK(r.jailed[0].pid == 11);
}

TEST_CASE("scan: a missing /proc throws") {
    CHECK_THROWS_AS(jk::proclist::scan("/nonexistent-proc-jk", [](uid_t) { return ""; }), jk::SysError);
}

TEST_CASE("scan: the real /proc finds this process unjailed") {
    auto r = jk::proclist::scan("/proc", [](uid_t) { return ""; });
    CHECK(r.scanned > 0);
    for (const auto& p : r.jailed) CHECK(p.pid != ::getpid());
}
