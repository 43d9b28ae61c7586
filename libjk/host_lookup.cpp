#include "jk/host_lookup.hpp"

#include <cctype>
#include <exception>
#include <vector>

#include "jk/sys.hpp"

namespace jk::host_lookup {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_blank(s[i])) ++i;
        const std::size_t start = i;
        while (i < s.size() && !is_blank(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// The services after "database:" on each line naming `database`; a line
// whose first non-blank character is '#' is a comment. glibc up to 2.32 cut
// a comment anywhere in a line, 2.33 and later read "files#x" as a service
// of that name: a line naming the database with a '#' after its name, or
// in a form we do not read exactly ("passwd :"), is returned with no
// services, which no caller takes as an answer.
std::vector<std::vector<std::string_view>> lines_for(std::string_view text, std::string_view database) {
    std::vector<std::vector<std::string_view>> found;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        std::size_t i = 0;
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i < line.size() && line[i] == '#') continue;
        std::size_t end = i;
        while (end < line.size() && !is_blank(line[end]) && line[end] != ':') ++end;
        if (!same_ignoring_case(line.substr(i, end - i), database)) continue;
        const std::string_view rest = line.substr(end);
        if (rest.starts_with(':') && rest.find('#') == std::string_view::npos)
            found.push_back(words(rest.substr(1)));
        else
            found.emplace_back();
    }
    return found;
}

template <class E>
bool table_parsed_alike(const users::Table<E>& table) {
    if (!table.warnings.empty()) return false;
    for (const users::Record<E>& r : table.records) {
        if (r.raw.empty()) continue;
        const char first = r.raw.front();
        // glibc's files service reads "+name:..." and "-name:..." as entries
        // and skips white space before a name; libjk's parser does neither.
        if (first == '+' || first == '-') return false;
        if (is_blank(first) && r.raw.find_first_not_of(" \t") != std::string::npos) return false;
    }
    return true;
}

std::optional<std::string> read_if_possible(const char* path) {
    try {
        return sys::read_file(path);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

bool files_answer_first(std::string_view nsswitch_conf, std::string_view database) {
    const auto found = lines_for(nsswitch_conf, database);
    if (found.size() != 1) return false;
    const std::vector<std::string_view>& services = found.front();
    if (services.empty() || services.front() != "files") return false;
    return services.size() == 1 || services[1].front() != '[';
}

bool parsed_alike(const users::PasswdFile& table) {
    return table_parsed_alike(table);
}

bool parsed_alike(const users::GroupFile& table) {
    return table_parsed_alike(table);
}

std::optional<HostAccount> from_texts(std::string_view nsswitch_conf, std::string_view passwd_text,
                                      std::string_view group_text, uid_t uid, const std::optional<std::string>& name) {
    if (!files_answer_first(nsswitch_conf, "passwd") || !files_answer_first(nsswitch_conf, "group"))
        return std::nullopt;
    const users::PasswdFile passwd = users::parse_passwd(passwd_text, "/etc/passwd", users::Malformed::skip);
    if (!parsed_alike(passwd)) return std::nullopt;
    const users::PasswdEntry* user = name ? passwd.find(*name) : users::find_uid(passwd, uid);
    if (user == nullptr) return std::nullopt;
    const users::GroupFile group = users::parse_group(group_text, "/etc/group", users::Malformed::skip);
    if (!parsed_alike(group)) return std::nullopt;
    const users::GroupEntry* primary = users::find_gid(group, user->gid);
    if (primary == nullptr) return std::nullopt;
    return HostAccount{*user, primary->name};
}

std::optional<HostAccount> from_host_files(uid_t uid, const std::optional<std::string>& name) {
    const std::optional<std::string> nsswitch = read_if_possible("/etc/nsswitch.conf");
    if (!nsswitch) return std::nullopt;
    const std::optional<std::string> passwd = read_if_possible("/etc/passwd");
    if (!passwd) return std::nullopt;
    const std::optional<std::string> group = read_if_possible("/etc/group");
    if (!group) return std::nullopt;
    return from_texts(*nsswitch, *passwd, *group, uid, name);
}

}  // namespace jk::host_lookup
