// The per-jail isolation policy: escaping the jail's path as systemd does,
// parsing every key (valid and invalid side by side), the recommended set
// and its overrides, describe(), and load_policy's trust rules on real
// files ([root]).
#include <sys/resource.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/isolation.hpp"
#include "tmpjail.hpp"

namespace iso = jk::isolation;
using namespace std::string_literals;

namespace {

constexpr const char* jail = "/srv/web1";
constexpr const char* file = "/etc/jailkit/jails.d/srv-web1.ini";

iso::Policy parse(const std::string& text, const std::string& j = jail) {
    return iso::parse_policy(text, file, j);
}

// The message of the ConfigError parsing `text` throws, after checking that
// it names the file and `line`.
std::string refusal(const std::string& text, int line) {
    INFO(text);
    try {
        (void)parse(text);
    } catch (const jk::ConfigError& e) {
        CHECK(e.file() == file);
        CHECK(e.line() == line);
        const std::string what = e.what();
        CHECK(what.rfind(std::string(file) + ":" + std::to_string(line) + ": ", 0) == 0);
        return what;
    }
    FAIL("no ConfigError for: " << text);
    return "";
}

// What `systemd-escape --path` prints for `path` (no single quote in it).
std::string systemd_escape(const std::string& path) {
    const std::string cmd = "systemd-escape --path -- '" + path + "'";
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    std::string out;
    char buf[256];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    REQUIRE(::pclose(f) == 0);
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

iso::Rlimit limit(int resource, rlim_t soft, rlim_t hard) {
    return iso::Rlimit{resource, soft, hard};
}

rlim_t operator""_M(unsigned long long v) {
    return static_cast<rlim_t>(v) << 20;
}

}  // namespace

// ---------------------------------------------------------------- names and paths

TEST_CASE("escape_jail_path writes what systemd-escape --path writes", "[isolation]") {
    // The policy file is named after systemd's escaping, so an admin can
    // make the name with `systemd-escape --path`. Compare with the real one
    // (Debian: /usr/bin/systemd-escape, package systemd); its absence is a
    // failure, not a skip.
    REQUIRE(std::system("command -v systemd-escape >/dev/null 2>&1") == 0);
    for (const std::string p :
         {"/home/jail", "/srv/jail-web1", "/srv/my jail", "/srv/.hidden/x", "/.dot", "/srv/a_b:c.d",
          "/srv/\xc3\xbcn\xc3\xaf", "/a/x\\y", "/srv/web~1", "/-", "/srv/x.y.", "/", "/a/%2f/b", "/UPPER/Case09"}) {
        INFO(p);
        CHECK(iso::escape_jail_path(p) == systemd_escape(p));
    }
}

TEST_CASE("escape_jail_path by systemd's documented rules", "[isolation]") {
    CHECK(iso::escape_jail_path("/home/jail") == "home-jail");
    CHECK(iso::escape_jail_path("/srv/jail-web1") == "srv-jail\\x2dweb1");
    CHECK(iso::escape_jail_path("/srv/my jail") == "srv-my\\x20jail");
    CHECK(iso::escape_jail_path("/.dot") == "\\x2edot");                // a leading '.' only
    CHECK(iso::escape_jail_path("/srv/.hidden/x") == "srv-.hidden-x");  // not one inside
    CHECK(iso::escape_jail_path("/srv/\xc3\xbcn") == "srv-\\xc3\\xbcn");
    CHECK(iso::escape_jail_path("/") == "-");
    // Only canonical paths: the file of "/srv/web1/" or "/srv//web1" would
    // be the one of "/srv/web1", but the caller is to have canonicalised it.
    for (const std::string& bad :
         std::vector<std::string>{"", "srv/web1", "/srv/web1/", "/srv//web1", "/srv/./web1", "/srv/../web1", "/.."}) {
        INFO(bad);
        CHECK_THROWS_AS(iso::escape_jail_path(bad), jk::Error);
    }
    CHECK_THROWS_AS(iso::escape_jail_path(std::string("/a\0b", 4)), jk::Error);
}

TEST_CASE("policy_path is CONFDIR/jails.d/<escaped>.ini", "[isolation]") {
    CHECK(iso::policy_path("/etc/jailkit", "/srv/web1") == "/etc/jailkit/jails.d/srv-web1.ini");
    CHECK(iso::policy_path("/etc/jailkit/", "/home/jail-2") == "/etc/jailkit/jails.d/home-jail\\x2d2.ini");
    CHECK_THROWS_AS(iso::policy_path("/etc/jailkit", "/srv/web1/../x"), jk::Error);
}

TEST_CASE("default_hostname: the jail's last component made a hostname", "[isolation]") {
    CHECK(iso::default_hostname("/srv/web1") == "web1");
    CHECK(iso::default_hostname("/srv/My_Jail.example") == "My-Jail-example");
    CHECK(iso::default_hostname("/srv/-a__b-") == "a-b");
    CHECK(iso::default_hostname("/srv/__") == "jail");
    CHECK(iso::default_hostname("/") == "jail");
    CHECK(iso::default_hostname("/srv/\xc3\xbcn") == "n");
    const std::string long_name = iso::default_hostname("/srv/" + std::string(100, 'a'));
    CHECK(long_name == std::string(63, 'a'));
    for (const std::string& j :
         std::vector<std::string>{"/srv/web1", "/srv/My_Jail.example", "/srv/__", "/srv/" + std::string(100, 'x')})
        CHECK(iso::is_valid_hostname(iso::default_hostname(j)));
}

TEST_CASE("default_slice: jk-<escaped>.slice, refused when too long", "[isolation]") {
    CHECK(iso::default_slice("/srv/web1") == "jk-srv-web1.slice");
    CHECK(iso::default_slice("/srv/jail-web1") == "jk-srv-jail\\x2dweb1.slice");
    CHECK(iso::is_valid_slice_name(iso::default_slice("/srv/.x y")));
    CHECK_THROWS_AS(iso::default_slice("/" + std::string(250, 'a')), jk::Error);
}

TEST_CASE("validators of hostname, netns name and slice name", "[isolation]") {
    for (const std::string& ok : std::vector<std::string>{"web1", "a", "web-1.example.org", "A0", std::string(63, 'a'),
                                                          std::string(62, 'a') + ".b"})
        CHECK(iso::is_valid_hostname(ok));
    for (const std::string& bad :
         std::vector<std::string>{"", "-web", "web-", "a..b", ".a", "a.", "a_b", "a b", "web\n1", std::string(64, 'a'),
                                  std::string(32, 'a') + "." + std::string(32, 'b')})
        CHECK_FALSE(iso::is_valid_hostname(bad));

    for (const std::string& ok : std::vector<std::string>{"blue", "a.b-c_d", "-x", "...", std::string(64, 'n')})
        CHECK(iso::is_valid_netns_name(ok));
    for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "a b", "a:b", std::string(65, 'n')})
        CHECK_FALSE(iso::is_valid_netns_name(bad));

    for (const std::string& ok :
         std::vector<std::string>{"jk-web1.slice", "jk.slice", "a:b_c.d\\x2d.slice", std::string(249, 'a') + ".slice"})
        CHECK(iso::is_valid_slice_name(ok));
    for (const std::string& bad :
         std::vector<std::string>{".slice", "-.slice", "jk-.slice", "-jk.slice", "jk--web.slice", "jk web.slice",
                                  "jk.service", "jk/web.slice", "jk@web.slice", std::string(250, 'a') + ".slice"})
        CHECK_FALSE(iso::is_valid_slice_name(bad));
}

