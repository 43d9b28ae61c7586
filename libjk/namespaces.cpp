#include "jk/namespaces.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "jk/cgroup_place.hpp"
#include "jk/error.hpp"
#include "jk/landlock.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/systemd_scope.hpp"
#include "jk/trust.hpp"

namespace jk::isolation {

namespace {

// Where `ip netns add NAME` bind-mounts a network namespace.
constexpr const char* netns_dir = "/run/netns/";

struct NamespaceKind {
    int flag;
    const char* name;  // for "the host cannot give this jail a ... namespace"
};
// The order in which a refusal is looked for (and named).
constexpr NamespaceKind kinds[] = {
    {CLONE_NEWNS, "mount"}, {CLONE_NEWPID, "pid"},       {CLONE_NEWIPC, "IPC"},
    {CLONE_NEWUTS, "UTS"},  {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWNET, "network"},
};

int unshare_flags(const Policy& p) {
    int flags = 0;
    if (p.ns.mount) flags |= CLONE_NEWNS;
    if (p.ns.pid) flags |= CLONE_NEWPID;
    if (p.ns.ipc) flags |= CLONE_NEWIPC;
    if (p.ns.uts) flags |= CLONE_NEWUTS;
    if (p.ns.cgroup) flags |= CLONE_NEWCGROUP;
    if (p.network == Network::loopback) flags |= CLONE_NEWNET;
    return flags;
}

// The errno with which unshare(flag) fails on its own, tried in a child so
// that this process stays as it was; 0 when it works.
int refusal_alone(int flag) {
    const pid_t pid = ::fork();
    if (pid < 0) return errno;
    if (pid == 0) ::_exit(::unshare(flag) == 0 ? 0 : errno);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

// unshare(flags) failed with `err`: names the namespace the host refuses.
[[noreturn]] void refused(int flags, int err) {
    std::string all;
    for (const auto& k : kinds) {
        if (!(flags & k.flag)) continue;
        if (const int alone = refusal_alone(k.flag); alone != 0)
            throw SysError(std::string("the host cannot give this jail ") + (k.name[0] == 'I' ? "an " : "a ") + k.name +
                               " namespace",
                           alone);
        all += all.empty() ? "" : ", ";
        all += k.name;
    }
    // Each alone works: a refusal of the combination, or a passing one.
    throw SysError("the host cannot give this jail its namespaces (" + all + ")", err);
}

// The jail's directory as this process sees it after unshare(CLONE_NEWNS):
// the working directory, which the kernel moves into the new namespace
// (the caller made jail_fd the working directory just before), unlike
// every open fd.
UniqueFd jail_in_new_namespace(int jail_fd, const std::string& jail_path) {
    UniqueFd fd = sys::open_at(AT_FDCWD, ".", O_PATH | O_DIRECTORY, 0, jail_path);
    const struct stat was = sys::fstat_fd(jail_fd, jail_path);
    const struct stat now = sys::fstat_fd(fd.get(), jail_path);
    // The same directory by construction; checked all the same, as every
    // use of a validated object is (DESIGN.md invariant 2).
    if (was.st_dev != now.st_dev || was.st_ino != now.st_ino)
        throw Error("the jail " + quoted(jail_path) + " is not the same directory in its mount namespace");
    if (::chdir("/") != 0) throw SysError("cannot change directory to / in the new mount namespace", errno);
    return fd;
}

void join_network(int netns_fd, const std::string& shown) {
    if (::setns(netns_fd, CLONE_NEWNET) == 0) return;
    const int err = errno;
    // setns checks the type of the namespace behind the fd: a plain file
    // (or another kind of namespace) put in place of an `ip netns` one.
    if (err == EINVAL) throw Error(quoted(shown) + " is not a network namespace");
    throw SysError("cannot join the network namespace", shown, err);
}

void bring_up_loopback() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw SysError("cannot bring up the jail's loopback interface (socket)", errno);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0)
        throw SysError("cannot read the flags of the jail's loopback interface", errno);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0)
        throw SysError("cannot bring up the jail's loopback interface", errno);
}

