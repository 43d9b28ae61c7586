#include "jk/config.hpp"
#include "tests/fuzz/fuzz_common.hpp"

JK_FUZZ_TARGET({
    auto ini = jk::config::IniFile::parse(input, "fuzz.ini");
    for (const auto& section : ini.sections()) {
        try {
            (void)section.get_list("paths");
            (void)section.get_octal("umask");
            (void)section.get_bool("need_logsocket");
        } catch (const jk::Error&) {
        }
    }
    (void)ini.select_for_user("alice", "users");
    (void)ini.with_defaults("uidbasics");
})