TEST_CASE("rlimit_key names every limit of the table", "[isolation]") {
    CHECK(iso::rlimit_key(RLIMIT_NPROC) == "nproc");
    CHECK(iso::rlimit_key(RLIMIT_AS) == "as");
    CHECK(iso::rlimit_key(RLIMIT_RTTIME) == "?");
}

// ---------------------------------------------------------------- parsing

TEST_CASE("no isolation: an empty file, or isolate = none alone", "[isolation]") {
    CHECK(parse("").empty());
    CHECK(parse("# nothing yet\n\n").empty());
    CHECK(parse("[isolation]\nisolate = none\n").empty());
    CHECK(parse("[isolation]\n[limits]\n[cgroup]\n").empty());
    CHECK(iso::describe(parse("")) == "none");
    CHECK(iso::Policy{} == parse(""));
}

TEST_CASE("isolate = recommended turns on the documented set", "[isolation]") {
    const iso::Policy p = parse("[isolation]\nisolate = recommended\n");
    CHECK(p.ns == iso::Namespaces{.pid = true, .ipc = true, .uts = true, .mount = true, .cgroup = true});
    CHECK(p.hostname == "web1");
    CHECK(p.network == iso::Network::loopback);
    CHECK(p.netns.empty());
    CHECK(p.seccomp);
    CHECK_FALSE(p.seccomp_allow_ptrace);
    CHECK(p.limits == std::vector<iso::Rlimit>{limit(RLIMIT_NPROC, 1024, 1024), limit(RLIMIT_CORE, 0, 0)});
    CHECK_FALSE(p.cgroup.any());
    CHECK(p.slice.empty());
    CHECK_FALSE(p.empty());
    CHECK(iso::describe(p) == "pid,ipc,uts(web1),mount,cgroup net=loopback seccomp nproc=1024 core=0");
    // Keywords are not case-sensitive, key names neither.
    CHECK(parse("[isolation]\nIsolate = Recommended\n") == p);
    // The hostname follows the jail.
    CHECK(parse("[isolation]\nisolate = recommended\n", "/home/jails/Shop_2").hostname == "Shop-2");
}

