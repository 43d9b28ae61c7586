// jk_socketd: syslog sockets inside jails, relayed to the host's syslog
// (COMPAT.md 2.6, W18). This file is the root parent: it reads the ini,
// creates the sockets, connects the host target and hands both to the relay
// child (libjk socketd_relay), which runs chrooted in an empty directory as
// an unprivileged user. See jk_socketd(8) for the design.
#include "jk/main.hpp"

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
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/log.hpp"
#include "jk/login.hpp"
#include "jk/privilege.hpp"
#include "jk/socketd_config.hpp"
#include "jk/socketd_relay.hpp"
#include "jk/sys.hpp"
#include "jk_socketd/cli.hpp"

namespace {

namespace sd = jk::socketd;

// jailkit 2.23's exit codes.
enum Exit : int { exit_ok = 0, exit_failure = 1, exit_ini = 11, exit_unsafe_confdir = 53 };

constexpr const char* empty_root = "/run/jk_socketd.empty";

bool g_stderr = true;   // diagnostics to stderr (always with -n, until detached without)
bool g_syslog = false;  // and to syslog (when detaching)

void report(int prio, const std::string& msg) {
    if (g_syslog) jk::log::syslog_only(prio, msg);
    if (g_stderr) {
        if (prio <= LOG_ERR)
            jk::log::err(msg);
        else if (prio == LOG_WARNING)
            jk::log::warn(msg);
        else
            std::fprintf(stderr, "%s: %s\n", jk::program_name(), msg.c_str());
    }
}

// ---------------------------------------------------------------- configuration

std::vector<sd::SocketSpec> load_specs() {
    const std::string file = JK_SYSCONFDIR "/jk_socketd.ini";
    std::optional<jk::config::IniFile> ini;
    try {
        ini = jk::login::load_config(JK_SYSCONFDIR, "jk_socketd.ini");
    } catch (const jk::login::Refused& r) {
        // load_config refuses an unsafe directory and an untrusted or
        // malformed file alike; jailkit tells them apart (53 and 11).
        try {
            jk::config::LoadOptions lo;
            lo.require_trusted = true;
            (void)jk::config::IniFile::load(file, lo);
        } catch (const jk::Error& e) {
            throw jk::Error(std::string("cannot use ") + file + ": " + e.what(), exit_ini);
        }
        throw jk::Error(r.what(), exit_unsafe_confdir);
    }
    if (!ini) throw jk::Error("cannot read " + file + ": it does not exist", exit_ini);
    std::vector<std::string> warnings = ini->warnings();
    std::vector<sd::SocketSpec> specs = sd::sockets_from_ini(*ini, warnings);
    for (const auto& w : warnings) report(LOG_WARNING, w);
    return specs;
}

std::vector<sd::SocketSpec> command_line_spec(const jk_socketd::Options& o) {
    std::string why;
    auto path = sd::normalize_socket_path(o.socket, &why);
    if (!path) throw jk::UsageError("--socket " + jk::quoted(o.socket) + " " + why);
    return {sd::clamp(*path, sd::RawLimits{o.base, o.peak, std::nullopt,
                                           o.interval ? o.interval : std::optional<double>(sd::cli_interval_default)})};
}

jk::privilege::Identity relay_identity(const std::string& wanted) {
    std::string name = wanted;
    const passwd* pw = nullptr;
    if (name.empty()) {
        pw = ::getpwnam("jk_socketd");
        name = pw ? "jk_socketd" : "nobody";
    }
    if (!pw) pw = ::getpwnam(name.c_str());
    if (!pw) throw jk::Error("the user " + jk::quoted(name) + " to relay as does not exist", exit_failure);
    if (pw->pw_uid == 0) throw jk::Error("refusing to relay as " + jk::quoted(name) + ", which is root", exit_failure);
    return jk::privilege::Identity{pw->pw_uid, pw->pw_gid, {}};
}

// More fds than jailkit's 128 sockets need a higher soft limit.
void raise_fd_limit(std::size_t sockets) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    const rlim_t need = static_cast<rlim_t>(sockets) + 64;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        report(LOG_WARNING, "the hard limit on open files (" + std::to_string(rl.rlim_max) + ") is too low for " +
                                std::to_string(sockets) + " sockets; raise it (LimitNOFILE=) or some will fail");
}

