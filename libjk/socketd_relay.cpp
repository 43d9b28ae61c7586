// jk_socketd's rate limiter, control protocol, socket creation and relay
// loop (socketd_relay.hpp).
#include "jk/socketd_relay.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>

#include "jk/error.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::socketd {

// ---------------------------------------------------------------- rate limit

RateLimiter::RateLimiter(long long base, long long peak, double interval_seconds)
    : base_(0), peak_(0), interval_ns_(1) {
    set_limits(base, peak, interval_seconds);
}

void RateLimiter::set_limits(long long base, long long peak, double interval_seconds) {
    // Defensive: the config clamps already; the child also gets these values
    // over a socket, so nothing here may divide by zero or go negative.
    base_ = std::max(1LL, base);
    peak_ = std::max(base_, peak);
    if (!(interval_seconds > 0) || !std::isfinite(interval_seconds)) interval_seconds = 5.0;
    interval_seconds = std::min(interval_seconds, 3600.0);
    interval_ns_ = std::max<std::int64_t>(1, std::llround(interval_seconds * 1e9));
}

RateLimiter::Verdict RateLimiter::on_datagram(std::size_t bytes, std::int64_t now_ns) {
    if (!in_round_ || now_ns - round_start_ >= interval_ns_ || now_ns < round_start_) {
        // A round that ended long ago (a quiet interval in between) was not
        // a peak round for the purpose of the next one.
        const bool consecutive = in_round_ && now_ns >= round_start_ && now_ns - round_start_ < 2 * interval_ns_;
        previous_over_base_ = consecutive && round_over_base_;
        round_start_ = now_ns;
        in_round_ = true;
        bytes_ = 0;
        round_over_base_ = false;
    }
    bytes_ += bytes;
    Verdict v;
    const std::int64_t end = round_start_ + interval_ns_;
    if (bytes_ > static_cast<std::uint64_t>(peak_)) {
        v.over_peak = true;
        v.pause_until_ns = end;
        round_over_base_ = true;
    } else if (bytes_ > static_cast<std::uint64_t>(base_)) {
        round_over_base_ = true;
        if (previous_over_base_) v.pause_until_ns = end;
    }
    return v;
}

// ---------------------------------------------------------------- send errors

SendOutcome classify_send_errno(int err) {
    switch (err) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case ENOBUFS:
        case EINTR: return SendOutcome::full;
        case ECONNREFUSED:
        case ECONNRESET:
        case ENOENT:
        case ENOTCONN:
        case EPIPE:
        case EDESTADDRREQ:
        case EBADF:
        case ENOTSOCK: return SendOutcome::target_gone;
        default: return SendOutcome::dropped;
    }
}

// ---------------------------------------------------------------- control protocol

namespace {
constexpr std::size_t header_size = 1 + 4 + 8 + 8 + 8 + 4;

template <typename T>
void put(std::string& out, const T& v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}
template <typename T>
T get(std::string_view in, std::size_t& off) {
    T v;
    std::memcpy(&v, in.data() + off, sizeof(T));
    off += sizeof(T);
    return v;
}
}  // namespace

std::string encode(const ControlMsg& m) {
    std::string out;
    out.reserve(header_size + m.text.size());
    put(out, static_cast<std::uint8_t>(m.type));
    put(out, m.id);
    put(out, static_cast<std::int64_t>(m.base));
    put(out, static_cast<std::int64_t>(m.peak));
    put(out, m.interval);
    put(out, static_cast<std::int32_t>(m.priority));
    out.append(m.text, 0, std::min(m.text.size(), max_control_msg - header_size));
    return out;
}

std::optional<ControlMsg> decode(std::string_view p) {
    if (p.size() < header_size || p.size() > max_control_msg) return std::nullopt;
    std::size_t off = 0;
    ControlMsg m;
    auto t = get<std::uint8_t>(p, off);
    if (t < static_cast<std::uint8_t>(MsgType::add) || t > static_cast<std::uint8_t>(MsgType::log)) return std::nullopt;
    m.type = static_cast<MsgType>(t);
    m.id = get<std::uint32_t>(p, off);
    m.base = get<std::int64_t>(p, off);
    m.peak = get<std::int64_t>(p, off);
    m.interval = get<double>(p, off);
    m.priority = get<std::int32_t>(p, off);
    m.text.assign(p.substr(off));
    return m;
}