TEST_CASE("explicit keys override the recommended set", "[isolation]") {
    const iso::Policy p = parse(
        "[isolation]\n"
        "isolate = recommended\n"
        "namespaces = pid, mount\n"
        "network = netns:blue\n"
        "seccomp_allow_ptrace = yes\n"
        "[limits]\n"
        "nproc = 200\n"
        "[cgroup]\n"
        "pids.max = max\n"
        "slice = jk-web.slice\n");
    CHECK(p.ns == iso::Namespaces{.pid = true, .mount = true});
    CHECK_FALSE(p.hostname);  // no UTS namespace, so no hostname of its own
    CHECK(p.network == iso::Network::named);
    CHECK(p.netns == "blue");
    CHECK(p.seccomp);
    CHECK(p.seccomp_allow_ptrace);
    CHECK(p.limits == std::vector<iso::Rlimit>{limit(RLIMIT_NPROC, 200, 200), limit(RLIMIT_CORE, 0, 0)});
    CHECK(p.cgroup.pids_max == iso::cgroup_max);
    CHECK(p.slice == "jk-web.slice");
    CHECK(iso::describe(p) ==
          "pid,mount net=netns:blue seccomp(ptrace) nproc=200 core=0 slice=jk-web.slice pids.max=max");

    const iso::Policy off = parse(
        "[isolation]\nisolate = recommended\nnamespaces = none\nnetwork = host\nseccomp = off\n"
        "[limits]\nnproc = unlimited\ncore = unlimited\n");
    CHECK_FALSE(off.ns.any());
    CHECK(off.network == iso::Network::host);
    CHECK_FALSE(off.seccomp);
    CHECK(off.limits == std::vector<iso::Rlimit>{limit(RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY),
                                                 limit(RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY)});
    CHECK_FALSE(off.cgroup.any());
    CHECK(off.slice.empty());
}

TEST_CASE("[isolation] keys one by one", "[isolation]") {
    SECTION("namespaces: any subset, any case, over lines") {
        CHECK(parse("[isolation]\nnamespaces = mount, pid\n").ns == iso::Namespaces{.pid = true, .mount = true});
        CHECK(parse("[isolation]\nnamespaces = IPC, cgroup\n").ns == iso::Namespaces{.ipc = true, .cgroup = true});
        CHECK(parse("[isolation]\nnamespaces = pid,\n  mount\n").ns == iso::Namespaces{.pid = true, .mount = true});
        CHECK(parse("[isolation]\nnamespaces = none\n").empty());
        const iso::Policy uts = parse("[isolation]\nnamespaces = uts\n");
        CHECK(uts.ns == iso::Namespaces{.uts = true});
        CHECK(uts.hostname == "web1");  // a UTS namespace always has the jail's own name
    }
    SECTION("hostname implies uts") {
        const iso::Policy p = parse("[isolation]\nhostname = shop.example.org\n");
        CHECK(p.ns == iso::Namespaces{.uts = true});
        CHECK(p.hostname == "shop.example.org");
        CHECK(iso::describe(p) == "uts(shop.example.org)");
        CHECK(parse("[isolation]\nnamespaces = pid,mount\nhostname = h\n").ns ==
              iso::Namespaces{.pid = true, .uts = true, .mount = true});
        CHECK(parse("[isolation]\nisolate = recommended\nhostname = other\n").hostname == "other");
    }
    SECTION("network") {
        CHECK(parse("[isolation]\nnetwork = host\n").empty());
        const iso::Policy lo = parse("[isolation]\nnetwork = loopback\n");
        CHECK(lo.network == iso::Network::loopback);
        CHECK(iso::describe(lo) == "net=loopback");
        const iso::Policy named = parse("[isolation]\nnetwork = netns:vpn-1.a_b\n");
        CHECK(named.network == iso::Network::named);
        CHECK(named.netns == "vpn-1.a_b");
        CHECK(parse("[isolation]\nnetwork = NETNS:Blue\n").netns == "Blue");  // the name keeps its case
        CHECK(parse("[isolation]\nnetwork = netns:" + std::string(64, 'n') + "\n").netns == std::string(64, 'n'));
    }
    SECTION("seccomp") {
        CHECK(parse("[isolation]\nseccomp = default\n").seccomp);
        CHECK(iso::describe(parse("[isolation]\nseccomp = default\n")) == "seccomp");
        CHECK(parse("[isolation]\nseccomp = off\n").empty());
        CHECK(parse("[isolation]\nseccomp = default\nseccomp_allow_ptrace = no\n").seccomp_allow_ptrace == false);
        CHECK(parse("[isolation]\nseccomp = default\nseccomp_allow_ptrace = yes\n").seccomp_allow_ptrace);
        CHECK(parse("[isolation]\nseccomp_allow_ptrace = no\n").empty());
    }
}

