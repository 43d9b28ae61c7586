// ELF parsing for the dependency resolver. One parser runs over two byte
// sources: a string_view (pure, used by the tests and fuzzers) and an fd read
// with pread (used on real files, which can be hundreds of megabytes, so only
// the headers, the dynamic segment and the referenced strings are read).
//
// Every value read from the file is untrusted: ranges are checked with
// overflow-safe arithmetic (fits()) before any read, and every failure is an
// ElfError that names the file and the field at fault.
#include "jk/elf.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/sys.hpp"

namespace jk::elf {

namespace {

// Longest name or search path we accept from a string table. Real values are
// well under PATH_MAX; the cap keeps a table without NUL bytes from making us
// scan hundreds of megabytes.
constexpr std::uint64_t max_string_length = 1 << 20;

std::string hex(std::uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[v & 15]);
        v >>= 4;
    } while (v != 0);
    return "0x" + out;
}

// True when [off, off + len) lies inside [0, size), without overflow.
bool fits(std::uint64_t off, std::uint64_t len, std::uint64_t size) noexcept {
    return off <= size && len <= size - off;
}

// Where the parser gets its bytes from.
class Source {
public:
    virtual ~Source() = default;
    virtual std::uint64_t size() const noexcept = 0;
    // Requires fits(off, len, size()).
    virtual std::string bytes(std::uint64_t off, std::size_t len) = 0;
    // The bytes from off up to (not including) the first NUL before limit;
    // nullopt when there is none. Requires off <= limit <= size().
    virtual std::optional<std::string> cstring(std::uint64_t off, std::uint64_t limit) = 0;
};

class MemorySource final : public Source {
public:
    explicit MemorySource(std::string_view data) : data_(data) {}
    std::uint64_t size() const noexcept override { return data_.size(); }
    std::string bytes(std::uint64_t off, std::size_t len) override {
        return std::string(data_.substr(static_cast<std::size_t>(off), len));
    }
    std::optional<std::string> cstring(std::uint64_t off, std::uint64_t limit) override {
        std::string_view s = data_.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(limit - off));
        std::size_t nul = s.find('\0');
        if (nul == std::string_view::npos) return std::nullopt;
        return std::string(s.substr(0, nul));
    }

private:
    std::string_view data_;
};

class FdSource final : public Source {
public:
    FdSource(int fd, std::uint64_t size, const std::string& path) : fd_(fd), size_(size), path_(path) {}
    std::uint64_t size() const noexcept override { return size_; }

    std::string bytes(std::uint64_t off, std::size_t len) override {
        std::string out(len, '\0');
        std::size_t done = 0;
        while (done < len) {
            ssize_t n = ::pread(fd_, out.data() + done, len - done, static_cast<off_t>(off + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw SysError("cannot read", path_, errno);
            }
            // The size came from fstat; a file that shrinks under us is
            // treated as truncated rather than trusted.
            if (n == 0) throw ElfError(path_, "file shrank while being read");
            done += static_cast<std::size_t>(n);
        }
        return out;
    }

    std::optional<std::string> cstring(std::uint64_t off, std::uint64_t limit) override {
        std::string out;
        while (off < limit) {
            std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(256, limit - off));
            std::string part = bytes(off, chunk);
            std::size_t nul = part.find('\0');
            if (nul != std::string::npos) return out + part.substr(0, nul);
            out += part;
            off += chunk;
        }
        return std::nullopt;
    }

private:
    int fd_;
    std::uint64_t size_;
    const std::string& path_;
};

// Reads an unsigned field of N bytes at off in either byte order.
// Requires off + N <= b.size() (callers read whole records first).
std::uint64_t load(std::string_view b, std::size_t off, std::size_t n, Endian e) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto byte = static_cast<unsigned char>(b[e == Endian::Little ? off + n - 1 - i : off + i]);
        v = (v << 8) | byte;
    }
    return v;
}

struct Header {
    Identity id;
    std::uint64_t phoff = 0, shoff = 0;
    std::uint16_t phnum = 0, shentsize = 0, shnum = 0;
};

struct Segment {
    std::uint32_t type = 0;
    std::uint64_t offset = 0, vaddr = 0, filesz = 0;
};

