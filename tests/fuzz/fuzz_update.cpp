// jk_update's pure parts. The input is "JK_UPDATE_INI\0JAIL\0PATH...":
// the jail's section is read (skips, directories, hardlinks), every skip
// and directory normalised against the jail, and the PATHs judged as jail
// entries (skipped, jail-specific, temporary names).
#include <string>
#include <vector>

#include "jk/config.hpp"
#include "jk/inventory.hpp"
#include "jk/update.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace up = jk::update;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const std::string_view ini_text = jk_fuzz::next_part(input);
    std::string jail(jk_fuzz::next_part(input));
    std::vector<std::string> paths;
    if (!input.empty()) paths = jk_fuzz::split_nul(input);

    std::vector<std::string> skips, dirs;
    tolerate([&] {
        const auto ini = jk::config::IniFile::parse(ini_text, "jk_update.ini");
        for (const auto& sec : ini.sections()) {
            tolerate([&] {
                const auto s = up::read_section(ini, sec.name());
                skips.insert(skips.end(), s.skips.begin(), s.skips.end());
                dirs.insert(dirs.end(), s.directories.begin(), s.directories.end());
            });
        }
    });
    while (!jail.empty() && jail.back() == '/') jail.pop_back();
    skips.insert(skips.end(), paths.begin(), paths.end());
    std::vector<std::string> normal;
    for (const auto& s : skips) normal.push_back(up::normalize_skip(s, jail));
    for (const auto& d : dirs) (void)up::normalize_directory(d, jail);
    for (const auto& p : paths) {
        (void)up::normalize_directory(p, jail);
        (void)up::is_skipped(normal, p);
        (void)jk::inventory::jail_specific(p);
        (void)up::is_temp_name(p);
    }
    // A skip covers itself.
    for (const auto& n : normal)
        if (!n.empty()) check(up::is_skipped(normal, n));
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