TEST_CASE("[limits]: counts, sizes, soft:hard, unlimited", "[isolation]") {
    const iso::Policy p = parse(
        "[limits]\n"
        "cpu = 600\n"  // the file's order does not matter
        "nproc = 200\n"
        "nofile = 1024:4096\n"
        "as = 2G\n"
        "data = 512m\n"
        "stack = 8M:unlimited\n"
        "fsize = 1G\n"
        "core = 0\n"
        "memlock = 64K\n"
        "msgqueue = 819200\n"
        "locks = 100\n"
        "sigpending = infinity\n");
    CHECK(p.limits == std::vector<iso::Rlimit>{
                          limit(RLIMIT_NPROC, 200, 200),
                          limit(RLIMIT_NOFILE, 1024, 4096),
                          limit(RLIMIT_AS, 2048_M, 2048_M),
                          limit(RLIMIT_DATA, 512_M, 512_M),
                          limit(RLIMIT_STACK, 8_M, RLIM_INFINITY),
                          limit(RLIMIT_FSIZE, 1024_M, 1024_M),
                          limit(RLIMIT_CORE, 0, 0),
                          limit(RLIMIT_MEMLOCK, 64 << 10, 64 << 10),
                          limit(RLIMIT_MSGQUEUE, 819200, 819200),
                          limit(RLIMIT_CPU, 600, 600),
                          limit(RLIMIT_LOCKS, 100, 100),
                          limit(RLIMIT_SIGPENDING, RLIM_INFINITY, RLIM_INFINITY),
                      });
    CHECK(p.slice.empty());  // rlimits need no cgroup
    CHECK(iso::describe(p) ==
          "nproc=200 nofile=1024:4096 as=2G data=512M stack=8M:unlimited fsize=1G core=0 memlock=64K "
          "msgqueue=800K cpu=600 locks=100 sigpending=unlimited");
    CHECK(parse("[limits]\nfsize = 1T\n").limits ==
          std::vector<iso::Rlimit>{limit(RLIMIT_FSIZE, 1_M << 20, 1_M << 20)});
    CHECK(parse("[limits]\nas = 1025\n").limits == std::vector<iso::Rlimit>{limit(RLIMIT_AS, 1025, 1025)});
    CHECK(parse("[limits]\nnofile = 0\n").limits == std::vector<iso::Rlimit>{limit(RLIMIT_NOFILE, 0, 0)});
}

TEST_CASE("[cgroup]: every key, and the slice it implies", "[isolation]") {
    const iso::Policy p = parse(
        "[cgroup]\n"
        "memory.max = 512M\n"
        "pids.max = 200\n"
        "cpu.max = 50000 100000\n"
        "cpu.weight = 100\n"
        "io.weight = 10000\n");
    CHECK(p.cgroup.memory_max == std::uint64_t{512} << 20);
    CHECK(p.cgroup.pids_max == 200u);
    CHECK(p.cgroup.cpu_max == iso::CpuMax{50000, 100000});
    CHECK(p.cgroup.cpu_weight == 100u);
    CHECK(p.cgroup.io_weight == 10000u);
    CHECK(p.slice == "jk-srv-web1.slice");
    CHECK(iso::describe(p) ==
          "slice=jk-srv-web1.slice memory.max=512M pids.max=200 cpu.max=50000/100000 cpu.weight=100 io.weight=10000");

    CHECK(parse("[cgroup]\nmemory.max = max\n").cgroup.memory_max == iso::cgroup_max);
    CHECK(parse("[cgroup]\nmemory.max = 1048576\n").cgroup.memory_max == std::uint64_t{1} << 20);
    CHECK(parse("[cgroup]\ncpu.max = max\n").cgroup.cpu_max == iso::CpuMax{iso::cgroup_max, 100000});
    CHECK(parse("[cgroup]\ncpu.max = MAX 20000\n").cgroup.cpu_max == iso::CpuMax{iso::cgroup_max, 20000});
    CHECK(parse("[cgroup]\ncpu.max = 200000\n").cgroup.cpu_max == iso::CpuMax{200000, 100000});
    CHECK(parse("[cgroup]\ncpu.max = 1000   1000\n").cgroup.cpu_max == iso::CpuMax{1000, 1000});
    CHECK(iso::describe(parse("[cgroup]\ncpu.max = max 20000\ncpu.weight = 1\n")) ==
          "slice=jk-srv-web1.slice cpu.max=max/20000 cpu.weight=1");
    // A slice alone: placement with whatever limits systemd gives the slice.
    const iso::Policy s = parse("[cgroup]\nslice = jk-web1.slice\n");
    CHECK(s.slice == "jk-web1.slice");
    CHECK_FALSE(s.cgroup.any());
    CHECK_FALSE(s.empty());
    CHECK(iso::describe(s) == "slice=jk-web1.slice");
}

TEST_CASE("[cgroup] delegate: where the slice is made; alone it implies the default slice", "[isolation]") {
    const iso::Policy p = parse("[cgroup]\nslice = jk-web1.slice\ndelegate = /sys/fs/cgroup/jailkit\n");
    CHECK(p.slice == "jk-web1.slice");
    CHECK(p.cgroup_delegate == "/sys/fs/cgroup/jailkit");
    CHECK_FALSE(p.cgroup.any());
    CHECK(iso::describe(p) == "slice=jk-web1.slice delegate=/sys/fs/cgroup/jailkit");

    const iso::Policy alone = parse("[cgroup]\ndelegate = /sys/fs/cgroup/unified/jk\n");
    CHECK(alone.slice == "jk-srv-web1.slice");
    CHECK_FALSE(alone.empty());

    const iso::Policy limits = parse("[cgroup]\npids.max = 20\ndelegate = /sys/fs/cgroup/jk\n");
    CHECK(limits.cgroup.pids_max == 20u);
    CHECK(limits.slice == "jk-srv-web1.slice");
    CHECK(iso::describe(limits) == "slice=jk-srv-web1.slice delegate=/sys/fs/cgroup/jk pids.max=20");

    CHECK(parse("[cgroup]\npids.max = 20\n").cgroup_delegate.empty());
    CHECK(refusal("[cgroup]\ndelegate = /a\ndelegate = /b\n", 3).find("delegate") != std::string::npos);
}