struct Section {
    std::uint32_t type = 0, link = 0;
    std::uint64_t offset = 0, size = 0;
};

struct DynEntry {
    std::int64_t tag = 0;
    std::uint64_t val = 0;
};

class Parser {
public:
    Parser(Source& src, const std::string& path) : src_(src), path_(path) {}

    ElfInfo run() {
        if (src_.size() < EI_NIDENT) fail("file too short for an ELF identification");
        Header h = read_header();
        ElfInfo info;
        info.ident = h.id;
        std::vector<Segment> segs = read_segments(h);
        const Segment* dynamic = nullptr;
        for (const Segment& s : segs) {
            if (s.type == PT_LOAD) info.has_load = true;
            // The kernel honours the first PT_INTERP; ld.so keeps the last
            // PT_DYNAMIC it sees.
            // Separate debug-info files keep these headers with no bytes
            // behind them (p_filesz 0); like ld.so, treat them as absent.
            if (s.type == PT_INTERP && !info.has_interp && s.filesz != 0) {
                info.has_interp = true;
                info.interpreter = read_interp(s);
            }
            if (s.type == PT_DYNAMIC) dynamic = s.filesz != 0 ? &s : nullptr;
        }
        if (dynamic != nullptr) {
            info.has_dynamic = true;
            read_dynamic(h, segs, *dynamic, info);
        }
        return info;
    }

    Header read_header() {
        std::string ident = src_.bytes(0, EI_NIDENT);
        Header h;
        h.id = identify_prefix(ident);
        std::size_t hsize = header_size(h.id.elf_class);
        if (src_.size() < hsize) fail("file too short for an ELF header (" + std::to_string(src_.size()) + " bytes)");
        std::string b = src_.bytes(0, hsize);
        fill_identity(b, h.id);
        Endian e = h.id.endian;
        bool is64 = h.id.elf_class == ElfClass::Elf64;
        h.phoff = load(b, is64 ? 32 : 28, is64 ? 8 : 4, e);
        h.shoff = load(b, is64 ? 40 : 32, is64 ? 8 : 4, e);
        h.phnum = static_cast<std::uint16_t>(load(b, is64 ? 56 : 44, 2, e));
        h.shentsize = static_cast<std::uint16_t>(load(b, is64 ? 58 : 46, 2, e));
        h.shnum = static_cast<std::uint16_t>(load(b, is64 ? 60 : 48, 2, e));
        return h;
    }

    // Decodes e_ident: magic, class and data encoding must be valid.
    Identity identify_prefix(std::string_view ident) {
        if (!looks_like_elf(ident)) fail("not an ELF file (bad magic)");
        Identity id;
        auto cls = static_cast<unsigned char>(ident[EI_CLASS]);
        auto data = static_cast<unsigned char>(ident[EI_DATA]);
        if (cls != ELFCLASS32 && cls != ELFCLASS64) fail("invalid ELF class " + std::to_string(cls));
        if (data != ELFDATA2LSB && data != ELFDATA2MSB) fail("invalid ELF data encoding " + std::to_string(data));
        id.elf_class = cls == ELFCLASS32 ? ElfClass::Elf32 : ElfClass::Elf64;
        id.endian = data == ELFDATA2LSB ? Endian::Little : Endian::Big;
        id.ident_version = static_cast<std::uint8_t>(ident[EI_VERSION]);
        id.osabi = static_cast<std::uint8_t>(ident[EI_OSABI]);
        id.abiversion = static_cast<std::uint8_t>(ident[EI_ABIVERSION]);
        id.ident_padding_zero = true;
        for (std::size_t i = EI_PAD; i < EI_NIDENT; ++i)
            if (ident[i] != '\0') id.ident_padding_zero = false;
        return id;
    }

