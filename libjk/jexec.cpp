#include "jk/jexec.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "jk/entry.hpp"
#include "jk/jail.hpp"
#include "jk/launch.hpp"
#include "jk/named_jail.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"

namespace jk::jexec {

namespace {

std::string shown_command(const std::vector<std::string>& command) {
    std::string all;
    for (const auto& a : command) {
        if (!all.empty()) all += ' ';
        all += a;
    }
    return text::printable(all, 400);
}

std::string id_of(const Target& who) {
    return (who.name.empty() ? std::string("uid ") : who.name + " ") + "(" + std::to_string(who.id.uid) + ")";
}

}  // namespace

// ---------------------------------------------------------------- pure rules

std::vector<std::string> command_candidates(std::string_view command) {
    if (command.empty()) throw Error("the command is empty");
    if (command.find('\0') != std::string_view::npos) throw Error("the command holds a NUL byte");
    if (command.front() == '/') {
        const std::string inner = normalize_absolute(command);
        if (inner == "/") throw Error("the command " + quoted(std::string(command)) + " names the jail's root");
        return {inner};
    }
    if (command.find('/') != std::string_view::npos)
        throw Error("the command " + quoted(text::printable(command, 400)) +
                    " is a relative path: give it as an absolute path inside the jail, or a bare name to search");
    if (command == "." || command == "..")
        throw Error("the command " + quoted(std::string(command)) + " is not a program name");
    std::vector<std::string> out;
    std::string_view dirs = search_dirs;
    while (!dirs.empty()) {
        const std::size_t colon = dirs.find(':');
        out.push_back(std::string(dirs.substr(0, colon)) + "/" + std::string(command));
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    }
    return out;
}

Target default_target() {
    Target t;
    t.id = {0, 0, {0}};
    t.name = "root";
    t.home = "/root";
    t.shell = "/bin/sh";
    return t;
}

Target jail_target(const users::PasswdFile& passwd, const users::GroupFile& group, std::string_view spec) {
    const std::string shown = quoted(text::printable(spec, 64));
    const std::optional<unsigned> uid = launch::parse_numeric_id(spec);
    const users::PasswdEntry* e = uid ? users::find_uid(passwd, *uid) : passwd.find(spec);
    if (e == nullptr)
        throw Error("no user " + shown + " in the jail's " + passwd.filename +
                    (uid ? " (a user ID must have an entry there too)" : ""));
    Target t;
    t.id.uid = e->uid;
    t.id.gid = e->gid;
    t.id.groups.push_back(e->gid);
    for (const auto& rec : group.records) {
        if (!rec.entry) continue;
        const users::GroupEntry& g = *rec.entry;
        if (std::find(g.members.begin(), g.members.end(), e->name) == g.members.end()) continue;
        if (std::find(t.id.groups.begin(), t.id.groups.end(), g.gid) == t.id.groups.end()) t.id.groups.push_back(g.gid);
    }
    t.name = e->name;
    t.home = e->home.empty() || e->home.front() != '/' ? "/" : e->home;
    t.shell = e->shell.empty() ? "/bin/sh" : e->shell;
    return t;
}

std::string home_inside(std::string_view jail, std::string_view host_home) {
    if (host_home.empty() || host_home.front() != '/') return "/";
    try {
        if (std::optional<users::JailHome> split = users::split_jail_home(host_home)) {
            if (normalize_absolute(split->jail) == normalize_absolute(jail)) return split->home;
            return "/";  // another jail's home means nothing in this one
        }
    } catch (const Error&) {
        return "/";
    }
    return std::string(host_home);
}

std::vector<std::string> environment(const privilege::CallerEnvironment& caller, const Target& who) {
    std::vector<std::string> env = {"HOME=" + who.home};
    if (!who.name.empty()) {
        env.push_back("USER=" + who.name);
        env.push_back("LOGNAME=" + who.name);
    }
    env.push_back("SHELL=" + who.shell);
    env.push_back("PATH=" + std::string(search_dirs));
    // The prologue's snapshot already left out a value libc would read as
    // a file (privilege::unsafe_value).
    for (const char* name : {"TERM", "LANG"})
        if (std::optional<std::string> v = caller.get(name)) env.push_back(std::string(name) + "=" + *v);
    return env;
}

// ---------------------------------------------------------------- system steps

namespace {

namespace x = exit_code;

// The jail given with -j (named_jail.hpp). jk_exec has always accepted
// "/" (Jail::open judges it like any jail); the sharing does not change it.
Jail open_jail(const std::string& given) {
    try {
        return std::move(*open_named_jail(given, {.trailing = path::TrailingSlash::allowed, .host_root = true}));
    } catch (const JailNameError& e) {
        throw Error(e.what(), e.problem() == JailNameError::Problem::unsafe ? x::unsafe_jail : x::bad_jail);
    }
}

// Whether the host's user database (NSS) has `spec`, a name or a uid.
bool host_has_user(const std::string& spec) {
    const std::optional<unsigned> uid = launch::parse_numeric_id(spec);
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(4096);
    for (;;) {
        const int err = uid ? ::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found)
                            : ::getpwnam_r(spec.c_str(), &pw, buf.data(), buf.size(), &found);
        if (err != ERANGE || buf.size() > (1u << 24)) return err == 0 && found != nullptr;
        buf.resize(buf.size() * 2);
    }
}

// The user of -U from the host's databases, with the host's groups.
Target host_target(const Jail& jail, const std::string& spec) {
    // Asked first: resolve_daemon_identity would take a uid without an
    // entry and ask for a group (-g) that jk_exec does not have.
    if (!host_has_user(spec))
        throw Error("no user " + quoted(text::printable(spec, 64)) + " in the host's user database");
    launch::DaemonIdentity d = launch::resolve_daemon_identity(spec, std::nullopt);
    Target t;
    t.id = d.id;
    t.name = d.name;
    t.home = home_inside(jail.path(), d.home);
    t.shell = d.shell;
    return t;
}

Target jail_user(const Jail& jail, const std::string& spec, const Reporter& report) {
    users::JailUserTexts texts;
    try {
        texts = users::read_trusted_jail_users(jail);
    } catch (const UnsafePath& e) {
        throw Error(std::string("refusing the jail's user database: ") + e.what(), x::unsafe_jail);
    } catch (const Error& e) {
        throw Error(std::string("cannot read the jail's user database: ") + e.what(), x::no_user);
    }
    if (!texts.passwd)
        throw Error("the jail " + jail.path() + " has no /etc/passwd to find user " + quoted(text::printable(spec, 64)),
                    x::no_user);
    users::PasswdFile pw = users::parse_passwd(*texts.passwd, jail.host_path("/etc/passwd"), users::Malformed::skip);
    users::GroupFile gr =
        users::parse_group(texts.group.value_or(""), jail.host_path("/etc/group"), users::Malformed::skip);
    for (const auto& w : pw.warnings) report(LOG_WARNING, w);
    for (const auto& w : gr.warnings) report(LOG_WARNING, w);
    try {
        return jail_target(pw, gr, spec);
    } catch (const Error& e) {
        throw Error(e.what(), x::no_user);
    }
}

// The command beneath the jail fd (MUST 3, 4): the first candidate that
// exists; one that is not a regular executable file stops an absolute
// path (126) and is passed over in a search (as execvp does), reported when
// nothing better turns up.
struct Program {
    UniqueFd fd;
    std::string inner;
};

Program open_command(const Jail& jail, const std::string& command, bool as_root) {
    std::vector<std::string> candidates;
    try {
        candidates = command_candidates(command);
    } catch (const Error& e) {
        throw Error(e.what(), x::not_found);
    }
    std::optional<std::string> passed_over;
    for (const std::string& inner : candidates) {
        const std::string shown = jail.host_path(inner);
        UniqueFd fd;
        try {
            fd = jail.open(inner, O_PATH);
        } catch (const SysError& e) {
            if (e.err() == ENOENT || e.err() == ENOTDIR) continue;
            throw Error("cannot open the command " + shown + " (resolved inside the jail): " + std::strerror(e.err()),
                        x::cannot_execute);
        }
        const struct stat st = sys::fstat_fd(fd.get(), shown);
        std::optional<std::string> why;
        if (!S_ISREG(st.st_mode))
            why = "is not a regular file";
        else if ((st.st_mode & 0111) == 0)
            why = "is not executable";
        if (why) {
            if (candidates.size() == 1) throw Error("the command " + shown + " " + *why, x::cannot_execute);
            if (!passed_over) passed_over = "the command " + shown + " " + *why;
            continue;
        }
        // Root keeps every capability in the jail and can leave it: what it
        // runs must be a file no one but root could have put there.
        if (as_root) {
            if (std::optional<std::string> bad = trust::problem(st, trust::trusted_executable))
                throw Error("refusing to run " + shown + " as root: it " + *bad +
                                " (run it as its owner with -u, or make it root's)",
                            x::cannot_execute);
        }
        return {std::move(fd), inner};
    }
    if (passed_over) throw Error(*passed_over, x::cannot_execute);
    if (candidates.size() == 1)
        throw Error("no command " + jail.host_path(candidates.front()) + " in the jail", x::not_found);
    throw Error("no command " + quoted(text::printable(command, 400)) + " in the jail's " + std::string(search_dirs),
                x::not_found);
}

[[noreturn]] void jexec(const privilege::Prologue& pro, const Request& req, const Reporter& report) {
    if (pro.caller.uid != 0 || pro.caller.euid != 0)
        throw Error("jk_exec must be run by root (user ID " + std::to_string(pro.caller.uid) +
                        ") and is not meant to be setuid",
                    x::not_root);
    if (req.command.empty()) throw Error("no command given", x::usage);

    std::optional<Jail> jail(open_jail(req.jail));
    const std::string jail_path = jail->path();

    std::optional<isolation::Policy> policy;
    bool thin = false;
    try {
        policy = entry::policy_of(*jail);
        // A thin jail's commands are in its binds: assembled before the lookup.
        thin = entry::assemble_thin(jail, policy);
    } catch (const entry::EntryError& e) {
        throw Error("cannot isolate the jail " + jail_path + ": " + e.what(), x::isolation_failed);
    }

    Target who = default_target();
    if (req.user) {
        if (req.user_db == UserDb::jail) {
            who = jail_user(*jail, *req.user, report);
        } else {
            try {
                who = host_target(*jail, *req.user);
            } catch (const Error& e) {
                throw Error(e.what(), x::no_user);
            }
        }
    }

    Program program = open_command(*jail, req.command.front(), who.id.uid == 0);

    // The home when it is a directory inside the jail, else the jail's "/"
    // (entered as the user: one they cannot search fails the entry).
    UniqueFd home;
    try {
        home = jail->open(who.home, O_PATH | O_NOFOLLOW | O_DIRECTORY);
    } catch (const SysError& e) {
        if (e.err() != ENOENT && e.err() != ENOTDIR && e.err() != ELOOP)
            throw Error("cannot open the home " + jail->host_path(who.home) + ": " + std::strerror(e.err()),
                        x::entry_failed);
    }

    report(LOG_INFO,
           "running " + shown_command(req.command) + " in jail " + jail_path + " as " + id_of(who) +
               (program.inner != req.command.front() ? " (" + text::printable(program.inner, 400) + ")" : "") +
               (policy ? " (isolated: " + isolation::describe(*policy) + ")" : ""));

    entry::Request r;
    r.jail = &*jail;
    r.identity = who.id;
    r.root = entry::RootInJail::allowed;
    if (home) {
        r.home = &home;
        r.home_path = who.home;
    }
    // Foreground, as jexec: the command keeps the caller's session and
    // terminal (job control, ^C) - jk_exec(8), SECURITY.
    r.own_session = false;
    r.program_fd = program.fd.get();
    r.program = program.inner;
    r.argv = req.command;
    r.env = environment(pro.environment, who);
    r.umask = pro.caller_umask;
    r.policy_read = true;
    r.policy = std::move(policy);
    r.thin_assembled = thin;
    try {
        entry::enter_and_exec(std::move(r));
    } catch (const entry::EntryError& e) {
        switch (e.step()) {
            case entry::Step::policy:
            case entry::Step::isolation:
                throw Error("cannot isolate the jail " + jail_path + " as its policy asks: " + e.what(),
                            x::isolation_failed);
            case entry::Step::chroot:
            case entry::Step::drop:
            case entry::Step::home:
            case entry::Step::session:
                throw Error("cannot enter the jail " + jail_path + " as " + id_of(who) + ": " + e.what(),
                            x::entry_failed);
            case entry::Step::exec: break;
        }
        throw Error("cannot execute " + text::printable(program.inner, 400) + " in jail " + jail_path + " as " +
                        id_of(who) + ": " + std::strerror(e.err()),
                    e.err() == ENOENT ? x::not_found : x::cannot_execute);
    }
}

}  // namespace

void run(const privilege::Prologue& prologue, const Request& request, const Reporter& report) {
    try {
        jexec(prologue, request, report);
    } catch (const Error& e) {
        report(LOG_ERR, e.what());
        throw;
    } catch (const std::exception& e) {
        report(LOG_ERR, e.what());
        throw;
    }
}

}  // namespace jk::jexec
