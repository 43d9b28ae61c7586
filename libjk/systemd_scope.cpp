#include "jk/systemd_scope.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "jk/cgroup_place.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/trust.hpp"

namespace jk::systemd {

namespace {

constexpr const char* destination = "org.freedesktop.systemd1";
constexpr const char* manager_path = "/org/freedesktop/systemd1";
constexpr const char* manager_interface = "org.freedesktop.systemd1.Manager";
constexpr std::size_t max_unit_name = 255;  // systemd's UNIT_NAME_MAX - 1
constexpr const char* libsystemd_soname = "libsystemd.so.0";

// libsystemd, loaded only when a login is placed in a systemd scope: linked
// into the setuid tools, it and its five libraries would be mapped and
// relocated at every login, with or without a policy (bench/login.sh). In a
// setuid process dlopen searches only the system's directories
// (LD_LIBRARY_PATH is ignored under AT_SECURE).
struct SdBus {
    decltype(&::sd_bus_call) sd_bus_call = nullptr;
    decltype(&::sd_bus_error_free) sd_bus_error_free = nullptr;
    decltype(&::sd_bus_error_is_set) sd_bus_error_is_set = nullptr;
    decltype(&::sd_bus_flush_close_unref) sd_bus_flush_close_unref = nullptr;
    decltype(&::sd_bus_match_signal) sd_bus_match_signal = nullptr;
    decltype(&::sd_bus_message_append) sd_bus_message_append = nullptr;
    decltype(&::sd_bus_message_close_container) sd_bus_message_close_container = nullptr;
    decltype(&::sd_bus_message_new_method_call) sd_bus_message_new_method_call = nullptr;
    decltype(&::sd_bus_message_open_container) sd_bus_message_open_container = nullptr;
    decltype(&::sd_bus_message_read) sd_bus_message_read = nullptr;
    decltype(&::sd_bus_message_unref) sd_bus_message_unref = nullptr;
    decltype(&::sd_bus_new) sd_bus_new = nullptr;
    decltype(&::sd_bus_process) sd_bus_process = nullptr;
    decltype(&::sd_bus_set_bus_client) sd_bus_set_bus_client = nullptr;
    decltype(&::sd_bus_set_fd) sd_bus_set_fd = nullptr;
    decltype(&::sd_bus_slot_unref) sd_bus_slot_unref = nullptr;
    decltype(&::sd_bus_start) sd_bus_start = nullptr;
    decltype(&::sd_bus_wait) sd_bus_wait = nullptr;
};

template <class Fn>
void load(void* handle, const char* name, Fn& fn) {
    void* sym = ::dlsym(handle, name);
    if (sym == nullptr) throw Error(std::string("libsystemd has no ") + name);
    fn = reinterpret_cast<Fn>(sym);
}

SdBus load_sd_bus() {
    // Never closed: its functions stay in use until the exec.
    void* h = ::dlopen(libsystemd_soname, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char* why = ::dlerror();
        throw Error(std::string("cannot load ") + libsystemd_soname +
                    " to ask systemd for a scope: " + (why ? why : "dlopen failed"));
    }
    SdBus a;
    load(h, "sd_bus_call", a.sd_bus_call);
    load(h, "sd_bus_error_free", a.sd_bus_error_free);
    load(h, "sd_bus_error_is_set", a.sd_bus_error_is_set);
    load(h, "sd_bus_flush_close_unref", a.sd_bus_flush_close_unref);
    load(h, "sd_bus_match_signal", a.sd_bus_match_signal);
    load(h, "sd_bus_message_append", a.sd_bus_message_append);
    load(h, "sd_bus_message_close_container", a.sd_bus_message_close_container);
    load(h, "sd_bus_message_new_method_call", a.sd_bus_message_new_method_call);
    load(h, "sd_bus_message_open_container", a.sd_bus_message_open_container);
    load(h, "sd_bus_message_read", a.sd_bus_message_read);
    load(h, "sd_bus_message_unref", a.sd_bus_message_unref);
    load(h, "sd_bus_new", a.sd_bus_new);
    load(h, "sd_bus_process", a.sd_bus_process);
    load(h, "sd_bus_set_bus_client", a.sd_bus_set_bus_client);
    load(h, "sd_bus_set_fd", a.sd_bus_set_fd);
    load(h, "sd_bus_slot_unref", a.sd_bus_slot_unref);
    load(h, "sd_bus_start", a.sd_bus_start);
    load(h, "sd_bus_wait", a.sd_bus_wait);
    return a;
}

// The library once loaded; the deleters below use it without loading (an
// object they free exists only because the load succeeded).
const SdBus* loaded = nullptr;

const SdBus& sd() {
    // A failed load throws out of the initialiser; the next call tries again.
    static const SdBus api = load_sd_bus();
    loaded = &api;
    return api;
}

struct BusUnref {
    void operator()(sd_bus* b) const noexcept {
        if (loaded) loaded->sd_bus_flush_close_unref(b);
    }
};
struct MessageUnref {
    void operator()(sd_bus_message* m) const noexcept {
        if (loaded) loaded->sd_bus_message_unref(m);
    }
};
struct SlotUnref {
    void operator()(sd_bus_slot* s) const noexcept {
        if (loaded) loaded->sd_bus_slot_unref(s);
    }
};
using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;
using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

// sd_bus_error freed on every way out.
struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    BusError() = default;
    BusError(const BusError&) = delete;
    BusError& operator=(const BusError&) = delete;
    ~BusError() {
        if (loaded) loaded->sd_bus_error_free(&e);
    }
    std::string text(int r) const {
        if (sd().sd_bus_error_is_set(&e))
            return std::string(e.message ? e.message : "") + " (" + (e.name ? e.name : "") + ")";
        return std::strerror(-r);
    }
};

// sd-bus returns -errno; a failure here is a SysError with that errno.
void check(int r, const std::string& what) {
    if (r < 0) throw SysError(what, -r);
}

// A D-Bus string must be valid UTF-8; a jail path is bytes. Anything but
// printable ASCII becomes '?': the description is for people reading
// systemctl status, never parsed.
std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c < ' ' || c > '~') c = '?';
    return out;
}