    // The fields after e_ident. Requires b to hold the whole header.
    static void fill_identity(std::string_view b, Identity& id) {
        Endian e = id.endian;
        bool is64 = id.elf_class == ElfClass::Elf64;
        id.type = static_cast<std::uint16_t>(load(b, 16, 2, e));
        id.machine = static_cast<std::uint16_t>(load(b, 18, 2, e));
        id.version = static_cast<std::uint32_t>(load(b, 20, 4, e));
        id.phentsize = static_cast<std::uint16_t>(load(b, is64 ? 54 : 42, 2, e));
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { throw ElfError(path_, reason); }

    std::string read_range(std::uint64_t off, std::uint64_t len, const std::string& what) {
        if (!fits(off, len, src_.size()))
            fail(what + " at offset " + hex(off) + " (" + std::to_string(len) +
                 " bytes) extends past the end of the file (" + std::to_string(src_.size()) + " bytes)");
        return src_.bytes(off, static_cast<std::size_t>(len));
    }

    std::vector<Segment> read_segments(const Header& h) {
        std::vector<Segment> segs;
        if (h.phnum == 0) return segs;
        std::size_t need = program_header_size(h.id.elf_class);
        if (h.id.phentsize < need)
            fail("program header entry size " + std::to_string(h.id.phentsize) + " is smaller than " +
                 std::to_string(need));
        // phnum and phentsize are 16-bit, so the product cannot overflow.
        std::uint64_t table = std::uint64_t{h.phnum} * h.id.phentsize;
        std::string b = read_range(h.phoff, table, "program header table");
        Endian e = h.id.endian;
        bool is64 = h.id.elf_class == ElfClass::Elf64;
        segs.reserve(h.phnum);
        for (std::size_t i = 0; i < h.phnum; ++i) {
            std::size_t at = i * h.id.phentsize;
            Segment s;
            s.type = static_cast<std::uint32_t>(load(b, at, 4, e));
            s.offset = load(b, at + (is64 ? 8 : 4), is64 ? 8 : 4, e);
            s.vaddr = load(b, at + (is64 ? 16 : 8), is64 ? 8 : 4, e);
            s.filesz = load(b, at + (is64 ? 32 : 16), is64 ? 8 : 4, e);
            segs.push_back(s);
        }
        return segs;
    }

    std::string read_interp(const Segment& s) {
        if (s.filesz > max_string_length)
            fail("PT_INTERP segment is too large (" + std::to_string(s.filesz) + " bytes)");
        std::string b = read_range(s.offset, s.filesz, "PT_INTERP segment");
        // The kernel refuses an interpreter path whose segment does not end
        // in NUL; so do we.
        if (b.back() != '\0') fail("PT_INTERP is not NUL-terminated");
        return b.substr(0, b.find('\0'));
    }

    void read_dynamic(const Header& h, const std::vector<Segment>& segs, const Segment& dyn, ElfInfo& info) {
        bool is64 = h.id.elf_class == ElfClass::Elf64;
        std::size_t entsize = is64 ? 16 : 8;
        if (dyn.filesz < entsize) fail("PT_DYNAMIC segment is shorter than one entry");
        std::uint64_t count = dyn.filesz / entsize;
        std::string b = read_range(dyn.offset, count * entsize, "PT_DYNAMIC segment");
        std::vector<DynEntry> strings;  // entries whose value is a string offset
        std::optional<std::uint64_t> strtab, strsz;
        for (std::uint64_t i = 0; i < count; ++i) {
            std::size_t at = static_cast<std::size_t>(i * entsize);
            DynEntry d;
            std::uint64_t raw = load(b, at, is64 ? 8 : 4, h.id.endian);
            d.tag = is64 ? static_cast<std::int64_t>(raw) : static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
            d.val = load(b, at + (is64 ? 8 : 4), is64 ? 8 : 4, h.id.endian);
            if (d.tag == DT_NULL) break;
            switch (d.tag) {
                case DT_NEEDED:
                case DT_FILTER:
                case DT_AUXILIARY:
                case DT_SONAME:
                case DT_RPATH:
                case DT_RUNPATH: strings.push_back(d); break;
                case DT_STRTAB: strtab = d.val; break;
                case DT_STRSZ: strsz = d.val; break;
                case DT_FLAGS_1: info.flags_1 = d.val; break;
                default: break;
            }
        }
        if (strings.empty()) return;
        if (!strtab) fail("dynamic section names strings but has no DT_STRTAB");
        auto [off, limit] = locate_strtab(h, segs, dyn, *strtab, strsz);
        for (const DynEntry& d : strings) {
            std::string s = string_at(off, limit, d);
            switch (d.tag) {
                case DT_NEEDED:
                    info.needed.push_back(s);
                    info.dependencies.push_back({Dependency::Kind::Needed, s});
                    break;
                case DT_FILTER: info.dependencies.push_back({Dependency::Kind::Filter, s}); break;
                case DT_AUXILIARY: info.dependencies.push_back({Dependency::Kind::Auxiliary, s}); break;
                // As in ld.so, a repeated tag overrides the earlier one.
                case DT_SONAME: info.soname = s; break;
                case DT_RPATH: info.rpath = s; break;
                case DT_RUNPATH: info.runpath = s; break;
                default: break;
            }
        }
    }

    static const char* tag_name(std::int64_t tag) {
        switch (tag) {
            case DT_NEEDED: return "DT_NEEDED";
            case DT_FILTER: return "DT_FILTER";
            case DT_AUXILIARY: return "DT_AUXILIARY";
            case DT_SONAME: return "DT_SONAME";
            case DT_RPATH: return "DT_RPATH";
            case DT_RUNPATH: return "DT_RUNPATH";
            default: return "dynamic entry";
        }
    }

    std::string string_at(std::uint64_t table, std::uint64_t limit, const DynEntry& d) {
        std::uint64_t size = limit - table;
        if (d.val >= size)
            fail(std::string(tag_name(d.tag)) + " string offset " + hex(d.val) +
                 " is outside the dynamic string table (" + std::to_string(size) + " bytes)");
        std::uint64_t start = table + d.val;
        std::uint64_t end = std::min(limit, start + max_string_length);
        std::optional<std::string> s = src_.cstring(start, end);
        if (!s) {
            if (end < limit)
                fail(std::string(tag_name(d.tag)) + " string is longer than " + std::to_string(max_string_length) +
                     " bytes");
            fail(std::string(tag_name(d.tag)) + " string at offset " + hex(d.val) +
                 " is not NUL-terminated inside the dynamic string table");
        }
        return *s;
    }

    // Returns [offset, limit) of the dynamic string table in the file.
    std::pair<std::uint64_t, std::uint64_t> locate_strtab(const Header& h, const std::vector<Segment>& segs,
                                                          const Segment& dyn, std::uint64_t addr,
                                                          std::optional<std::uint64_t> strsz) {
        // The loader reads DT_STRTAB as an address in the mapped image; the
        // PT_LOAD segment containing it says where that is in the file.
        for (const Segment& s : segs) {
            if (s.type != PT_LOAD || addr < s.vaddr || addr - s.vaddr >= s.filesz) continue;
            std::uint64_t off = s.offset + (addr - s.vaddr);
            if (off < s.offset || off >= src_.size())
                fail("DT_STRTAB " + hex(addr) + " maps to offset " + hex(off) + " past the end of the file");
            std::uint64_t seg_end = s.offset + s.filesz < s.offset ? src_.size() : s.offset + s.filesz;
            return table_range(off, strsz, std::min(seg_end, src_.size()));
        }
        return strtab_from_sections(h, dyn, addr, strsz);
    }

    std::pair<std::uint64_t, std::uint64_t> table_range(std::uint64_t off, std::optional<std::uint64_t> strsz,
                                                        std::uint64_t fallback_limit) {
        if (!strsz) return {off, fallback_limit};
        if (!fits(off, *strsz, src_.size()))
            fail("dynamic string table at offset " + hex(off) + " (DT_STRSZ " + std::to_string(*strsz) +
                 ") extends past the end of the file (" + std::to_string(src_.size()) + " bytes)");
        return {off, off + *strsz};
    }

    // Fallback for files whose DT_STRTAB no segment maps: the section that
    // describes the dynamic segment links to its string table.
    std::pair<std::uint64_t, std::uint64_t> strtab_from_sections(const Header& h, const Segment& dyn,
                                                                 std::uint64_t addr,
                                                                 std::optional<std::uint64_t> strsz) {
        std::vector<Section> secs = read_sections(h);
        for (const Section& s : secs) {
            if (s.type != SHT_DYNAMIC || s.offset != dyn.offset) continue;
            if (s.link >= secs.size() || secs[s.link].type != SHT_STRTAB) break;
            const Section& str = secs[s.link];
            if (!fits(str.offset, str.size, src_.size()))
                fail("section string table at offset " + hex(str.offset) + " extends past the end of the file");
            std::uint64_t size = strsz ? std::min(*strsz, str.size) : str.size;
            return {str.offset, str.offset + size};
        }
        fail("DT_STRTAB address " + hex(addr) + " is not inside any PT_LOAD segment");
    }

    std::vector<Section> read_sections(const Header& h) {
        std::vector<Section> secs;
        if (h.shnum == 0 || h.shoff == 0) return secs;
        bool is64 = h.id.elf_class == ElfClass::Elf64;
        std::size_t need = is64 ? 64 : 40;
        if (h.shentsize < need)
            fail("section header entry size " + std::to_string(h.shentsize) + " is smaller than " +
                 std::to_string(need));
        std::string b = read_range(h.shoff, std::uint64_t{h.shnum} * h.shentsize, "section header table");
        Endian e = h.id.endian;
        secs.reserve(h.shnum);
        for (std::size_t i = 0; i < h.shnum; ++i) {
            std::size_t at = i * h.shentsize;
            Section s;
            s.type = static_cast<std::uint32_t>(load(b, at + 4, 4, e));
            s.offset = load(b, at + (is64 ? 24 : 16), is64 ? 8 : 4, e);
            s.size = load(b, at + (is64 ? 32 : 20), is64 ? 8 : 4, e);
            s.link = static_cast<std::uint32_t>(load(b, at + (is64 ? 40 : 24), 4, e));
            secs.push_back(s);
        }
        return secs;
    }

    Source& src_;
    const std::string& path_;
};

}  // namespace

