#include "jk/trace.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "jk/copy.hpp"
#include "jk/entry.hpp"
#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/jexec.hpp"
#include "jk/launch.hpp"
#include "jk/log.hpp"
#include "jk/manifest.hpp"
#include "jk/named_jail.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trace_ptrace.hpp"
#include "jk/trace_rules.hpp"
#include "jk/trust.hpp"

namespace jk::trace {

namespace {

namespace x = exit_code;

// The jail given with -j (named_jail.hpp): every refusal exits bad_jail.
Jail open_jail(const std::string& given) {
    try {
        return std::move(*open_named_jail(given, {.trailing = path::TrailingSlash::allowed}));
    } catch (const JailNameError& e) {
        throw Error(e.what(), x::bad_jail);
    }
}

// The jail `real` lies in, when a directory above it holds a jail
// manifest (a jail built by these tools: issue 14 denies other jails).
std::optional<std::string> other_jail(const std::string& real) {
    std::string cur;
    const std::vector<std::string> comps = path::components(real);
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
        cur += "/" + comps[i];
        struct stat st {};
        if (::lstat((cur + manifest::path_in_jail).c_str(), &st) == 0) return cur;
    }
    return std::nullopt;
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

std::string shown(const std::vector<std::string>& words) {
    std::string all;
    for (const auto& w : words) {
        if (!all.empty()) all += ' ';
        all += w;
    }
    return text::printable(all, 400);
}

std::vector<std::string> split_words(const std::string& cmd) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : cmd) {
        if (c == ' ' || c == '\t') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

// A program inside the jail: the first candidate there that is a regular
// executable file, opened O_PATH beneath the jail.
struct Program {
    UniqueFd fd;
    std::string inner;
};

std::optional<Program> find_in_jail(const Jail& jail, const std::string& command) {
    for (const std::string& inner : jexec::command_candidates(command)) {
        try {
            UniqueFd fd = jail.open(inner, O_PATH);
            const struct stat st = sys::fstat_fd(fd.get(), inner);
            if (S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) return Program{std::move(fd), inner};
        } catch (const Error&) {
        }
    }
    return std::nullopt;
}

std::optional<std::string> find_on_host(const std::string& command) {
    for (const std::string& p : jexec::command_candidates(command)) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) return p;
    }
    return std::nullopt;
}

class Run {
public:
    Run(const privilege::Prologue& pro, const Options& o, const Output& out, Jail& jail)
        : pro_(pro), o_(o), out_(out), jail_(jail), rules_(default_rules(jail.path())) {
        for (const auto& d : o.deny) rules_.deny.push_back(normalize_absolute(d));
        // The jail's own loader cache is built by the copy engine (ldconfig -r).
        rules_.deny.emplace_back("/etc/ld.so.cache");
    }

    void identity(const launch::DaemonIdentity& who) {
        who_ = who;
        jexec::Target t;
        t.id = who.id;
        t.name = who.name;
        t.shell = who.shell;
        t.home = jexec::home_inside(jail_.path(), who.home);
        jail_env_ = jexec::environment(pro_.environment, t);
        t.home = who.home;
        host_env_ = jexec::environment(pro_.environment, t);
    }

    Outcome go() {
        Outcome result;
        // The program itself, when the jail lacks it: the first thing wanted.
        if (!find_in_jail(jail_, o_.command.front())) {
            std::optional<std::string> host = find_on_host(o_.command.front());
            if (!host)
                throw Error(
                    "no program " + quoted(text::printable(o_.command.front(), 400)) + " in the jail or on the host",
                    x::never_started);
            want(*host, "execve by jk_trace", PathUse::exec);
            const unsigned n = settle(result);
            if (!o_.dry_run && !find_in_jail(jail_, o_.command.front()))
                throw Error("the program " + *host + " could not be added to the jail", x::never_started);
            if (n) out_("round 0: " + std::to_string(n) + " added (the program)");
        }
        if (std::optional<Program> p = find_in_jail(jail_, o_.command.front())) result.program = p->inner;
        if (result.program.empty()) result.program = find_on_host(o_.command.front()).value_or(o_.command.front());

        const unsigned rounds = o_.dry_run ? 1 : std::max(1u, o_.rounds);
        for (unsigned round = 1; round <= rounds; ++round) {
            const bool on_host = o_.host && round == 1;
            round_once(on_host, result);
            const unsigned n = settle(result);
            result.rounds = round;
            out_("round " + std::to_string(round) + (on_host ? " (on the host)" : "") + ": " + std::to_string(n) +
                 (o_.dry_run ? " would be added" : " added"));
            if (n == 0 && !on_host) {
                result.converged = true;
                break;
            }
            if (o_.dry_run) break;
        }
        if (o_.dry_run)
            result.exit_code = !result.added.empty() ? x::not_converged
                               : result.started      ? x::converged
                                                     : x::never_started;
        else
            result.exit_code = !result.started ? x::never_started : result.converged ? x::converged : x::not_converged;
        return result;
    }

private:
    struct Want {
        std::string why;
        PathUse use;
    };

