#include "jk/rlimits.hpp"

#include <cerrno>
#include <string>

#include "jk/error.hpp"

namespace jk::isolation {

namespace {

std::string value_text(rlim_t v) {
    return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

// "the nofile limit (soft 1024, hard 4096)"
std::string describe(const Rlimit& limit) {
    const std::string_view name = rlimit_name(limit.resource);
    const std::string what = name.empty() ? "resource " + std::to_string(limit.resource) : std::string(name);
    return "the " + what + " limit (soft " + value_text(limit.soft) + ", hard " + value_text(limit.hard) + ")";
}

}  // namespace

std::string_view rlimit_name(int resource) noexcept {
    switch (resource) {
        case RLIMIT_CPU: return "cpu";
        case RLIMIT_FSIZE: return "fsize";
        case RLIMIT_DATA: return "data";
        case RLIMIT_STACK: return "stack";
        case RLIMIT_CORE: return "core";
        case RLIMIT_RSS: return "rss";
        case RLIMIT_NPROC: return "nproc";
        case RLIMIT_NOFILE: return "nofile";
        case RLIMIT_MEMLOCK: return "memlock";
        case RLIMIT_AS: return "as";
        case RLIMIT_LOCKS: return "locks";
        case RLIMIT_SIGPENDING: return "sigpending";
        case RLIMIT_MSGQUEUE: return "msgqueue";
        case RLIMIT_NICE: return "nice";
        case RLIMIT_RTPRIO: return "rtprio";
        case RLIMIT_RTTIME: return "rttime";
        default: return "";
    }
}

void apply_rlimits(std::span<const Rlimit> limits) {
    for (const Rlimit& limit : limits) {
        // RLIM_INFINITY is the largest rlim_t, so "unlimited" compares right.
        if (limit.soft > limit.hard)
            throw Error("cannot set " + describe(limit) + ": the soft limit is above the hard limit");
        const rlimit value{limit.soft, limit.hard};
        // glibc's C++ prototype takes an enum (RLIMIT_CPU's type), musl's an int.
        if (::setrlimit(static_cast<decltype(RLIMIT_CPU)>(limit.resource), &value) != 0)
            throw SysError("cannot set " + describe(limit), errno);
    }
}

}  // namespace jk::isolation
