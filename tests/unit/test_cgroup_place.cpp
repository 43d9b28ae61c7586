// Placing a login in its slice below a delegated cgroup: the pure pieces
// (controllers, limit files), then the core on a plain directory tree that
// stands in for cgroupfs ([root]: trust wants root-owned directories). The
// fake tree holds the files the kernel would make; the core never creates a
// file, so what it writes is exactly what it would write on cgroupfs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/cgroup_place.hpp"
#include "jk/error.hpp"
#include "tmpjail.hpp"

namespace cg = jk::cgroup;
namespace iso = jk::isolation;
using jk::test::sh;
using jk::test::TempJail;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool is_dir_0755(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755;
}

iso::CgroupLimits all_limits() {
    iso::CgroupLimits l;
    l.memory_max = std::uint64_t{512} << 20;
    l.pids_max = 20;
    l.cpu_max = iso::CpuMax{50000, 100000};
    l.cpu_weight = 50;
    l.io_weight = 200;
    return l;
}

// A delegate at T/cg offering `controllers`, as the kernel shows one.
std::string fake_delegate(const TempJail& t, const std::string& controllers) {
    const std::string d = t / "cg";
    sh("install -d -m 0755 '" + d + "' && printf '%s\\n' '" + controllers + "' >'" + d +
       "/cgroup.controllers' && : >'" + d + "/cgroup.subtree_control'");
    return d;
}

// The slice and leaf with the files cgroupfs makes in them.
void fake_slice(const std::string& delegate, const std::string& slice) {
    const std::string s = delegate + "/" + slice;
    sh("install -d -m 0755 '" + s + "' '" + s + "/logins' && cd '" + s +
       "' && : >memory.max && : >pids.max && : >cpu.max && : >cpu.weight && : >io.weight && "
       ": >cgroup.subtree_control && : >logins/cgroup.procs");
}

void place(const std::string& delegate, const std::string& slice, const iso::CgroupLimits& limits, pid_t pid) {
    const jk::UniqueFd fd = cg::open_delegate(delegate, false);
    cg::place_beneath(fd.get(), delegate, slice, limits, pid);
}

}  // namespace