    void want(const std::string& path, const std::string& why, PathUse use) {
        if (wants_.count(path)) return;
        wants_.emplace(path, Want{why, use});
        order_.push_back(path);
    }

    void on_event(const Event& ev) {
        std::string why = std::string(ev.syscall) + (ev.program.empty() ? "" : " by " + ev.program);
        if (ev.use == PathUse::socket) {
            if (sockets_seen_.insert(ev.path).second) sockets_.push_back(ev.path + " (" + why + ")");
            return;
        }
        want(ev.path, why, ev.use);
    }

    // Forks the program (or a test) traced, entered into the jail as the user.
    pid_t start_in_jail(Tracer& tracer, const std::vector<std::string>& argv) {
        std::optional<Program> p = find_in_jail(jail_, argv.front());
        if (!p) {
            out_("cannot start " + quoted(text::printable(argv.front(), 200)) + ": not in the jail");
            if (std::optional<std::string> host = find_on_host(argv.front()))
                want(*host, "execve by jk_trace", PathUse::exec);
            return 0;
        }
        const int program_fd = p->fd.get();
        const std::string inner = p->inner;
        return tracer.start_traced([&] {
            entry::Request r;
            r.jail = &jail_;
            r.identity = who_.id;
            r.root = entry::RootInJail::refused;
            // A session of its own: the terminal stays its stdin/stdout, but is
            // no longer its controlling one, so TIOCSTI cannot push input
            // into root's shell (the kernel allows it on the caller's own
            // controlling terminal only).
            r.own_session = true;
            r.program_fd = program_fd;
            r.program = inner;
            r.argv = argv;
            r.env = jail_env_;
            r.umask = pro_.caller_umask;
            r.policy_read = true;  // traced without the jail's isolation policy (jk_trace(8))
            try {
                entry::enter_and_exec(std::move(r));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "jk_trace: cannot run %s in the jail: %s\n", inner.c_str(), e.what());
            }
            ::_exit(127);
        });
    }

    pid_t start_on_host(Tracer& tracer, const std::vector<std::string>& argv, bool traced) {
        std::optional<std::string> host =
            argv.front().front() == '/' ? std::optional(argv.front()) : find_on_host(argv.front());
        if (!host) {
            out_("cannot start " + quoted(text::printable(argv.front(), 200)) + ": not on the host");
            return 0;
        }
        auto child = [&] {
            try {
                if (::chdir("/") != 0) ::_exit(126);
                privilege::ensure_own_session();  // no TIOCSTI into root's terminal, as in the jail
                privilege::drop_to(who_.id);
                std::vector<char*> av, ev;
                for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
                av.push_back(nullptr);
                for (const auto& e : host_env_) ev.push_back(const_cast<char*>(e.c_str()));
                ev.push_back(nullptr);
                ::execve(host->c_str(), av.data(), ev.data());
                std::fprintf(stderr, "jk_trace: cannot execute %s: %s\n", host->c_str(), std::strerror(errno));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "jk_trace: cannot run %s: %s\n", host->c_str(), e.what());
            }
            ::_exit(127);
        };
        return traced ? tracer.start_traced(child) : tracer.start_untraced(child);
    }

    void round_once(bool on_host, Outcome& result) {
        Tracer tracer(
            on_host ? "/" : jail_.path(), o_.max_procs, on_host, [this](const Event& ev) { on_event(ev); },
            [this](const std::string& w) { out_("warning: " + w); });
        const auto begin = Clock::now();
        const auto deadline = begin + std::chrono::milliseconds(static_cast<long long>(o_.timeout * 1000));
        const pid_t main = on_host ? start_on_host(tracer, o_.command, true) : start_in_jail(tracer, o_.command);
        if (main == 0) return;
        const bool daemon = !o_.tests.empty() || !o_.tests_outside.empty();
        bool ok = true;
        if (daemon) {
            const auto ready =
                std::min(deadline, begin + std::chrono::milliseconds(static_cast<long long>(o_.wait * 1000)));
            // The program may exit early (a daemon forking away): wait anyway.
            ok = tracer.step(ready);
            {
                auto run_test = [&](pid_t pid, const std::string& cmd) {
                    if (pid == 0 || !ok) return;
                    const auto until = std::min(
                        deadline,
                        Clock::now() + std::chrono::milliseconds(static_cast<long long>(o_.test_timeout * 1000)));
                    ok = tracer.step(until, pid);
                    if (tracer.alive(pid)) {
                        ::kill(pid, SIGKILL);
                        out_("test " + quoted(text::printable(cmd, 200)) + " timed out");
                        ok = tracer.step(until + std::chrono::seconds(1), pid);
                        return;
                    }
                    const int st = tracer.status_of(pid);
                    if (o_.verbose || !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
                        out_("test " + quoted(text::printable(cmd, 200)) + " " +
                             (WIFEXITED(st) ? "exited " + std::to_string(WEXITSTATUS(st))
                                            : "killed by signal " + std::to_string(WTERMSIG(st))));
                };
                for (const auto& t : o_.tests) {
                    std::vector<std::string> argv = split_words(t);
                    if (argv.empty()) continue;
                    run_test(on_host ? start_on_host(tracer, argv, true) : start_in_jail(tracer, argv), t);
                }
                for (const auto& t : o_.tests_outside) run_test(start_on_host(tracer, {"/bin/sh", "-c", t}, false), t);
            }
            // The round ends: the program is asked to stop, then killed.
            tracer.signal_all(SIGTERM);
            if (ok) ok = tracer.step(std::min(deadline, Clock::now() + std::chrono::seconds(3)));
        } else {
            ok = tracer.step(deadline);
        }
        if (!ok)
            out_("round stopped: more than " + std::to_string(o_.max_procs) + " processes (--max-procs)");
        else if (!tracer.empty() && Clock::now() >= deadline)
            out_("round stopped: the program ran longer than " + seconds_text(o_.timeout) +
                 " s (--timeout); what it looked for so far is counted");
        result.started = result.started || tracer.started();
        tracer.kill_all();
    }

    // What the recorded wants add to the jail; returns how many (MUST 2-4).
    unsigned settle(Outcome& result) {
        copy::Options co;
        co.exclude = jail_.path();
        co.dry_run = o_.dry_run;
        copy::Planner planner(co, copy::host_dependency_finder());
        std::vector<Added> now;
        for (const std::string& p : order_) {
            const Want& w = wants_.at(p);
            if (done_.count(p)) continue;
            done_.insert(p);
            auto skip = [&](const std::string& why) {
                if (o_.verbose) out_("skipped " + p + " (" + w.why + "): " + why);
            };
            // MUST 2: the lookup in the jail passes only root's components.
            const trust::JailPath in = trust::look_up_for_user(jail_.fd(), p);
            if (in.refused) {
                out_("refused " + p + " (" + w.why + "): " + *in.refused);
                continue;
            }
            if (in.exists) {
                // A script whose #! interpreter is missing fails its exec with ENOENT.
                if (w.use == PathUse::exec) interpreter_of(in.resolved, p);
                continue;
            }
            std::string r = in.resolved;
            // A locale and the like come whole (trace_rules.hpp).
            const std::optional<std::string> whole = whole_directory(r);
            if (whole) r = *whole;
            if (!planned_.insert(r).second) continue;
            std::optional<std::string> bad = refused(rules_, p);
            if (!bad) bad = refused(rules_, r);
            char buf[PATH_MAX];
            std::string real;
            if (!bad) {
                if (::realpath(r.c_str(), buf) == nullptr) {
                    skip("does not exist on the host");
                    continue;
                }
                real = buf;
                bad = refused(rules_, real);
            }
            if (bad) {
                // Said always: a denied path is what the admin must know about.
                out_("refused " + p + " (" + w.why + "): " + (real.empty() || real == p ? p : real) + " " + *bad);
                continue;
            }
            if (std::optional<std::string> jail = other_jail(real)) {
                out_("refused " + p + " (" + w.why + "): " + real + " is inside the jail " + *jail);
                continue;
            }
            const trust::HostFile host = trust::host_file_for_user(real, who_.id);
            if (host.verdict == trust::HostFile::Verdict::absent) {
                skip(host.why);
                continue;
            }
            if (host.verdict == trust::HostFile::Verdict::refused) {
                out_("refused " + p + " (" + w.why + "): " + host.why);
                continue;
            }
            const bool is_dir = host.directory;
            try {
                if (is_dir && !whole)
                    planner.add_shallow(r);
                else
                    planner.add(r);
            } catch (const Error& e) {
                out_("skipped " + p + " (" + w.why + "): " + e.what());
                continue;
            }
            now.push_back(Added{r, is_dir && !whole, w.why});
        }
        if (!now.empty()) {
            install(planner.take(), now);
            for (auto& a : now) result.added.push_back(a);
        }
        unsigned n = static_cast<unsigned>(now.size());
        // Interpreters found above are new wants: settled at once.
        if (!pending_interp_.empty()) {
            auto more = std::move(pending_interp_);
            pending_interp_.clear();
            for (auto& [path, why] : more) want(path, why, PathUse::exec);
            n += settle(result);
        }
        return n;
    }

    void install(const copy::Plan& plan, const std::vector<Added>& now) {
        copy::Options co;
        co.exclude = jail_.path();
        co.dry_run = o_.dry_run;
        co.verbose = o_.verbose;
        for (const auto& w : plan.warnings)
            if (o_.verbose) out_("warning: " + w);
        for (const auto& m : plan.missing_libraries) out_("warning: library " + m + " not found");
        for (const auto& a : now)
            out_(std::string(o_.dry_run ? "would add " : "added ") + a.path + (a.directory ? "/" : "") + " (" + a.why +
                 ")");
        if (o_.dry_run) return;
        try {
            copy::install(plan, jail_, co, [this](const std::string& line) {
                if (o_.verbose) out_(line);
            });
        } catch (const Error& e) {
            throw Error(std::string("copying into the jail failed: ") + e.what(), x::failed);
        }
    }

    void interpreter_of(const std::string& inner, const std::string& shown_path) {
        try {
            UniqueFd fd = jail_.open(inner, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
            char buf[256];
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 3 || buf[0] != '#' || buf[1] != '!') return;
            std::string line(buf + 2, static_cast<std::size_t>(n) - 2);
            line.resize(std::min(line.find('\n'), line.size()));
            std::vector<std::string> words = split_words(line);
            if (words.empty() || words.front().front() != '/') return;
            const std::string interp = normalize_absolute(words.front());
            if (!wants_.count(interp)) pending_interp_.emplace_back(interp, "execve (#! of " + shown_path + ")");
        } catch (const Error&) {
        }
    }

    const privilege::Prologue& pro_;
    const Options& o_;
    const Output& out_;
    Jail& jail_;
    Rules rules_;
    launch::DaemonIdentity who_;
    std::vector<std::string> jail_env_, host_env_;
    std::map<std::string, Want> wants_;
    std::vector<std::string> order_;
    std::set<std::string> done_;
    std::set<std::string> planned_;  // host paths given to the copy engine
    std::vector<std::pair<std::string, std::string>> pending_interp_;
    std::set<std::string> sockets_seen_;

public:
    std::vector<std::string> sockets_;
};

}  // namespace

