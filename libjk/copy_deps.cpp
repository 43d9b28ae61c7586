// The copy engine's view of the ELF resolver: for one host file, the host
// paths of its interpreter and of every library of its closure, and a
// warning when the host cannot run the file at all.
//
// A jail must be able to run every program the host can run, so a program
// of another ABI the host has a loader for (i386 on a multilib x86_64 host)
// gets that loader and its libraries from that ABI's search path. What the
// host cannot run is still copied, with a warning naming the file and why:
//  - no loader handles its class/machine (kind Foreign: copied as data);
//  - its ABI's loader is not installed (no libc6-i386);
//  - the kernel refuses to execute its ABI's loader (ENOEXEC: a kernel
//    built without IA32 emulation, or booted with ia32_emulation=0).
// The last can only be learnt by asking the kernel: the loader (a host
// system file, never the file being copied) is executed once with --help.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/path.hpp"
#include "jk/process.hpp"
#include "jk/resolver.hpp"

namespace jk::copy {

namespace {

struct FinderState {
    std::unique_ptr<elf::Resolver> resolver;
    std::map<std::string, int> exec_errors;  // loader -> execve errno (0: it runs)
};

// Why the host cannot run a file resolved for a non-native ABI, or "".
std::string cannot_run(FinderState& s, const elf::Resolution& r, const std::string& loader) {
    struct stat st {};
    if (::stat(loader.c_str(), &st) != 0)
        return "this host has no " + r.abi + " loader (" + quoted(loader) + ": " + std::strerror(errno) + ")";
    // Only a root-owned system loader that no one else can replace is ever
    // executed: it is what the host itself runs every i386 program with.
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return "whether this kernel executes " + r.abi + " programs is unknown (" + quoted(loader) +
               " is not a root-owned file writable by root alone, so it is not executed to find out)";
    auto it = s.exec_errors.find(loader);
    if (it == s.exec_errors.end()) it = s.exec_errors.emplace(loader, process::exec_errno({loader, "--help"})).first;
    if (it->second == 0) return "";
    std::string why = "the kernel cannot execute " + r.abi + " programs (executing " + quoted(loader) +
                      " fails: " + std::strerror(it->second) + ")";
    if (it->second == ENOEXEC && r.abi == "i386") why += "; this kernel has no IA32 emulation";
    return why;
}

}  // namespace

DependencyFinder host_dependency_finder() {
    // Built on first use, so plans without ELF files never read ld.so.cache.
    auto state = std::make_shared<FinderState>();
    return [state](const std::string& host_path, std::vector<std::string>& missing,
                   std::vector<std::string>& warnings) {
        if (!state->resolver) state->resolver = std::make_unique<elf::Resolver>(elf::Resolver::for_host());
        const elf::Resolver& resolver = *state->resolver;
        elf::Resolution r = state->resolver->resolve(host_path);
        std::vector<std::string> needs;
        if (r.kind == elf::FileKind::Foreign) {
            warnings.push_back(quoted(host_path) + " is " + r.abi +
                               ", which no loader on this host handles: copied, but it cannot run here or in the jail");
            return needs;
        }
        if (r.kind == elf::FileKind::NotElf) return needs;
        const std::vector<elf::Abi>& abis = resolver.config().abis;
        std::string why;
        if (!abis.empty() && r.abi != abis.front().name) {
            std::string loader = r.interpreter;
            for (const elf::Abi& a : abis)
                if (loader.empty() && a.name == r.abi) loader = a.interpreter;
            why = cannot_run(*state, r, loader);
            if (!why.empty())
                warnings.push_back(quoted(host_path) + " is an " + r.abi + " program and " + why +
                                   ": copied, but it cannot run here or in the jail");
        }
        if (!r.interpreter.empty()) {
            struct stat st {};
            // A loader that is not there cannot be copied; the warning above said so.
            if (why.empty() || ::lstat(r.interpreter.c_str(), &st) == 0) needs.push_back(r.interpreter);
        }
        for (const auto& lib : r.libraries) needs.push_back(lib.path);
        for (const auto& m : r.missing) missing.push_back(m.name + " (needed by " + m.needed_by + ")");
        return needs;
    };
}

}  // namespace jk::copy
