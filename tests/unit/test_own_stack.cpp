// libjk/own_stack: the setuid tools' stack under a caller's tiny
// RLIMIT_STACK. Each case sets the limit in a forked child, which reports
// by its exit status, so the test runner keeps its own.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include "catch.hpp"
#include "jk/own_stack.hpp"

namespace {

int in_child_with_stack_limit(rlim_t limit, const std::function<int()>& fn) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Catch's own SIGSEGV handler would report the expected faults.
        ::signal(SIGSEGV, SIG_DFL);
        const struct rlimit rl { limit, limit };
        if (::setrlimit(RLIMIT_STACK, &rl) != 0) ::_exit(198);
        ::_exit(fn());
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

// Whether the address lies in the mapping the kernel calls [stack].
bool in_process_stack(const void* p) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    const auto a = reinterpret_cast<unsigned long>(p);
    while (std::getline(maps, line)) {
        if (line.find("[stack]") == std::string::npos) continue;
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi) return true;
    }
    return false;
}

// Uses about n KiB of stack; the volatile buffers keep the frames.
[[gnu::noinline]] int deep(int n) {
    volatile char frame[1024];
    std::memset(const_cast<char*>(frame), n, sizeof frame);
    return n == 0 ? frame[7] : deep(n - 1) + frame[3] - frame[3];
}

}  // namespace

TEST_CASE("under a 16 KiB RLIMIT_STACK the function runs on a mapped stack and may use 512 KiB", "[own_stack]") {
    const int rc = in_child_with_stack_limit(16 * 1024, [] {
        return jk::run_on_own_stack_if_small([] {
            volatile char here = 0;
            if (in_process_stack(const_cast<const char*>(&here))) return 1;
            // The caller's limit is untouched: what fn execs inherits it.
            struct rlimit rl {};
            ::getrlimit(RLIMIT_STACK, &rl);
            if (rl.rlim_cur != 16 * 1024 || rl.rlim_max != 16 * 1024) return 2;
            deep(512);
            // An exception thrown and caught on the mapped stack unwinds there.
            try {
                throw std::runtime_error("unwound");
            } catch (const std::runtime_error& e) {
                if (std::string(e.what()) != "unwound") return 3;
            }
            return 42;
        });
    });
    CHECK(rc == 42);
}

TEST_CASE("without the function the same depth overflows a 16 KiB stack (the control)", "[own_stack]") {
    const int rc = in_child_with_stack_limit(16 * 1024, [] { return deep(512) == 0 ? 0 : 0; });
    CHECK(rc == 200 + SIGSEGV);
}

TEST_CASE("under a usual RLIMIT_STACK the function runs on the process stack", "[own_stack]") {
    const int rc = in_child_with_stack_limit(8 * 1024 * 1024, [] {
        return jk::run_on_own_stack_if_small([] {
            volatile char here = 0;
            return in_process_stack(const_cast<const char*>(&here)) ? 42 : 1;
        });
    });
    CHECK(rc == 42);
}

TEST_CASE("an overflow of the mapped stack faults on its guard page", "[own_stack]") {
    const int rc = in_child_with_stack_limit(
        16 * 1024, [] { return jk::run_on_own_stack_if_small([] { return deep(4 * 1024) == 0 ? 0 : 0; }); });
    CHECK(rc == 200 + SIGSEGV);
}
