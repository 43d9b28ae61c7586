// Which shared objects the dynamic loader would load for a file, found by
// reading ELF files and the loader's configuration, the way glibc 2.36's
// ld.so does it (elf/dl-load.c, elf/dl-deps.c). This replaces jailkit's use
// of ldd: nothing is ever executed, neither the file nor the loader.
//
// What is modelled (see resolve()): breadth-first loading of DT_NEEDED (and
// DT_FILTER / DT_AUXILIARY) entries; reuse of an already-loaded object by
// name, soname or file identity; the search order DT_RPATH of the loading
// chain (when the loader has no DT_RUNPATH), DT_RUNPATH of the loader,
// ld.so.cache, the built-in system directories (both skipped for the system
// directories under DF_1_NODEFLIB); glibc-hwcaps and legacy hwcap
// subdirectories; $ORIGIN, $LIB, $PLATFORM; skipping candidates of another
// ELF class or machine; and the loader's fatal errors for unusable
// candidates. LD_LIBRARY_PATH, LD_PRELOAD and /etc/ld.so.preload are
// ignored: the tools run as root and resolve for a jail, not for this shell.
// Not modelled: the PT_NOTE ABI-tag kernel-version check (every Debian
// library asks for an older kernel than any it runs on), and the secure-mode
// rules that make ld.so drop $ORIGIN paths when the program runs setuid (the
// result is then a superset of what a setuid run loads).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jk/elf.hpp"
#include "jk/ldso.hpp"

namespace jk::elf {

// How ld.so for one ABI (ELF class + byte order + machine) searches.
struct Abi {
    std::string name;  // for messages: "x86_64", "i386"
    ElfClass elf_class = ElfClass::Elf64;
    Endian endian = Endian::Little;
    std::uint16_t machine = machine_x86_64;
    std::string interpreter;               // this ABI's standard PT_INTERP, used for objects without one
    std::vector<std::string> system_dirs;  // ld.so's built-in directories, each ending in '/'
    std::string lib;                       // what $LIB expands to, e.g. "lib/x86_64-linux-gnu"
    std::string platform;                  // what $PLATFORM expands to ("" drops paths that use it)
    // Subdirectories tried under every search directory before the directory
    // itself, best first, each ending in '/' (see hwcap_subdirs()).
    std::vector<std::string> subdirs;
    CacheQuery cache;  // which ld.so.cache entries this loader accepts
};

struct SearchConfig {
    std::optional<LdCache> cache;  // nullopt: no ld.so.cache
    // Directories from ld.so.conf. ld.so itself never reads ld.so.conf; these
    // stand in for the cache only when there is none, so that a host whose
    // cache was never built still gets its configured directories searched.
    std::vector<std::string> conf_dirs;
    std::vector<Abi> abis;  // the ABIs this host can load; others are "foreign"
    // -1: paths are host paths. Otherwise a directory fd (a jail's root)
    // that must outlive the Resolver: every path is a path inside it,
    // resolved beneath it as the loader sees it after chroot(2) there
    // (jk::open_in_root), and a program's $ORIGIN is the directory of the
    // path it is given (which should then have no symlinked component).
    int root_fd = -1;
};

// The subdirectory list ld.so 2.36 builds (elf/dl-hwcaps.c): first
// "glibc-hwcaps/NAME/" for each supported name (best first), then the legacy
// combinations of the hwcap names, the platform and "tls", longest first
// (on x86_64: "tls/x86_64/x86_64/", "tls/x86_64/", ..., "x86_64/").
// The directory itself ("") is not included. Pure; never throws.
std::vector<std::string> hwcap_subdirs(const std::vector<std::string>& glibc_hwcaps,
                                       const std::vector<std::string>& legacy_hwcaps, const std::string& platform);

// Values of the dynamic string tokens for one object.
struct DstValues {
    std::string origin;    // directory of the object ("" when unknown)
    std::string lib;       // $LIB
    std::string platform;  // $PLATFORM ("" when unknown)
};

// Expands $ORIGIN, $LIB and $PLATFORM (also written ${ORIGIN} etc.) as
// glibc's _dl_dst_substitute does: a token must not be followed by a letter,
// digit or '_'; other '$' sequences stay as they are. Returns nullopt when a
// recognised token has no value (ld.so then drops the path). Pure.
std::optional<std::string> expand_dst(std::string_view input, const DstValues& values);

// This machine's ABIs, CPU-dependent subdirectories and cache filters.
// Reads no configuration files; inspects the CPU and the i386 loader's
// location. Never throws.
std::vector<Abi> host_abis();

// ---- results ----------------------------------------------------------------

enum class FileKind {
    NotElf,   // not a regular file, or no ELF magic: nothing to resolve
    Foreign,  // ELF for a class/byte order/machine this host cannot load
    Static,   // ELF for this host without PT_DYNAMIC
    Dynamic,  // ELF for this host with PT_DYNAMIC
};

struct Library {
    std::string name;       // as requested (DT_NEEDED after $-expansion)
    std::string path;       // as the loader opens it, e.g. "/lib/x86_64-linux-gnu/libc.so.6"
    std::string needed_by;  // path of the object whose entry loaded it first
};

struct Missing {
    std::string name;
    std::string needed_by;
};

struct Resolution {
    FileKind kind = FileKind::NotElf;
    // Static and Dynamic: the ABI resolved for (Abi::name, "i386"...).
    // Foreign: what the file is for ("ELF32 machine 40"), for messages.
    std::string abi;
    std::string interpreter;         // PT_INTERP, "" when none
    std::vector<Library> libraries;  // in load order, each file once
    std::vector<Missing> missing;    // names no search found, each (name, needer) once
    bool dynamic() const noexcept { return kind == FileKind::Dynamic; }
};

// Resolves dependencies for many files, caching what it reads per path, so
// the copy engine can call it for every file it copies. Assumes files do not
// change while it lives (call clear_cache() otherwise). Not thread-safe.
class Resolver {
public:
    // Requires: config.abis lists the ABIs to resolve for.
    explicit Resolver(SearchConfig config);
    Resolver(Resolver&& other) noexcept;
    Resolver& operator=(Resolver&& other) noexcept;
    ~Resolver();

