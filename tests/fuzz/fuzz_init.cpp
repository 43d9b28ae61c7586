// jk_init's pure section/plan functions. The input is
// "INI\0SECTION\0SECTION...": the sections named (and their
// includesections, depth-first, DEFAULT inherited) are resolved into one
// request; the section list, nsswitch.conf parsing and the jk_socketd.ini
// registration are fuzzed with the same bytes.
#include <string>
#include <vector>

#include "jk/config.hpp"
#include "jk/init.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace in = jk::init;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const std::string_view ini_text = jk_fuzz::next_part(input);
    std::vector<std::string> names;
    if (!input.empty()) names = jk_fuzz::split_nul(input);

    for (const auto& s : in::nss_services(ini_text)) check(!s.empty() && s != "files" && s != "dns");
    const std::string jail = names.empty() ? "/home/jail" : "/" + names[0];
    tolerate([&] {
        const auto added = in::add_log_socket(ini_text, jail);
        // Registering twice changes nothing.
        if (added) check(!in::add_log_socket(*added, jail));
    });
    const auto ini = jk::config::IniFile::parse(ini_text, "jk_init.ini");
    const auto listed = in::list_sections(ini);
    for (std::size_t i = 1; i < listed.size(); ++i) check(listed[i - 1].name <= listed[i].name);
    for (const auto& s : ini.sections()) tolerate([&] { (void)in::section_flag(s, "need_logsocket"); });
    if (names.empty())
        for (const auto& s : ini.sections()) names.push_back(s.name());
    const auto req = in::resolve(ini, names);
    // Each section is processed once; list items are deduplicated.
    for (std::size_t i = 0; i < req.sections.size(); ++i)
        for (std::size_t j = i + 1; j < req.sections.size(); ++j) check(req.sections[i] != req.sections[j]);
    for (std::size_t i = 0; i < req.paths.size(); ++i) {
        (void)in::has_glob(req.paths[i]);
        for (std::size_t j = i + 1; j < req.paths.size() && j < 64; ++j) check(req.paths[i] != req.paths[j]);
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
