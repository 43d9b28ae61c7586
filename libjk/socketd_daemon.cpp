#include "jk/socketd_daemon.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <sys/poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "jk/config.hpp"
#include "jk/launch.hpp"
#include "jk/login.hpp"
#include "jk/socketd_relay.hpp"
#include "jk/sys.hpp"
#include "jk/trust.hpp"

namespace jk::socketd {

namespace {

constexpr const char* ini_name = "jk_socketd.ini";

void report(const Sink& sink, int priority, const std::string& message) {
    if (sink.report) sink.report(priority, message);
}

}  // namespace

// ---------------------------------------------------------------- configuration

std::vector<SocketSpec> load_specs(const std::string& confdir, const Sink& sink) {
    const std::string file = confdir + "/" + ini_name;
    std::optional<config::IniFile> ini;
    try {
        ini = login::load_config(confdir, ini_name);
    } catch (const login::Refused& r) {
        // load_config refuses an unsafe directory and an untrusted or
        // malformed file alike; jailkit tells them apart (53 and 11).
        try {
            config::LoadOptions lo;
            lo.require_trusted = true;
            (void)config::IniFile::load(file, lo);
        } catch (const Error& e) {
            throw IniUnusable(std::string("cannot use ") + file + ": " + e.what());
        }
        throw UnsafeConfigDirectory(r.what());
    }
    if (!ini) throw IniUnusable("cannot read " + file + ": it does not exist");
    std::vector<std::string> warnings = ini->warnings();
    std::vector<SocketSpec> specs = sockets_from_ini(*ini, warnings);
    for (const auto& w : warnings) report(sink, LOG_WARNING, w);
    return specs;
}

std::vector<SocketSpec> command_line_spec(const DaemonOptions& o) {
    std::string why;
    auto path = normalize_socket_path(o.socket, &why);
    if (!path) throw UsageError("--socket " + quoted(o.socket) + " " + why);
    return {clamp(*path, RawLimits{o.base, o.peak, std::nullopt,
                                   o.interval ? o.interval : std::optional<double>(cli_interval_default)})};
}

privilege::Identity relay_identity(const std::string& wanted) {
    std::string name = wanted;
    const passwd* pw = nullptr;
    if (name.empty()) {
        pw = ::getpwnam("jk_socketd");
        name = pw ? "jk_socketd" : "nobody";
    }
    if (!pw) pw = ::getpwnam(name.c_str());
    if (!pw) throw StartRefused("the user " + quoted(name) + " to relay as does not exist");
    if (pw->pw_uid == 0) throw StartRefused("refusing to relay as " + quoted(name) + ", which is root");
    return privilege::Identity{pw->pw_uid, pw->pw_gid, {}};
}

// More fds than jailkit's 128 sockets need a higher soft limit.
void raise_fd_limit(std::size_t sockets, const Sink& sink) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    const rlim_t need = static_cast<rlim_t>(sockets) + 64;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        report(sink, LOG_WARNING,
               "the hard limit on open files (" + std::to_string(rl.rlim_max) + ") is too low for " +
                   std::to_string(sockets) + " sockets; raise it (LimitNOFILE=) or some will fail");
}

// The relay's root: an empty directory nobody but root can write (who could
// write it could give the relay child files to open, or a way out).
UniqueFd open_empty_root(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw SysError("cannot create", path, errno);
    UniqueFd fd = sys::open_at(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
    trust::require(fd.get(), path, trust::jail_parent);
    if (sys::fstat_fd(fd.get(), path).st_nlink != 2) throw UnsafePath(path, "must be an empty directory");
    return fd;
}

namespace {

// ---------------------------------------------------------------- detaching

// Detaches (fork, setsid, fork). The first process waits for the daemon's
// verdict on a pipe and returns it (so "jk_socketd; echo $?" tells whether
// the daemon runs); the daemon gets nullopt and the pipe's write end in
// *status. The middle process only forks and ends.
std::optional<int> detach(UniqueFd* status, const Sink& sink) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw SysError("pipe", errno);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError("fork", errno);
    if (pid > 0) {
        ::close(p[1]);
        unsigned char c = daemon_exit::failure;
        ssize_t n;
        do n = ::read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        ::close(p[0]);
        int st;
        ::waitpid(pid, &st, 0);
        return n == 1 ? static_cast<int>(c) : static_cast<int>(daemon_exit::failure);
    }
    ::close(p[0]);
    if (::setsid() < 0) ::_exit(daemon_exit::failure);
    pid = ::fork();
    if (pid < 0) ::_exit(daemon_exit::failure);
    if (pid > 0) ::_exit(0);
    if (::chdir("/") != 0) ::_exit(daemon_exit::failure);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        // A daemon left holding the caller's terminal as 0-2 is worse than no daemon.
        if (::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) ::_exit(daemon_exit::failure);
        if (null > 2) ::close(null);
    }
    if (sink.detached) sink.detached();
    *status = UniqueFd(p[1]);
    return std::nullopt;
}