// The value after `key` at the start of one of the lines of `text`, as a
// number; nullopt when no line starts with it. Without iostreams: their
// first use in a process initialises the locale machinery, a quarter of a
// millisecond of a login on a virtual machine.
std::optional<long> number_after(std::string_view text, std::string_view key) {
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(at, end - at);
        if (line.substr(0, key.size()) == key) {
            long value = 0;
            const std::string_view rest = line.substr(key.size());
            const char* first = rest.data();
            while (first < rest.data() + rest.size() && (*first == ' ' || *first == '\t')) ++first;
            const auto [ptr, ec] = std::from_chars(first, rest.data() + rest.size(), value);
            if (ec == std::errc() && ptr != first) return value;
            return std::nullopt;
        }
        at = end + 1;
    }
    return std::nullopt;
}

// The ID of the mount `fd` is on: statx's, else the "mnt_id:" of
// /proc/self/fdinfo/FD (kernels before 5.8).
std::optional<long> mount_id_of(int fd) {
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID))
        return static_cast<long>(stx.stx_mnt_id);
    return number_after(sys::read_file("/proc/self/fdinfo/" + std::to_string(fd)), "mnt_id:");
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

// The mount point of a thin jail's bind: `inner` (absolute, canonical)
// walked beneath jail_fd one checked step at a time, the last of `kind`.
UniqueFd open_mount_point(int jail_fd, const std::string& jail_path, const std::string& inner, bool directory) {
    const std::vector<std::string> comps = path::components(inner);
    if (comps.empty()) throw Error("cannot bind onto the jail's root " + quoted(jail_path));
    UniqueFd cur;
    int at = jail_fd;
    std::string shown = jail_path;
    for (std::size_t i = 0; i < comps.size(); ++i) {
        shown += "/" + comps[i];
        const bool last = i + 1 == comps.size();
        const trust::Rule& rule = !last || directory ? trust::jail_system_dir : trust::jail_system_file;
        cur = trust::step(at, comps[i], shown, rule);
        at = cur.get();
    }
    return cur;
}

// Whether the bind of `host` is a directory's (else a file's). Only picks
// the rule: the source is then opened and judged by it on the fd.
bool bind_is_directory(const std::string& host) {
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) throw SysError("cannot bind into the thin jail", host, errno);
    return S_ISDIR(st.st_mode);
}

UniqueFd open_bind_source(const std::string& host, bool directory) {
    return trust::open_checked(host, directory ? trust::system_source_dir : trust::system_source_file, O_PATH);
}

