// Reading what the dynamic loader needs from an ELF file: its identity, its
// interpreter (PT_INTERP) and the dynamic section's names (DT_NEEDED,
// DT_RPATH, DT_RUNPATH, DT_SONAME). Never executes anything.
//
// MUST (this module reads hostile files on behalf of root):
//  1. Every offset, size and count taken from the file is bounds-checked
//     against the file before use, with overflow-safe arithmetic; a violation
//     is an ElfError naming the file and the field, never undefined behaviour.
//  2. Strings are taken only when NUL-terminated inside their table.
//  3. Nothing here allocates in proportion to a count read from the file
//     unless the bytes backing that count exist in the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jk::elf {

enum class ElfClass : std::uint8_t { Elf32 = 1, Elf64 = 2 };
enum class Endian : std::uint8_t { Little = 1, Big = 2 };

// The few e_machine, e_type and DT_FLAGS_1 values the resolver reasons about
// (numbers from the System V gABI / processor supplements).
inline constexpr std::uint16_t machine_386 = 3;
inline constexpr std::uint16_t machine_x86_64 = 62;
inline constexpr std::uint16_t machine_aarch64 = 183;
inline constexpr std::uint16_t type_rel = 1;
inline constexpr std::uint16_t type_exec = 2;
inline constexpr std::uint16_t type_dyn = 3;
inline constexpr std::uint64_t df_1_nodeflib = 0x800;
inline constexpr std::uint64_t df_1_pie = 0x08000000;

// The ELF header fields that decide whether a loader may use the file at all.
struct Identity {
    ElfClass elf_class = ElfClass::Elf64;
    Endian endian = Endian::Little;
    std::uint8_t ident_version = 0;  // e_ident[EI_VERSION]
    std::uint8_t osabi = 0;          // e_ident[EI_OSABI]
    std::uint8_t abiversion = 0;     // e_ident[EI_ABIVERSION]
    bool ident_padding_zero = true;  // e_ident[EI_PAD..] all zero
    std::uint16_t type = 0;          // e_type
    std::uint16_t machine = 0;       // e_machine
    std::uint32_t version = 0;       // e_version
    std::uint16_t phentsize = 0;     // e_phentsize
};

// A dependency entry of the dynamic section, in section order.
struct Dependency {
    enum class Kind { Needed, Filter, Auxiliary };  // DT_NEEDED, DT_FILTER, DT_AUXILIARY
    Kind kind = Kind::Needed;
    std::string name;
};

struct ElfInfo {
    Identity ident;
    // PT_INTERP and PT_DYNAMIC count only with file content: separate
    // debug-info files keep both headers with p_filesz 0, and ld.so treats
    // such a file as having no dynamic section.
    bool has_interp = false;
    std::string interpreter;               // PT_INTERP, up to its NUL
    bool has_dynamic = false;              // a non-empty PT_DYNAMIC segment exists
    bool has_load = false;                 // at least one PT_LOAD segment exists
    std::vector<std::string> needed;       // DT_NEEDED, in order
    std::vector<Dependency> dependencies;  // DT_NEEDED, DT_FILTER, DT_AUXILIARY, in order
    std::optional<std::string> rpath;      // DT_RPATH, raw (':'-separated, DSTs unexpanded)
    std::optional<std::string> runpath;    // DT_RUNPATH, raw
    std::optional<std::string> soname;     // DT_SONAME
    std::uint64_t flags_1 = 0;             // DT_FLAGS_1

    ElfClass elf_class() const noexcept { return ident.elf_class; }
    Endian endian() const noexcept { return ident.endian; }
    std::uint16_t machine() const noexcept { return ident.machine; }
    std::uint16_t type() const noexcept { return ident.type; }
};

// Size of the ELF header for a class (52 or 64 bytes).
std::size_t header_size(ElfClass c) noexcept;

// Size of one program header for a class (32 or 56 bytes): what ld.so demands
// of e_phentsize.
std::size_t program_header_size(ElfClass c) noexcept;

// True when first_bytes starts with the ELF magic. Never throws.
bool looks_like_elf(std::string_view first_bytes) noexcept;

// Decodes the ELF header alone (class, data encoding, type, machine...).
// Requires: header holds at least the first header_size() bytes of the file.
// Throws ElfError(path_for_errors, reason) when the magic, class or data
// encoding is invalid or the bytes are too short.
Identity identify(std::string_view header, const std::string& path_for_errors);

// Parses a whole ELF image held in memory (pure: no system calls).
// The dynamic string table is found the way the loader finds it: DT_STRTAB
// mapped through the PT_LOAD segments; section headers are consulted only
// when no segment maps it.
// Throws ElfError(path_for_errors, reason) for anything malformed: truncated
// headers, offsets or sizes past the end, table sizes that overflow, string
// offsets outside the string table, unterminated strings.
ElfInfo parse(std::string_view bytes, const std::string& path_for_errors);

// Like parse(), but reads only the parts it needs (header, program headers,
// PT_INTERP, the dynamic segment, the referenced strings) from an open file
// with pread(2), so a 500 MB library costs a few kilobytes of I/O.
// Requires: fd is open for reading on a regular file.
// Throws ElfError as parse() does, SysError when a read fails.
ElfInfo read_elf(int fd, const std::string& path_for_errors);

// Opens path (O_RDONLY | O_CLOEXEC | O_NONBLOCK) and reads it with read_elf().
// Returns nullopt when the file is not a regular file or does not start with
// the ELF magic. Throws SysError when it cannot be opened or read, ElfError
// when it is malformed ELF.
std::optional<ElfInfo> read_elf_file(const std::string& path);

// Splits a DT_RPATH / DT_RUNPATH value on ':'. Empty elements are kept (the
// loader reads them as the current directory).
std::vector<std::string> split_search_path(std::string_view value);

}  // namespace jk::elf