// ---------------------------------------------------------------- relay child

// The forked child: it reports only through the control socket (the
// parent's sink is not its to use) and always ends with _exit.
[[noreturn]] void relay_child(int control, int rootfd, const std::string& root_shown, pid_t parent,
                              const privilege::Identity& who) {
    auto fail = [&](const std::string& msg) {
        (void)send_packet(control, encode(ControlMsg{MsgType::log, 0, 0, 0, 0, LOG_ERR, msg}), -1, MSG_DONTWAIT);
        ::_exit(2);
    };
    try {
        ::signal(SIGHUP, SIG_IGN);  // the parent reloads; a terminal's ^C is the parent's too
        ::signal(SIGINT, SIG_IGN);
        ::signal(SIGPIPE, SIG_IGN);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // Via high numbers first: either fd may already be 3 or 4.
        const int c = ::fcntl(control, F_DUPFD_CLOEXEC, 10), r = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 10);
        if (c < 0 || r < 0 || ::dup3(c, 3, O_CLOEXEC) < 0 || ::dup3(r, 4, O_CLOEXEC) < 0)
            fail(std::string("dup: ") + std::strerror(errno));
        privilege::close_fds_from(5);
        control = 3;
        privilege::enter_root(4, root_shown);
        ::close(4);
        privilege::drop_to(who);
        // A credential change clears the parent-death signal: set it after.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            fail(std::string("prctl(PR_SET_PDEATHSIG): ") + std::strerror(errno));
        if (::getppid() != parent) ::_exit(0);
        (void)run_relay(control);
        ::_exit(0);
    } catch (const std::exception& e) {
        fail(std::string("the relay stops: ") + e.what());
    }
    ::_exit(2);
}

// ---------------------------------------------------------------- the root parent

struct Served {
    std::uint32_t id;
    SocketSpec spec;
    dev_t dev;
    ino_t ino;
};

class Daemon {
public:
    Daemon(const DaemonOptions& o, const Sink& sink, std::vector<SocketSpec> specs)
        : o_(o), sink_(sink), specs_(std::move(specs)) {}

    int run(UniqueFd status_fd) {
        UniqueFd rootfd = open_empty_root(o_.empty_root);
        const auto who = relay_identity(o_.user);
        if (!o_.pidfile.empty()) launch::write_pidfile(o_.pidfile, ::getpid());

        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, nullptr);
        ::signal(SIGPIPE, SIG_IGN);
        sigfd_ = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigfd_) throw SysError("signalfd", errno);

        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) throw SysError("socketpair", errno);
        UniqueFd mine(sp[0]), theirs(sp[1]);
        const pid_t self = ::getpid();
        child_ = ::fork();
        if (child_ < 0) throw SysError("fork", errno);
        if (child_ == 0) {
            mine.reset();
            sigfd_.reset();
            relay_child(theirs.get(), rootfd.get(), o_.empty_root, self, who);
        }
        theirs.reset();
        rootfd.reset();
        control_ = std::move(mine);
        // The child dies with us (PR_SET_PDEATHSIG); we die with the child
        // (SIGCHLD below). Wait until it runs unprivileged before binding.
        if (!wait_ready()) return stop(daemon_exit::failure);

        connect_target(true);
        {
            DirCache dirs;
            for (const auto& s : specs_) add(s, dirs);
        }
        report(LOG_NOTICE, "serving " + std::to_string(served_.size()) + " of " + std::to_string(specs_.size()) +
                               " sockets, relaying to " + o_.target + " as an unprivileged child");
        if (served_.empty() && !o_.socket.empty()) {
            report(LOG_ERR, "the --socket socket could not be created; stopping");
            return stop(daemon_exit::failure);
        }
        if (served_.empty()) report(LOG_WARNING, "no socket could be created (SIGHUP retries)");
        // The parsed ini of 10,000 sections is gone: give its memory back.
        ::malloc_trim(0);
        if (status_fd) {
            unsigned char c = daemon_exit::ok;
            if (::write(status_fd.get(), &c, 1) != 1) {
                // The waiting starter is gone; nobody to tell.
            }
            status_fd.reset();
        }
        return loop();
    }

