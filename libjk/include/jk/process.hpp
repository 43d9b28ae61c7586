// Running a helper program without a shell: argv is passed as is, so no
// byte of a path can be read as shell syntax (jailkit's W1).
#pragma once

#include <string>
#include <vector>

namespace jk::process {

struct Outcome {
    int status = 0;      // exit status, or 128 + signal number
    std::string output;  // stdout and stderr together
};

// Runs argv[0] (an absolute path; PATH is not searched) with a minimal fixed
// environment and stdin from /dev/null, collects its output, waits for it.
// Throws SysError when it cannot be started.
Outcome run(const std::vector<std::string>& argv);

// Whether the kernel will execute argv[0]: runs it (as run() does, output
// discarded) and returns 0 when execve succeeded, whatever the program then
// did, or the errno execve failed with (ENOEXEC: the kernel cannot run that
// kind of ELF file, e.g. i386 on a kernel without IA32 emulation). Use it
// on trusted host programs only. Throws SysError when it cannot fork.
int exec_errno(const std::vector<std::string>& argv);

// The first of `candidates` that exists as an executable regular file.
// Throws Error naming `what` when none does.
std::string find_program(const std::vector<std::string>& candidates, const std::string& what);

}  // namespace jk::process