bool send_packet(int sock, const std::string& packet, int fd_to_pass, int flags) {
    iovec iov{const_cast<char*>(packet.data()), packet.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
    if (fd_to_pass >= 0) {
        std::memset(cbuf, 0, sizeof cbuf);
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
    }
    for (;;) {
        ssize_t n = ::sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
        if (n >= 0) return true;
        if (errno != EINTR) return false;
    }
}

ssize_t recv_packet(int sock, std::string& packet, UniqueFd& fd) {
    packet.resize(max_control_msg);
    iovec iov{packet.data(), packet.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    // Room for a few fds: should a buggy peer send more than one, the
    // extras arrive (close-on-exec) and are closed here, not leaked.
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n;
    do n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    fd = UniqueFd();
    if (n < 0) return n;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int f;
            std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (!fd.valid())
                fd = UniqueFd(f);
            else
                ::close(f);
        }
    }
    packet.resize(static_cast<std::size_t>(n));
    return n;
}

// ---------------------------------------------------------------- sockets

namespace {
// The walk of open_parent_nofollow; with a cache, every directory on the way
// is looked up there first and added after it was checked.
int walk_parent(const std::string& path, std::string* leaf, DirCache* cache, UniqueFd& owned) {
    std::vector<std::string> comps = path::components(path);
    if (path.empty() || path[0] != '/' || comps.empty()) throw UnsafePath(path, "is not an absolute file path");
    for (const auto& c : comps)
        if (c == "." || c == "..") throw UnsafePath(path, "holds a '.' or '..' component");
    std::string walked;
    int cur = -1;
    UniqueFd tmp;
    if (cache) {
        auto it = cache->find("/");
        if (it == cache->end())
            it = cache->emplace("/", sys::open_at(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0, "/")).first;
        cur = it->second.get();
    } else {
        tmp = sys::open_at(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0, "/");
        cur = tmp.get();
    }
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
        const std::string& c = comps[i];
        walked += "/" + c;
        if (cache) {
            auto it = cache->find(walked);
            if (it != cache->end()) {
                cur = it->second.get();
                continue;
            }
        }
        UniqueFd next = trust::step(cur, c, walked, trust::real_directory);
        // Bounded: 10,000 jails with a dev each must not hold 10,000 more fds.
        if (cache && cache->size() < 1024) {
            cur = next.get();
            cache->emplace(walked, std::move(next));
        } else {
            tmp = std::move(next);
            cur = tmp.get();
        }
    }
    if (leaf) *leaf = comps.back();
    owned = std::move(tmp);
    return cur;
}
}  // namespace

UniqueFd open_parent_nofollow(const std::string& path, std::string* leaf) {
    UniqueFd owned;
    (void)walk_parent(path, leaf, nullptr, owned);
    return owned;
}

int open_parent_cached(const std::string& path, std::string* leaf, DirCache& cache) {
    UniqueFd unused;
    return walk_parent(path, leaf, &cache, unused);
}

namespace {
// The address of <dirfd>/<leaf> through the magic link, so bind acts on the
// directory we checked. Falls back to nothing: the caller fchdirs.
bool proc_address(int dirfd, const std::string& leaf, sockaddr_un& sa, socklen_t& len) {
    std::string p = "/proc/self/fd/" + std::to_string(dirfd) + "/" + leaf;
    if (p.size() >= sizeof sa.sun_path) return false;
    std::memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, p.c_str(), p.size() + 1);
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size() + 1);
    return true;
}

class UmaskGuard {
public:
    explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
    ~UmaskGuard() { ::umask(old_); }
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;

private:
    mode_t old_;
};
}  // namespace

