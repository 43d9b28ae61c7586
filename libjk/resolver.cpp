// The dependency resolver: glibc 2.36's ld.so search (elf/dl-load.c
// _dl_map_object, open_path, open_verify; elf/dl-deps.c
// _dl_map_object_deps) replayed over files we only read.
//
// MUST:
//  1. Never execute anything: no ldd, no ld.so, no file under inspection.
//  2. Every file is opened O_RDONLY | O_NONBLOCK | O_CLOEXEC, so a FIFO
//     planted where a library is expected cannot block a root tool.
//  3. Where ld.so would stop with an error, resolve() throws: it never
//     returns a closure the loader could not actually load.
#include "jk/resolver.hpp"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jk/path.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_map>
#include <utility>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/jail.hpp"

namespace jk::elf {

// ---- pure helpers -------------------------------------------------------------

std::vector<std::string> hwcap_subdirs(const std::vector<std::string>& glibc_hwcaps,
                                       const std::vector<std::string>& legacy_hwcaps, const std::string& platform) {
    std::vector<std::string> out;
    out.reserve(glibc_hwcaps.size());
    for (const std::string& n : glibc_hwcaps) out.push_back("glibc-hwcaps/" + n + "/");
    // Legacy part: every subset of (hwcaps..., platform, "tls"), the subsets
    // counted down in binary with the last component as the highest bit and
    // written first, exactly as _dl_important_hwcaps lays them out.
    std::vector<std::string> comps = legacy_hwcaps;
    if (!platform.empty()) comps.push_back(platform);
    comps.push_back("tls");
    const std::size_t n = comps.size();
    if (n >= 16) return out;  // not a real configuration; refuse to explode
    for (std::size_t mask = (std::size_t{1} << n) - 1; mask > 0; --mask) {
        std::string path;
        for (std::size_t i = n; i-- > 0;)
            if (mask & (std::size_t{1} << i)) path += comps[i] + "/";
        out.push_back(path);
    }
    return out;
}

namespace {

// glibc's is_dst: the length of the token after '$' (braces included), or 0.
std::size_t dst_length(std::string_view input, std::string_view ref) {
    bool curly = !input.empty() && input[0] == '{';
    std::string_view s = curly ? input.substr(1) : input;
    if (s.substr(0, ref.size()) != ref) return 0;
    char next = s.size() > ref.size() ? s[ref.size()] : '\0';
    if (curly) return next == '}' ? ref.size() + 2 : 0;
    bool ident =
        (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || (next >= '0' && next <= '9') || next == '_';
    return ident ? 0 : ref.size();
}

}  // namespace

std::optional<std::string> expand_dst(std::string_view input, const DstValues& values) {
    std::string out;
    while (!input.empty()) {
        char c = input.front();
        input.remove_prefix(1);
        if (c != '$') {
            out += c;
            continue;
        }
        const std::string* repl = nullptr;
        std::size_t len = 0;
        if ((len = dst_length(input, "ORIGIN")) != 0)
            repl = &values.origin;
        else if ((len = dst_length(input, "PLATFORM")) != 0)
            repl = &values.platform;
        else if ((len = dst_length(input, "LIB")) != 0)
            repl = &values.lib;
        if (len == 0) {
            out += '$';  // not a token ld.so knows: kept literally
            continue;
        }
        // A known token without a value makes ld.so drop the whole string.
        if (repl->empty()) return std::nullopt;
        out += *repl;
        input.remove_prefix(len);
    }
    return out;
}

// ---- host ABIs -------------------------------------------------------------------

namespace {

[[maybe_unused]] std::string at_platform() {
    // The auxv ABI hands the AT_PLATFORM string's address over as an unsigned long.
    const char* p = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM));  // NOLINT(performance-no-int-to-ptr)
    return p ? std::string(p) : std::string();
}

[[maybe_unused]] std::string canonical(const std::string& path) {
    std::unique_ptr<char, decltype(&::free)> real(::realpath(path.c_str(), nullptr), &::free);
    return real ? std::string(real.get()) : std::string();
}

#if defined(__x86_64__) || defined(__i386__)

// What glibc's init_cpu_features derives from CPUID, reduced to what changes
// library search: ISA levels (glibc-hwcaps), and the legacy platform/hwcaps.
struct X86Caps {
    bool intel = false;
    bool v2 = false, v3 = false, v4 = false;
    bool avx512_1 = false;
    std::string platform;  // "haswell" / "xeon_phi" on Intel, else ""
};

X86Caps detect_x86() {
    X86Caps caps;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return caps;
    unsigned max_leaf = a;
    caps.intel = b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
    unsigned c1 = 0, d1 = 0, b7 = 0, c81 = 0;
    __get_cpuid(1, &a, &b, &c1, &d1);
    if (max_leaf >= 7) __cpuid_count(7, 0, a, b7, c, d);
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) c81 = c;
    auto bit = [](unsigned r, int n) { return ((r >> n) & 1u) != 0; };
    // Features that need OS-saved register state are usable only when XCR0
    // says the kernel saves it.
    std::uint64_t xcr0 = 0;
    if (bit(c1, 27)) {
        unsigned lo = 0, hi = 0;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (std::uint64_t{hi} << 32) | lo;
    }
    bool avx_os = (xcr0 & 0x6) == 0x6;
    bool avx512_os = avx_os && (xcr0 & 0xe0) == 0xe0;
    bool avx = avx_os && bit(c1, 28), fma = avx_os && bit(c1, 12), f16c = avx_os && bit(c1, 29);
    bool avx2 = avx_os && bit(b7, 5);
    bool bmi1 = bit(b7, 3), bmi2 = bit(b7, 8), lzcnt = bit(c81, 5), movbe = bit(c1, 22), popcnt = bit(c1, 23);
    bool f = avx512_os && bit(b7, 16), dq = avx512_os && bit(b7, 17), pf = avx512_os && bit(b7, 26);
    bool er = avx512_os && bit(b7, 27), cd = avx512_os && bit(b7, 28), bw = avx512_os && bit(b7, 30);
    bool vl = avx512_os && bit(b7, 31);
    caps.v2 = bit(c1, 13) && bit(c81, 0) && popcnt && bit(c1, 0) && bit(c1, 19) && bit(c1, 20) && bit(c1, 9);
    caps.v3 = caps.v2 && avx && avx2 && bmi1 && bmi2 && f16c && fma && lzcnt && movbe;
    caps.v4 = caps.v3 && f && bw && cd && dq && vl;
    if (caps.intel) {
        if (cd) {
            if (er) {
                if (pf) caps.platform = "xeon_phi";
            } else if (bw && dq && vl) {
                caps.avx512_1 = true;
            }
        }
        if (caps.platform.empty() && avx2 && fma && bmi1 && bmi2 && lzcnt && movbe && popcnt) caps.platform = "haswell";
    }
    return caps;
}