TEST_CASE("an invalid value is refused naming file, line, key and what is allowed", "[isolation]") {
    struct Case {
        std::string text;
        int line;
        std::string key;      // named in the message
        std::string allowed;  // a piece of the allowed-values text
    };
    const std::vector<Case> cases = {
        {"[isolation]\nisolate = yes\n", 2, "'isolate'", "recommended or none"},
        {"[isolation]\nisolate =\n", 2, "'isolate'", "recommended or none"},
        {"[isolation]\nnamespaces = pid, net\n", 2, "'namespaces'", "'net' is not a namespace here"},
        {"[isolation]\nnamespaces = user\n", 2, "'namespaces'", "pid, ipc, uts, mount and cgroup"},
        {"[isolation]\nnamespaces = none, pid\n", 2, "'namespaces'", "or none alone"},
        {"[isolation]\nnamespaces = pid\n", 2, "'namespaces'", "pid needs mount as well"},
        {"[isolation]\nnamespaces = pid, ipc, uts, cgroup\n", 2, "'namespaces'", "pid needs mount as well"},
        {"[isolation]\nisolate = recommended\nnamespaces = pid, ipc\n", 3, "'namespaces'", "pid needs mount"},
        {"[isolation]\nnamespaces =\n", 2, "'namespaces'", "or none"},
        {"[isolation]\n\nhostname = -web\n", 3, "'hostname'", "labels of 1 to 63"},
        {"[isolation]\nhostname = web_1\n", 2, "'hostname'", "A-Z a-z 0-9 -"},
        {"[isolation]\nhostname = " + std::string(65, 'a') + "\n", 2, "'hostname'", "at most 64"},
        {"[isolation]\nhostname =\n", 2, "'hostname'", "hostname"},
        {"[isolation]\nnetwork = none\n", 2, "'network'", "host, loopback, or netns:NAME"},
        {"[isolation]\nnetwork = netns:\n", 2, "'network'", "netns:NAME"},
        {"[isolation]\nnetwork = netns:..\n", 2, "'network'", "not . or .."},
        {"[isolation]\nnetwork = netns:a/b\n", 2, "'network'", "A-Z a-z 0-9 _ . -"},
        {"[isolation]\nnetwork = netns:" + std::string(65, 'n') + "\n", 2, "'network'", "1 to 64"},
        {"[isolation]\nseccomp = strict\n", 2, "'seccomp'", "default or off"},
        {"[isolation]\nseccomp_allow_ptrace = maybe\n", 2, "'seccomp_allow_ptrace'", "yes or no"},
        {"[isolation]\nseccomp_allow_ptrace = yes\n", 2, "'seccomp_allow_ptrace'", "seccomp = default"},
        {"[isolation]\nisolate = recommended\nseccomp = off\nseccomp_allow_ptrace = yes\n", 4, "'seccomp_allow_ptrace'",
         "seccomp = default"},
        {"[limits]\nnproc = lots\n", 2, "'nproc'", "a number or unlimited"},
        {"[limits]\nnproc = 1K\n", 2, "'nproc'", "a number"},  // no suffix for counts
        {"[limits]\nnproc = -1\n", 2, "'nproc'", "a number"},
        {"[limits]\nnproc =\n", 2, "'nproc'", "a number"},
        {"[limits]\nnofile = 2048:1024\n", 2, "'nofile'", "soft not above hard"},
        {"[limits]\nnofile = unlimited\n", 2, "'nofile'", "unlimited nofile"},
        {"[limits]\nnofile = 1:2:3\n", 2, "'nofile'", "soft:hard"},
        {"[limits]\nas = 2X\n", 2, "'as'", "K, M, G or T"},
        {"[limits]\nas = 1.5G\n", 2, "'as'", "K, M, G or T"},
        {"[limits]\nas = 2 G\n", 2, "'as'", "K, M, G or T"},
        {"[limits]\nfsize = 99999999999T\n", 2, "'fsize'", "size in bytes"},
        {"[limits]\ncore = 18446744073709551615\n", 2, "'core'", "size in bytes"},  // RLIM_INFINITY as a number
        {"[limits]\ncpu = 10m\n", 2, "'cpu'", "a number of seconds"},
        {"[limits]\ncpu = 99999999999999999999999\n", 2, "'cpu'", "a number of seconds"},
        {"[cgroup]\nmemory.max = 512\n", 2, "'memory.max'", "at least 1M"},
        {"[cgroup]\nmemory.max = lots\n", 2, "'memory.max'", "max, or a size"},
        {"[cgroup]\npids.max = 0\n", 2, "'pids.max'", "1 to 4194304"},
        {"[cgroup]\npids.max = 5000000\n", 2, "'pids.max'", "1 to 4194304"},
        {"[cgroup]\ncpu.max = 50000/100000\n", 2, "'cpu.max'", "QUOTA [PERIOD]"},
        {"[cgroup]\ncpu.max = 999 100000\n", 2, "'cpu.max'", "QUOTA from 1000"},
        {"[cgroup]\ncpu.max = 50000 2000000\n", 2, "'cpu.max'", "PERIOD from 1000 to 1000000"},
        {"[cgroup]\ncpu.max = 50000 100000 1\n", 2, "'cpu.max'", "QUOTA [PERIOD]"},
        {"[cgroup]\ncpu.max =\n", 2, "'cpu.max'", "QUOTA [PERIOD]"},
        {"[cgroup]\ncpu.max = max max\n", 2, "'cpu.max'", "PERIOD"},
        {"[cgroup]\ncpu.weight = 0\n", 2, "'cpu.weight'", "1 to 10000"},
        {"[cgroup]\ncpu.weight = 10001\n", 2, "'cpu.weight'", "1 to 10000"},
        {"[cgroup]\nio.weight = +5\n", 2, "'io.weight'", "1 to 10000"},
        {"[cgroup]\nslice = web.service\n", 2, "'slice'", "slice name"},
        {"[cgroup]\nslice = -.slice\n", 2, "'slice'", "slice name"},
        {"[cgroup]\nslice = jk--web.slice\n", 2, "'slice'", "doubled -"},
        {"[cgroup]\ndelegate = sys/fs/cgroup/jk\n", 2, "'delegate'", "canonical absolute path"},
        {"[cgroup]\ndelegate = /sys/fs/cgroup/../jk\n", 2, "'delegate'", "canonical absolute path"},
        {"[cgroup]\ndelegate = /sys/fs/cgroup/jk/\n", 2, "'delegate'", "canonical absolute path"},
        {"[cgroup]\ndelegate = /sys/fs//cgroup\n", 2, "'delegate'", "canonical absolute path"},
        {"[cgroup]\ndelegate = /\n", 2, "'delegate'", "other than /"},
        {"[cgroup]\ndelegate = /sys/fs/cgroup/my jails\n", 2, "'delegate'", "without blanks"},
        {"[cgroup]\ndelegate =\n", 2, "'delegate'", "cgroup v2 directory"},
    };
    for (const auto& c : cases) {
        const std::string what = refusal(c.text, c.line);
        INFO(what);
        CHECK(what.find("invalid value") != std::string::npos);
        CHECK(what.find(c.key) != std::string::npos);
        CHECK(what.find(c.allowed) != std::string::npos);
    }
    // A continuation line makes a scalar value invalid, not two values.
    CHECK(refusal("[isolation]\nnetwork = loopback\n  host\n", 2).find("'network'") != std::string::npos);
}