TEST_CASE("needed_controllers and limit_files: what each limit needs and writes", "[cgroup]") {
    CHECK(cg::needed_controllers({}).empty());
    CHECK(cg::limit_files({}).empty());
    CHECK(cg::needed_controllers(all_limits()) == std::vector<std::string>{"memory", "pids", "cpu", "io"});
    CHECK(cg::limit_files(all_limits()) == std::vector<cg::LimitFile>{{"memory.max", "536870912"},
                                                                      {"pids.max", "20"},
                                                                      {"cpu.max", "50000 100000"},
                                                                      {"cpu.weight", "50"},
                                                                      {"io.weight", "default 200"}});
    iso::CgroupLimits m;
    m.memory_max = iso::cgroup_max;
    m.pids_max = iso::cgroup_max;
    m.cpu_max = iso::CpuMax{iso::cgroup_max, 20000};
    CHECK(cg::limit_files(m) ==
          std::vector<cg::LimitFile>{{"memory.max", "max"}, {"pids.max", "max"}, {"cpu.max", "max 20000"}});
    iso::CgroupLimits w;
    w.cpu_weight = 1;
    CHECK(cg::needed_controllers(w) == std::vector<std::string>{"cpu"});
    CHECK(cg::parse_controllers("cpuset cpu io memory hugetlb pids rdma misc\n") ==
          std::vector<std::string>{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"});
    CHECK(cg::parse_controllers("\n").empty());
    CHECK(cg::parse_controllers("").empty());
}

TEST_CASE("place_beneath writes the controllers, the limits and the pid", "[cgroup][root]") {
    TempJail t;
    const std::string d = fake_delegate(t, "cpuset cpu io memory hugetlb pids");
    fake_slice(d, "jk-web1.slice");
    place(d, "jk-web1.slice", all_limits(), 4242);
    // One "+NAME" per write: on a plain file they follow each other.
    CHECK(slurp(d + "/cgroup.subtree_control") == "+memory+pids+cpu+io");
    const std::string s = d + "/jk-web1.slice";
    CHECK(slurp(s + "/memory.max") == "536870912");
    CHECK(slurp(s + "/pids.max") == "20");
    CHECK(slurp(s + "/cpu.max") == "50000 100000");
    CHECK(slurp(s + "/cpu.weight") == "50");
    CHECK(slurp(s + "/io.weight") == "default 200");
    CHECK(slurp(s + "/cgroup.subtree_control") == "+memory+pids+cpu+io");
    CHECK(slurp(s + "/logins/cgroup.procs") == "4242");

    // Only what is set: a pids limit touches pids and nothing else.
    fake_slice(d, "jk-two.slice");
    iso::CgroupLimits p;
    p.pids_max = 7;
    place(d, "jk-two.slice", p, 99);
    CHECK(slurp(d + "/jk-two.slice/pids.max") == "7");
    CHECK(slurp(d + "/jk-two.slice/memory.max").empty());
    CHECK(slurp(d + "/jk-two.slice/cgroup.subtree_control") == "+pids");
    CHECK(slurp(d + "/jk-two.slice/logins/cgroup.procs") == "99");
}

TEST_CASE("place_beneath makes the slice and its logins leaf (0755) when missing", "[cgroup][root]") {
    TempJail t;
    const std::string d = fake_delegate(t, "");
    // No limit: no controller needed, the delegate's subtree_control is left
    // alone. On a plain directory mkdir makes no cgroup.procs, so the last
    // step fails naming the file; on cgroupfs the kernel makes it.
    try {
        place(d, "jk-new.slice", {}, 1234);
        FAIL("a plain directory has no cgroup.procs");
    } catch (const jk::SysError& e) {
        CHECK(e.err() == ENOENT);
        CHECK(std::string(e.what()).find(d + "/jk-new.slice/logins/cgroup.procs") != std::string::npos);
    }
    CHECK(is_dir_0755(d + "/jk-new.slice"));
    CHECK(is_dir_0755(d + "/jk-new.slice/logins"));
    CHECK(slurp(d + "/cgroup.subtree_control").empty());
    // A second login finds both and goes on.
    sh(": >'" + d + "/jk-new.slice/logins/cgroup.procs'");
    place(d, "jk-new.slice", {}, 1235);
    CHECK(slurp(d + "/jk-new.slice/logins/cgroup.procs") == "1235");
}

TEST_CASE("a controller the delegate does not offer is refused by name, before anything is written", "[cgroup][root]") {
    TempJail t;
    const std::string d = fake_delegate(t, "hugetlb");  // this CI host: the rest is bound to cgroup v1
    fake_slice(d, "jk-web1.slice");
    iso::CgroupLimits l;
    l.pids_max = 20;
    try {
        place(d, "jk-web1.slice", l, 4242);
        FAIL("pids is not offered");
    } catch (const jk::Error& e) {
        const std::string what = e.what();
        INFO(what);
        CHECK(what.find("pids controller") != std::string::npos);
        CHECK(what.find("'" + d + "'") != std::string::npos);
    }
    l.memory_max = std::uint64_t{1} << 30;
    CHECK_THROWS_WITH(place(d, "jk-web1.slice", l, 4242), Catch::Contains("memory, pids controllers"));
    CHECK(slurp(d + "/cgroup.subtree_control").empty());
    CHECK(slurp(d + "/jk-web1.slice/pids.max").empty());
    CHECK(slurp(d + "/jk-web1.slice/logins/cgroup.procs").empty());
    CHECK(cg::cannot_place(d, l).has_value());  // and not on cgroup v2 at all
}

TEST_CASE("an unsafe delegate or slice is refused: writable by group, a symlink, not cgroup v2", "[cgroup][root]") {
    TempJail t;
    const std::string d = fake_delegate(t, "pids");
    fake_slice(d, "jk-web1.slice");
    iso::CgroupLimits l;
    l.pids_max = 20;

    sh("chmod 0775 '" + d + "'");
    CHECK_THROWS_AS(place(d, "jk-web1.slice", l, 1), jk::UnsafePath);
    CHECK_THROWS_WITH(place(d, "jk-web1.slice", l, 1), Catch::Contains("writable by group"));
    sh("chmod 0755 '" + d + "' && chown 1:0 '" + d + "'");
    CHECK_THROWS_WITH(place(d, "jk-web1.slice", l, 1), Catch::Contains("not owned by root"));
    sh("chown 0:0 '" + d + "'");

    // A symlink as the delegate, or on the way to it, is never followed.
    sh("ln -s cg '" + t / "link" + "' && ln -s . '" + t / "up" + "'");
    CHECK_THROWS_AS(cg::open_delegate(t / "link", false), jk::SymlinkNotAllowed);
    CHECK_THROWS_AS(cg::open_delegate(t / "up/cg", false), jk::SymlinkNotAllowed);
    {
        // An fd on the link itself (O_PATH|O_NOFOLLOW) is refused by the core.
        const jk::UniqueFd fd(::open((t / "link").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        REQUIRE(fd);
        CHECK_THROWS_AS(cg::place_beneath(fd.get(), t / "link", "jk-web1.slice", l, 1), jk::SymlinkNotAllowed);
    }
    // A slice or leaf swapped for a symlink, or writable by group.
    sh("mkdir -m 0755 '" + t / "elsewhere" + "' && ln -s ../elsewhere '" + d + "/jk-ln.slice'");
    CHECK_THROWS_AS(place(d, "jk-ln.slice", l, 1), jk::SymlinkNotAllowed);
    sh("chmod 0775 '" + d + "/jk-web1.slice/logins'");
    CHECK_THROWS_WITH(place(d, "jk-web1.slice", l, 1), Catch::Contains("logins' is writable by group"));
    CHECK(slurp(d + "/jk-web1.slice/logins/cgroup.procs").empty());

    // The entry's wrapper wants cgroup v2 itself.
    CHECK_THROWS_WITH(cg::open_delegate(d), Catch::Contains("is not on a cgroup v2 file system"));
    CHECK_THROWS_AS(place(d, "../x.slice", l, 1), jk::Error);
}