// Bit of a legacy x86 platform name in the cache's hwcap field, or 0.
std::uint64_t x86_platform_bit(const std::string& platform) {
    static const char* const names[] = {"i586", "i686", "haswell", "xeon_phi"};
    for (std::size_t i = 0; i < 4; ++i)
        if (platform == names[i]) return 1ULL << (48 + i);
    return 0;
}

std::uint32_t x86_isa_levels(const X86Caps& caps) {
    return 1u | (caps.v2 ? 2u : 0u) | (caps.v3 ? 4u : 0u) | (caps.v4 ? 8u : 0u);
}

[[maybe_unused]] Abi x86_64_abi(const X86Caps& caps) {
    Abi abi;
    abi.name = "x86_64";
    abi.elf_class = ElfClass::Elf64;
    abi.machine = machine_x86_64;
    abi.interpreter = "/lib64/ld-linux-x86-64.so.2";
    // Debian's multiarch ld.so (ld.so --help, "system search path").
    abi.system_dirs = {"/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/"};
    abi.lib = "lib/x86_64-linux-gnu";
    abi.platform = caps.platform.empty() ? at_platform() : caps.platform;
    if (abi.platform.empty()) abi.platform = "x86_64";
    std::vector<std::string> levels;
    if (caps.v4) levels.push_back("x86-64-v4");
    if (caps.v3) levels.push_back("x86-64-v3");
    if (caps.v2) levels.push_back("x86-64-v2");
    std::vector<std::string> legacy = {"x86_64"};
    if (caps.avx512_1) legacy.push_back("avx512_1");
    abi.subdirs = hwcap_subdirs(levels, legacy, abi.platform);
    abi.cache.default_flags = cache_flag_elf_libc6 | cache_flag_x8664_lib64;
    abi.cache.hwcap_allowed = (1u << 1) | (caps.avx512_1 ? (1u << 2) : 0u);
    abi.cache.platform_mask = 0xfULL << 48;
    abi.cache.platform_bit = x86_platform_bit(abi.platform);
    abi.cache.glibc_hwcaps = levels;
    abi.cache.isa_levels = x86_isa_levels(caps);
    return abi;
}

