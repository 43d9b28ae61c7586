// ELF headers, program headers and the dynamic section (DT_NEEDED, RPATH,
// RUNPATH, SONAME, FLAGS_1), then the search paths split as the resolver
// does. The seeds are the host's own binaries (run.sh copies them).
#include "jk/elf.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const bool magic = jk::elf::looks_like_elf(input);
    tolerate([&] {
        const auto id = jk::elf::identify(input, "fuzz.elf");
        check(magic);
        check(jk::elf::header_size(id.elf_class) > 0);
    });
    const auto info = jk::elf::parse(input, "fuzz.elf");
    check(magic);
    for (const auto& n : info.needed) check(n.find('\0') == std::string::npos);
    if (info.rpath)
        for (const auto& d : jk::elf::split_search_path(*info.rpath)) (void)d;
    if (info.runpath)
        for (const auto& d : jk::elf::split_search_path(*info.runpath)) (void)d;
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
