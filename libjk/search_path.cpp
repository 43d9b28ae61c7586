#include "jk/search_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "jk/error.hpp"
#include "jk/jail.hpp"

namespace jk::search_path {

namespace {
bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

std::string absolute(const std::string& relative) {
    std::vector<char> buf(4096);
    while (::getcwd(buf.data(), buf.size()) == nullptr) {
        if (errno != ERANGE) throw SysError("cannot get the current directory", errno);
        buf.resize(buf.size() * 2);
    }
    std::string cwd(buf.data());
    return cwd == "/" ? "/" + relative : cwd + "/" + relative;
}

std::optional<std::string> locate(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (name.front() == '/') return exists(name) ? std::optional(name) : std::nullopt;
    if (name.find('/') != std::string::npos) {
        std::string p = absolute(name);
        return exists(p) ? std::optional(p) : std::nullopt;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    size_t i = 0;
    while (i <= dirs.size()) {
        size_t j = dirs.find(':', i);
        if (j == std::string::npos) j = dirs.size();
        std::string dir = dirs.substr(i, j - i);
        // An empty or relative $PATH entry would make the result depend on
        // the caller's cwd; jail tools take only absolute ones.
        if (!dir.empty() && dir.front() == '/') {
            std::string p = dir + "/" + name;
            if (exists(p)) return p;
        }
        i = j + 1;
    }
    return std::nullopt;
}

}  // namespace jk::search_path
