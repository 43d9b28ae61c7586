// One error idiom for the whole library: typed exceptions that carry what
// failed, the path or argument at fault, and errno where there is one.
// Library code throws; only a tool's main (through run_main) reports.
#pragma once

#include <stdexcept>
#include <string>

namespace jk {

// Base of every error the library throws. exit_code is the status a tool
// exits with when the error reaches run_main unhandled; tools that must keep
// jailkit's exit codes catch the specific types and pick their own.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int exit_code = 1)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const noexcept { return exit_code_; }

private:
    int exit_code_;
};

// A failed system call. what() reads "<action> '<path>': <strerror>".
class SysError : public Error {
public:
    SysError(const std::string& action, std::string path, int err);
    SysError(const std::string& action, int err);
    int err() const noexcept { return err_; }
    const std::string& path() const noexcept { return path_; }

private:
    int err_;
    std::string path_;
};

// Bad command line. run_main prints the message and "Try '<tool> --help'".
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message, int exit_code = 1) : Error(message, exit_code) {}
};

// A malformed configuration file; names file and line (0 when the file as a
// whole is at fault, e.g. unsafe ownership).
class ConfigError : public Error {
public:
    ConfigError(std::string file, int line, const std::string& message);
    const std::string& file() const noexcept { return file_; }
    int line() const noexcept { return line_; }

private:
    std::string file_;
    int line_;
};

// A path that fails the jailkit safety rule (owner, group/other write,
// symlinked component, not a directory).
class UnsafePath : public Error {
public:
    UnsafePath(std::string path, const std::string& reason);
    const std::string& path() const noexcept { return path_; }
    // What is wrong with it, e.g. "is writable by group".
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string path_;
    std::string reason_;
};

// A symlink where the operation requires none (a jail component, or a path
// that would have to be followed out of a trusted tree).
class SymlinkNotAllowed : public UnsafePath {
public:
    explicit SymlinkNotAllowed(std::string path) : UnsafePath(std::move(path), "is a symbolic link") {}
};

// Malformed, truncated or foreign ELF data.
class ElfError : public Error {
public:
    ElfError(std::string path, const std::string& reason);
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

// Quote a user-supplied string for a message, systemd style: 'like this'.
std::string quoted(const std::string& s);

}  // namespace jk
