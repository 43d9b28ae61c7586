// jk_list's /proc parsing and output. The input is
// "STATUS\0CMDLINE\0ROOT\0EXE\0NAME": the status text gives the uid, the
// cmdline the arguments, the root and exe links (any bytes: a process
// chooses its own paths) fill a process that is formatted as a table, a
// summary and JSON. The output must never carry a control byte from the
// input (a hostile process title must not drive the terminal).
#include <string>
#include <vector>

#include "jk/proclist.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace pl = jk::proclist;
using jk_fuzz::check;

// The document is laid out with newlines; no other control byte may
// appear raw (strings escape them).
bool json_clean(const std::string& s, bool newlines) {
    for (unsigned char c : s)
        if (c < 0x20 && !(newlines && c == '\n')) return false;
    return true;
}

bool table_clean(const std::string& s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
    return true;
}

void one_input(std::string_view input) {
    const std::string_view status = jk_fuzz::next_part(input);
    const std::string_view cmdline = jk_fuzz::next_part(input);
    const std::string root(jk_fuzz::next_part(input));
    const std::string exe(jk_fuzz::next_part(input));
    const std::string name(input);

    (void)pl::is_pid_name(name);
    const auto uid = pl::parse_status_uid(status);
    const auto args = pl::split_cmdline(cmdline);
    for (const auto& a : args) check(a.find('\0') == std::string::npos);
    const std::string esc = pl::escape(name);
    check(table_clean(esc));
    (void)pl::root_matches(root, exe);
    check(json_clean(pl::json_string(name), false));

    pl::ScanResult r;
    pl::Process p;
    p.pid = 4242;
    p.uid = uid.value_or(0);
    p.user = name;
    p.jail = root;
    p.exe = exe;
    p.args = args;
    if (pl::is_jailed_root(root)) r.jailed.push_back(p);
    p.pid = 17;
    p.jail = name;
    r.jailed.push_back(p);
    pl::sort_processes(r.jailed);
    check(r.jailed.front().jail <= r.jailed.back().jail);
    check(table_clean(pl::command_of(p)));
    check(table_clean(pl::format_table(r.jailed, std::nullopt)));
    check(table_clean(pl::format_table(r.jailed, 80)));
    check(table_clean(pl::format_table(r.jailed, 1)));
    check(table_clean(pl::format_summary(r.jailed)));
    check(json_clean(pl::to_json(r), true));
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
