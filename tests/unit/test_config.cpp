#include <fcntl.h>
#include <ini.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "catch.hpp"
#include "jk/config.hpp"
#include "jk/error.hpp"

using jk::ConfigError;
using jk::config::IniFile;
using jk::config::LoadOptions;
using jk::config::Section;

namespace {

IniFile parse(const std::string& text) {
    return IniFile::parse(text, "t.ini");
}

// Runs fn, which must throw ConfigError; returns it for inspection.
ConfigError config_error(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("expected a ConfigError");
    throw;  // unreachable
}

int error_line(const std::string& text) {
    return config_error([&] { parse(text); }).line();
}

std::string value_of(const IniFile& ini, const std::string& section, const std::string& key) {
    const Section* s = ini.find(section);
    REQUIRE(s != nullptr);
    auto v = s->get_string(key);
    REQUIRE(v.has_value());
    return *v;
}

// 10,000+ bytes of distinct comma-separated items, so a lost or repeated
// byte anywhere is visible.
std::string long_list(std::size_t min_bytes, std::vector<std::string>* items = nullptr) {
    std::string out;
    for (int i = 0; out.size() < min_bytes; ++i) {
        std::string item = "/usr/lib/item" + std::to_string(i);
        if (items) items->push_back(item);
        if (!out.empty()) out += ",";
        out += item;
    }
    return out;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/jk-test-config-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0644) {
        const std::string p = path + "/" + name;
        int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        ::close(fd);
        REQUIRE(::chmod(p.c_str(), mode) == 0);
        return p;
    }
};

LoadOptions trusted() {
    LoadOptions o;
    o.require_trusted = true;
    return o;
}

}  // namespace

TEST_CASE("basic sections, keys, both delimiters and comments", "[config]") {
    IniFile ini = parse(
        "# leading comment\n"
        "; semicolon comment\n"
        "[sftp]\n"
        "comment = ssh based secure ftp\n"
        "paths: /usr/bin/sftp, /usr/lib/openssh/sftp-server\n"
        "   # indented comment\n"
        "\t; indented semicolon comment\n"
        "\n"
        "[DEFAULT]\n"
        "umask = 077\n");
    REQUIRE(ini.sections().size() == 2);
    CHECK(ini.sections()[0].name() == "sftp");
    CHECK(ini.sections()[0].line() == 3);
    CHECK(ini.sections()[0].entries().size() == 2);
    CHECK(value_of(ini, "sftp", "comment") == "ssh based secure ftp");
    CHECK(value_of(ini, "sftp", "paths") == "/usr/bin/sftp, /usr/lib/openssh/sftp-server");
    CHECK(ini.sections()[0].find("paths")->line == 5);
    CHECK(value_of(ini, "DEFAULT", "umask") == "077");
    CHECK(ini.warnings().empty());
}

TEST_CASE("the first '=' or ':' splits key and value", "[config]") {
    IniFile ini = parse("[s]\nenvironment = PATH=/bin:/usr/bin\nk: a=b\nempty =\n");
    CHECK(value_of(ini, "s", "environment") == "PATH=/bin:/usr/bin");
    CHECK(value_of(ini, "s", "k") == "a=b");
    CHECK(value_of(ini, "s", "empty") == "");
}

TEST_CASE("inline '#' and ';' stay part of the value, as in jailkit", "[config]") {
    IniFile ini = parse("[s]\na = v # x\nb = v ; x\nc = 100%\n");
    CHECK(value_of(ini, "s", "a") == "v # x");
    CHECK(value_of(ini, "s", "b") == "v ; x");  // raw inih would have cut this at " ;"
    CHECK(value_of(ini, "s", "c") == "100%");
}

