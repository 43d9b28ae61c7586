// pkill -j: signal every process of a jail (jk_list --kill). A process
// belongs to the jail when its root (/proc/PID/root) is the jail, as
// jk_list shows it; with a pid namespace that includes the jail's pid 1.
//
// MUST:
//  1. No pid is signalled on the word of a stale scan: each process is held
//     by a pidfd, its root read again after the pidfd is open, and the
//     signal sent through the pidfd (a pid reused meanwhile is never hit).
//  2. SIGKILL is repeated until the jail holds no process (a process can
//     fork between the scan and its end), at most `rounds` times; another
//     signal is sent once to each process, as pkill does.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace jk::proclist {

struct SignalResult {
    std::size_t signalled = 0;          // processes the signal was delivered to
    std::vector<std::string> failures;  // "pid 123: Operation not permitted"
    std::size_t left = 0;               // SIGKILL: processes still in the jail after the last round
};

// Sends `sig` to every process under `proc_root` ("/proc") whose root is
// `jail` (absolute, canonical). Throws SysError when proc_root cannot be read.
SignalResult signal_jail(const std::string& proc_root, const std::string& jail, int sig, int rounds = 10);

}  // namespace jk::proclist
