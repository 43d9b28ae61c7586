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
    const std::string_view name = rlimit_key(limit.resource);
    const std::string what = name == "?" ? "resource " + std::to_string(limit.resource) : std::string(name);
    return "the " + what + " limit (soft " + value_text(limit.soft) + ", hard " + value_text(limit.hard) + ")";
}

}  // namespace

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
