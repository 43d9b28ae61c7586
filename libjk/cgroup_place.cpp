#include "jk/cgroup_place.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "jk/error.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::cgroup {

namespace {

std::string max_or(std::uint64_t v) {
    return v == isolation::cgroup_max ? std::string("max") : std::to_string(v);
}

std::string below(const std::string& dir, std::string_view name) {
    return dir + "/" + std::string(name);
}

// The directory `name` beneath `dirfd`, made (0755) when missing, then
// opened without following a symlink and checked (MUST 2, 3). On cgroupfs
// mkdir makes a child cgroup with its interface files.
UniqueFd make_dir(int dirfd, const std::string& name, const std::string& shown) {
    if (::mkdirat(dirfd, name.c_str(), 0755) != 0 && errno != EEXIST)
        throw SysError("cannot make the cgroup", shown, errno);
    return trust::step(dirfd, name, shown, trust::cgroup_delegate);
}

// One write(2) of `text` to the existing file `name` beneath `dirfd`.
// Never O_CREAT: on cgroupfs a missing file means a missing controller, and
// nothing may be made in its place.
UniqueFd open_for_writing(int dirfd, const std::string& name, const std::string& shown) {
    return sys::open_at(dirfd, name, O_WRONLY | O_NOFOLLOW | O_NOCTTY, 0, shown);
}

void write_file(int dirfd, const std::string& name, const std::string& text, const std::string& shown) {
    const UniqueFd fd = open_for_writing(dirfd, name, shown);
    sys::write_all(fd.get(), text, shown);
}

// "+NAME" for each controller, one write each on one open file: the kernel
// takes a write as one request and fails it whole.
void enable(int dirfd, const std::vector<std::string>& controllers, const std::string& dir) {
    if (controllers.empty()) return;
    const std::string shown = below(dir, "cgroup.subtree_control");
    const UniqueFd fd = open_for_writing(dirfd, "cgroup.subtree_control", shown);
    for (const auto& c : controllers) {
        const std::string token = "+" + c;
        if (::write(fd.get(), token.data(), token.size()) == static_cast<ssize_t>(token.size())) continue;
        const int err = errno;
        // EBUSY: cgroup v2's no-internal-process rule; the message says what
        // the admin must change, not just the errno.
        if (err == EBUSY)
            throw SysError("cannot enable the " + c +
                               " controller in (a cgroup with processes of its own "
                               "cannot hand controllers to its children)",
                           shown, err);
        throw SysError("cannot enable the " + c + " controller in", shown, err);
    }
}

std::vector<std::string> missing_controllers(int delegate_fd, const std::string& delegate_path,
                                             const isolation::CgroupLimits& limits) {
    const std::vector<std::string> needed = needed_controllers(limits);
    if (needed.empty()) return {};
    const std::string shown = below(delegate_path, "cgroup.controllers");
    const UniqueFd fd = sys::open_at(delegate_fd, "cgroup.controllers", O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0, shown);
    const std::vector<std::string> offered = parse_controllers(sys::read_all(fd.get(), shown));
    std::vector<std::string> missing;
    for (const auto& c : needed)
        if (std::find(offered.begin(), offered.end(), c) == offered.end()) missing.push_back(c);
    return missing;
}

std::string missing_message(const std::vector<std::string>& missing, const std::string& delegate_path) {
    std::string names;
    for (const auto& c : missing) names += (names.empty() ? "" : ", ") + c;
    return "the jail's cgroup limits need the " + names + " controller" + (missing.size() > 1 ? "s" : "") +
           ", which the delegated cgroup " + quoted(delegate_path) +
           " does not offer (not in its cgroup.controllers: on this host it may be bound to cgroup v1, or not "
           "enabled in the parent's cgroup.subtree_control)";
}

}  // namespace

std::vector<std::string> needed_controllers(const isolation::CgroupLimits& l) {
    std::vector<std::string> out;
    if (l.memory_max) out.emplace_back("memory");
    if (l.pids_max) out.emplace_back("pids");
    if (l.cpu_max || l.cpu_weight) out.emplace_back("cpu");
    if (l.io_weight) out.emplace_back("io");
    return out;
}