TEST_CASE("keys match case-insensitively, ignoring blanks, but never by prefix", "[config]") {
    IniFile ini = parse("[s]\nE x e c u t a b l e s = /bin/ls\nUMASK = 022\nexec = /bin/sh\nu = 077\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_string("executables") == "/bin/ls");
    CHECK(s.get_string("Executables") == "/bin/ls");
    CHECK(s.get_string("umask") == "022");
    CHECK(s.find("executables")->raw_key == "E x e c u t a b l e s");
    // jailkit's C tools let "exec" satisfy "executables"; we do not.
    CHECK(s.get_string("exe") == std::nullopt);
    CHECK(s.get_string("exec") == "/bin/sh");
    CHECK(s.get_string("umas") == std::nullopt);
}

TEST_CASE("section names are trimmed and inner blanks collapsed", "[config]") {
    IniFile ini = parse("[ group   web ]\na = 1\n[\tsftp\t]\n");
    CHECK(ini.sections()[0].name() == "group web");
    CHECK(ini.find("group web") != nullptr);
    CHECK(ini.find("group  web") != nullptr);  // lookups are normalised too
    CHECK(ini.find("sftp") != nullptr);
    CHECK(ini.find("Sftp") == nullptr);  // names are case-sensitive
}

TEST_CASE("text after a section header: comment silent, anything else warned", "[config]") {
    IniFile ini = parse("[a] # note\n[b] junk\n");
    CHECK(ini.find("a") != nullptr);
    CHECK(ini.find("b") != nullptr);
    REQUIRE(ini.warnings().size() == 1);
    CHECK(ini.warnings()[0] == "t.ini:2: text 'junk' after section header [b], ignoring");
}

TEST_CASE("raw Debian inih truncates a long line: the reason for the wrapper", "[config]") {
    // Characterises the library we link against (DESIGN.md invariant 8). If
    // this starts failing, inih changed and config.cpp's comment needs review.
    const std::string value = long_list(10000);
    const std::string text = "[s]\npaths = " + value + "\n";
    std::string seen;
    auto handler = [](void* user, const char*, const char*, const char* v) -> int {
        *static_cast<std::string*>(user) = v;
        return 1;
    };
    const int rc = ini_parse_string(text.c_str(), handler, &seen);
    CHECK((rc != 0 || seen != value));
    CHECK(seen.size() < value.size());
}

TEST_CASE("a 10 kB value line arrives whole, every byte", "[config]") {
    std::vector<std::string> expected;
    const std::string value = long_list(10000, &expected);
    REQUIRE(value.size() >= 10000);
    IniFile ini = parse("[jk_lsh]\npaths = " + value + "\nafter = yes\n");
    const Section& s = *ini.find("jk_lsh");
    CHECK(s.get_string("paths") == value);
    CHECK(s.get_list("paths") == expected);
    CHECK(s.get_bool("after") == true);  // parsing continues after the long line
    CHECK(s.find("after")->line == 3);
}

TEST_CASE("lines around inih's buffer size arrive whole", "[config]") {
    // Debian's inih buffer is 200 bytes: line + '\n' + NUL must fit. Every
    // length across that edge, for each kind of line, must come through whole.
    for (std::size_t len = 190; len <= 210; ++len) {
        INFO("line length " << len);
        const std::string value = std::string(len - 4, 'v');  // "k = " + value
        const std::string key = std::string(len - 4, 'k');    // key + " = v"
        const std::string name = std::string(len - 2, 'n');   // "[" + name + "]"
        const std::string cont = std::string(len - 2, 'c');   // "  " + cont
        IniFile ini = parse("[s]\nk = " + value + "\n" + key + " = v\nl = x\n  " + cont + "\n[" + name + "]\n");
        const Section& s = *ini.find("s");
        CHECK(s.get_string("k") == value);
        CHECK(s.get_string(key) == "v");
        CHECK(s.get_string("l") == "x\n" + cont);
        CHECK(ini.find(name) != nullptr);
    }
}

TEST_CASE("long headers, keys and continuation lines are kept whole", "[config]") {
    const std::string long_name = "/home/jails/" + std::string(10000, 'x') + "/dev/log";
    const std::string long_key = std::string(10000, 'k');
    const std::string long_cont = long_list(10000);
    const std::string name60 = "/home/sftp/customers/web12345/jail/dev/log-0123456789";  // > inih's 49
    IniFile ini = parse("[" + long_name + "]\n" + long_key + " = v\nbase = 512\n[" + name60 + "]\npaths = /a,\n  " +
                        long_cont + "\n");
    const Section* s = ini.find(long_name);
    REQUIRE(s != nullptr);
    CHECK(s->get_string(long_key) == "v");
    CHECK(s->get_string("base") == "512");
    REQUIRE(ini.find(name60) != nullptr);
    CHECK(ini.find(name60)->get_string("paths") == "/a,\n" + long_cont);
}

TEST_CASE("NUL bytes are refused with the line", "[config]") {
    const std::string text = std::string("[s]\na = 1\nb = x\0y\n", 18);
    ConfigError e = config_error([&] { parse(text); });
    CHECK(e.line() == 3);
    CHECK(std::string(e.what()) == "t.ini:3: contains a NUL byte");
    CHECK(error_line(std::string("[s\0]\n", 5)) == 1);
}

TEST_CASE("CRLF, BOM, missing final newline and empty files", "[config]") {
    IniFile crlf = parse("[s]\r\na = 1\r\nlist = a,\r\n  b\r\n");
    CHECK(crlf.find("s") != nullptr);
    CHECK(value_of(crlf, "s", "a") == "1");
    CHECK(value_of(crlf, "s", "list") == "a,\nb");

    IniFile bom = parse("\xEF\xBB\xBF[s]\na = 1\n");
    CHECK(bom.find("s") != nullptr);
    CHECK(value_of(bom, "s", "a") == "1");

    IniFile no_nl = parse("[s]\na = last");
    CHECK(value_of(no_nl, "s", "a") == "last");

    CHECK(parse("").sections().empty());
    CHECK(parse("\n\n# only comments\n").sections().empty());
    CHECK(parse("\xEF\xBB\xBF").sections().empty());
}

TEST_CASE("continuation lines join with newlines and lists span them", "[config]") {
    IniFile ini = parse(
        "[s]\n"
        "paths = /a,\n"
        "    /b\n"
        "\n"
        "  /c, /d\n"
        "other = x\n");
    CHECK(value_of(ini, "s", "paths") == "/a,\n/b\n/c, /d");
    CHECK(ini.find("s")->get_list("paths") == std::vector<std::string>{"/a", "/b", "/c", "/d"});
    CHECK(value_of(ini, "s", "other") == "x");
    CHECK(ini.warnings().empty());

    // An indented first key in a section is a key, not a continuation.
    IniFile first = parse("[s]\n  a = 1\n[t]\n  b = 2\n");
    CHECK(value_of(first, "s", "a") == "1");
    CHECK(value_of(first, "t", "b") == "2");
}

TEST_CASE("an indented key after a key is a continuation, with a warning", "[config]") {
    IniFile ini = parse("[s]\nexecutables = /bin/ls\n  umask = 077\nenvironment = A=1,\n  B=2\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_string("executables") == "/bin/ls\numask = 077");
    CHECK_FALSE(s.has("umask"));
    CHECK(s.get_string("environment") == "A=1,\nB=2");
    REQUIRE(ini.warnings().size() == 1);  // "B=2" looks like list data, not a key
    CHECK(ini.warnings()[0].rfind("t.ini:3: indented line 'umask = 077' continues", 0) == 0);
}

TEST_CASE("duplicate keys: first wins, later ones warned", "[config]") {
    IniFile ini = parse("[s]\numask = 022\nUMask = 077\n  continued\nx = 1\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_string("umask") == "022");
    CHECK(s.get_string("x") == "1");
    CHECK(s.entries().size() == 2);
    REQUIRE(ini.warnings().size() == 1);
    CHECK(ini.warnings()[0] == "t.ini:3: duplicate key 'UMask' in section [s] (first at line 2), ignoring");
}

TEST_CASE("duplicate sections: first wins, the later one's keys are ignored", "[config]") {
    IniFile ini = parse("[s]\na = 1\n[t]\n[s]\na = 2\nb = 3\n");
    REQUIRE(ini.sections().size() == 2);
    const Section& s = *ini.find("s");
    CHECK(s.get_string("a") == "1");
    CHECK_FALSE(s.has("b"));
    REQUIRE(ini.warnings().size() == 1);
    CHECK(ini.warnings()[0] == "t.ini:4: duplicate section [s] (first at line 1), ignoring its keys");
}

TEST_CASE("malformed lines are ConfigErrors naming the line", "[config]") {
    CHECK(error_line("[s]\na = 1\n[broken\n") == 3);
    CHECK(error_line("[s]\n[]\n") == 2);
    CHECK(error_line("[s]\n[   ]\n") == 2);
    CHECK(error_line("[s]\njust some words\n") == 2);
    CHECK(error_line("a = 1\n[s]\n") == 1);        // key before any section
    CHECK(error_line("[s]\n = value\n") == 2);     // empty key
    CHECK(error_line("[s]\n \t : value\n") == 2);  // blank key
    CHECK(error_line("[s]\n" + std::string(10000, 'w') + "\n") == 2);
    ConfigError e = config_error([] { parse("[s]\nno delimiter here\n"); });
    CHECK(e.file() == "t.ini");
    CHECK(std::string(e.what()) == "t.ini:2: expected 'key = value', '[section]' or a comment");
}

TEST_CASE("parse refuses text over max_size", "[config]") {
    LoadOptions small;
    small.max_size = 10;
    CHECK_NOTHROW(IniFile::parse("[s]\na=1\n", "t.ini", small));
    ConfigError e = config_error([&] { IniFile::parse("[s]\na = 12345\n", "t.ini", small); });
    CHECK(e.line() == 0);
}

TEST_CASE("get_bool accepts the usual spellings and refuses the rest", "[config]") {
    IniFile ini = parse("[s]\na=1\nb=YES\nc=true\nd=On\ne=0\nf=no\ng=FALSE\nh=off\nbad=2\nempty=\nword=yess\n");
    const Section& s = *ini.find("s");
    for (auto k : {"a", "b", "c", "d"}) CHECK(s.get_bool(k) == true);
    for (auto k : {"e", "f", "g", "h"}) CHECK(s.get_bool(k) == false);
    CHECK(s.get_bool("missing") == std::nullopt);
    CHECK(config_error([&] { s.get_bool("bad"); }).line() == 10);
    CHECK_THROWS_AS(s.get_bool("empty"), ConfigError);
    CHECK_THROWS_AS(s.get_bool("word"), ConfigError);
}

TEST_CASE("get_int is decimal, range-checked and overflow-safe", "[config]") {
    IniFile ini = parse(
        "[s]\nbase = 512\nneg = -5\nplus = +7\nzeros = 0010\nhuge = 99999999999999999999\n"
        "junk = 12abc\nsigns = +-5\nspace = 1 2\nempty =\nhex = 0x10\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_int("base", 10, 1000000) == 512);
    CHECK(s.get_int("neg", -10, 10) == -5);
    CHECK(s.get_int("plus", 0, 10) == 7);
    CHECK(s.get_int("zeros", 0, 100) == 10);
    CHECK(s.get_int("missing", 0, 1) == std::nullopt);
    CHECK_THROWS_AS(s.get_int("base", 10, 100), ConfigError);  // out of the caller's range
    CHECK_THROWS_AS(s.get_int("huge", 0, std::numeric_limits<long long>::max()), ConfigError);
    for (auto k : {"junk", "signs", "space", "empty", "hex"}) CHECK_THROWS_AS(s.get_int(k, -100, 100), ConfigError);
    CHECK(config_error([&] { s.get_int("huge", 0, 10); }).line() == 6);
}

TEST_CASE("get_octal takes umask-style octal only", "[config]") {
    const std::string thousand_digits(1000, '7');
    IniFile ini = parse("[s]\na = 077\nb = 0777\nc = 7777\nd = 010000\ne = 8\nf = 0x7\ng =\nh = " + thousand_digits +
                        "\ni = 0\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_octal("a") == 077u);
    CHECK(s.get_octal("b") == 0777u);
    CHECK(s.get_octal("c") == 07777u);
    CHECK(s.get_octal("i") == 0u);
    CHECK(s.get_octal("missing") == std::nullopt);
    for (auto k : {"d", "e", "f", "g", "h"}) CHECK_THROWS_AS(s.get_octal(k), ConfigError);
    CHECK(s.get_octal("b", 0777) == 0777u);
    CHECK_THROWS_AS(s.get_octal("c", 0777), ConfigError);
}

TEST_CASE("get_double is finite, whole and in range", "[config]") {
    IniFile ini = parse(
        "[s]\na = 10\nb = 0.5\nc = +2.5e1\nd = inf\ne = nan\nf = 1e400\ng = 1.5x\nh =\ni = 1,5\nj = +-1\nk = 0x1p3\n");
    const Section& s = *ini.find("s");
    CHECK(s.get_double("a", 0.01, 60) == Approx(10.0));
    CHECK(s.get_double("b", 0.01, 60) == Approx(0.5));
    CHECK(s.get_double("c", 0, 100) == Approx(25.0));
    CHECK_THROWS_AS(s.get_double("a", 0.01, 5), ConfigError);
    for (auto k : {"d", "e", "f", "g", "h", "i", "j", "k"})
        CHECK_THROWS_AS(s.get_double(k, -1e300, 1e300), ConfigError);
}

TEST_CASE("get_list splits on commas and newlines and warns on space-separated items", "[config]") {
    IniFile ini = parse("[s]\npaths = /usr/bin/php /etc/php.ini, /bin/sh ,, \nclean = a,b\n");
    const Section& s = *ini.find("s");
    std::vector<std::string> warnings;
    CHECK(s.get_list("paths", &warnings) == std::vector<std::string>{"/usr/bin/php /etc/php.ini", "/bin/sh"});
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].rfind("t.ini:2: item '/usr/bin/php /etc/php.ini' of 'paths' contains a blank", 0) == 0);
    warnings.clear();
    CHECK(s.get_list("clean", &warnings) == std::vector<std::string>{"a", "b"});
    CHECK(warnings.empty());
    CHECK(s.get_list("missing") == std::nullopt);
    CHECK(jk::config::split_list(" , ,\n").empty());
}

TEST_CASE("get_list: blanks around jk_init's 'A | B' are no finding, one inside a path is", "[config]") {
    IniFile ini = parse("[s]\nalt = /a | /b,/c|/d\nbad = /a | /b c\n");
    const Section& s = *ini.find("s");
    std::vector<std::string> warnings;
    CHECK(s.get_list("alt", &warnings) == std::vector<std::string>{"/a | /b", "/c|/d"});
    CHECK(warnings.empty());
    CHECK(s.get_list("bad", &warnings) == std::vector<std::string>{"/a | /b c"});
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].rfind("t.ini:3: item '/a | /b c' of 'bad' contains a blank", 0) == 0);
}

TEST_CASE("DEFAULT: inherited only on request (Python tools), never by find (C tools)", "[config]") {
    IniFile ini = parse("[DEFAULT]\numask = 077\npaths = /d\n[alice]\npaths = /a\n");
    const Section& alice = *ini.find("alice");
    CHECK_FALSE(alice.has("umask"));
    auto merged = ini.with_defaults("alice");
    REQUIRE(merged);
    CHECK(merged->get_string("paths") == "/a");  // own value wins
    CHECK(merged->get_octal("umask") == 077u);
    CHECK(merged->find("umask")->line == 2);  // messages point at DEFAULT's line
    CHECK(ini.with_defaults("nobody") == std::nullopt);
    CHECK(ini.with_defaults("DEFAULT")->entries().size() == 2);
}

TEST_CASE("select_for_user: user, then group, then DEFAULT, one section only", "[config]") {
    IniFile all = parse("[DEFAULT]\nx=d\n[group staff]\nx=g\n[alice]\n");
    CHECK(all.select_for_user("alice", "staff")->name() == "alice");  // even empty, no merging
    CHECK_FALSE(all.select_for_user("alice", "staff")->has("x"));
    CHECK(all.select_for_user("bob", "staff")->name() == "group staff");
    CHECK(all.select_for_user("bob", "users")->name() == "DEFAULT");
    CHECK(all.select_for_user("", "")->name() == "DEFAULT");

    IniFile none = parse("[alice]\n");
    CHECK(none.select_for_user("bob", "users") == nullptr);
    // "[group  staff]" in a file matches group staff after normalisation.
    CHECK(parse("[group  staff]\n").select_for_user("bob", "staff") != nullptr);
    // The user name is not normalised: "a  b" is not section "a b".
    CHECK(parse("[a b]\n").select_for_user("a  b", "") == nullptr);
}

TEST_CASE("unknown_keys reports keys outside the schema", "[config]") {
    IniFile ini = parse("[s]\nexecutables = /bin/ls\nexec = /bin/sh\nUmask = 022\n");
    auto w = jk::config::unknown_keys(*ini.find("s"), {"executables", "umask", "paths"});
    REQUIRE(w.size() == 1);
    CHECK(w[0] == "t.ini:3: unknown key 'exec' in section [s], ignoring");
}

TEST_CASE("load reads a file; trusted load checks the opened file", "[config]") {
    REQUIRE(::geteuid() == 0);  // tests run as root (DESIGN.md): ownership is part of the check
    TempDir dir;
    const std::string good = dir.write("good.ini", "[s]\na = 1\n", 0644);
    CHECK(IniFile::load(good, trusted()).find("s")->get_string("a") == "1");
    CHECK(IniFile::load(good).filename() == good);

    const std::string gw = dir.write("gw.ini", "[s]\n", 0664);
    CHECK(std::string(config_error([&] { IniFile::load(gw, trusted()); }).what()) ==
          gw + ": is writable by group, refusing it");
    CHECK_NOTHROW(IniFile::load(gw));  // untrusted loading does not care

    const std::string ow = dir.write("ow.ini", "[s]\n", 0646);
    CHECK_THROWS_AS(IniFile::load(ow, trusted()), ConfigError);

    const std::string other = dir.write("other.ini", "[s]\n", 0644);
    REQUIRE(::chown(other.c_str(), 65534, 65534) == 0);
    CHECK(config_error([&] { IniFile::load(other, trusted()); }).line() == 0);

    const std::string link = dir.path + "/link.ini";
    REQUIRE(::symlink(good.c_str(), link.c_str()) == 0);
    CHECK(std::string(config_error([&] { IniFile::load(link, trusted()); }).what()) ==
          link + ": is a symbolic link, refusing it");
    CHECK_NOTHROW(IniFile::load(link));

    // A FIFO must be refused, not waited on.
    const std::string fifo = dir.path + "/fifo.ini";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK_THROWS_AS(IniFile::load(fifo, trusted()), ConfigError);

    CHECK_THROWS_AS(IniFile::load(dir.path, trusted()), ConfigError);
    CHECK_THROWS_AS(IniFile::load(dir.path), ConfigError);

    try {
        IniFile::load(dir.path + "/missing.ini", trusted());
        FAIL("expected SysError");
    } catch (const jk::SysError& e) {
        CHECK(e.err() == ENOENT);
    }

    LoadOptions small = trusted();
    small.max_size = 8;
    CHECK_THROWS_AS(IniFile::load(good, small), ConfigError);
    CHECK_THROWS_AS(jk::config::read_config_text("/dev/zero", small), ConfigError);  // trusted: not regular
    LoadOptions small_untrusted;
    small_untrusted.max_size = 1000;
    CHECK_THROWS_AS(jk::config::read_config_text("/dev/zero", small_untrusted), ConfigError);  // bounded read

    // Errors in a loaded file name the path and line.
    const std::string bad = dir.write("bad.ini", "[s]\nbroken\n", 0644);
    CHECK(std::string(config_error([&] { IniFile::load(bad, trusted()); }).what()) ==
          bad + ":2: expected 'key = value', '[section]' or a comment");
}
