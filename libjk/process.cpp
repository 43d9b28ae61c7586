#include "jk/process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/sys.hpp"

namespace jk::process {

namespace {

// argv as execve wants it; the program's path must be absolute (no PATH
// search in a root tool).
std::vector<char*> exec_args(const std::vector<std::string>& argv) {
    if (argv.empty() || argv[0].empty() || argv[0][0] != '/') throw Error("internal: program path must be absolute");
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    return args;
}

}  // namespace

Outcome run(const std::vector<std::string>& argv) {
    const std::vector<char*> args = exec_args(argv);
    char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char env_lang[] = "LC_ALL=C";
    char* envp[] = {env_path, env_lang, nullptr};

    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw SysError("cannot create pipe", errno);
    UniqueFd read_end(pipefd[0]), write_end(pipefd[1]);

    pid_t pid = ::fork();
    if (pid < 0) throw SysError("cannot fork to run", argv[0], errno);
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(write_end.get(), 1) < 0 || ::dup2(write_end.get(), 2) < 0)
            ::_exit(127);
        ::execve(args[0], args.data(), envp);
        ::_exit(errno == ENOENT ? 127 : 126);
    }
    write_end.reset();
    Outcome outcome;
    try {
        outcome.output = sys::read_all(read_end.get(), argv[0]);
    } catch (...) {
        int ignored;
        ::waitpid(pid, &ignored, 0);
        throw;
    }
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) throw SysError("cannot wait for", argv[0], errno);
    }
    outcome.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return outcome;
}

int exec_errno(const std::vector<std::string>& argv) {
    const std::vector<char*> args = exec_args(argv);
    char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char env_lang[] = "LC_ALL=C";
    char* envp[] = {env_path, env_lang, nullptr};

    // The child writes execve's errno into a close-on-exec pipe: a
    // successful exec closes it unwritten, so the parent reads 0 bytes.
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw SysError("cannot create pipe", errno);
    UniqueFd read_end(pipefd[0]), write_end(pipefd[1]);

    pid_t pid = ::fork();
    if (pid < 0) throw SysError("cannot fork to run", argv[0], errno);
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 || ::dup2(devnull, 2) < 0) ::_exit(127);
        ::execve(args[0], args.data(), envp);
        int err = errno;
        ssize_t ignored = ::write(write_end.get(), &err, sizeof err);
        (void)ignored;
        ::_exit(127);
    }
    write_end.reset();
    int err = 0;
    ssize_t got;
    do {
        got = ::read(read_end.get(), &err, sizeof err);
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof err)) err = 0;
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) throw SysError("cannot wait for", argv[0], errno);
    }
    return err;
}

std::string find_program(const std::vector<std::string>& candidates, const std::string& what) {
    for (const auto& c : candidates) {
        struct stat st {};
        if (::stat(c.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR)) return c;
    }
    throw Error("cannot find " + what);
}

}  // namespace jk::process
