// libjk/rlimits. Limits are set in a forked child, which reports by its
// exit status, so the test runner keeps its own.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/rlimits.hpp"

namespace {

// Runs fn in a child; returns its exit status (fn's return value), or
// 200 + signal when it died. Exceptions in the child count as 199.
int in_child(const std::function<int()>& fn) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int rc = 199;
        try {
            rc = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(rc);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("apply_rlimits sets each limit", "[rlimits][seccomp]") {
    const int rc = in_child([] {
        // Below the current hard limits, so a non-root run may set them too.
        auto below = [](int resource, rlim_t want) {
            rlimit now{};
            ::getrlimit(static_cast<decltype(RLIMIT_CPU)>(resource), &now);
            return std::min(now.rlim_max, want);
        };
        const rlim_t nproc = below(RLIMIT_NPROC, 500);
        const rlim_t nofile = below(RLIMIT_NOFILE, 128);
        const std::array<jk::isolation::Rlimit, 3> limits{{
            {RLIMIT_NPROC, nproc / 2, nproc},
            {RLIMIT_NOFILE, nofile / 2, nofile},
            {RLIMIT_CORE, 0, 0},
        }};
        jk::isolation::apply_rlimits(limits);
        int bad = 1;
        for (const auto& l : limits) {
            rlimit now{};
            if (::getrlimit(static_cast<decltype(RLIMIT_CPU)>(l.resource), &now) != 0) return 10;
            if (now.rlim_cur != l.soft || now.rlim_max != l.hard) return bad;
            ++bad;
        }
        return 0;
    });
    CHECK(rc == 0);
}

TEST_CASE("apply_rlimits names the resource and the values when it fails", "[rlimits][seccomp]") {
    using jk::isolation::Rlimit;
    const std::array<Rlimit, 1> inverted{{{RLIMIT_NOFILE, RLIM_INFINITY, 64}}};
    // Refused before setrlimit, with its own reason.
    CHECK_THROWS_WITH(jk::isolation::apply_rlimits(inverted),
                      "cannot set the nofile limit (soft unlimited, hard 64): the soft limit is above the hard limit");
    // Rejected by the kernel (EINVAL): nothing changes.
    const std::array<Rlimit, 1> unknown{{{RLIM_NLIMITS + 3, 1, 2}}};
    CHECK_THROWS_AS(jk::isolation::apply_rlimits(unknown), jk::SysError);
    CHECK_THROWS_WITH(jk::isolation::apply_rlimits(unknown),
                      Catch::Contains("resource " + std::to_string(RLIM_NLIMITS + 3)) &&
                          Catch::Contains("soft 1, hard 2") && Catch::Contains(std::strerror(EINVAL)));
}