TEST_CASE("unknown keys and sections, duplicates and stray text are refused", "[isolation]") {
    CHECK(refusal("[isolation]\nisolate = recommended\nnamespace = pid\n", 3)
              .find("unknown key 'namespace' in [isolation]") != std::string::npos);
    CHECK(refusal("[limits]\nnprocs = 10\n", 2).find("unknown key 'nprocs' in [limits] (known: nproc, nofile") !=
          std::string::npos);
    CHECK(refusal("[cgroup]\nmemory.high = 1G\n", 2).find("unknown key 'memory.high' in [cgroup]") !=
          std::string::npos);
    CHECK(refusal("[limits]\nrss = 1G\n", 2).find("'rss'") != std::string::npos);
    CHECK(refusal("[isolation]\n[limit]\nnproc = 1\n", 2).find("unknown section [limit]") != std::string::npos);
    CHECK(refusal("[DEFAULT]\nisolate = recommended\n", 1).find("unknown section [DEFAULT]") != std::string::npos);
    CHECK(refusal("[Isolation]\n", 1).find("unknown section [Isolation]") != std::string::npos);
    // A second value for a key would be ignored by the ini reader: refused.
    CHECK(refusal("[isolation]\nnetwork = loopback\nnetwork = host\n", 3).find("duplicate key 'network'") !=
          std::string::npos);
    CHECK(refusal("[limits]\nnproc = 1\n[limits]\nnproc = 2\n", 3).find("duplicate section [limits]") !=
          std::string::npos);
    CHECK(refusal("[isolation] seccomp = off\n", 1).find("after section header") != std::string::npos);
    CHECK(refusal("[isolation]\nnamespaces = pid, mount\n  seccomp = off\n", 3).find("indented line") !=
          std::string::npos);
    // What the ini reader itself refuses keeps its file:line.
    CHECK(refusal("isolate = recommended\n", 1).find("outside any [section]") != std::string::npos);
    CHECK(refusal("[isolation]\njust words\n", 2).size() > 0);
    const std::string nul = "[isolation]\nnetwork = lo\0op\n"s;
    CHECK(refusal(nul, 2).size() > 0);
}