private:
    void report(int priority, const std::string& message) const { socketd::report(sink_, priority, message); }

    bool wait_ready() {
        for (int waited = 0; waited < 100; ++waited) {
            pollfd p{control_.get(), POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) {
                std::string packet;
                UniqueFd fd;
                const ssize_t n = recv_packet(control_.get(), packet, fd);
                if (n == 0) break;
                if (n < 0) continue;
                auto m = decode(packet);
                if (!m) continue;
                if (m->type == MsgType::ready) return true;
                if (m->type == MsgType::log) report(m->priority, m->text);
            }
        }
        report(LOG_ERR, "the relay child did not start (it never relays as root); stopping");
        return false;
    }

    void send(const ControlMsg& m, int fd = -1) {
        if (!send_packet(control_.get(), encode(m), fd, 0)) throw SysError("cannot talk to the relay child", errno);
    }

    void connect_target(bool first) {
        try {
            UniqueFd t = socketd::connect_target(o_.target);
            send(ControlMsg{MsgType::target, 0, 0, 0, 0, 0, {}}, t.get());
            if (target_failed_) report(LOG_NOTICE, "connected to " + o_.target + " again");
            target_failed_ = false;
        } catch (const SysError& e) {
            if (!target_failed_ || first) report(LOG_WARNING, std::string(e.what()) + " (retrying every second)");
            target_failed_ = true;
        }
    }

    void add(const SocketSpec& s, DirCache& dirs) {
        try {
            BoundSocket b = create_socket(s.path, &dirs);
            Served v{next_id_++, s, b.dev, b.ino};
            send(ControlMsg{MsgType::add, v.id, s.base, s.peak, s.interval, 0, s.path}, b.fd.get());
            served_[s.path] = v;
        } catch (const SysError& e) {
            if (e.path().empty()) throw;  // the control socket: fatal
            report(LOG_WARNING, std::string(e.what()) + ", skipping this socket");
        } catch (const Error& e) {
            report(LOG_WARNING, "cannot create " + s.path + ": " + e.what() + ", skipping this socket");
        }
    }

    void drop(const Served& v, bool tell_child, DirCache& dirs) {
        if (tell_child) send(ControlMsg{MsgType::remove, v.id, 0, 0, 0, 0, {}});
        try {
            (void)remove_socket(v.spec.path, v.dev, v.ino, &dirs);
        } catch (const Error& e) {
            report(LOG_WARNING, std::string("cannot remove ") + v.spec.path + ": " + e.what());
        }
    }

    void reload() {
        if (!o_.socket.empty()) {
            report(LOG_NOTICE, "SIGHUP: serving --socket " + o_.socket + ", there is no ini to re-read");
            return;
        }
        std::vector<SocketSpec> specs;
        try {
            specs = load_specs(o_.confdir, sink_);
        } catch (const Error& e) {
            report(LOG_ERR, std::string("SIGHUP: ") + e.what() + "; keeping the sockets as they are");
            return;
        }
        DirCache dirs;
        std::map<std::string, const SocketSpec*> wanted;
        for (const auto& s : specs) wanted[s.path] = &s;
        std::size_t removed = 0, added = 0;
        for (auto it = served_.begin(); it != served_.end();) {
            if (wanted.count(it->first)) {
                ++it;
                continue;
            }
            drop(it->second, true, dirs);
            it = served_.erase(it);
            ++removed;
        }
        for (const auto& s : specs) {
            auto it = served_.find(s.path);
            if (it == served_.end()) {
                add(s, dirs);
                added += served_.count(s.path);
                continue;
            }
            // Still ours on disk? A jail rebuilt meanwhile lost its socket.
            bool intact = false;
            try {
                std::string leaf;
                const int dir = open_parent_cached(s.path, &leaf, dirs);
                auto st = sys::lstat_at(dir, leaf);
                intact = st && S_ISSOCK(st->st_mode) && st->st_dev == it->second.dev && st->st_ino == it->second.ino;
            } catch (const Error&) {
            }
            if (!intact) {
                send(ControlMsg{MsgType::remove, it->second.id, 0, 0, 0, 0, {}});
                served_.erase(it);
                add(s, dirs);
                continue;
            }
            if (!(it->second.spec == s)) {
                it->second.spec = s;
                send(ControlMsg{MsgType::update, it->second.id, s.base, s.peak, s.interval, 0, {}});
            }
        }
        specs_ = std::move(specs);
        ::malloc_trim(0);
        report(LOG_NOTICE, "SIGHUP: re-read the ini: " + std::to_string(added) + " sockets added, " +
                               std::to_string(removed) + " removed, " + std::to_string(served_.size()) + " served");
    }

    int stop(int code) {
        DirCache dirs;
        for (const auto& [path, v] : served_) drop(v, false, dirs);
        served_.clear();
        if (child_ > 0) {
            ::kill(child_, SIGKILL);
            int st;
            ::waitpid(child_, &st, 0);
            child_ = -1;
        }
        if (!o_.pidfile.empty()) ::unlink(o_.pidfile.c_str());
        return code;
    }

    int loop() {
        for (;;) {
            pollfd p[2] = {{sigfd_.get(), POLLIN, 0}, {control_.get(), POLLIN, 0}};
            if (::poll(p, 2, -1) < 0) {
                if (errno == EINTR) continue;
                throw SysError("poll", errno);
            }
            if (p[0].revents & POLLIN) {
                signalfd_siginfo si{};
                while (::read(sigfd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                    switch (si.ssi_signo) {
                        case SIGHUP: reload(); break;
                        case SIGTERM:
                        case SIGINT:
                            report(LOG_NOTICE, "stopping on signal " + std::to_string(si.ssi_signo));
                            return stop(daemon_exit::ok);
                        case SIGCHLD: {
                            int st = 0;
                            if (::waitpid(child_, &st, WNOHANG) == child_) {
                                child_ = -1;
                                drain_control();
                                report(LOG_ERR, "the relay child ended (" + how(st) + "); stopping");
                                return stop(daemon_exit::failure);
                            }
                            break;
                        }
                        default: break;
                    }
                }
            }
            if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (!drain_control()) {
                    // Closed only by the child's exit: reap it to say how.
                    int st = 0;
                    if (child_ > 0 && ::waitpid(child_, &st, 0) == child_) {
                        child_ = -1;
                        report(LOG_ERR, "the relay child ended (" + how(st) + "); stopping");
                    } else {
                        report(LOG_ERR, "the relay child closed its end; stopping");
                    }
                    return stop(daemon_exit::failure);
                }
            }
        }
    }

    static std::string how(int st) {
        return WIFEXITED(st) ? "exit " + std::to_string(WEXITSTATUS(st)) : "signal " + std::to_string(WTERMSIG(st));
    }

    // Handles the child's messages; false when it is gone.
    bool drain_control() {
        for (int i = 0; i < 256; ++i) {
            std::string packet;
            UniqueFd fd;
            const ssize_t n = recv_packet(control_.get(), packet, fd);
            if (n == 0) return false;
            if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            auto m = decode(packet);
            if (!m) continue;
            if (m->type == MsgType::log)
                report(m->priority, "relay: " + m->text);
            else if (m->type == MsgType::need_target)
                connect_target(false);
        }
        return true;
    }

    const DaemonOptions& o_;
    const Sink& sink_;
    std::vector<SocketSpec> specs_;
    std::map<std::string, Served> served_;
    std::uint32_t next_id_ = 1;
    UniqueFd sigfd_, control_;
    pid_t child_ = -1;
    bool target_failed_ = false;
};

}  // namespace

