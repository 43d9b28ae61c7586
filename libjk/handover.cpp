#include "jk/handover.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "jk/elf.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/jail.hpp"
#include "jk/log.hpp"
#include "jk/lsh_config.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::handover {

namespace {

// What main() started with; set once, before anything else runs.
struct Start {
    const char* twin = nullptr;
    char** argv = nullptr;
    char** envp = nullptr;
    mode_t umask = 022;
};
Start g_start;

// The caller's environment without what steers a loader: the twin's exec
// is secure (MUST 3), this is one guard more.
std::vector<char*> environment_for_twin() {
    std::vector<char*> env;
    for (char** e = g_start.envp; e != nullptr && *e != nullptr; ++e) {
        const std::string_view item(*e);
        if (lsh::is_unsafe_env_name(item.substr(0, item.find('=')))) continue;
        env.push_back(*e);
    }
    env.push_back(nullptr);
    return env;
}

}  // namespace

void configure(const char* twin, char** argv, char** envp) {
    g_start.twin = twin;
    g_start.argv = argv;
    g_start.envp = envp;
    g_start.umask = ::umask(022);
    ::umask(g_start.umask);
}

bool has_twin() {
    return g_start.twin != nullptr && *g_start.twin != '\0';
}

std::string twin_path() {
    const std::string_view twin = g_start.twin != nullptr ? g_start.twin : "";
    if (twin.starts_with('/')) return normalize_absolute(twin);
    // The directory of a running executable is canonical (the kernel's own
    // path), so "../libexec" can be taken lexically.
    return normalize_absolute(path::dirname(sys::readlink_at(AT_FDCWD, "/proc/self/exe")) + "/" + std::string(twin));
}

void to_twin(const std::string& why) {
    if (!has_twin()) throw Error("this program has no dynamically linked twin to hand the login to (" + why + ")");
    const std::string twin = twin_path();
    UniqueFd fd;
    try {
        fd = trust::open_checked(twin, trust::trusted_executable, O_RDONLY);
        // A static program in the twin's place would hand over to itself
        // for ever.
        if (!elf::read_elf(fd.get(), twin).has_interp) throw Error("it is not dynamically linked");
    } catch (const Error& e) {
        throw Error("cannot hand the login to " + twin + " (" + why + "): " + e.what());
    }
    log::syslog_only(LOG_DEBUG, "handing the login to " + twin + ": " + why);
    std::vector<char*> env = environment_for_twin();
    ::umask(g_start.umask);
    ::execveat(fd.get(), "", g_start.argv, env.data(), AT_EMPTY_PATH);
    const int err = errno;
    ::umask(022);
    throw SysError("cannot hand the login to", twin + " (" + why + ")", err);
}

}  // namespace jk::handover