Outcome run(const privilege::Prologue& prologue, const Options& o, const Output& out) {
    if (prologue.caller.uid != 0 || prologue.caller.euid != 0)
        throw Error("jk_trace must be run by root (user ID " + std::to_string(prologue.caller.uid) + ")", x::not_root);
    if (o.command.empty()) throw Error("no program given", x::usage);
    Jail jail = open_jail(o.jail);
    std::optional<isolation::Policy> policy;
    try {
        policy = entry::policy_of(jail);
    } catch (const entry::EntryError& e) {
        throw Error("cannot read the isolation policy of " + jail.path() + ": " + e.what(), x::bad_jail);
    }
    if (policy && policy->thin())
        throw Error("the jail " + jail.path() +
                        " is thin (its system directories are the host's, bound read-only): there is nothing to copy "
                        "into it",
                    x::bad_jail);
    if (policy)
        out("note: the jail's isolation policy (" + isolation::describe(*policy) +
            ") is not applied while tracing (jk_trace(8))");

    launch::DaemonIdentity who;
    const std::string spec = o.user.value_or("nobody");
    try {
        who = launch::resolve_daemon_identity(spec, std::nullopt);
    } catch (const Error& e) {
        throw Error(std::string("no user for the traced program: ") + e.what(), x::bad_user);
    }
    if (who.id.uid == 0)
        throw Error("refusing to trace as " + quoted(text::printable(spec, 64)) +
                        ": a program traced by jk_trace never runs as root (user ID 0)",
                    x::bad_user);

    log::syslog_only(LOG_INFO, "tracing " + shown(o.command) + " in jail " + jail.path() + " as " + who.name + " (" +
                                   std::to_string(who.id.uid) + ")" + (o.host ? ", first on the host" : "") +
                                   (o.dry_run ? ", dry run" : ""));
    Run r(prologue, o, out, jail);
    r.identity(who);
    Outcome result = r.go();
    result.sockets = r.sockets_;
    for (const auto& s : result.sockets) out("needs socket " + s + ": use jk_socketd or a bind mount");
    std::string added;
    for (const auto& a : result.added) added += (added.empty() ? "" : ", ") + a.path;
    log::syslog_only(LOG_INFO, "traced " + shown(o.command) + " in jail " + jail.path() + ": " +
                                   std::to_string(result.rounds) + " rounds, " +
                                   (result.converged ? "converged" : "did not converge") + ", " +
                                   std::to_string(result.added.size()) + (o.dry_run ? " would be added" : " added") +
                                   (added.empty() ? "" : ": " + text::printable(added, 1500)));
    return result;
}