// The relay's root: an empty directory nobody but root can write.
jk::UniqueFd open_empty_root() {
    if (::mkdir(empty_root, 0755) != 0 && errno != EEXIST) throw jk::SysError("cannot create", empty_root, errno);
    jk::UniqueFd fd = jk::sys::open_at(AT_FDCWD, empty_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, empty_root);
    struct stat st = jk::sys::fstat_fd(fd.get(), empty_root);
    if (st.st_uid != 0 || (st.st_mode & 022))
        throw jk::UnsafePath(empty_root, "must be owned by root and not writable by group or others");
    if (st.st_nlink != 2) throw jk::UnsafePath(empty_root, "must be an empty directory");
    return fd;
}

// ---------------------------------------------------------------- daemon

// Detaches (fork, setsid, fork). The first process waits for the daemon's
// verdict on a pipe and exits with it, so "jk_socketd; echo $?" tells
// whether the daemon runs. Returns the write end in the daemon.
jk::UniqueFd detach() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw jk::SysError("pipe", errno);
    pid_t pid = ::fork();
    if (pid < 0) throw jk::SysError("fork", errno);
    if (pid > 0) {
        ::close(p[1]);
        unsigned char c = exit_failure;
        ssize_t n;
        do n = ::read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        int st;
        ::waitpid(pid, &st, 0);
        ::_exit(n == 1 ? static_cast<int>(c) : static_cast<int>(exit_failure));
    }
    ::close(p[0]);
    if (::setsid() < 0) ::_exit(exit_failure);
    pid = ::fork();
    if (pid < 0) ::_exit(exit_failure);
    if (pid > 0) ::_exit(0);
    if (::chdir("/") != 0) ::_exit(exit_failure);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        // A daemon left holding the caller's terminal as 0-2 is worse than no daemon.
        if (::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) ::_exit(exit_failure);
        if (null > 2) ::close(null);
    }
    g_stderr = false;
    return jk::UniqueFd(p[1]);
}

void write_pidfile(const std::string& file) {
    // O_NOFOLLOW: a symlink planted at the pidfile's name is not followed;
    // truncation only after the open, so no other file is ever emptied.
    jk::UniqueFd fd = jk::sys::open_at(AT_FDCWD, file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY, 0644, file);
    struct stat st = jk::sys::fstat_fd(fd.get(), file);
    if (!S_ISREG(st.st_mode)) throw jk::UnsafePath(file, "is not a regular file");
    if (::ftruncate(fd.get(), 0) != 0) throw jk::SysError("cannot truncate", file, errno);
    jk::sys::write_all(fd.get(), std::to_string(::getpid()) + "\n", file);
}

// ---------------------------------------------------------------- relay child

[[noreturn]] void relay_child(int control, int rootfd, pid_t parent, const jk::privilege::Identity& who) {
    auto fail = [&](const std::string& msg) {
        (void)sd::send_packet(control, sd::encode(sd::ControlMsg{sd::MsgType::log, 0, 0, 0, 0, LOG_ERR, msg}), -1,
                              MSG_DONTWAIT);
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
        jk::privilege::close_fds_from(5);
        control = 3;
        jk::privilege::enter_root(4, empty_root);
        ::close(4);
        jk::privilege::drop_to(who);
        // A credential change clears the parent-death signal: set it after.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            fail(std::string("prctl(PR_SET_PDEATHSIG): ") + std::strerror(errno));
        if (::getppid() != parent) ::_exit(0);
        (void)sd::run_relay(control);
        ::_exit(0);
    } catch (const std::exception& e) {
        fail(std::string("the relay stops: ") + e.what());
    }
    ::_exit(2);
}

// ---------------------------------------------------------------- the root parent

struct Served {
    std::uint32_t id;
    sd::SocketSpec spec;
    dev_t dev;
    ino_t ino;
};

class Daemon {
public:
    Daemon(const jk_socketd::Options& o, std::vector<sd::SocketSpec> specs) : o_(o), specs_(std::move(specs)) {}