Abi i386_abi(const X86Caps& caps) {
    Abi abi;
    abi.name = "i386";
    abi.elf_class = ElfClass::Elf32;
    abi.machine = machine_386;
    abi.interpreter = "/lib/ld-linux.so.2";
    // Debian ships the i386 loader either from libc6-i386 (biarch, built for
    // /lib32) or from libc6:i386 (multiarch); where its file lives says which.
    std::string real = canonical(abi.interpreter);
    bool biarch = real.rfind("/usr/lib32/", 0) == 0 || real.rfind("/lib32/", 0) == 0;
    if (biarch) {
        abi.system_dirs = {"/lib32/", "/usr/lib32/", "/lib/", "/usr/lib/"};
        abi.lib = "lib32";
    } else {
        abi.system_dirs = {"/lib/i386-linux-gnu/", "/usr/lib/i386-linux-gnu/", "/lib/", "/usr/lib/"};
        abi.lib = "lib/i386-linux-gnu";
    }
    abi.platform = "i686";
    abi.subdirs = hwcap_subdirs({}, {"sse2"}, abi.platform);
    abi.cache.default_flags = cache_flag_elf_libc6;
    abi.cache.also_accept_flag_1 = true;
    abi.cache.hwcap_allowed = 1u;  // HWCAP_X86_SSE2
    abi.cache.platform_mask = 0xfULL << 48;
    abi.cache.platform_bit = x86_platform_bit(abi.platform);
    abi.cache.isa_levels = x86_isa_levels(caps);
    return abi;
}

#endif

}  // namespace

std::vector<Abi> host_abis() {
    std::vector<Abi> abis;
#if defined(__x86_64__)
    X86Caps caps = detect_x86();
    abis.push_back(x86_64_abi(caps));
    abis.push_back(i386_abi(caps));
#elif defined(__i386__)
    abis.push_back(i386_abi(detect_x86()));
#elif defined(__aarch64__)
    Abi abi;
    abi.name = "aarch64";
    abi.machine = machine_aarch64;
    abi.interpreter = "/lib/ld-linux-aarch64.so.1";
    abi.system_dirs = {"/lib/aarch64-linux-gnu/", "/usr/lib/aarch64-linux-gnu/", "/lib/", "/usr/lib/"};
    abi.lib = "lib/aarch64-linux-gnu";
    abi.platform = at_platform();
    abi.subdirs = hwcap_subdirs({}, {}, abi.platform);
    abi.cache.default_flags = cache_flag_elf_libc6 | cache_flag_aarch64_lib64;
    abis.push_back(abi);
#endif
    return abis;
}

// ---- the resolver ------------------------------------------------------------------