BoundSocket create_socket(const std::string& path, DirCache* cache) {
    std::string leaf;
    UniqueFd owned;
    const int dirfd = walk_parent(path, &leaf, cache, owned);
    if (leaf.size() > 100) throw SysError("cannot bind", path, ENAMETOOLONG);
    // unlinkat never follows: a symlink planted at the leaf is removed
    // itself, its target is untouched. A directory there is left alone.
    if (::unlinkat(dirfd, leaf.c_str(), 0) < 0 && errno != ENOENT) throw SysError("cannot remove the old", path, errno);

    int s = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) throw SysError("cannot create a socket for", path, errno);
    BoundSocket b;
    b.fd = UniqueFd(s);
    sockaddr_un sa{};
    socklen_t len = 0;
    int rc;
    {
        UmaskGuard um(0111);  // 0666: every jailed program may log
        if (proc_address(dirfd, leaf, sa, len)) {
            rc = ::bind(s, reinterpret_cast<sockaddr*>(&sa), len);
        } else {
            errno = ENAMETOOLONG;
            rc = -1;
        }
        if (rc < 0 && (errno == ENOENT || errno == ENAMETOOLONG)) {
            // No /proc: bind relative to the checked directory instead (the
            // parent process is single-threaded; the cwd is restored).
            UniqueFd here = sys::open_at(AT_FDCWD, ".", O_PATH | O_DIRECTORY, 0, ".");
            if (::fchdir(dirfd) < 0) throw SysError("cannot enter the directory of", path, errno);
            std::memset(&sa, 0, sizeof sa);
            sa.sun_family = AF_UNIX;
            std::memcpy(sa.sun_path, leaf.c_str(), leaf.size() + 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + leaf.size() + 1);
            rc = ::bind(s, reinterpret_cast<sockaddr*>(&sa), len);
            int saved = errno;
            if (::fchdir(here.get()) < 0 && ::chdir("/") < 0) {
                // Nothing left to try; the cwd of a daemon is not used.
            }
            errno = saved;
        }
    }
    if (rc < 0) throw SysError("cannot bind", path, errno);
    auto st = sys::lstat_at(dirfd, leaf);
    if (!st || !S_ISSOCK(st->st_mode)) throw SysError("cannot find the new socket", path, ENOENT);
    b.dev = st->st_dev;
    b.ino = st->st_ino;
    return b;
}

bool remove_socket(const std::string& path, dev_t dev, ino_t ino, DirCache* cache) {
    std::string leaf;
    UniqueFd owned;
    const int dirfd = walk_parent(path, &leaf, cache, owned);
    auto st = sys::lstat_at(dirfd, leaf);
    if (!st || !S_ISSOCK(st->st_mode)) return false;
    if (dev != 0 && (st->st_dev != dev || st->st_ino != ino)) return false;
    if (::unlinkat(dirfd, leaf.c_str(), 0) < 0) {
        if (errno == ENOENT) return false;
        throw SysError("cannot remove", path, errno);
    }
    return true;
}

UniqueFd connect_target(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) throw SysError("cannot connect to", path, ENAMETOOLONG);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    int s = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) throw SysError("cannot create a socket for", path, errno);
    UniqueFd fd(s);
    // Room for the largest datagram (the default 208 KiB would refuse the
    // biggest ones with EMSGSIZE). SO_SNDBUFFORCE needs root; the plain
    // option is the fallback.
    int size = static_cast<int>(relay_buffer_size * 2);
    if (::setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        (void)::setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (::connect(s, reinterpret_cast<sockaddr*>(&sa),
                  static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1)) < 0)
        throw SysError("cannot connect to", path, errno);
    return fd;
}

// ---------------------------------------------------------------- relay loop

namespace {

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

enum : std::uint64_t { tag_control = 0, tag_inner = 1, tag_target = 2 };

class Relay {
public:
    explicit Relay(int control)
        : control_(control), outer_(make_epoll()), inner_(make_epoll()), buf_(relay_buffer_size) {
        watch(outer_.get(), control_, tag_control, EPOLLIN);
        watch(outer_.get(), inner_.get(), tag_inner, EPOLLIN);
    }

    RelayStats run() {
        send_to_parent(ControlMsg{MsgType::ready, 0, 0, 0, 0, 0, {}});
        epoll_event ev[16];
        while (!parent_gone_) {
            const int n = ::epoll_wait(outer_.get(), ev, 16, timeout_ms());
            if (n < 0 && errno != EINTR) throw SysError("epoll_wait", errno);
            const std::int64_t now = now_ns();
            resume_due(now);
            if (target_down_ && now >= next_need_target_) {
                send_to_parent(ControlMsg{MsgType::need_target, 0, 0, 0, 0, 0, {}});
                next_need_target_ = now + 1000000000;
            }
            flush_warnings(now);
            for (int i = 0; i < std::max(n, 0); ++i) {
                switch (ev[i].data.u64) {
                    case tag_control: control(); break;
                    case tag_inner: sockets(); break;
                    case tag_target: retry_pending(); break;
                    default: break;
                }
            }
        }
        return stats_;
    }

private:
    struct Sock {
        UniqueFd fd;
        std::string path;
        RateLimiter limiter;
        bool paused = false;
        std::int64_t resume_at = 0;
    };

    static UniqueFd make_epoll() {
        int e = ::epoll_create1(EPOLL_CLOEXEC);
        if (e < 0) throw SysError("epoll_create1", errno);
        return UniqueFd(e);
    }
    static void watch(int ep, int fd, std::uint64_t tag, std::uint32_t events) {
        epoll_event e{};
        e.events = events;
        e.data.u64 = tag;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) throw SysError("epoll_ctl", errno);
    }