// The system bus, reached only through the compile-time socket path, the
// socket checked by trust's walk and connected through the fd that passed
// (MUST 1): no address from the environment, no path looked up twice.
Bus connect_system_bus() {
    const std::string path(system_bus_socket);
    const UniqueFd checked = trust::open_checked(path, trust::system_bus_socket, O_PATH);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw SysError("cannot make a socket for the system bus", errno);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    // The checked inode itself, through its O_PATH fd: connect(2) follows
    // /proc's link to the very socket trust looked at.
    const std::string via = "/proc/self/fd/" + std::to_string(checked.get());
    std::memcpy(addr.sun_path, via.c_str(), via.size() + 1);
    if (::connect(sock.get(), reinterpret_cast<const struct sockaddr*>(&addr), sizeof addr) != 0)
        throw SysError("cannot connect to the system bus at", path, errno);

    sd_bus* raw = nullptr;
    check(sd().sd_bus_new(&raw), "cannot make a D-Bus connection");
    Bus bus(raw);
    check(sd().sd_bus_set_fd(bus.get(), sock.get(), sock.get()), "cannot hand the system bus socket to sd-bus");
    (void)sock.release();  // the bus closes it from here on
    check(sd().sd_bus_set_bus_client(bus.get(), 1), "cannot make the D-Bus connection a bus client");
    check(sd().sd_bus_start(bus.get()), "cannot start the D-Bus connection to the system bus");
    return bus;
}

Message new_call(sd_bus* bus, const char* member) {
    sd_bus_message* raw = nullptr;
    check(sd().sd_bus_message_new_method_call(bus, &raw, destination, manager_path, manager_interface, member),
          std::string("cannot build the D-Bus call ") + member);
    return Message(raw);
}

// The a(sv) of `props`, each value of type "t".
void append_properties(sd_bus_message* m, const std::vector<Property>& props) {
    for (const Property& p : props)
        check(sd().sd_bus_message_append(m, "(sv)", p.name.c_str(), "t", p.value),
              "cannot build the property " + p.name);
}

std::uint64_t now_usec() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000U + static_cast<std::uint64_t>(ts.tv_nsec) / 1000U;
}

// What JobRemoved said about the jobs seen so far.
struct JobsSeen {
    std::vector<std::pair<std::string, std::string>> removed;  // job path, result
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
    std::uint32_t id = 0;
    const char* job = nullptr;
    const char* unit = nullptr;
    const char* result = nullptr;
    if (sd().sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0) return 0;  // not systemd's signature
    auto* seen = static_cast<JobsSeen*>(userdata);
    try {
        seen->removed.emplace_back(job, result);
    } catch (...) {
        return -ENOMEM;
    }
    return 0;
}

// The result of `job` once JobRemoved reported it (MUST 3), or an error
// after job_timeout_usec.
std::string wait_for_job(sd_bus* bus, const JobsSeen& seen, const std::string& job, const std::string& scope) {
    const std::uint64_t deadline = now_usec() + job_timeout_usec;
    for (;;) {
        for (const auto& [path, result] : seen.removed)
            if (path == job) return result;
        const int r = sd().sd_bus_process(bus, nullptr);
        check(r, "lost the system bus while waiting for the start of " + scope);
        if (r > 0) continue;
        const std::uint64_t now = now_usec();
        if (now >= deadline)
            throw Error("systemd did not finish starting " + scope + " within " +
                        std::to_string(job_timeout_usec / 1000000U) + " seconds");
        check(sd().sd_bus_wait(bus, deadline - now), "lost the system bus while waiting for the start of " + scope);
    }
}

}  // namespace

