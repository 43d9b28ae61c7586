// Builds small, valid ELF shared objects and executables in memory for the
// ELF tests: any class, byte order and machine, with PT_INTERP, DT_NEEDED,
// DT_SONAME, DT_RPATH, DT_RUNPATH and DT_FLAGS_1 as asked. The files are
// complete enough for glibc's ld.so to map them in trace mode (one PT_LOAD
// covering the file, PT_DYNAMIC, a one-bucket DT_HASH, a null DT_SYMTAB), so
// the differential test can hand them to ldd as well.
//
// Layout: ELF header | program headers | interpreter | dynamic string table
//         | hash | symbol table | dynamic section (8-aligned)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jk/elf.hpp"

namespace jk::test {

struct ElfSpec {
    elf::ElfClass cls = elf::ElfClass::Elf64;
    elf::Endian endian = elf::Endian::Little;
    std::uint16_t machine = elf::machine_x86_64;
    std::uint16_t type = elf::type_dyn;
    std::uint8_t osabi = 0;
    std::optional<std::string> interp;
    bool dynamic = true;  // emit PT_DYNAMIC
    std::vector<std::string> needed;
    std::optional<std::string> soname, rpath, runpath;
    std::uint64_t flags_1 = 0;
};

// Where build_elf put things, so tests can corrupt them precisely.
struct ElfLayout {
    std::size_t phoff = 0, phentsize = 0, phnum = 0;
    std::size_t interp_off = 0;
    std::size_t strtab_off = 0, strtab_size = 0;
    std::size_t dyn_off = 0, dyn_size = 0, dyn_entsize = 0;
    std::size_t load_index = 0, dynamic_index = 0;  // program header indices
};

namespace detail {

inline void put(std::string& b, std::size_t off, std::uint64_t v, std::size_t n, elf::Endian e) {
    if (b.size() < off + n) b.resize(off + n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t at = e == elf::Endian::Little ? off + i : off + n - 1 - i;
        b[at] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
}

inline std::size_t align(std::size_t v, std::size_t a) {
    return (v + a - 1) / a * a;
}

}  // namespace detail

inline std::string build_elf(const ElfSpec& s, ElfLayout* layout = nullptr) {
    using detail::put;
    const bool is64 = s.cls == elf::ElfClass::Elf64;
    const elf::Endian e = s.endian;
    const std::size_t w = is64 ? 8 : 4;  // address size
    const std::size_t ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, dynent = is64 ? 16 : 8;
    const std::size_t symsize = is64 ? 24 : 16;
    const std::uint64_t base = s.type == elf::type_exec ? 0x400000 : 0;

    // Program headers: [PT_INTERP] PT_LOAD [PT_DYNAMIC] PT_GNU_STACK
    std::size_t phnum = (s.interp ? 1 : 0) + 1 + (s.dynamic ? 1 : 0) + 1;
    std::size_t off = ehsize + phnum * phentsize;

    std::size_t interp_off = off;
    if (s.interp) off += s.interp->size() + 1;

    // String table and the offsets of our strings in it.
    std::string strtab(1, '\0');
    auto add_str = [&strtab](const std::string& v) {
        std::size_t at = strtab.size();
        strtab += v;
        strtab += '\0';
        return at;
    };
    std::vector<std::pair<std::int64_t, std::uint64_t>> dyn;
    for (const std::string& n : s.needed) dyn.push_back({1 /*DT_NEEDED*/, add_str(n)});
    if (s.soname) dyn.push_back({14 /*DT_SONAME*/, add_str(*s.soname)});
    if (s.rpath) dyn.push_back({15 /*DT_RPATH*/, add_str(*s.rpath)});
    if (s.runpath) dyn.push_back({29 /*DT_RUNPATH*/, add_str(*s.runpath)});
    std::size_t strtab_off = off;
    off += strtab.size();
    off = detail::align(off, 8);
    std::size_t hash_off = off;
    off += 16;  // nbucket, nchain, bucket[0], chain[0]
    std::size_t sym_off = off;
    off += symsize;
    off = detail::align(off, 8);
    std::size_t dyn_off = off;
    dyn.push_back({5 /*DT_STRTAB*/, base + strtab_off});
    dyn.push_back({10 /*DT_STRSZ*/, strtab.size()});
    dyn.push_back({6 /*DT_SYMTAB*/, base + sym_off});
    dyn.push_back({11 /*DT_SYMENT*/, symsize});
    dyn.push_back({4 /*DT_HASH*/, base + hash_off});
    if (s.flags_1) dyn.push_back({0x6ffffffb /*DT_FLAGS_1*/, s.flags_1});
    dyn.push_back({0 /*DT_NULL*/, 0});
    std::size_t dyn_size = dyn.size() * dynent;
    std::size_t total = dyn_off + dyn_size;

    std::string b(total, '\0');
    // e_ident
    b[0] = 0x7f;
    b[1] = 'E';
    b[2] = 'L';
    b[3] = 'F';
    b[4] = static_cast<char>(is64 ? 2 : 1);
    b[5] = static_cast<char>(e == elf::Endian::Little ? 1 : 2);
    b[6] = 1;
    b[7] = static_cast<char>(s.osabi);
    put(b, 16, s.type, 2, e);
    put(b, 18, s.machine, 2, e);
    put(b, 20, 1, 4, e);                           // e_version
    put(b, is64 ? 32 : 28, ehsize, w, e);          // e_phoff
    put(b, is64 ? 52 : 40, ehsize, 2, e);          // e_ehsize
    put(b, is64 ? 54 : 42, phentsize, 2, e);       // e_phentsize
    put(b, is64 ? 56 : 44, phnum, 2, e);           // e_phnum
    put(b, is64 ? 58 : 46, is64 ? 64 : 40, 2, e);  // e_shentsize

    std::size_t ph = ehsize, index = 0;
    ElfLayout lay;
    auto phdr = [&](std::uint32_t type, std::uint32_t flags, std::uint64_t offset, std::uint64_t size,
                    std::uint64_t align) {
        put(b, ph, type, 4, e);
        if (is64) {
            put(b, ph + 4, flags, 4, e);
            put(b, ph + 8, offset, 8, e);
            put(b, ph + 16, base + offset, 8, e);
            put(b, ph + 24, base + offset, 8, e);
            put(b, ph + 32, size, 8, e);
            put(b, ph + 40, size, 8, e);
            put(b, ph + 48, align, 8, e);
        } else {
            put(b, ph + 4, offset, 4, e);
            put(b, ph + 8, base + offset, 4, e);
            put(b, ph + 12, base + offset, 4, e);
            put(b, ph + 16, size, 4, e);
            put(b, ph + 20, size, 4, e);
            put(b, ph + 24, flags, 4, e);
            put(b, ph + 28, align, 4, e);
        }
        ph += phentsize;
        return index++;
    };
    if (s.interp) phdr(3 /*PT_INTERP*/, 4, interp_off, s.interp->size() + 1, 1);
    // Writable: ld.so relocates the dynamic section in place.
    lay.load_index = phdr(1 /*PT_LOAD*/, 6, 0, total, 0x1000);
    if (s.dynamic) lay.dynamic_index = phdr(2 /*PT_DYNAMIC*/, 6, dyn_off, dyn_size, 8);
    phdr(0x6474e551 /*PT_GNU_STACK*/, 6, 0, 0, 16);

    if (s.interp) b.replace(interp_off, s.interp->size(), *s.interp);
    b.replace(strtab_off, strtab.size(), strtab);
    put(b, hash_off, 1, 4, e);      // nbucket
    put(b, hash_off + 4, 1, 4, e);  // nchain
    for (std::size_t i = 0; i < dyn.size(); ++i) {
        put(b, dyn_off + i * dynent, static_cast<std::uint64_t>(dyn[i].first), w, e);
        put(b, dyn_off + i * dynent + w, dyn[i].second, w, e);
    }
    if (layout) {
        lay.phoff = ehsize;
        lay.phentsize = phentsize;
        lay.phnum = phnum;
        lay.interp_off = interp_off;
        lay.strtab_off = strtab_off;
        lay.strtab_size = strtab.size();
        lay.dyn_off = dyn_off;
        lay.dyn_size = dyn_size;
        lay.dyn_entsize = dynent;
        *layout = lay;
    }
    return b;
}

}  // namespace jk::test