TEST_CASE("parse_policy refuses a jail path that is not canonical", "[isolation]") {
    CHECK_THROWS_AS(parse("", "srv/web1"), jk::Error);
    CHECK_THROWS_AS(parse("[isolation]\nisolate = recommended\n", "/srv/web1/"), jk::Error);
    // A jail whose default slice name would be too long is told to set one.
    const std::string long_jail = "/" + std::string(250, 'j');
    CHECK(parse("[isolation]\nisolate = recommended\n[cgroup]\nslice = jk-long.slice\n", long_jail).slice ==
          "jk-long.slice");
    try {
        (void)parse("[isolation]\nisolate = recommended\n[cgroup]\npids.max = 100\n", long_jail);
        FAIL("no error for a jail without a valid slice name");
    } catch (const jk::ConfigError& e) {
        CHECK(std::string(e.what()).find("set 'slice'") != std::string::npos);
    }
}

// ---------------------------------------------------------------- load_policy

TEST_CASE("load_policy: no confdir, no jails.d, no file is no policy", "[isolation][root]") {
    jk::test::TempJail t;
    const std::string confdir = t / "jailkit";
    CHECK_FALSE(iso::load_policy(confdir, jail));
    jk::test::sh("mkdir -m 0755 " + confdir);
    CHECK_FALSE(iso::load_policy(confdir, jail));
    jk::test::sh("mkdir -m 0755 " + confdir + "/jails.d");
    CHECK_FALSE(iso::load_policy(confdir, jail));
}