namespace {

// What one open of a path showed. Cached per path for the Resolver's life.
struct Probe {
    int open_errno = 0;  // non-zero: the file could not be opened
    bool regular = false;
    bool directory = false;
    dev_t dev = 0;
    ino_t ino = 0;
    int read_errno = 0;           // non-zero: opened, but reading failed
    std::string head;             // the first bytes, up to 64
    std::optional<ElfInfo> info;  // set when head is ELF and the file parsed
    std::string error;            // why info is missing although head is ELF
};

// Strips the "'path': " prefix of an ElfError message so the reason can be
// reported again under another path.
std::string reason_of(const Error& e, const std::string& path) {
    std::string m = e.what();
    std::string prefix = quoted(path) + ": ";
    if (m.rfind(prefix, 0) == 0) m.erase(0, prefix.size());
    return m;
}

// Opens a path as the resolver's paths are meant (SearchConfig::root_fd);
// -1 with errno set on failure.
UniqueFd open_for(int root_fd, const std::string& path, int flags) {
    if (root_fd >= 0) {
        try {
            return open_in_root(root_fd, path, flags, 0, path);
        } catch (const SysError& e) {
            errno = e.err();
            return UniqueFd();
        }
    }
    int raw;
    do {
        raw = ::open(path.c_str(), flags | O_CLOEXEC);
    } while (raw < 0 && errno == EINTR);
    return UniqueFd(raw);
}

Probe probe_file(int root_fd, const std::string& path) {
    Probe p;
    // A search expects most opens to fail, so failure is data here, not a
    // SysError.
    UniqueFd fd = open_for(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd.get() < 0) {
        p.open_errno = errno;
        return p;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        p.open_errno = errno;
        return p;
    }
    p.dev = st.st_dev;
    p.ino = st.st_ino;
    p.regular = S_ISREG(st.st_mode);
    p.directory = S_ISDIR(st.st_mode);
    if (!p.regular) return p;
    char buf[64];
    ssize_t n;
    do {
        n = ::pread(fd.get(), buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        p.read_errno = errno;
        p.error = std::string("cannot read file data: ") + std::strerror(errno);
        return p;
    }
    p.head.assign(buf, static_cast<std::size_t>(n));
    if (!looks_like_elf(p.head)) return p;
    try {
        p.info = read_elf(fd.get(), path);
    } catch (const SysError& e) {
        p.read_errno = e.err();
        p.error = std::string("cannot read file data: ") + std::strerror(e.err());
    } catch (const ElfError& e) {
        p.error = reason_of(e, path);
    }
    return p;
}

// "ELF32 little-endian ARM": what a foreign file is for, in messages.
std::string describe_abi(const Identity& id) {
    static const std::pair<std::uint16_t, const char*> names[] = {
        {3, "i386"}, {8, "MIPS"},    {20, "PowerPC"},  {21, "PowerPC64"}, {22, "S/390"},
        {40, "ARM"}, {62, "x86_64"}, {183, "AArch64"}, {243, "RISC-V"},   {258, "LoongArch"}};
    std::string machine = "machine " + std::to_string(id.machine);
    for (const auto& [number, name] : names)
        if (number == id.machine) machine = name;
    return std::string(id.elf_class == ElfClass::Elf32 ? "ELF32 " : "ELF64 ") +
           (id.endian == Endian::Little ? "little-endian " : "big-endian ") + machine;
}

bool same_abi(const Identity& id, const Abi& abi) {
    return id.elf_class == abi.elf_class && id.endian == abi.endian && id.machine == abi.machine;
}

enum class Verdict { Ok, Skip, Fatal };
struct Check {
    Verdict verdict = Verdict::Ok;
    std::string why;
};

// open_verify's header checks, in glibc 2.36's order, for a file of abi's
// class. Skip: ld.so goes on searching; Fatal: ld.so stops.
Check verify_ident(const Identity& id, const Abi& abi) {
    auto fatal = [](const char* why) { return Check{Verdict::Fatal, why}; };
    const Endian host = std::endian::native == std::endian::little ? Endian::Little : Endian::Big;
    // ld.so reads e_machine in its own byte order, before it has judged the
    // file's: an object of another byte order usually shows a foreign
    // machine number and is skipped, not refused.
    std::uint16_t native_machine =
        id.endian == host ? id.machine : static_cast<std::uint16_t>((id.machine >> 8) | (id.machine << 8));
    const char* ident_problem = nullptr;
    if (id.endian != abi.endian)
        ident_problem = "ELF file data encoding does not match this host";
    else if (id.ident_version != EV_CURRENT)
        ident_problem = "ELF file version ident does not match current one";
    else if (id.osabi != ELFOSABI_SYSV && id.osabi != ELFOSABI_GNU)
        ident_problem = "ELF file OS ABI invalid";
    // glibc 2.36 knows GNU ABI versions 0..2 (LIBC_ABI_MAX is 3).
    else if (id.abiversion != 0 && !(id.osabi == ELFOSABI_GNU && id.abiversion < 3))
        ident_problem = "ELF file ABI version invalid";
    else if (!id.ident_padding_zero)
        ident_problem = "nonzero padding in e_ident";
    if (ident_problem)
        return native_machine != abi.machine ? Check{Verdict::Skip, "wrong machine"} : fatal(ident_problem);
    if (id.version != EV_CURRENT) return fatal("ELF file version does not match current one");
    if (id.machine != abi.machine) return Check{Verdict::Skip, "wrong machine"};
    if (id.type != type_dyn && id.type != type_exec) return fatal("only ET_DYN and ET_EXEC can be loaded");
    if (id.phentsize != program_header_size(abi.elf_class)) return fatal("ELF file's phentsize not the expected size");
    return {};
}

// Everything a Resolver keeps between calls.
struct State {
    SearchConfig cfg;
    std::unordered_map<std::string, std::shared_ptr<const Probe>> probes;
    std::unordered_map<std::string, bool> dirs;

    std::shared_ptr<const Probe> probe(const std::string& path) {
        auto it = probes.find(path);
        if (it != probes.end()) return it->second;
        auto p = std::make_shared<const Probe>(probe_file(cfg.root_fd, path));
        probes.emplace(path, p);
        return p;
    }

    // ld.so remembers which search directories exist; so do we, which also
    // saves one failed open per subdirectory and library.
    bool dir_exists(const std::string& dir) {
        auto it = dirs.find(dir);
        if (it != dirs.end()) return it->second;
        struct stat st {};
        bool exists = false;
        if (cfg.root_fd >= 0) {
            UniqueFd fd = open_for(cfg.root_fd, dir.empty() ? "." : dir, O_PATH | O_DIRECTORY);
            exists = fd.get() >= 0 && ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode);
        } else {
            exists = ::stat(dir.empty() ? "." : dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        dirs.emplace(dir, exists);
        return exists;
    }

    const Abi* abi_for(const Identity& id) const {
        for (const Abi& a : cfg.abis)
            if (same_abi(id, a)) return &a;
        return nullptr;
    }
};

// One resolve() call: the link map list ld.so would build.
class Walk {
public:
    Walk(State& r, const Abi& abi) : r_(r), abi_(abi) {
        char buf[PATH_MAX];
        if (r_.cfg.root_fd >= 0)
            cwd_ = "";  // inside a root, "/" is the only directory we know
        else if (::getcwd(buf, sizeof buf) != nullptr)
            cwd_ = buf;
    }

    Resolution run(const std::string& path, std::shared_ptr<const Probe> main) {
        Resolution res;
        res.kind = FileKind::Dynamic;
        res.interpreter = main->info->has_interp ? main->info->interpreter : std::string();
        add_main(path, std::move(main));
        add_rtld(res.interpreter.empty() ? abi_.interpreter : res.interpreter);
        std::vector<std::size_t> list = {0};
        std::set<std::pair<std::string, std::string>> missing_seen;
        // Breadth-first, as _dl_map_object_deps: each object's entries in
        // dynamic-section order, new objects appended to the list.
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::size_t l = list[i];
            if (objs_[l].info == nullptr) continue;
            for (const Dependency& dep : objs_[l].info->dependencies) {
                std::optional<std::string> name = dependency_name(l, dep);
                if (!name) continue;
                std::optional<std::size_t> got = load_dependency(l, dep.kind, *name);
                if (!got) {
                    if (dep.kind != Dependency::Kind::Auxiliary &&
                        missing_seen.insert({*name, objs_[l].realname}).second)
                        res.missing.push_back({*name, objs_[l].realname});
                    continue;
                }
                if (objs_[*got].in_list) continue;
                objs_[*got].in_list = true;
                list.push_back(*got);
                res.libraries.push_back({*name, objs_[*got].realname, objs_[l].realname});
            }
        }
        return res;
    }

private:
    struct Obj {
        std::string realname;            // the path it was opened by
        std::vector<std::string> names;  // names it was requested by
        std::shared_ptr<const Probe> probe;
        const ElfInfo* info = nullptr;  // into *probe
        bool has_id = false;
        dev_t dev = 0;
        ino_t ino = 0;
        std::optional<std::size_t> loader;  // the object that loaded it
        std::string origin;
        bool in_list = false;
    };

    void add_main(const std::string& path, std::shared_ptr<const Probe> p) {
        Obj o;
        o.realname = path;
        o.names = {path};
        o.info = &*p->info;
        o.has_id = true;
        o.dev = p->dev;
        o.ino = p->ino;
        // The kernel executes the resolved file and ld.so takes $ORIGIN from
        // /proc/self/exe, which is canonical. (Inside a root the caller
        // gives a path without symlinked components.)
        std::string real = r_.cfg.root_fd >= 0 ? std::string() : canonical(path);
        o.origin = path::dirname(real.empty() ? absolute(path) : real);
        o.in_list = true;
        o.probe = std::move(p);
        objs_.push_back(std::move(o));
    }

    // The dynamic loader is in the list before any dependency is loaded, so
    // a DT_NEEDED naming it (libc.so.6 names ld-linux-x86-64.so.2) finds it
    // instead of searching.
    void add_rtld(const std::string& interp) {
        Obj o;
        o.realname = interp;
        o.names = {interp};
        o.probe = r_.probe(interp);
        if (o.probe->open_errno == 0) {
            o.has_id = true;
            o.dev = o.probe->dev;
            o.ino = o.probe->ino;
        }
        rtld_soname_ = o.probe->info ? o.probe->info->soname : std::nullopt;
        // Without a readable DT_SONAME ld.so takes the file name as its soname.
        if (!rtld_soname_) o.names.push_back(path::basename(interp));
        // info stays null: the loader's own dependencies (none for glibc's)
        // are never walked, it is relocated before the program's are loaded.
        objs_.push_back(std::move(o));
        rtld_ = objs_.size() - 1;
    }

    // The entry's name with its tokens expanded (dl-deps.c expand_dst);
    // nullopt for a DT_AUXILIARY entry ld.so skips.
    std::optional<std::string> dependency_name(std::size_t loader, const Dependency& dep) const {
        DstValues v{objs_[loader].origin, abi_.lib, abi_.platform};
        std::optional<std::string> name = expand_dst(dep.name, v);
        if (name && !name->empty()) return name;
        if (dep.kind == Dependency::Kind::Auxiliary) return std::nullopt;
        throw ElfError(objs_[loader].realname, "empty dynamic string token substitution in " + quoted(dep.name));
    }

    std::optional<std::size_t> load_dependency(std::size_t loader, Dependency::Kind kind, const std::string& name) {
        if (kind != Dependency::Kind::Auxiliary) return map_object(loader, name);
        // A DT_AUXILIARY object that cannot be loaded is simply left out.
        try {
            return map_object(loader, name);
        } catch (const ElfError&) {
            return std::nullopt;
        }
    }

    const std::optional<std::string>& soname_of(std::size_t i) const {
        if (i == rtld_) return rtld_soname_;
        static const std::optional<std::string> none;
        return objs_[i].info ? objs_[i].info->soname : none;
    }

    std::optional<std::size_t> find_loaded(const std::string& name) {
        for (std::size_t i = 0; i < objs_.size(); ++i) {
            Obj& o = objs_[i];
            if (o.realname == name || std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return i;
            const std::optional<std::string>& so = soname_of(i);
            if (so && *so == name) {
                o.names.push_back(name);
                return i;
            }
        }
        return std::nullopt;
    }

    bool nodeflib(std::size_t loader) const {
        const ElfInfo* info = objs_[loader].info;
        return info != nullptr && (info->flags_1 & df_1_nodeflib) != 0;
    }

    // _dl_map_object: reuse by name, else a path, else the search.
    std::optional<std::size_t> map_object(std::size_t loader, const std::string& name) {
        if (std::optional<std::size_t> i = find_loaded(name)) return i;
        if (name.find('/') != std::string::npos) return try_candidate(name, name, loader);
        const ElfInfo& li = *objs_[loader].info;
        if (!li.runpath) {
            // DT_RPATH of the loader, then of whatever loaded it, up to the
            // program. An object's DT_RUNPATH voids its own DT_RPATH.
            for (std::optional<std::size_t> l = loader; l; l = objs_[*l].loader) {
                const ElfInfo* info = objs_[*l].info;
                if (info == nullptr || !info->rpath || info->runpath) continue;
                if (auto got = try_dirs(search_dirs(*l, *info->rpath), name, loader)) return got;
            }
        }
        if (li.runpath)
            if (auto got = try_dirs(search_dirs(loader, *li.runpath), name, loader)) return got;
        if (r_.cfg.cache) {
            if (std::optional<std::string> cached = cache_lookup(*r_.cfg.cache, name, abi_.cache)) {
                if (!(nodeflib(loader) && in_system_dir(*cached)))
                    if (auto got = try_candidate(*cached, name, loader)) return got;
            }
        } else if (!r_.cfg.conf_dirs.empty()) {
            if (auto got = try_dirs(conf_dirs(), name, loader)) return got;
        }
        if (!nodeflib(loader))
            if (auto got = try_dirs(abi_.system_dirs, name, loader)) return got;
        return std::nullopt;
    }

    bool in_system_dir(const std::string& path) const {
        for (const std::string& d : abi_.system_dirs)
            if (path.rfind(d, 0) == 0) return true;
        return false;
    }

    std::vector<std::string> conf_dirs() const {
        std::vector<std::string> out;
        for (const std::string& d : r_.cfg.conf_dirs) out.push_back(d == "/" ? d : d + "/");
        return out;
    }

    // fillin_rpath: split on ':', expand tokens, drop elements that expand
    // to nothing, normalise to one trailing '/', drop repeats. An empty
    // element stays "" (the current directory).
    std::vector<std::string> search_dirs(std::size_t owner, const std::string& raw) const {
        std::vector<std::string> out;
        DstValues v{objs_[owner].origin, abi_.lib, abi_.platform};
        for (const std::string& elem : split_search_path(raw)) {
            std::string dir;
            if (!elem.empty()) {
                std::optional<std::string> e = expand_dst(elem, v);
                if (!e || e->empty()) continue;
                dir = *e;
                while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
                if (dir.back() != '/') dir += '/';
            }
            if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
        }
        return out;
    }

    // open_path: each directory, each hwcaps subdirectory before the
    // directory itself.
    std::optional<std::size_t> try_dirs(const std::vector<std::string>& dirs, const std::string& name,
                                        std::size_t loader) {
        for (const std::string& dir : dirs) {
            for (std::size_t s = 0; s <= abi_.subdirs.size(); ++s) {
                std::string d = s < abi_.subdirs.size() ? dir + abi_.subdirs[s] : dir;
                if (!r_.dir_exists(d)) continue;
                if (auto got = try_candidate(d + name, name, loader)) return got;
            }
        }
        return std::nullopt;
    }

    [[noreturn]] void fatal(const std::string& path, std::size_t loader, const std::string& why) const {
        throw ElfError(path, why + " (needed by " + quoted(objs_[loader].realname) + ")");
    }

    // open_verify + the start of _dl_map_object_from_fd. Returns nullopt
    // when ld.so would go on searching; throws where ld.so stops.
    std::optional<std::size_t> try_candidate(const std::string& path, const std::string& name, std::size_t loader) {
        std::shared_ptr<const Probe> p = r_.probe(path);
        if (p->open_errno != 0) return std::nullopt;
        if (p->directory) fatal(path, loader, "cannot read file data: Is a directory");
        if (!p->regular) fatal(path, loader, "not a regular file");
        if (p->read_errno != 0) fatal(path, loader, p->error);
        if (p->head.size() < header_size(abi_.elf_class)) fatal(path, loader, "file too short");
        if (!looks_like_elf(p->head)) fatal(path, loader, "invalid ELF header");
        auto cls = static_cast<unsigned char>(p->head[EI_CLASS]);
        // Another class is the one mismatch ld.so tolerates in the ident: on
        // biarch systems 32- and 64-bit libraries share directories.
        if (cls != static_cast<unsigned char>(abi_.elf_class)) return std::nullopt;
        Identity id;
        try {
            id = identify(p->head, path);
        } catch (const ElfError& e) {
            fatal(path, loader, reason_of(e, path));
        }
        Check c = verify_ident(id, abi_);
        if (c.verdict == Verdict::Skip) return std::nullopt;
        if (c.verdict == Verdict::Fatal) fatal(path, loader, c.why);
        if (!p->info) fatal(path, loader, p->error);
        // The same file under another name is the object already loaded.
        for (std::size_t i = 0; i < objs_.size(); ++i) {
            if (objs_[i].has_id && objs_[i].dev == p->dev && objs_[i].ino == p->ino) {
                objs_[i].names.push_back(name);
                return i;
            }
        }
        const ElfInfo& info = *p->info;
        if (!info.has_load) fatal(path, loader, "object file has no loadable segments");
        if (id.type == type_dyn && !info.has_dynamic) fatal(path, loader, "object file has no dynamic section");
        if (id.type != type_dyn) fatal(path, loader, "cannot dynamically load executable");
        if (info.flags_1 & df_1_pie) fatal(path, loader, "cannot dynamically load position-independent executable");
        Obj o;
        o.realname = path;
        o.names = {name};
        o.info = &info;
        o.has_id = true;
        o.dev = p->dev;
        o.ino = p->ino;
        o.loader = loader;
        o.origin = path::dirname(absolute(path));
        o.probe = std::move(p);
        objs_.push_back(std::move(o));
        return objs_.size() - 1;
    }

    std::string absolute(const std::string& path) const {
        if (!path.empty() && path[0] == '/') return path;
        return cwd_ + "/" + path;
    }

    State& r_;
    const Abi& abi_;
    std::string cwd_;
    std::vector<Obj> objs_;
    std::size_t rtld_ = 0;
    std::optional<std::string> rtld_soname_;
};

}  // namespace

struct Resolver::Impl : State {};

Resolver::Resolver(SearchConfig config) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = std::move(config);
}
Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;
Resolver::~Resolver() = default;

Resolver Resolver::for_host() {
    SearchConfig cfg;
    cfg.cache = load_ld_so_cache("/etc/ld.so.cache");
    cfg.conf_dirs = load_ld_so_conf("/etc/ld.so.conf");
    cfg.abis = host_abis();
    return Resolver(std::move(cfg));
}

const SearchConfig& Resolver::config() const noexcept {
    return impl_->cfg;
}

void Resolver::clear_cache() {
    impl_->probes.clear();
    impl_->dirs.clear();
}

Resolution Resolver::resolve(const std::string& host_path) {
    std::shared_ptr<const Probe> p = impl_->probe(host_path);
    if (p->open_errno != 0) {
        // Not kept: the caller may create the file and ask again.
        int err = p->open_errno;
        impl_->probes.erase(host_path);
        throw SysError("cannot open", host_path, err);
    }
    if (p->read_errno != 0) {
        int err = p->read_errno;
        impl_->probes.erase(host_path);
        throw SysError("cannot read", host_path, err);
    }
    Resolution res;
    if (!p->regular || !looks_like_elf(p->head)) return res;
    // Identity first: a file for another machine is data to us, however its
    // insides look. identify() needs a whole header; a shorter file is
    // judged on the fields it has.
    if (p->head.size() < 20) throw ElfError(host_path, "file too short for an ELF header");
    std::string head = p->head;
    head.resize(64, '\0');
    const Abi* abi = impl_->abi_for(identify(head, host_path));
    if (abi == nullptr) {
        res.kind = FileKind::Foreign;
        res.abi = describe_abi(identify(head, host_path));
        return res;
    }
    res.abi = abi->name;
    if (!p->info) throw ElfError(host_path, p->error);
    if (!p->info->has_dynamic) {
        res.kind = FileKind::Static;
        res.interpreter = p->info->has_interp ? p->info->interpreter : std::string();
        return res;
    }
    Check c = verify_ident(p->info->ident, *abi);
    if (c.verdict != Verdict::Ok) throw ElfError(host_path, "the dynamic loader would refuse it: " + c.why);
    res = Walk(*impl_, *abi).run(host_path, p);
    res.abi = abi->name;
    return res;
}

}  // namespace jk::elf