std::size_t header_size(ElfClass c) noexcept {
    return c == ElfClass::Elf64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

std::size_t program_header_size(ElfClass c) noexcept {
    return c == ElfClass::Elf64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

bool looks_like_elf(std::string_view first_bytes) noexcept {
    // cppcheck 2.10 follows the view back to read_header's string and thinks it
    // outlived it; the view is used here, inside that string's lifetime, only.
    // cppcheck-suppress invalidLifetime
    return first_bytes.size() >= SELFMAG && std::memcmp(first_bytes.data(), ELFMAG, SELFMAG) == 0;
}

Identity identify(std::string_view header, const std::string& path_for_errors) {
    MemorySource src(header);
    Parser p(src, path_for_errors);
    if (header.size() < EI_NIDENT) throw ElfError(path_for_errors, "file too short for an ELF identification");
    return p.read_header().id;
}

ElfInfo parse(std::string_view bytes, const std::string& path_for_errors) {
    MemorySource src(bytes);
    return Parser(src, path_for_errors).run();
}

ElfInfo read_elf(int fd, const std::string& path_for_errors) {
    struct stat st = sys::fstat_fd(fd, path_for_errors);
    FdSource src(fd, static_cast<std::uint64_t>(st.st_size), path_for_errors);
    return Parser(src, path_for_errors).run();
}

std::optional<ElfInfo> read_elf_file(const std::string& path) {
    // O_NONBLOCK: opening a FIFO planted where a library is expected must not
    // hang a root tool.
    UniqueFd fd = sys::open_at(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    struct stat st = sys::fstat_fd(fd.get(), path);
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    char magic[SELFMAG];
    ssize_t n;
    do {
        n = ::pread(fd.get(), magic, sizeof magic, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SysError("cannot read", path, errno);
    if (!looks_like_elf(std::string_view(magic, static_cast<std::size_t>(n)))) return std::nullopt;
    return read_elf(fd.get(), path);
}

std::vector<std::string> split_search_path(std::string_view value) {
    std::vector<std::string> out;
    for (;;) {
        std::size_t colon = value.find(':');
        out.emplace_back(value.substr(0, colon));
        if (colon == std::string_view::npos) return out;
        value.remove_prefix(colon + 1);
    }
}

}  // namespace jk::elf