bool booted() {
    struct stat st {};
    return ::lstat(std::string(booted_marker).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string scope_name(std::string_view slice, pid_t pid) {
    constexpr std::string_view suffix = ".slice";
    if (!isolation::is_valid_slice_name(slice)) throw Error("invalid slice name " + quoted(std::string(slice)));
    std::string name =
        std::string(slice.substr(0, slice.size() - suffix.size())) + "-" + std::to_string(pid) + ".scope";
    if (name.size() > max_unit_name)
        throw Error("the scope name for the slice " + quoted(std::string(slice)) +
                    " would be longer than 255 characters; set a shorter 'slice' in the jail's policy");
    return name;
}

std::vector<Property> slice_properties(const isolation::CgroupLimits& l) {
    // cgroup_max is UINT64_MAX, which systemd reads as "infinity".
    std::vector<Property> out;
    if (l.memory_max) out.push_back({"MemoryMax", *l.memory_max});
    if (l.pids_max) out.push_back({"TasksMax", *l.pids_max});
    if (l.cpu_max) {
        const std::uint64_t q = l.cpu_max->quota_us;
        const std::uint64_t period = l.cpu_max->period_us;
        // quota per period as quota per second, without overflowing: the
        // period is at most 1000000, so the remainder's product fits.
        const std::uint64_t per_sec =
            q == isolation::cgroup_max ? q : (q / period) * 1000000U + (q % period) * 1000000U / period;
        out.push_back({"CPUQuotaPerSecUSec", per_sec});
        out.push_back({"CPUQuotaPeriodUSec", period});
    }
    if (l.cpu_weight) out.push_back({"CPUWeight", *l.cpu_weight});
    if (l.io_weight) out.push_back({"IOWeight", *l.io_weight});
    return out;
}

void place_self(const std::string& slice, const isolation::CgroupLimits& limits, const std::string& description) {
    const pid_t pid = ::getpid();
    const std::string scope = scope_name(slice, pid);
    Bus bus = connect_system_bus();

    // ---- the slice's limits, for all the jail's logins together
    if (const std::vector<Property> props = slice_properties(limits); !props.empty()) {
        Message call = new_call(bus.get(), "SetUnitProperties");
        check(sd().sd_bus_message_append(call.get(), "sb", slice.c_str(), 1), "cannot build the D-Bus call");
        check(sd().sd_bus_message_open_container(call.get(), 'a', "(sv)"), "cannot build the D-Bus call");
        append_properties(call.get(), props);
        check(sd().sd_bus_message_close_container(call.get()), "cannot build the D-Bus call");
        BusError error;
        if (const int r = sd().sd_bus_call(bus.get(), call.get(), 0, &error.e, nullptr); r < 0)
            throw Error("systemd refused the limits of " + slice + ": " + error.text(r));
    }

    // ---- the login's scope in that slice, waited for
    JobsSeen seen;
    sd_bus_slot* raw_slot = nullptr;
    // Before the call: the job may end before its reply is read.
    check(sd().sd_bus_match_signal(bus.get(), &raw_slot, destination, manager_path, manager_interface, "JobRemoved",
                                   on_job_removed, &seen),
          "cannot ask systemd for its JobRemoved signal");
    const Slot slot(raw_slot);

    Message call = new_call(bus.get(), "StartTransientUnit");
    check(sd().sd_bus_message_append(call.get(), "ss", scope.c_str(), "fail"), "cannot build the D-Bus call");
    check(sd().sd_bus_message_open_container(call.get(), 'a', "(sv)"), "cannot build the D-Bus call");
    // CollectMode: a scope that ended failed (its process killed by the
    // OOM killer...) is unloaded too, so a later login that gets the same
    // pid does not find its name taken (mode "fail" would refuse it).
    check(sd().sd_bus_message_append(call.get(), "(sv)(sv)(sv)(sv)", "Slice", "s", slice.c_str(), "Description", "s",
                                     printable(description).c_str(), "PIDs", "au", 1, static_cast<std::uint32_t>(pid),
                                     "CollectMode", "s", "inactive-or-failed"),
          "cannot build the D-Bus call");
    check(sd().sd_bus_message_close_container(call.get()), "cannot build the D-Bus call");
    check(sd().sd_bus_message_append(call.get(), "a(sa(sv))", 0), "cannot build the D-Bus call");
    BusError error;
    sd_bus_message* raw_reply = nullptr;
    if (const int r = sd().sd_bus_call(bus.get(), call.get(), 0, &error.e, &raw_reply); r < 0)
        throw Error("systemd refused the scope " + scope + " in " + slice + ": " + error.text(r));
    const Message reply(raw_reply);
    const char* job = nullptr;
    check(sd().sd_bus_message_read(reply.get(), "o", &job), "cannot read systemd's answer to StartTransientUnit");
    const std::string job_path(job);

    const std::string result = wait_for_job(bus.get(), seen, job_path, scope);
    if (result != "done") throw Error("systemd could not start the scope " + scope + " in " + slice + ": " + result);
}

std::string cannot_reach() {
    if (!booted()) return "this host was not booted with systemd (no " + std::string(booted_marker) + ")";
    try {
        (void)trust::open_checked(system_bus_socket, trust::system_bus_socket, O_PATH);
    } catch (const Error& e) {
        return std::string("the system bus cannot be reached: ") + e.what();
    }
    return {};
}

}  // namespace jk::systemd