TEST_CASE("load_policy reads CONFDIR/jails.d/<escaped>.ini through trust", "[isolation][root]") {
    jk::test::TempJail t;
    const std::string confdir = t / "jailkit";
    const std::string dir = confdir + "/jails.d";
    const std::string name = dir + "/srv-web1.ini";
    using jk::test::sh;

    sh("mkdir -m 0755 " + confdir + " " + dir);
    sh("printf '[isolation]\\nisolate = recommended\\n[limits]\\nnproc = 300\\n' > " + name + " && chmod 0644 " + name);

    SECTION("a root-owned file is loaded") {
        const std::optional<iso::Policy> p = iso::load_policy(confdir, jail);
        REQUIRE(p);
        CHECK(p->network == iso::Network::loopback);
        CHECK(p->limits.front() == limit(RLIMIT_NPROC, 300, 300));
        CHECK(p->hostname == "web1");
        // Another jail's file is not this one's.
        CHECK_FALSE(iso::load_policy(confdir, "/srv/web"));
        CHECK_FALSE(iso::load_policy(confdir, "/srv/web1/x"));
        // The name follows systemd's escaping.
        sh("cp -p " + name + " '" + dir + "/srv-jail\\x2dweb1.ini'");
        CHECK(iso::load_policy(confdir, "/srv/jail-web1"));
        // An empty file is a policy that changes nothing (present, empty).
        sh(": > " + name);
        const std::optional<iso::Policy> none = iso::load_policy(confdir, jail);
        REQUIRE(none);
        CHECK(none->empty());
    }
    SECTION("jails.d writable by a group other than root: refused") {
        sh("chgrp 65534 " + dir + " && chmod 0775 " + dir);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
        // Whoever may write jails.d may plant any jail's file there, so the
        // directory fails even for a jail without one.
        CHECK_THROWS_AS(iso::load_policy(confdir, "/srv/other"), jk::UnsafePath);
    }
    SECTION("jails.d root:root 0775 is accepted, as /etc/jailkit is") {
        sh("chgrp 0 " + dir + " && chmod 0775 " + dir);
        CHECK(iso::load_policy(confdir, jail));
    }
    SECTION("jails.d writable by others: refused") {
        sh("chmod 0777 " + dir);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
    }
    SECTION("a symlinked file is refused, even one to a trusted file") {
        sh("mv " + name + " " + dir + "/real.ini && ln -s real.ini " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::SymlinkNotAllowed);
        // A dangling one as well: it is not "missing".
        sh("rm " + dir + "/real.ini");
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::SymlinkNotAllowed);
    }
    SECTION("a symlinked jails.d is refused") {
        sh("mv " + dir + " " + confdir + "/real.d && ln -s real.d " + dir);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::SymlinkNotAllowed);
    }
    SECTION("a file not owned by root, or writable by group or others: refused") {
        sh("chown 65534 " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
        sh("chown 0:65534 " + name + " && chmod 0664 " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
        sh("chown 0:0 " + name + " && chmod 0646 " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
    }
    SECTION("a directory or a FIFO in the file's place: refused") {
        sh("rm " + name + " && mkdir -m 0755 " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
        sh("rmdir " + name + " && mkfifo -m 0644 " + name);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::UnsafePath);
    }
    SECTION("jails.d a regular file: an error, not 'no policy'") {
        sh("rm -r " + dir + " && : > " + dir + " && chmod 0644 " + dir);
        CHECK_THROWS_AS(iso::load_policy(confdir, jail), jk::Error);
    }
    SECTION("a malformed file names its path and line") {
        sh("printf '[isolation]\\nnetwork = everywhere\\n' > " + name);
        try {
            (void)iso::load_policy(confdir, jail);
            FAIL("no error for a malformed policy");
        } catch (const jk::ConfigError& e) {
            CHECK(e.file() == name);
            CHECK(e.line() == 2);
        }
    }
    SECTION("a non-canonical jail is an error before any file is opened") {
        CHECK_THROWS_AS(iso::load_policy(confdir, "/srv/../srv/web1"), jk::Error);
    }
}

TEST_CASE("[thin] ro_binds: sorted, and the mount namespace turned on", "[isolation]") {
    const iso::Policy p = parse("[thin]\nro_binds = /usr, /etc/ld.so.cache, /opt/tools\n");
    CHECK(p.thin());
    CHECK_FALSE(p.empty());
    CHECK(p.ns.mount);
    CHECK_FALSE(p.ns.pid);
    CHECK(p.ro_binds == std::vector<std::string>{"/etc/ld.so.cache", "/opt/tools", "/usr"});
    CHECK(iso::describe(p) == "mount thin=/etc/ld.so.cache,/opt/tools,/usr");
    // A list may span lines, as every list of the ini files.
    CHECK(parse("[thin]\nro_binds = /usr,\n  /lib64\n").ro_binds == std::vector<std::string>{"/lib64", "/usr"});
    // Beside an [isolation] that asks for no mount namespace.
    CHECK(parse("[isolation]\nnamespaces = ipc\n[thin]\nro_binds = /usr\n").ns.mount);
    CHECK_FALSE(parse("").thin());
}

TEST_CASE("[thin] refuses what would bind the wrong thing", "[isolation]") {
    CHECK_THAT(refusal("[thin]\n", 1), Catch::Contains("[thin] needs ro_binds"));
    CHECK_THAT(refusal("[thin]\nro_binds =\n", 2), Catch::Contains("invalid value"));
    CHECK_THAT(refusal("[thin]\nro_binds = /usr\nextra = 1\n", 3), Catch::Contains("unknown key 'extra'"));
    for (const char* bad : {"usr", "/", "/usr/", "/usr//lib", "/usr/./lib", "/usr/../etc", "/a b"}) {
        INFO(bad);
        CHECK_THAT(refusal("[thin]\nro_binds = "s + bad + "\n", 2), Catch::Contains("not a canonical absolute path"));
    }
    CHECK_THAT(refusal("[thin]\nro_binds = /srv/web1\n", 2), Catch::Contains("is the jail, inside it or above it"));
    CHECK_THAT(refusal("[thin]\nro_binds = /srv\n", 2), Catch::Contains("is the jail, inside it or above it"));
    CHECK_THAT(refusal("[thin]\nro_binds = /srv/web1/usr\n", 2), Catch::Contains("is the jail, inside it or above it"));
    for (const char* bad : {"/proc", "/proc/1", "/sys/kernel", "/dev", "/run/netns", "/tmp", "/home/u"}) {
        INFO(bad);
        CHECK_THAT(refusal("[thin]\nro_binds = "s + bad + "\n", 2), Catch::Contains("is under"));
    }
    CHECK_THAT(refusal("[thin]\nro_binds = /usr, /lib, /usr\n", 2), Catch::Contains("'/usr' is listed twice"));
    // /srv/web10 is not inside /srv/web1.
    CHECK(parse("[thin]\nro_binds = /srv/web10\n").thin());
}

TEST_CASE("[cgroup] manager: auto, systemd or delegate, and only combinations that mean what they say", "[isolation]") {
    CHECK(parse("[cgroup]\npids.max = 20\n").cgroup_manager == iso::CgroupManager::automatic);
    const iso::Policy sd = parse("[cgroup]\npids.max = 20\nmanager = systemd\n");
    CHECK(sd.cgroup_manager == iso::CgroupManager::systemd);
    CHECK(iso::describe(sd) == "slice=jk-srv-web1.slice manager=systemd pids.max=20");
    const iso::Policy dg = parse("[cgroup]\ndelegate = /sys/fs/cgroup/jk\nmanager = Delegate\n");
    CHECK(dg.cgroup_manager == iso::CgroupManager::delegate);
    CHECK(parse("[cgroup]\nmanager = auto\n").empty());  // a manager alone places nothing

    CHECK(refusal("[cgroup]\nmanager = cgmanager\n", 2).find("auto, systemd or delegate") != std::string::npos);
    CHECK(refusal("[cgroup]\npids.max = 20\nmanager = delegate\n", 3).find("needs delegate = PATH") !=
          std::string::npos);
    CHECK(refusal("[cgroup]\ndelegate = /sys/fs/cgroup/jk\nmanager = systemd\n", 3).find("its own tree") !=
          std::string::npos);
}