SectionLists section_lists(const Outcome& outcome) {
    SectionLists s;
    if (!outcome.program.empty()) s.paths.push_back(outcome.program);
    for (const auto& a : outcome.added) {
        if (!a.directory) {
            s.paths.push_back(a.path);
            continue;
        }
        const bool filled = std::any_of(outcome.added.begin(), outcome.added.end(), [&](const Added& b) {
            return b.path.size() > a.path.size() && b.path.starts_with(a.path) && b.path[a.path.size()] == '/';
        });
        if (!filled) s.emptydirs.push_back(a.path);
    }
    return s;
}

}  // namespace jk::trace

namespace jk::trace {

void write_section_file(const std::string& file, const std::string& name, const std::string& section) {
    try {
        std::string old;
        mode_t mode = 0644;
        struct stat st {};
        if (::lstat(file.c_str(), &st) == 0) {
            if (!S_ISREG(st.st_mode)) throw Error(file + " is not a regular file", x::failed);
            UniqueFd fd = sys::open_at(AT_FDCWD, file, O_RDONLY | O_NOFOLLOW, 0, file);
            old = sys::read_all(fd.get(), file);
            mode = st.st_mode & 07777;
        } else if (errno != ENOENT) {
            throw SysError("cannot stat", file, errno);
        }
        const std::string text = replace_section(old, name, section);
        std::string tmpl = path::dirname(file) + "/." + path::basename(file) + ".jk_trace.XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        UniqueFd fd(::mkostemp(buf.data(), O_CLOEXEC));
        if (!fd) throw SysError("cannot create a temporary file beside", file, errno);
        const std::string tmp(buf.data());
        try {
            sys::write_all(fd.get(), text, tmp);
            if (::fchmod(fd.get(), mode) != 0) throw SysError("cannot chmod", tmp, errno);
            if (::fsync(fd.get()) != 0) throw SysError("cannot sync", tmp, errno);
            if (::rename(tmp.c_str(), file.c_str()) != 0) throw SysError("cannot rename over", file, errno);
        } catch (...) {
            ::unlink(tmp.c_str());
            throw;
        }
    } catch (const SysError& e) {
        throw Error(e.what(), x::failed);
    }
}

}  // namespace jk::trace