    // This host: /etc/ld.so.cache, /etc/ld.so.conf and host_abis().
    // Throws ConfigError for a corrupt cache or ld.so.conf, SysError when
    // they exist but cannot be read.
    static Resolver for_host();

    // The transitive closure of what ld.so would load to run host_path
    // (an executable or a shared library).
    //  - Not a regular file or not ELF: kind NotElf, nothing else.
    //  - ELF no loader in config().abis handles (other machine, class or
    //    byte order): kind Foreign and abi describing it, nothing else; the
    //    copy engine copies it as data and warns that it cannot run.
    //    An ELF of a known non-native ABI (i386 on x86_64) is resolved in
    //    that ABI's own search path whether or not its loader is installed;
    //    whether the host can run it is the caller's question (see
    //    copy::host_dependency_finder), since answering it means executing
    //    the loader, which the resolver never does.
    //  - No PT_DYNAMIC: kind Static (interpreter set if it has PT_INTERP).
    //  - Otherwise kind Dynamic: interpreter = PT_INTERP; libraries in the
    //    order ld.so loads them, including the dynamic loader itself when a
    //    dependency names it (as ld.so lists it); missing = names ld.so would
    //    report "not found". $ORIGIN of host_path is its canonical directory,
    //    as for a program the kernel executes.
    // Throws SysError when host_path cannot be opened or read; ElfError when
    // host_path or a library it needs is malformed, or when ld.so would stop
    // with an error (a candidate library that is truncated, not ELF, of the
    // wrong byte order, an executable...): the program could not run.
    Resolution resolve(const std::string& host_path);

    const SearchConfig& config() const noexcept;

    // Forgets every file read so far.
    void clear_cache();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace jk::elf
