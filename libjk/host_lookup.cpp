#include "jk/host_lookup.hpp"

#include <cctype>
#include <exception>
#include <vector>

#include "jk/error.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"

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

// The services after "database:" on each line naming `database` (glibc
// 2.33 and later: a line whose first non-blank character is '#' is a
// comment; a '#' anywhere else is part of a service's name, so "files#x" is
// not files). A line naming the database in a form we do not read exactly
// ("passwd :", "PASSWD:", which glibc reads otherwise or ignores) is
// returned with no services, which no caller takes as an answer.
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
        if (line.substr(i, end - i) == database && rest.starts_with(':'))
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
                                      std::string_view group_text, uid_t uid, const std::optional<std::string>& name,
                                      std::string* why_not) {
    auto cannot_tell = [&](std::string why) -> std::optional<HostAccount> {
        if (why_not != nullptr) *why_not = std::move(why);
        return std::nullopt;
    };
    for (const std::string_view database : {"passwd", "group"})
        if (!files_answer_first(nsswitch_conf, database))
            return cannot_tell("nsswitch.conf does not have NSS ask files first, and only files, for " +
                               std::string(database));
    const users::PasswdFile passwd = users::parse_passwd(passwd_text, "/etc/passwd", users::Malformed::skip);
    if (!parsed_alike(passwd)) return cannot_tell("/etc/passwd holds a line glibc may read otherwise");
    const users::PasswdEntry* user = name ? passwd.find(*name) : users::find_uid(passwd, uid);
    if (user == nullptr)
        return cannot_tell(name ? "no user " + quoted(text::printable(*name, 64)) + " in /etc/passwd"
                                : "no user ID " + std::to_string(uid) + " in /etc/passwd");
    const users::GroupFile group = users::parse_group(group_text, "/etc/group", users::Malformed::skip);
    if (!parsed_alike(group)) return cannot_tell("/etc/group holds a line glibc may read otherwise");
    const users::GroupEntry* primary = users::find_gid(group, user->gid);
    if (primary == nullptr) return cannot_tell("no group ID " + std::to_string(user->gid) + " in /etc/group");
    return HostAccount{*user, primary->name};
}

std::optional<HostAccount> from_host_files(uid_t uid, const std::optional<std::string>& name, std::string* why_not) {
    std::optional<std::string> texts[3];
    const char* const files[3] = {"/etc/nsswitch.conf", "/etc/passwd", "/etc/group"};
    for (int i = 0; i < 3; ++i) {
        texts[i] = read_if_possible(files[i]);
        if (!texts[i]) {
            if (why_not != nullptr) *why_not = std::string("cannot read ") + files[i];
            return std::nullopt;
        }
    }
    return from_texts(*texts[0], *texts[1], *texts[2], uid, name, why_not);
}

}  // namespace jk::host_lookup