    int run(jk::UniqueFd status_fd) {
        jk::UniqueFd rootfd = open_empty_root();
        const auto who = relay_identity(o_.user);
        if (!o_.pidfile.empty()) write_pidfile(o_.pidfile);

        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, nullptr);
        ::signal(SIGPIPE, SIG_IGN);
        sigfd_ = jk::UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigfd_) throw jk::SysError("signalfd", errno);

        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) throw jk::SysError("socketpair", errno);
        jk::UniqueFd mine(sp[0]), theirs(sp[1]);
        const pid_t self = ::getpid();
        child_ = ::fork();
        if (child_ < 0) throw jk::SysError("fork", errno);
        if (child_ == 0) {
            mine.reset();
            sigfd_.reset();
            relay_child(theirs.get(), rootfd.get(), self, who);
        }
        theirs.reset();
        rootfd.reset();
        control_ = std::move(mine);
        // The child dies with us (PR_SET_PDEATHSIG); we die with the child
        // (SIGCHLD below). Wait until it runs unprivileged before binding.
        if (!wait_ready()) return stop(exit_failure);

        connect_target(true);
        {
            sd::DirCache dirs;
            for (const auto& s : specs_) add(s, dirs);
        }
        report(LOG_NOTICE, "serving " + std::to_string(served_.size()) + " of " + std::to_string(specs_.size()) +
                               " sockets, relaying to " + o_.target + " as an unprivileged child");
        if (served_.empty() && !o_.socket.empty()) {
            report(LOG_ERR, "the --socket socket could not be created; stopping");
            return stop(exit_failure);
        }
        if (served_.empty()) report(LOG_WARNING, "no socket could be created (SIGHUP retries)");
        // The parsed ini of 10,000 sections is gone: give its memory back.
        ::malloc_trim(0);
        if (status_fd) {
            unsigned char c = exit_ok;
            if (::write(status_fd.get(), &c, 1) != 1) {
                // The waiting starter is gone; nobody to tell.
            }
            status_fd.reset();
        }
        return loop();
    }

