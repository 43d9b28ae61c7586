// jk_check --lint: see jk/lint.hpp. The key lists repeat the ones each
// module gives config::unknown_keys (init.cpp, login.cpp, lsh_config.cpp,
// launch.cpp, socketd_config.cpp, update.cpp, check.hpp, procmail.cpp);
// tests/unit/test_lint.cpp feeds every key listed here back to those modules
// so the two cannot drift apart silently.
#include "jk/lint.hpp"

#include <algorithm>
#include <stdexcept>

#include "jk/check.hpp"
#include "jk/error.hpp"
#include "jk/lsh_rules.hpp"
#include "jk/text.hpp"

namespace jk::lint {

namespace {

struct Schema {
    std::string_view file;
    Dialect dialect;
    std::vector<std::string_view> keys;
    std::vector<std::string_view> lists;  // keys whose value is a comma-separated list
};

const std::vector<Schema>& schemas() {
    static const std::vector<Schema> all = {
        {"jk_init.ini",
         Dialect::python_tool,
         {"comment", "paths", "executables", "regularfiles", "directories", "libraries", "paths_w_owner",
          "paths_w_setuid", "users", "groups", "devices", "emptydirs", "includesections", "need_logsocket", "need_proc",
          "packages", "usedepends", "blockdepends", "donotcopy"},
         {"paths", "executables", "regularfiles", "directories", "libraries", "paths_w_owner", "paths_w_setuid",
          "users", "groups", "devices", "emptydirs", "includesections", "packages", "blockdepends", "donotcopy"}},
        {"jk_chrootsh.ini",
         Dialect::c_tool,
         {"env", "relax_home_group_permissions", "relax_home_other_permissions", "relax_home_group", "relax_home_owner",
          "injail_shell", "injail_login_shell", "skip_injail_passwd_check", "allow_setuid"},
         {"env"}},
        {"jk_lsh.ini",
         Dialect::c_tool,
         {"executables", "paths", "allow_word_expansion", "umask", "environment"},
         {"executables", "paths", "environment"}},
        {"jk_uchroot.ini", Dialect::c_tool, {"allowed_jails", "skip_injail_passwd_check"}, {"allowed_jails"}},
        {"jk_socketd.ini", Dialect::c_tool, {"base", "peak", "peek", "interval"}, {}},
        {"jk_procmailwrapper.ini",
         Dialect::c_tool,
         {"procmail", "relax_home_group_permissions", "relax_home_other_permissions", "relax_home_group",
          "relax_home_owner"},
         {}},
        {"jk_update.ini",
         Dialect::python_tool,
         {"skips", "directories", "hardlinks", "hardlink"},
         {"skips", "directories"}},
        {"jk_check.ini",
         Dialect::python_tool,
         {std::begin(check::known_keys), std::end(check::known_keys)},
         {std::begin(check::known_keys), std::end(check::known_keys)}},
    };
    return all;
}

// jk_lsh.ini's "[arguments PROGRAM]" sections (lsh_rules.hpp).
const std::vector<std::string_view> lsh_rule_keys = {std::begin(lsh::rule_keys), std::end(lsh::rule_keys)};
const std::vector<std::string_view> lsh_rule_lists = {"require_first", "require_any", "allow_options", "deny"};

const Schema& schema(std::string_view basename) {
    for (const auto& s : schemas())
        if (s.file == basename) return s;
    throw std::out_of_range("no lint schema for " + std::string(basename));
}

bool is_lsh_rule_section(std::string_view basename, std::string_view section) {
    return basename == "jk_lsh.ini" && section.substr(0, lsh::rule_section_prefix.size()) == lsh::rule_section_prefix;
}

bool contains(const std::vector<std::string_view>& v, std::string_view k) {
    return std::find(v.begin(), v.end(), k) != v.end();
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_false_word(std::string_view v) {
    std::string l;
    for (char c : text::trim(v)) l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return l == "0" || l == "no" || l == "false" || l == "off";
}

// "file:12: text" -> {12, "text"} when it has that shape (the parser's warnings).
Finding from_message(const std::string& file, const std::string& message) {
    const std::string prefix = file + ":";
    if (message.compare(0, prefix.size(), prefix) == 0) {
        std::size_t i = prefix.size();
        int line = 0;
        bool digits = false;
        while (i < message.size() && message[i] >= '0' && message[i] <= '9' && line < 100000000) {
            line = line * 10 + (message[i] - '0');
            ++i;
            digits = true;
        }
        if (digits && message.compare(i, 2, ": ") == 0) return {file, line, message.substr(i + 2)};
    }
    return {file, 0, message};
}

// The first key in `keys` of which `k` is a non-empty prefix (jailkit's C
// tools' lookup, COMPAT.md 2.0), or "".
std::string_view prefix_of(std::string_view k, const std::vector<std::string_view>& keys) {
    if (k.empty()) return {};
    for (auto known : keys)
        if (known.size() > k.size() && known.substr(0, k.size()) == k) return known;
    return {};
}

void lint_sections(const config::IniFile& ini, const Schema& sc, std::string_view basename, std::vector<Finding>& out) {
    const std::string& file = ini.filename();
    for (const auto& s : ini.sections()) {
        const bool rules = is_lsh_rule_section(basename, s.name());
        const auto& keys = rules ? lsh_rule_keys : sc.keys;
        const auto& lists = rules ? lsh_rule_lists : sc.lists;
        for (const auto& e : s.entries()) {
            if (!contains(keys, e.key)) {
                std::string p = "unknown key '" + e.raw_key + "' in section [" + s.name() + "]";
                std::string_view full = prefix_of(e.key, keys);
                if (!full.empty() && sc.dialect == Dialect::c_tool)
                    p += ": jailkit 2.23 read it as '" + std::string(full) +
                         "' (it matched any prefix of a key); this tool ignores it, write the key in full";
                else
                    p += ", ignored";
                out.push_back({file, e.line, p});
                continue;
            }
            if (contains(lists, e.key)) {
                std::vector<std::string> w;
                (void)s.get_list(e.key, &w);
                for (const auto& m : w) out.push_back(from_message(file, m));
            }
            if (basename == "jk_init.ini" && (e.key == "need_logsocket" || e.key == "need_proc") &&
                is_false_word(e.value))
                out.push_back({file, e.line,
                               "'" + e.raw_key + " = " + e.value + "' in section [" + s.name() +
                                   "]: jailkit 2.23 took any non-empty value as true (and edited " +
                                   (e.key == "need_proc" ? "/etc/fstab" : "jk_socketd.ini") +
                                   "); this tool reads it as false: delete the line to mean false everywhere"});
            if (sc.dialect == Dialect::c_tool) {
                const std::size_t hash = e.value.find('#');
                if (hash != std::string::npos &&
                    (hash == 0 || is_blank(e.value[hash - 1]) || e.value[hash - 1] == '\n'))
                    out.push_back({file, e.line,
                                   "the value of '" + e.raw_key + "' holds '" + e.value.substr(hash) +
                                       "': not a comment, it is part of the value (as it was for jailkit 2.23); "
                                       "put comments on their own line"});
            }
        }
    }
}

// Checks that need the text as written: header spacing, indented comments.
void lint_lines(std::string_view text, const std::string& file, Dialect dialect, std::vector<Finding>& out) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    int lineno = 0;
    while (!text.empty()) {
        ++lineno;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        const std::string_view t = text::trim(line);
        if (t.empty()) continue;
        if ((t.front() == '#' || t.front() == ';') && is_blank(line.front()) && dialect == Dialect::c_tool) {
            out.push_back({file, lineno,
                           "indented comment: jailkit 2.23's C tools took only a '#' in the first column for "
                           "a comment; start the line with '#'"});
            continue;
        }
        if (t.front() == '[') {
            const std::size_t close = t.find(']');
            if (close == std::string_view::npos) continue;  // the parser reports it
            const std::string_view inner = t.substr(1, close - 1);
            const std::string norm = config::normalize_section_name(inner);
            if (!norm.empty() && inner != norm)
                out.push_back({file, lineno,
                               "section header [" + std::string(inner) +
                                   "] has extra blanks: jailkit 2.23 never "
                                   "matched it, this tool reads it as [" +
                                   norm + "]; write [" + norm + "]"});
        }
    }
}

}  // namespace

std::string Finding::text() const {
    return line > 0 ? file + ":" + std::to_string(line) + ": " + problem : file + ": " + problem;
}

std::vector<std::string_view> known_files() {
    std::vector<std::string_view> out;
    for (const auto& s : schemas()) out.push_back(s.file);
    return out;
}

bool is_known_file(std::string_view basename) {
    const auto& all = schemas();
    return std::any_of(all.begin(), all.end(), [&](const Schema& s) { return s.file == basename; });
}

Dialect dialect_of(std::string_view basename) {
    return schema(basename).dialect;
}

std::vector<std::string_view> keys_for(std::string_view basename, std::string_view section) {
    if (is_lsh_rule_section(basename, section)) return lsh_rule_keys;
    return schema(basename).keys;
}

std::vector<Finding> lint_ini(const config::IniFile& ini, std::string_view text, std::string_view basename) {
    const Schema& sc = schema(basename);
    std::vector<Finding> out;
    for (const auto& w : ini.warnings()) out.push_back(from_message(ini.filename(), w));
    lint_sections(ini, sc, basename, out);
    lint_lines(text, ini.filename(), sc.dialect, out);
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.line < b.line; });
    return out;
}

std::vector<Finding> lint_text(std::string_view text, const std::string& shown, std::string_view basename) {
    (void)schema(basename);  // an unknown name is the caller's mistake, before any parsing
    try {
        return lint_ini(config::IniFile::parse(text, shown), text, basename);
    } catch (const ConfigError& e) {
        Finding f = from_message(shown, e.what());
        f.problem = "the tools refuse this file: " + f.problem;
        return {f};
    }
}

}  // namespace jk::lint