    int timeout_ms() const {
        std::int64_t next = -1;
        if (!resumes_.empty()) next = resumes_.top().first;
        if (target_down_ && (next < 0 || next_need_target_ < next)) next = next_need_target_;
        if (warn_suppressed_ > 0) {
            const std::int64_t w = warn_window_ + 1000000000;
            if (next < 0 || w < next) next = w;
        }
        if (next < 0) return -1;
        const std::int64_t d = next - now_ns();
        if (d <= 0) return 0;
        return static_cast<int>(std::min<std::int64_t>((d + 999999) / 1000000, 60000));
    }

    void send_to_parent(const ControlMsg& m) {
        // Never block on the parent: it may itself be blocked sending us
        // sockets. A log line lost here is better than a deadlock.
        if (!send_packet(control_, encode(m), -1, MSG_DONTWAIT) && errno == EPIPE) parent_gone_ = true;
    }
    void log(int prio, const std::string& s) { send_to_parent(ControlMsg{MsgType::log, 0, 0, 0, 0, prio, s}); }

    // Warnings a flood could multiply are limited to 10 a second in all.
    void warn_limited(const std::string& s) {
        const std::int64_t now = now_ns();
        if (now - warn_window_ >= 1000000000) flush_warnings(now);
        if (warn_count_ < 10) {
            ++warn_count_;
            log(LOG_WARNING, s);
        } else {
            ++warn_suppressed_;
        }
    }
    void flush_warnings(std::int64_t now) {
        if (now - warn_window_ < 1000000000) return;
        if (warn_suppressed_ > 0)
            log(LOG_WARNING, std::to_string(warn_suppressed_) + " more warnings suppressed in the last second");
        warn_window_ = now;
        warn_count_ = 0;
        warn_suppressed_ = 0;
    }

    void control() {
        for (int i = 0; i < 64; ++i) {
            std::string packet;
            UniqueFd fd;
            const ssize_t n = recv_packet(control_, packet, fd);
            if (n == 0) {
                parent_gone_ = true;
                return;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                parent_gone_ = true;
                return;
            }
            auto m = decode(packet);
            if (!m) continue;
            handle(*m, std::move(fd));
        }
    }

    void handle(const ControlMsg& m, UniqueFd fd) {
        switch (m.type) {
            case MsgType::add: {
                if (!fd) return;
                remove(m.id);
                epoll_event e{};
                e.events = EPOLLIN;
                e.data.u64 = m.id;
                if (::epoll_ctl(inner_.get(), EPOLL_CTL_ADD, fd.get(), &e) < 0) {
                    log(LOG_ERR, "cannot watch " + m.text + ": " + std::strerror(errno));
                    return;
                }
                socks_.emplace(m.id, Sock{std::move(fd), m.text, RateLimiter(m.base, m.peak, m.interval)});
                break;
            }
            case MsgType::update: {
                auto it = socks_.find(m.id);
                if (it != socks_.end()) it->second.limiter.set_limits(m.base, m.peak, m.interval);
                break;
            }
            case MsgType::remove: remove(m.id); break;
            case MsgType::target:
                if (!fd) return;
                set_target(std::move(fd));
                break;
            default: break;
        }
    }

