// jk_socketd's machinery: the per-socket rate limiter, the messages between
// the root parent and the relay child, safe creation of a log socket in a
// jail, and the relay child's single epoll loop.
//
// Privilege separation (see jk_socketd(8)):
//  - the root parent reads the ini, creates (binds) every socket, connects
//    the host target and passes the fds to the child over a SOCK_SEQPACKET
//    socketpair (SCM_RIGHTS); it unlinks sockets that are dropped;
//  - the relay child runs chrooted in an empty directory as an unprivileged
//    user with no capabilities and no_new_privs; it only reads datagrams and
//    sends them on. When the target goes away it asks the parent for a new
//    connection (it cannot reach the path from its chroot).
//
// MUST:
//  1. create_socket never unlinks, creates or chmods anything through a
//     symlink: the parent directory is reached from "/" one component at a
//     time with O_NOFOLLOW, the old entry is removed with unlinkat on that
//     fd, and the socket is bound through /proc/self/fd/<dirfd>/<leaf> with
//     umask 0111 (mode 0666 without a chmod).
//  2. The relay loop never blocks: every fd is non-blocking; a full target
//     stops reading (back-pressure) instead of queueing; memory is one
//     receive buffer and at most one pending datagram whatever the flood.
//  3. A datagram is relayed whole or dropped and counted, never truncated.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jk/fd.hpp"

namespace jk::socketd {

// ---------------------------------------------------------------- rate limit

// jailkit's limiter, adapted to an event loop. Bytes are counted per round
// (an interval starting with the first datagram after the previous round
// ended). When a datagram takes the count over `peak`, the socket is paused
// until the round ends. Over `base` is allowed for one round (a "peak round")
// unless the previous round was one too; then the socket is paused until the
// round ends. While paused the socket is not read: writers see back-pressure
// (their send blocks or fails with EAGAIN), nothing is dropped or truncated.
class RateLimiter {
public:
    RateLimiter(long long base, long long peak, double interval_seconds);

    struct Verdict {
        std::int64_t pause_until_ns = 0;  // 0: keep reading; else stop until then
        bool over_peak = false;           // warn "device X is over the peak limit"
    };

    // Accounts a datagram of `bytes` read at now_ns (monotonic).
    Verdict on_datagram(std::size_t bytes, std::int64_t now_ns);

    void set_limits(long long base, long long peak, double interval_seconds);
    long long base() const noexcept { return base_; }
    long long peak() const noexcept { return peak_; }
    std::int64_t interval_ns() const noexcept { return interval_ns_; }
    std::uint64_t bytes_in_round() const noexcept { return bytes_; }

private:
    long long base_, peak_;
    std::int64_t interval_ns_;
    std::int64_t round_start_ = 0;
    bool in_round_ = false;
    std::uint64_t bytes_ = 0;
    bool round_over_base_ = false;
    bool previous_over_base_ = false;
};

// ---------------------------------------------------------------- send errors

enum class SendOutcome {
    sent,
    full,         // EAGAIN/ENOBUFS: keep the datagram, wait for the target
    target_gone,  // ECONNREFUSED, ENOENT, ENOTCONN, EPIPE, EDESTADDRREQ, EBADF: reconnect
    dropped,      // EMSGSIZE and anything else: drop this datagram, count it
};
SendOutcome classify_send_errno(int err);

// ---------------------------------------------------------------- control protocol

// Messages on the parent/child socketpair (SOCK_SEQPACKET: one message per
// packet). Parent -> child: add (with the socket fd), update, remove, target
// (with the connected fd). Child -> parent: ready, need_target, log.
enum class MsgType : std::uint8_t { add = 1, update, remove, target, ready, need_target, log };

struct ControlMsg {
    MsgType type = MsgType::ready;
    std::uint32_t id = 0;  // socket id (add, update, remove)
    long long base = 0, peak = 0;
    double interval = 0;
    int priority = 0;  // log
    std::string text;  // add: the path (for messages); log: the line
};

// Largest encoded message (a path or a log line is cut to fit).
inline constexpr std::size_t max_control_msg = 8192;

std::string encode(const ControlMsg& m);
// nullopt for a malformed packet (wrong size, unknown type).
std::optional<ControlMsg> decode(std::string_view packet);

// Sends a packet with an optional fd (SCM_RIGHTS). flags e.g. MSG_DONTWAIT.
// Returns false with errno set on failure.
bool send_packet(int sock, const std::string& packet, int fd_to_pass, int flags);
// Receives one packet and the fd that came with it (UniqueFd() if none).
// Returns the byte count (0: peer closed), -1 with errno on failure.
ssize_t recv_packet(int sock, std::string& packet, UniqueFd& fd);

// ---------------------------------------------------------------- sockets

// A created log socket: its fd and the identity of the file it made.
struct BoundSocket {
    UniqueFd fd;
    dev_t dev = 0;
    ino_t ino = 0;
};

// The directories opened by one batch of socket creations (start-up, one
// SIGHUP), keyed by their path: 10,000 sockets under /home/*/dev walk "/"
// and "/home" once, not 10,000 times. Each fd was checked when it was
// opened (no symlink, a directory); drop the cache after the batch so a
// later batch sees later changes.
using DirCache = std::unordered_map<std::string, UniqueFd>;

// Opens the directory holding `path` (absolute) from "/" without following a
// symlink in any component; *leaf gets the last component. Throws
// SymlinkNotAllowed, UnsafePath (not a directory) or SysError (missing...).
UniqueFd open_parent_nofollow(const std::string& path, std::string* leaf);

// The same walk through a DirCache; the fd stays owned by the cache.
int open_parent_cached(const std::string& path, std::string* leaf, DirCache& cache);

// Creates the datagram socket `path` (MUST 1), non-blocking, close-on-exec.
// Throws as open_parent_nofollow, or SysError for socket/bind.
BoundSocket create_socket(const std::string& path, DirCache* cache = nullptr);

// Unlinks `path` when it is still the socket file (dev, ino) we created
// (dev == 0: whatever socket is there). Never follows a symlink. Returns
// false when there was nothing of ours to remove. Throws like open_parent.
bool remove_socket(const std::string& path, dev_t dev, ino_t ino, DirCache* cache = nullptr);

// A non-blocking datagram socket connected to the host syslog socket at
// `path`, with a send buffer large enough for the largest datagram.
// Throws SysError (ENOENT: missing, ECONNREFUSED: nobody listening).
UniqueFd connect_target(const std::string& path);

// The receive buffer: AF_UNIX datagrams are bounded by the sender's
// SO_SNDBUF (net.core.wmem_max); larger ones are detected with MSG_TRUNC.
inline constexpr std::size_t relay_buffer_size = std::size_t{256} << 10;

// ---------------------------------------------------------------- relay loop

struct RelayStats {
    std::uint64_t relayed = 0, bytes = 0;
    std::uint64_t dropped_oversize = 0, dropped_target_down = 0, dropped_error = 0;
    std::uint64_t pauses = 0;
};

// The relay child's loop on the control socket `control` (already chrooted
// and unprivileged). Returns when the parent closes the control socket.
RelayStats run_relay(int control);

}  // namespace jk::socketd