// ---------------------------------------------------------------- the daemon

int run_daemon(const DaemonOptions& o, const Sink& sink) {
    if (::geteuid() != 0) throw StartRefused("you are not root: jk_socketd creates sockets in root-owned jails");
    std::vector<SocketSpec> specs = o.socket.empty() ? load_specs(o.confdir, sink) : command_line_spec(o);
    if (specs.empty()) throw StartRefused("no sockets are configured in " + o.confdir + "/" + ini_name);

    // jailkit exited 1 without a syslog socket; we keep that at start only
    // (a socket that exists but refuses is retried, as after a restart).
    struct stat st;
    if (::stat(o.target.c_str(), &st) != 0)
        throw StartRefused("cannot reach the syslog socket " + o.target + ": " + std::strerror(errno));
    if (!S_ISSOCK(st.st_mode)) throw StartRefused("the syslog target " + o.target + " is not a socket");
    try {
        (void)connect_target(o.target);
    } catch (const SysError& e) {
        // jailkit fell back to an unframed stream connection; we relay
        // datagrams only (jk_socketd(8), COMPATIBILITY).
        if (e.err() == EPROTOTYPE) throw StartRefused("the syslog target " + o.target + " is not a datagram socket");
    }
    (void)relay_identity(o.user);  // fail before detaching (MUST 2)
    raise_fd_limit(specs.size(), sink);

    UniqueFd status;
    if (!o.nodetach)
        if (std::optional<int> verdict = detach(&status, sink)) return *verdict;  // the starter
    Daemon d(o, sink, std::move(specs));
    try {
        return d.run(std::move(status));
    } catch (const Error& e) {
        report(sink, LOG_ERR, e.what());
        return e.exit_code() == 0 ? daemon_exit::failure : e.exit_code();
    }
}

}  // namespace jk::socketd