std::vector<LimitFile> limit_files(const isolation::CgroupLimits& l) {
    std::vector<LimitFile> out;
    if (l.memory_max) out.push_back({"memory.max", max_or(*l.memory_max)});
    if (l.pids_max) out.push_back({"pids.max", max_or(*l.pids_max)});
    if (l.cpu_max) out.push_back({"cpu.max", max_or(l.cpu_max->quota_us) + " " + std::to_string(l.cpu_max->period_us)});
    if (l.cpu_weight) out.push_back({"cpu.weight", std::to_string(*l.cpu_weight)});
    if (l.io_weight) out.push_back({"io.weight", "default " + std::to_string(*l.io_weight)});
    return out;
}

std::vector<std::string> parse_controllers(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t start = text.find_first_not_of(" \t\n");
        if (start == std::string_view::npos) break;
        text.remove_prefix(start);
        const std::size_t end = std::min(text.find_first_of(" \t\n"), text.size());
        out.emplace_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return out;
}

void place_beneath(int delegate_fd, const std::string& delegate_path, const std::string& slice,
                   const isolation::CgroupLimits& limits, pid_t pid) {
    if (!isolation::is_valid_slice_name(slice)) throw Error("invalid slice name " + quoted(slice));
    trust::require(delegate_fd, delegate_path, trust::cgroup_delegate);
    if (const std::vector<std::string> missing = missing_controllers(delegate_fd, delegate_path, limits);
        !missing.empty())
        throw Error(missing_message(missing, delegate_path));
    const std::vector<std::string> controllers = needed_controllers(limits);

    // ---- the slice: its controllers handed down, then its limits
    enable(delegate_fd, controllers, delegate_path);
    const std::string slice_path = below(delegate_path, slice);
    const UniqueFd slice_fd = make_dir(delegate_fd, slice, slice_path);
    // Written at every entry, so the slice follows the policy as it is now.
    for (const LimitFile& f : limit_files(limits))
        write_file(slice_fd.get(), f.name, f.value, below(slice_path, f.name));
    // The same controllers in the slice's subtree, so the leaf has its own
    // memory.current, pids.current... to read. (Without them the leaf's
    // processes are charged to the slice, whose limits hold either way.)
    enable(slice_fd.get(), controllers, slice_path);

    // ---- the leaf all the jail's logins share
    const std::string logins_path = below(slice_path, logins_dir);
    const UniqueFd logins_fd = make_dir(slice_fd.get(), std::string(logins_dir), logins_path);
    write_file(logins_fd.get(), "cgroup.procs", std::to_string(pid), below(logins_path, "cgroup.procs"));
}

UniqueFd open_delegate(const std::string& path, bool need_cgroup2) {
    UniqueFd fd = trust::open_checked(path, trust::cgroup_delegate, O_PATH);
    if (!need_cgroup2) return fd;
    struct statfs fs {};
    if (::fstatfs(fd.get(), &fs) != 0) throw SysError("cannot stat the file system of", path, errno);
    if (fs.f_type != CGROUP2_SUPER_MAGIC)
        throw Error("the delegated cgroup " + quoted(path) + " is not on a cgroup v2 file system");
    return fd;
}

void place_self(const std::string& delegate, const std::string& slice, const isolation::CgroupLimits& limits) {
    const UniqueFd fd = open_delegate(delegate);
    place_beneath(fd.get(), delegate, slice, limits, ::getpid());
}

Placer placer_for(const isolation::Policy& p, bool systemd_booted) {
    using isolation::CgroupManager;
    if (p.slice.empty()) return Placer::none;
    if (p.cgroup_manager == CgroupManager::delegate || !p.cgroup_delegate.empty()) return Placer::delegate;
    if (systemd_booted) return Placer::systemd;
    if (p.cgroup_manager == CgroupManager::systemd)
        throw Error(
            "the jail's policy sets manager = systemd in its [cgroup] and this host was not booted with "
            "systemd (no /run/systemd/system): set delegate = a cgroup v2 subtree delegated to jailkit "
            "instead (jk_jail.ini(5))");
    throw Error(
        "the jail's policy asks for cgroup limits or a slice and names no delegated cgroup: this "
        "host was not booted with systemd (no /run/systemd/system), which would place it in a "
        "transient scope; set delegate = a cgroup v2 subtree delegated to jailkit in its [cgroup] "
        "(jk_jail.ini(5))");
}

std::optional<std::string> cannot_place(const std::string& delegate, const isolation::CgroupLimits& limits) {
    try {
        const UniqueFd fd = open_delegate(delegate);
        const std::vector<std::string> missing = missing_controllers(fd.get(), delegate, limits);
        if (!missing.empty()) return missing_message(missing, delegate);
    } catch (const Error& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

}  // namespace jk::cgroup