private:
    bool wait_ready() {
        for (int waited = 0; waited < 100; ++waited) {
            pollfd p{control_.get(), POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) {
                std::string packet;
                jk::UniqueFd fd;
                const ssize_t n = sd::recv_packet(control_.get(), packet, fd);
                if (n == 0) break;
                if (n < 0) continue;
                auto m = sd::decode(packet);
                if (!m) continue;
                if (m->type == sd::MsgType::ready) return true;
                if (m->type == sd::MsgType::log) report(m->priority, m->text);
            }
        }
        report(LOG_ERR, "the relay child did not start (it never relays as root); stopping");
        return false;
    }

    void send(const sd::ControlMsg& m, int fd = -1) {
        if (!sd::send_packet(control_.get(), sd::encode(m), fd, 0))
            throw jk::SysError("cannot talk to the relay child", errno);
    }

    void connect_target(bool first) {
        try {
            jk::UniqueFd t = sd::connect_target(o_.target);
            send(sd::ControlMsg{sd::MsgType::target, 0, 0, 0, 0, 0, {}}, t.get());
            if (target_failed_) report(LOG_NOTICE, "connected to " + o_.target + " again");
            target_failed_ = false;
        } catch (const jk::SysError& e) {
            if (!target_failed_ || first) report(LOG_WARNING, std::string(e.what()) + " (retrying every second)");
            target_failed_ = true;
        }
    }

    void add(const sd::SocketSpec& s, sd::DirCache& dirs) {
        try {
            sd::BoundSocket b = sd::create_socket(s.path, &dirs);
            Served v{next_id_++, s, b.dev, b.ino};
            send(sd::ControlMsg{sd::MsgType::add, v.id, s.base, s.peak, s.interval, 0, s.path}, b.fd.get());
            served_[s.path] = v;
        } catch (const jk::SysError& e) {
            if (e.path().empty()) throw;  // the control socket: fatal
            report(LOG_WARNING, std::string(e.what()) + ", skipping this socket");
        } catch (const jk::Error& e) {
            report(LOG_WARNING, "cannot create " + s.path + ": " + e.what() + ", skipping this socket");
        }
    }

    void drop(const Served& v, bool tell_child, sd::DirCache& dirs) {
        if (tell_child) send(sd::ControlMsg{sd::MsgType::remove, v.id, 0, 0, 0, 0, {}});
        try {
            (void)sd::remove_socket(v.spec.path, v.dev, v.ino, &dirs);
        } catch (const jk::Error& e) {
            report(LOG_WARNING, std::string("cannot remove ") + v.spec.path + ": " + e.what());
        }
    }

    void reload() {
        if (!o_.socket.empty()) {
            report(LOG_NOTICE, "SIGHUP: serving --socket " + o_.socket + ", there is no ini to re-read");
            return;
        }
        std::vector<sd::SocketSpec> specs;
        try {
            specs = load_specs();
        } catch (const jk::Error& e) {
            report(LOG_ERR, std::string("SIGHUP: ") + e.what() + "; keeping the sockets as they are");
            return;
        }
        sd::DirCache dirs;
        std::map<std::string, const sd::SocketSpec*> wanted;
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
                const int dir = sd::open_parent_cached(s.path, &leaf, dirs);
                auto st = jk::sys::lstat_at(dir, leaf);
                intact = st && S_ISSOCK(st->st_mode) && st->st_dev == it->second.dev && st->st_ino == it->second.ino;
            } catch (const jk::Error&) {
            }
            if (!intact) {
                send(sd::ControlMsg{sd::MsgType::remove, it->second.id, 0, 0, 0, 0, {}});
                served_.erase(it);
                add(s, dirs);
                continue;
            }
            if (!(it->second.spec == s)) {
                it->second.spec = s;
                send(sd::ControlMsg{sd::MsgType::update, it->second.id, s.base, s.peak, s.interval, 0, {}});
            }
        }
        specs_ = std::move(specs);
        ::malloc_trim(0);
        report(LOG_NOTICE, "SIGHUP: re-read the ini: " + std::to_string(added) + " sockets added, " +
                               std::to_string(removed) + " removed, " + std::to_string(served_.size()) + " served");
    }

    int stop(int code) {
        sd::DirCache dirs;
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
                throw jk::SysError("poll", errno);
            }
            if (p[0].revents & POLLIN) {
                signalfd_siginfo si{};
                while (::read(sigfd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                    switch (si.ssi_signo) {
                        case SIGHUP: reload(); break;
                        case SIGTERM:
                        case SIGINT:
                            report(LOG_NOTICE, "stopping on signal " + std::to_string(si.ssi_signo));
                            return stop(exit_ok);
                        case SIGCHLD: {
                            int st = 0;
                            if (::waitpid(child_, &st, WNOHANG) == child_) {
                                child_ = -1;
                                drain_control();
                                report(LOG_ERR, "the relay child ended (" + how(st) + "); stopping");
                                return stop(exit_failure);
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
                    return stop(exit_failure);
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
            jk::UniqueFd fd;
            const ssize_t n = sd::recv_packet(control_.get(), packet, fd);
            if (n == 0) return false;
            if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            auto m = sd::decode(packet);
            if (!m) continue;
            if (m->type == sd::MsgType::log)
                report(m->priority, "relay: " + m->text);
            else if (m->type == sd::MsgType::need_target)
                connect_target(false);
        }
        return true;
    }

    const jk_socketd::Options& o_;
    std::vector<sd::SocketSpec> specs_;
    std::map<std::string, Served> served_;
    std::uint32_t next_id_ = 1;
    jk::UniqueFd sigfd_, control_;
    pid_t child_ = -1;
    bool target_failed_ = false;
};

int serve(const jk_socketd::Options& o) {
    if (::geteuid() != 0)
        throw jk::Error("you are not root: jk_socketd creates sockets in root-owned jails", exit_failure);
    jk::log::open("jk_socketd", LOG_DAEMON);
    g_syslog = !o.nodetach;
    std::vector<sd::SocketSpec> specs = o.socket.empty() ? load_specs() : command_line_spec(o);
    if (specs.empty()) throw jk::Error("no sockets are configured in " JK_SYSCONFDIR "/jk_socketd.ini", exit_failure);

    // jailkit exited 1 without a syslog socket; we keep that at start only
    // (a socket that exists but refuses is retried, as after a restart).
    struct stat st;
    if (::stat(o.target.c_str(), &st) != 0)
        throw jk::Error("cannot reach the syslog socket " + o.target + ": " + std::strerror(errno), exit_failure);
    if (!S_ISSOCK(st.st_mode)) throw jk::Error("the syslog target " + o.target + " is not a socket", exit_failure);
    try {
        (void)sd::connect_target(o.target);
    } catch (const jk::SysError& e) {
        // jailkit fell back to an unframed stream connection; we relay
        // datagrams only (jk_socketd(8), COMPATIBILITY).
        if (e.err() == EPROTOTYPE)
            throw jk::Error("the syslog target " + o.target + " is not a datagram socket", exit_failure);
    }
    (void)relay_identity(o.user);  // fail before detaching
    raise_fd_limit(specs.size());

    jk::UniqueFd status;
    if (!o.nodetach) status = detach();
    Daemon d(o, std::move(specs));
    try {
        return d.run(std::move(status));
    } catch (const jk::Error& e) {
        report(LOG_ERR, e.what());
        return e.exit_code() == 0 ? exit_failure : e.exit_code();
    }
}

}  // namespace

int main(int argc, char** argv) {
    return jk::run_main(argv[0], [&] {
        jk_socketd::Options o = jk_socketd::parse_args(std::vector<std::string>(argv, argv + argc));
        if (o.help) {
            std::fputs(jk_socketd::usage_text(), stdout);
            return 0;
        }
        if (o.version) {
            std::printf("jk_socketd %s\n", JK_VERSION);
            return 0;
        }
        return serve(o);
    });
}
