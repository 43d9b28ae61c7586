// systemd transient scopes: the pure pieces (the scope's name, the slice's
// properties) and who places a login (cgroup::placer_for). The D-Bus calls
// themselves are checked against a mock systemd on a private bus by
// tests/integration/systemd_scope.sh.
#include <string>
#include <vector>

#include "catch.hpp"
#include "jk/cgroup_place.hpp"
#include "jk/error.hpp"
#include "jk/systemd_scope.hpp"

namespace cg = jk::cgroup;
namespace iso = jk::isolation;
namespace sd = jk::systemd;

TEST_CASE("the scope of a login is named after its slice and its pid", "[systemd]") {
    CHECK(sd::scope_name("jk-srv-web1.slice", 1234) == "jk-srv-web1-1234.scope");
    CHECK(sd::scope_name("jk-srv-jk\\x2dtest-sd.slice", 7) == "jk-srv-jk\\x2dtest-sd-7.scope");
    CHECK_THROWS_AS(sd::scope_name("not-a-slice", 1), jk::Error);
    CHECK_THROWS_AS(sd::scope_name("-.slice", 1), jk::Error);
    // 249 characters before ".slice" is a valid slice, and no room is left
    // for "-PID.scope" within systemd's 255.
    const std::string longest = std::string(249, 'a') + ".slice";
    REQUIRE(iso::is_valid_slice_name(longest));
    CHECK_THROWS_AS(sd::scope_name(longest, 1), jk::Error);
}

TEST_CASE("the slice's limits as systemd's properties", "[systemd]") {
    CHECK(sd::slice_properties({}).empty());
    iso::CgroupLimits l;
    l.memory_max = 512ULL << 20;
    l.pids_max = iso::cgroup_max;
    l.cpu_max = iso::CpuMax{.quota_us = 150000, .period_us = 200000};
    l.cpu_weight = 50;
    l.io_weight = 10000;
    const std::vector<sd::Property> want{
        {"MemoryMax", 512ULL << 20},    {"TasksMax", UINT64_MAX}, {"CPUQuotaPerSecUSec", 750000},
        {"CPUQuotaPeriodUSec", 200000}, {"CPUWeight", 50},        {"IOWeight", 10000},
    };
    CHECK(sd::slice_properties(l) == want);

    iso::CgroupLimits unlimited_cpu;
    unlimited_cpu.cpu_max = iso::CpuMax{};  // "max 100000"
    CHECK(sd::slice_properties(unlimited_cpu) ==
          std::vector<sd::Property>{{"CPUQuotaPerSecUSec", UINT64_MAX}, {"CPUQuotaPeriodUSec", 100000}});

    // A quota far above its period: no overflow on the way to per second.
    iso::CgroupLimits big;
    big.cpu_max = iso::CpuMax{.quota_us = 1000000000000ULL, .period_us = 1000};
    CHECK(sd::slice_properties(big).front().value == 1000000000000000ULL);
}

TEST_CASE("who places a login: the delegate, systemd, or nobody and the entry refuses", "[systemd]") {
    iso::Policy p;
    CHECK(cg::placer_for(p, true) == cg::Placer::none);  // no slice: not moved
    p.slice = "jk-web1.slice";
    p.cgroup.pids_max = 20;

    CHECK(cg::placer_for(p, true) == cg::Placer::systemd);
    CHECK_THROWS_WITH(cg::placer_for(p, false),
                      Catch::Contains("names no delegated cgroup") && Catch::Contains("set delegate = "));

    p.cgroup_delegate = "/sys/fs/cgroup/jk";
    CHECK(cg::placer_for(p, true) == cg::Placer::delegate);  // a delegate wins over systemd under auto
    CHECK(cg::placer_for(p, false) == cg::Placer::delegate);
    p.cgroup_manager = iso::CgroupManager::delegate;
    CHECK(cg::placer_for(p, true) == cg::Placer::delegate);

    p.cgroup_delegate.clear();
    p.cgroup_manager = iso::CgroupManager::systemd;
    CHECK(cg::placer_for(p, true) == cg::Placer::systemd);
    CHECK_THROWS_WITH(cg::placer_for(p, false), Catch::Contains("not booted with systemd"));
}