void bind_read_only(int jail_fd, const std::string& jail_path, const std::string& host) {
    const bool directory = bind_is_directory(host);
    UniqueFd source = open_bind_source(host, directory);
    UniqueFd target = open_mount_point(jail_fd, jail_path, host, directory);

    UniqueFd tree(::open_tree(source.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
    if (!tree) throw SysError("cannot clone the mount tree of", host, errno);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
        throw SysError("cannot make read-only, nosuid and nodev the bind of", host, errno);
    if (::move_mount(tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        throw SysError("cannot bind " + quoted(host) + " read-only on", jail_path + host, errno);
}

// The device nodes a thin jail's programs expect: made like the host's.
constexpr const char* dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx"};
constexpr std::pair<const char*, const char*> dev_links[] = {{"fd", "/proc/self/fd"},
                                                             {"stdin", "/proc/self/fd/0"},
                                                             {"stdout", "/proc/self/fd/1"},
                                                             {"stderr", "/proc/self/fd/2"}};

// A thin jail's /dev made at entry, as bwrap's --dev: a small tmpfs on the
// jail's `dev` directory (when it has one) holding nodes like the host's
// null, zero, full, random, urandom, tty and ptmx, the host's /dev/pts
// bound (the login's terminal; ptmx finds it beside itself, so new ptys
// work as on the host), the usual links and jk_socketd's log socket when
// the jail's dev has one; whatever else lies in the jail's dev on disk is
// covered. Nodes, not binds: the kernel looks for "pts"
// next to the ptmx it opens, which a bound file has not.
void mount_minimal_dev(int jail_fd, const std::string& jail_path) {
    const std::string shown = jail_path + "/dev";
    const int fd = ::openat(jail_fd, "dev", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;  // no /dev in this jail: none is made
        throw SysError("cannot open", shown, errno);
    }
    UniqueFd dev(fd);
    trust::require(dev.get(), shown, trust::jail_system_dir);
    // jk_socketd's syslog socket in the jail's dev, kept through the tmpfs.
    UniqueFd log(::openat(dev.get(), "log", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (log && !S_ISSOCK(sys::fstat_fd(log.get(), shown + "/log").st_mode)) log.reset();
    const std::string on = "/proc/self/fd/" + std::to_string(dev.get());
    if (::mount("tmpfs", on.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") != 0)
        throw SysError("cannot mount the jail's /dev on", shown, errno);
    const UniqueFd fresh = sys::open_at(jail_fd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
    for (const char* name : dev_nodes) {
        struct stat st {};
        if (::stat((std::string("/dev/") + name).c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) continue;
        if (::mknodat(fresh.get(), name, S_IFCHR | 0666, st.st_rdev) != 0 ||
            ::fchmodat(fresh.get(), name, 0666, 0) != 0)  // whatever the umask took
            throw SysError("cannot create", shown + "/" + name, errno);
    }
    if (::mkdirat(fresh.get(), "pts", 0755) != 0) throw SysError("cannot create", shown + "/pts", errno);
    const UniqueFd pts = sys::open_at(fresh.get(), "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, shown + "/pts");
    UniqueFd tree(::open_tree(AT_FDCWD, "/dev/pts", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!tree) throw SysError("cannot clone the mount of", "/dev/pts", errno);
    if (::move_mount(tree.get(), "", pts.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        throw SysError("cannot bind '/dev/pts' on", shown + "/pts", errno);
    for (const auto& [name, target] : dev_links)
        if (::symlinkat(target, fresh.get(), name) != 0) throw SysError("cannot create", shown + "/" + name, errno);
    if (log) {
        UniqueFd spot(::openat(fresh.get(), "log", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666));
        if (!spot) throw SysError("cannot create", shown + "/log", errno);
        UniqueFd sock(::open_tree(log.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
        if (!sock ||
            ::move_mount(sock.get(), "", spot.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            throw SysError("cannot keep the syslog socket", shown + "/log", errno);
    }
}

}  // namespace

std::vector<BindProblem> check_thin_plan(const Policy& policy, int jail_fd, const std::string& jail_path) {
    std::vector<BindProblem> out;
    for (const std::string& host : policy.ro_binds) {
        bool directory = false;
        try {
            directory = bind_is_directory(host);
        } catch (const Error& e) {
            out.push_back({host, e.what()});
            continue;  // no kind to judge the mount point by
        }
        try {
            open_bind_source(host, directory);
        } catch (const Error& e) {
            out.push_back({host, e.what()});
        }
        try {
            open_mount_point(jail_fd, jail_path, host, directory);
        } catch (const Error& e) {
            out.push_back({jail_path + host, e.what()});
        }
    }
    return out;
}

UniqueFd assemble_thin(const Policy& policy, int jail_fd, const std::string& jail_path) {
    if (!policy.thin()) throw Error("the jail " + quoted(jail_path) + " is not a thin jail");
    if (::fchdir(jail_fd) != 0) throw SysError("cannot change directory to", jail_path, errno);
    if (::unshare(CLONE_NEWNS) != 0) refused(CLONE_NEWNS, errno);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw SysError("cannot make the jail's mounts private", errno);
    UniqueFd jail = jail_in_new_namespace(jail_fd, jail_path);
    for (const std::string& host : policy.ro_binds) bind_read_only(jail.get(), jail_path, host);
    mount_minimal_dev(jail.get(), jail_path);
    return jail;
}

UniqueFd unshare_namespaces(const Policy& policy, int jail_fd, const std::string& jail_path, bool mount_ns_made) {
    if (policy.ns.pid && !policy.ns.mount)
        throw Error("a pid namespace needs a mount namespace (the jail's /proc would show the host's processes)");
    if (policy.ns.uts && !(policy.hostname && is_valid_hostname(*policy.hostname)))
        throw Error("a UTS namespace needs a valid host name");

    // ---- nothing has changed yet
    UniqueFd netns;
    std::string netns_shown;
    if (policy.network == Network::named) {
        if (!is_valid_netns_name(policy.netns)) throw Error("invalid network namespace name " + quoted(policy.netns));
        netns_shown = netns_dir + policy.netns;
        // An nsfs file is root-owned and 0444; whoever could write
        // /run/netns could put another namespace (or another file) there.
        netns = trust::open_checked(netns_shown, trust::trusted_file, O_RDONLY);
    }

    UniqueFd jail;
    const bool new_mount_ns = policy.ns.mount && !mount_ns_made;
    if (!new_mount_ns) {
        jail = UniqueFd(::fcntl(jail_fd, F_DUPFD_CLOEXEC, 3));
        if (!jail) throw SysError("cannot duplicate the fd of", jail_path, errno);
    } else if (::fchdir(jail_fd) != 0) {
        throw SysError("cannot change directory to", jail_path, errno);
    }
    const int flags = unshare_flags(policy) & (new_mount_ns ? ~0 : ~CLONE_NEWNS);
    if (flags != 0 && ::unshare(flags) != 0) refused(flags, errno);

    // ---- in the new namespaces
    if (new_mount_ns) {
        // A host with shared mounts (systemd's default) would otherwise
        // see the jail's /proc, and each jail the others' mounts.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            throw SysError("cannot make the jail's mounts private", errno);
        jail = jail_in_new_namespace(jail_fd, jail_path);
    }
    if (netns) join_network(netns.get(), netns_shown);
    if (policy.ns.uts && ::sethostname(policy.hostname->data(), policy.hostname->size()) != 0)
        throw SysError("cannot set the jail's host name to " + quoted(*policy.hostname), errno);
    if (policy.network == Network::loopback) bring_up_loopback();
    return jail;
}

void prepare_mounts(const Policy& policy, int jail_fd, const std::string& jail_path, bool binds_made) {
    if (!policy.ns.mount) {
        if (policy.ns.pid)
            throw Error("a pid namespace needs a mount namespace (the jail's /proc would show the host's processes)");
        return;
    }
    if (!in_own_mount_namespace(jail_fd))
        throw Error("the fd of the jail " + quoted(jail_path) +
                    " was opened before its mount namespace was made; use the one unshare_namespaces returns");
    if (!binds_made && policy.thin()) {
        for (const std::string& host : policy.ro_binds) bind_read_only(jail_fd, jail_path, host);
        mount_minimal_dev(jail_fd, jail_path);
    }
    if (!policy.ns.pid) return;
    // procfs takes the pid namespace of the process that mounts it; only
    // the namespace's own processes are in it, and its pid 1 comes first.
    if (::getpid() != 1) throw Error("the jail's /proc must be mounted by the jail's pid 1");

    const std::string shown = jail_path + "/proc";
    UniqueFd proc;
    try {
        proc = trust::step(jail_fd, "proc", shown, trust::jail_system_dir);
    } catch (const SysError& e) {
        if (e.err() == ENOENT) return;  // no /proc in this jail, as without a policy
        throw;
    }
    // The path through /proc/self/fd resolves to the directory behind the
    // fd (checked above), whatever has become of the name since.
    const std::string target = "/proc/self/fd/" + std::to_string(proc.get());
    if (::mount("proc", target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        throw SysError("cannot mount the jail's /proc on", shown, errno);
}

bool in_own_mount_namespace(int fd) {
    const std::optional<long> id = mount_id_of(fd);
    if (!id) throw SysError("cannot find the mount of fd " + std::to_string(fd), ENOTSUP);
    // Each line of mountinfo starts with a mount ID.
    const std::string info = sys::read_file("/proc/self/mountinfo");
    const std::string wanted = std::to_string(*id) + " ";
    for (std::size_t at = 0; at < info.size();) {
        if (info.compare(at, wanted.size(), wanted) == 0) return true;
        const std::size_t end = info.find('\n', at);
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return false;
}

std::string describe_host_support() {
    std::vector<std::string> lines;

    std::set<std::string> ns;
    if (DIR* d = ::opendir("/proc/self/ns")) {
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n == "." || n == ".." || n.find("_for_children") != std::string::npos) continue;
            ns.insert(n);
        }
        ::closedir(d);
    }
    std::string l = "namespaces:";
    for (const auto& n : ns) l += " " + n;
    lines.push_back(ns.empty() ? "namespaces: none (or no /proc)" : l);

    // With no filter to copy, the kernel reports EFAULT where it offers
    // filter mode (before any check of privileges) and EINVAL where not:
    // nothing is installed either way.
    if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
        lines.emplace_back("seccomp: none");
    else if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr, 0, 0) != 0 && errno == EFAULT)
        lines.emplace_back("seccomp: filter");
    else
        lines.emplace_back("seccomp: strict mode only");

    const int abi = landlock::abi_version();
    lines.push_back(abi > 0 ? "landlock: ABI " + std::to_string(abi) : "landlock: none");

    std::string cgroup = "cgroup v2: not mounted";
    try {
        std::istringstream in(sys::read_file("/proc/self/mountinfo"));
        std::string line;
        while (std::getline(in, line)) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
            const std::vector<std::string> w = split_words(line);
            const auto dash = std::find(w.begin(), w.end(), "-");
            if (w.size() < 5 || dash == w.end() || dash + 1 == w.end() || *(dash + 1) != "cgroup2") continue;
            // Octal escapes (\040) are left as they are: only for display.
            const std::string& mp = w[4];
            std::string controllers;
            try {
                controllers = sys::read_file(mp + "/cgroup.controllers");
            } catch (const SysError&) {
                controllers = "?";
            }
            while (!controllers.empty() && controllers.back() == '\n') controllers.pop_back();
            cgroup = "cgroup v2: " + mp + " (" + (controllers.empty() ? "no controllers" : controllers) + ")";
            break;
        }
    } catch (const SysError&) {
        cgroup = "cgroup v2: unknown (no /proc)";
    }
    lines.push_back(cgroup);

    std::string out;
    for (const auto& x : lines) out += x + "\n";
    return out;
}

std::vector<std::string> host_cannot_apply(const Policy& policy) {
    std::vector<std::string> out;
    struct Wanted {
        bool on;
        const char* file;  // in /proc/self/ns
        const char* name;
    };
    const bool new_net = policy.network == Network::loopback;
    for (const Wanted& w : {Wanted{policy.ns.pid, "pid", "pid"}, Wanted{policy.ns.ipc, "ipc", "ipc"},
                            Wanted{policy.ns.uts, "uts", "uts"}, Wanted{policy.ns.mount, "mnt", "mount"},
                            Wanted{policy.ns.cgroup, "cgroup", "cgroup"}, Wanted{new_net, "net", "network"}}) {
        if (!w.on) continue;
        struct stat st {};
        if (::stat((std::string("/proc/self/ns/") + w.file).c_str(), &st) != 0)
            out.push_back(std::string("this kernel offers no ") + w.name + " namespaces");
    }
    if (policy.network == Network::named) {
        try {
            (void)trust::open_checked("/run/netns/" + policy.netns, trust::trusted_file, O_RDONLY);
        } catch (const Error& e) {
            out.push_back("the network namespace " + policy.netns + " cannot be joined: " + e.what());
        }
    }
    if (policy.seccomp && ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
        out.emplace_back("this kernel has no seccomp filters");
    try {
        switch (cgroup::placer_for(policy, systemd::booted())) {
            case cgroup::Placer::none: break;
            case cgroup::Placer::delegate:
                if (std::optional<std::string> why = cgroup::cannot_place(policy.cgroup_delegate, policy.cgroup))
                    out.push_back("the login cannot be placed in its cgroup: " + *why);
                break;
            case cgroup::Placer::systemd:
                if (std::string why = systemd::cannot_reach(); !why.empty())
                    out.push_back("the login cannot be placed in a systemd scope: " + why);
                break;
        }
    } catch (const Error& e) {
        out.emplace_back(e.what());
    }
    return out;
}

}  // namespace jk::isolation
