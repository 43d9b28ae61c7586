// A login placed in its jail's slice on a host that runs systemd, through
// systemd's own D-Bus API, as `systemd-run --scope --slice=SLICE` does:
// the slice's limits set at run time (Manager.SetUnitProperties), then a
// transient scope "<slice without .slice>-<pid>.scope" made in that slice
// holding the calling process (Manager.StartTransientUnit, mode "fail"),
// and its start job waited for (JobRemoved). systemd stays the only writer
// of its cgroup tree: nothing here writes a cgroup file.
//
// MUST:
//  1. The bus is the system bus at the compile-time path system_bus_socket,
//     never an address from the environment (DBUS_SYSTEM_BUS_ADDRESS): the
//     setuid tools must not be pointed at a user's bus. The socket is opened
//     by trust's walk (trust::system_bus_socket: root-owned, no symlink, every
//     directory above root-owned and writable by nobody else) and connected
//     through the fd that passed, so nothing can be swapped in between.
//  2. Every limit is applied, or the placement fails: an error reply, a job
//     that ends other than "done", or no answer within the timeout is an
//     error, never a login without its limits.
//  3. The caller (the entry) places its own process before it makes any
//     namespace (cgroup_place.hpp MUST 4): the call returns only once the
//     start job has finished, so the process is in the scope when it
//     unshares.
//  4. The unit names are checked against systemd's rules before they are
//     sent; a name systemd would refuse is an error here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jk/isolation.hpp"

namespace jk::systemd {

// Where the system bus listens (dbus-daemon's and systemd's default).
inline constexpr std::string_view system_bus_socket = "/run/dbus/system_bus_socket";
// What sd_booted(3) looks at: a directory only systemd as pid 1 makes.
inline constexpr std::string_view booted_marker = "/run/systemd/system";

// How long the start job may take before the entry gives up.
inline constexpr std::uint64_t job_timeout_usec = 30'000'000;

// Whether the host was booted with systemd (booted_marker is a directory,
// not a symlink), as sd_booted(3) decides. Throws only std::bad_alloc.
bool booted();

// The scope of one login: "jk-srv-web1.slice" and 1234 give
// "jk-srv-web1-1234.scope". Throws Error when `slice` is not a valid slice
// name or the result would be longer than a unit name may be (255). Pure.
std::string scope_name(std::string_view slice, pid_t pid);

// One property of a unit as systemd's D-Bus API names it, with a value of
// D-Bus type "t" (uint64). Pure data.
struct Property {
    std::string name;  // "MemoryMax"
    std::uint64_t value = 0;
    bool operator==(const Property&) const = default;
};

// The properties that set `limits` on the slice, in the order of
// cgroup::needed_controllers: MemoryMax, TasksMax, CPUQuotaPerSecUSec and
// CPUQuotaPeriodUSec, CPUWeight, IOWeight. "max" is UINT64_MAX, systemd's
// "infinity"; a cpu.max quota becomes CPU time per second
// (quota * 1000000 / period). Empty when no limit is set. Pure.
std::vector<Property> slice_properties(const isolation::CgroupLimits& limits);

// The placement, as root, before any namespace: with any limit, the
// slice's properties set at run time (SetUnitProperties(slice, true,
// ...)); then the scope scope_name(slice, getpid()) started with Slice,
// Description, PIDs = [getpid()] and CollectMode = inactive-or-failed in
// mode "fail", and its job waited for.
// `description` is a printable text for the unit ("jailkit login into
// /srv/web1"). Throws Error, saying which step failed and systemd's
// message, when any of it fails (MUST 2); UnsafePath when the bus socket
// fails its rule (MUST 1).
void place_self(const std::string& slice, const isolation::CgroupLimits& limits, const std::string& description);

// Why place_self could not reach systemd, without calling it: the host not
// booted with systemd, or the bus socket missing or failing its rule;
// empty when nothing stands in the way. For jk_check. Throws only
// std::bad_alloc.
std::string cannot_reach();

}  // namespace jk::systemd
