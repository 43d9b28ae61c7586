// jk_trace (issue 14): finds what a program needs in a jail by running it
// there under the tracer (jk/trace_ptrace.hpp), copying in what it looked
// for and did not find, and running it again until a round adds nothing.
//
// MUST (issue 14, "Safety: the user is hostile"):
//  1. The program and every test command inside the jail run as an
//     unprivileged user (uid 0 refused), entered as jk_exec enters
//     (entry::enter_and_exec through the checked jail fd); a test on the
//     host runs as that user too. Nothing traced runs as root.
//  2. A wanted path is copied only when: it is missing in the jail; the
//     lookup inside the jail passed only root-owned components not writable
//     by others (a user's symlink or directory is never followed out); the
//     path, its place in the jail and its real path on the host pass the
//     rules (trace_rules.hpp MUST 1, 2); it is not inside another jail (a
//     directory above it holds a jail manifest); every component of the host file is
//     owned by root and the user could read it on the host (both are
//     trust's rules: trust::look_up_for_user, trust::host_file_for_user).
//     Copies go through the copy engine (copy.hpp: no setuid bits, renames).
//  3. A missing directory is created empty, never copied with its tree.
//  4. Unix sockets are reported, never copied.
//  5. Every round is bounded in time and in processes (trace_ptrace.hpp MUST 1).
//  6. The run is logged to syslog: who, jail, program, what was added.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jk/privilege.hpp"

namespace jk::trace {

namespace exit_code {
enum : int {
    converged = 0,
    usage = 1,
    not_root = 2,
    bad_jail = 3,       // missing, not canonical, unsafe, or thin
    not_converged = 4,  // the last round still added something
    never_started = 5,  // the program was not found or could not be executed
    bad_user = 6,       // no such user, or uid 0
    failed = 7,         // a copy or the section file failed
};
}

struct Options {
    std::string jail;
    std::optional<std::string> user;         // host user (name or uid); default nobody
    bool host = false;                       // first round traced on the host
    std::vector<std::string> tests;          // inside the jail, traced
    std::vector<std::string> tests_outside;  // on the host, as the user, not traced
    unsigned rounds = 10;
    double timeout = 30;  // seconds per round
    double wait = 2;      // seconds before the tests run
    double test_timeout = 30;
    unsigned max_procs = 256;
    std::vector<std::string> deny;  // added to the default deny list
    bool dry_run = false;
    bool verbose = false;
    std::vector<std::string> command;  // PROGRAM [ARGS]
};

struct Added {
    std::string path;  // the same path on the host and in the jail
    bool directory = false;
    std::string why;  // "openat by /usr/bin/python3"
};

struct Outcome {
    unsigned rounds = 0;
    bool converged = false;
    bool started = false;
    std::string program;               // the program's path in the jail
    std::vector<Added> added;          // in the order added
    std::vector<std::string> sockets;  // "PATH (connect by X)"
    int exit_code = exit_code::converged;
};

// Lines for the user (stderr).
using Output = std::function<void(const std::string& line)>;

// The whole run (MUST 1-6). Throws Error with an exit_code for refusals
// before the first round (root, jail, user, program).
Outcome run(const privilege::Prologue& prologue, const Options& options, const Output& out);

// The section paths for jk_init: the program and every file added; the
// directories added with nothing added beneath them go to `emptydirs`.
struct SectionLists {
    std::vector<std::string> paths;
    std::vector<std::string> emptydirs;
};
SectionLists section_lists(const Outcome& outcome);

}  // namespace jk::trace

namespace jk::trace {

// Puts `section` (the text of section `name`) into the ini file `file`:
// replaces that section or appends it, keeping the rest of the file
// (trace_rules.hpp replace_section), through a temporary file in the same
// directory renamed over it, with the old file's mode (0644 for a new one).
// Throws Error(exit_code::failed).
void write_section_file(const std::string& file, const std::string& name, const std::string& section);

}  // namespace jk::trace
