// INI loading and section resolution. The input is "INI\0USER\0GROUP"
// (USER/GROUP optional): the file is parsed, every key of every section is
// read with each typed getter, unknown_keys runs against a known list, and
// select_for_user / with_defaults resolve the fuzzed and the file's own
// section names, checking the resolution rules.
#include <string>

#include "jk/config.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace cfg = jk::config;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void getters(const cfg::Section& s) {
    for (const auto& e : s.entries()) {
        check(s.find(e.key) != nullptr);
        tolerate([&] { (void)s.get_string(e.key); });
        tolerate([&] {
            if (auto l = s.get_list(e.key))
                for (const auto& item : *l) check(!item.empty());
        });
        tolerate([&] { (void)s.get_bool(e.key); });
        tolerate([&] {
            if (auto v = s.get_int(e.key, -5, 1000)) check(*v >= -5 && *v <= 1000);
        });
        tolerate([&] {
            if (auto v = s.get_octal(e.key)) check(*v <= 07777);
        });
        tolerate([&] {
            if (auto v = s.get_double(e.key, 0.5, 1e6)) check(*v >= 0.5 && *v <= 1e6);
        });
        (void)cfg::split_list(e.value);
        check(cfg::normalize_key(e.raw_key) == e.key);
    }
    (void)cfg::unknown_keys(s, {"paths", "umask", "need_logsocket", "executables", "env"});
}

void resolve(const cfg::IniFile& ini, const std::string& user, const std::string& group) {
    const cfg::Section* chosen = ini.select_for_user(user, group);
    // select_for_user compares the name as given (a user name has no blanks
    // to normalise); find() normalises it like a header.
    for (const auto& s : ini.sections())
        if (s.name() == user) {
            check(chosen == &s);
            break;
        }
    if (chosen == nullptr) check(ini.find("DEFAULT") == nullptr);
    const auto merged = ini.with_defaults(user);
    check(merged.has_value() == (ini.find(user) != nullptr));
    if (merged)
        for (const auto& e : ini.find(user)->entries()) check(merged->find(e.key) != nullptr);
}

void one_input(std::string_view input) {
    const std::string_view text = jk_fuzz::next_part(input);
    const std::string user(jk_fuzz::next_part(input));
    const std::string group(jk_fuzz::next_part(input));
    const auto ini = cfg::IniFile::parse(text, "fuzz.ini");
    for (const auto& section : ini.sections()) {
        getters(section);
        resolve(ini, section.name(), group);
        check(ini.find(section.name()) != nullptr);
    }
    resolve(ini, user.empty() ? "alice" : user, group.empty() ? "users" : group);
    (void)cfg::normalize_section_name(user);
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
