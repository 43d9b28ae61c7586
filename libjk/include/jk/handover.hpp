// A setuid tool linked statically (no loader runs, about a millisecond of
// every login on a virtual machine) and its dynamically linked twin, the
// same program built with the shared glibc. The static tool serves every
// login it can answer exactly; a login that needs what only a shared glibc
// can load is handed, whole, to the twin:
//  - NSS modules (sss, ldap, systemd...): a static glibc loads them only
//    from the exact glibc it was built with (host_lookup.hpp decides when
//    the files alone give NSS's answer);
//  - libsystemd, to place a login in a systemd scope (systemd_scope.hpp).
//
// MUST:
//  1. The handover is an exec of the twin with the caller's own argv,
//     environment (minus the loader's variables) and umask, before the tool
//     has changed anything the twin would see: the twin then starts the
//     login from its first step, as if the caller had run it.
//  2. The twin is found at a path fixed at build time, relative to the
//     tool's own executable (/proc/self/exe) unless absolute, and executed
//     through the fd that passed trust::trusted_executable: root-owned,
//     writable by nobody else, every directory above it a config_directory.
//     So no user can put a program of their own where root will run it. It
//     must be dynamically linked (a PT_INTERP): a static tool in its place
//     would hand over to itself for ever.
//  3. The twin is not setuid: it runs with the credentials the tool started
//     with (real uid the caller's, effective uid root), and the kernel marks
//     that exec secure (AT_SECURE), so its loader ignores LD_PRELOAD and the
//     like exactly as for the setuid tool.
//  4. A tool with no twin (a dynamic build, a sanitized one) never hands
//     over: it asks NSS and libsystemd itself.
#pragma once

#include <string>

namespace jk::handover {

// Called first thing in main() of a static tool: `twin` is where its twin
// is (MUST 2), argv and envp are main's. Remembers them and the umask.
void configure(const char* twin, char** argv, char** envp);

// Whether this process was configured with a twin to hand logins to.
bool has_twin();

// The twin's absolute path for this executable, lexically clean. Throws
// SysError when /proc/self/exe cannot be read.
std::string twin_path();

// Hands the login to the twin (MUST 1-3); `why` goes to syslog. Returns
// only by throwing: Error naming the twin and why it cannot be used
// (missing, failing its trust rule, exec failed), or when has_twin() is
// false.
[[noreturn]] void to_twin(const std::string& why);

}  // namespace jk::handover