    void remove(std::uint32_t id) {
        auto it = socks_.find(id);
        if (it == socks_.end()) return;
        if (!it->second.paused) (void)::epoll_ctl(inner_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
        socks_.erase(it);  // a stale entry in resumes_ is skipped by id
    }

    void set_target(UniqueFd fd) {
        if (blocked_) unblock();
        target_ = std::move(fd);
        pending_.clear();
        if (target_down_ && (down_drops_ > 0 || was_up_))
            log(LOG_NOTICE, "reconnected to the syslog socket; " + std::to_string(down_drops_) +
                                " messages were dropped while it was unreachable");
        target_down_ = false;
        was_up_ = true;
        down_drops_ = 0;
    }

    void target_gone() {
        if (blocked_) unblock();
        if (!target_down_) log(LOG_WARNING, "the syslog socket is unreachable, asking for a new connection");
        target_.reset();
        pending_.clear();
        target_down_ = true;
        next_need_target_ = 0;  // ask at once
    }

    void block() {
        blocked_ = true;
        (void)::epoll_ctl(outer_.get(), EPOLL_CTL_DEL, inner_.get(), nullptr);
        watch(outer_.get(), target_.get(), tag_target, EPOLLOUT);
    }
    void unblock() {
        blocked_ = false;
        if (target_) (void)::epoll_ctl(outer_.get(), EPOLL_CTL_DEL, target_.get(), nullptr);
        watch(outer_.get(), inner_.get(), tag_inner, EPOLLIN);
    }

    // Sends buf[0, len) to the target; false when the loop must stop reading.
    bool forward(const char* data, std::size_t len) {
        if (target_down_) {
            ++stats_.dropped_target_down;
            ++down_drops_;
            // Traffic waiting: ask again soon rather than at the next second
            // (syslog restarts take milliseconds).
            const std::int64_t soon = now_ns() + 100000000;
            if (next_need_target_ > soon) next_need_target_ = soon;
            return true;
        }
        if (::send(target_.get(), data, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
            ++stats_.relayed;
            stats_.bytes += len;
            return true;
        }
        switch (classify_send_errno(errno)) {
            case SendOutcome::sent: return true;
            case SendOutcome::full:
                pending_.assign(data, len);
                block();
                return false;
            case SendOutcome::target_gone:
                ++stats_.dropped_target_down;
                ++down_drops_;
                target_gone();
                return true;
            case SendOutcome::dropped:
                ++stats_.dropped_error;
                warn_limited(std::string("a message of ") + std::to_string(len) +
                             " bytes could not be relayed: " + std::strerror(errno));
                return true;
        }
        return true;
    }

    void retry_pending() {
        if (!blocked_) return;
        const std::string p = std::move(pending_);
        pending_.clear();
        unblock();
        (void)forward(p.data(), p.size());
    }

    void sockets() {
        if (blocked_) return;
        epoll_event ev[256];
        const int n = ::epoll_wait(inner_.get(), ev, 256, 0);
        for (int i = 0; i < n && !blocked_; ++i) {
            const auto id = static_cast<std::uint32_t>(ev[i].data.u64);
            auto it = socks_.find(id);
            if (it == socks_.end()) continue;
            drain(id, it->second);
        }
    }

    // Up to 32 datagrams per socket per turn, so one busy socket cannot
    // starve the others.
    void drain(std::uint32_t id, Sock& s) {
        for (int k = 0; k < 32 && !blocked_; ++k) {
            const ssize_t n = ::recv(s.fd.get(), buf_.data(), buf_.size(), MSG_TRUNC | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) continue;
                return;  // EAGAIN, or an error on a socket we keep anyway
            }
            const auto len = static_cast<std::size_t>(n);
            const std::int64_t now = now_ns();
            if (len > buf_.size()) {
                ++stats_.dropped_oversize;
                warn_limited("dropped a message of " + std::to_string(len) + " bytes on " + s.path + " (larger than " +
                             std::to_string(buf_.size()) + ")");
            } else {
                (void)forward(buf_.data(), len);
            }
            const RateLimiter::Verdict v = s.limiter.on_datagram(len, now);
            if (v.over_peak) warn_limited("device " + s.path + " is over the peak limit");
            if (v.pause_until_ns > 0) {
                pause(id, s, v.pause_until_ns);
                return;
            }
        }
    }

    void pause(std::uint32_t id, Sock& s, std::int64_t until) {
        (void)::epoll_ctl(inner_.get(), EPOLL_CTL_DEL, s.fd.get(), nullptr);
        s.paused = true;
        s.resume_at = until;
        resumes_.emplace(until, id);
        ++stats_.pauses;
    }

    void resume_due(std::int64_t now) {
        while (!resumes_.empty() && resumes_.top().first <= now) {
            const auto [when, id] = resumes_.top();
            resumes_.pop();
            auto it = socks_.find(id);
            if (it == socks_.end() || !it->second.paused || it->second.resume_at != when) continue;
            it->second.paused = false;
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.u64 = id;
            (void)::epoll_ctl(inner_.get(), EPOLL_CTL_ADD, it->second.fd.get(), &e);
        }
    }

    int control_;
    UniqueFd outer_, inner_, target_;
    std::vector<char> buf_;
    std::string pending_;
    bool blocked_ = false, target_down_ = true, was_up_ = false, parent_gone_ = false;
    std::int64_t next_need_target_ = 0;
    std::uint64_t down_drops_ = 0;
    std::int64_t warn_window_ = 0;
    int warn_count_ = 0;
    std::uint64_t warn_suppressed_ = 0;
    std::unordered_map<std::uint32_t, Sock> socks_;
    using Due = std::pair<std::int64_t, std::uint32_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<Due>> resumes_;
    RelayStats stats_;
};

}  // namespace

RelayStats run_relay(int control) {
    return Relay(control).run();
}

}  // namespace jk::socketd
