#include "jk/named_jail.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "jk/text.hpp"

namespace jk {

namespace {

using Problem = JailNameError::Problem;

std::string wording(Problem problem, const std::string& name, const std::string& detail, int err) {
    switch (problem) {
        case Problem::not_absolute:
        case Problem::noncanonical:
            return "the jail " + quoted(text::printable(name, 400)) + " " + detail +
                   ": give its absolute path without '.', '..' or '//'";
        case Problem::host_root: return "the jail cannot be the host's root";
        case Problem::unsafe: return name + " is not a safe jail, check ownership and permissions: " + detail;
        case Problem::cannot_open: break;
    }
    return "cannot open the jail " + name + ": " + std::strerror(err);
}

}  // namespace

JailNameError::JailNameError(Problem problem, std::string name, std::string detail, int err)
    : Error(wording(problem, name, detail, err)),
      problem_(problem),
      name_(std::move(name)),
      detail_(std::move(detail)),
      err_(err) {}

std::optional<Jail> open_named_jail(const std::string& given, const JailNaming& naming) {
    if (std::optional<std::string> why = path::noncanonical(given, naming.trailing)) {
        const bool absolute = !given.empty() && given.front() == '/';
        throw JailNameError(absolute ? Problem::noncanonical : Problem::not_absolute, given, *why);
    }
    std::string canonical = given;
    if (canonical.size() > 1 && canonical.back() == '/') canonical.pop_back();
    if (canonical == "/" && !naming.host_root) throw JailNameError(Problem::host_root, canonical, "");
    if (naming.may_be_absent) {
        struct stat st {};
        if (::lstat(canonical.c_str(), &st) != 0) {
            if (errno == ENOENT) return std::nullopt;
            const SysError e("cannot stat", canonical, errno);
            throw JailNameError(Problem::cannot_open, canonical, e.what(), e.err());
        }
    }
    try {
        return Jail::open(canonical);
    } catch (const UnsafePath& e) {
        throw JailNameError(Problem::unsafe, canonical, e.what());
    } catch (const SysError& e) {
        throw JailNameError(Problem::cannot_open, canonical, e.what(), e.err());
    }
}

}  // namespace jk
