// dpkg's database texts (dpkg_db.hpp). The input is
// "STATUS\0LIST\0MD5SUMS\0NAME...": the status file is parsed into a
// database, every NAME looked up and its Depends closure taken (blocking
// the first name), the file list and md5sums parsed. Every path they give
// must be absolute and free of "..", NUL and line breaks (MUST 1).
#include <string>
#include <vector>

#include "jk/dpkg_db.hpp"
#include "jk/path.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
using jk_fuzz::check;

void check_path(const std::string& p) {
    check(!p.empty() && p.front() == '/');
    check(p.find_first_of(std::string("\0\r\n", 3)) == std::string::npos);
    for (const auto& c : jk::path::components(p)) check(c != ".." && c != ".");
}

void one_input(std::string_view input) {
    const std::string_view status = jk_fuzz::next_part(input);
    const std::string_view list = jk_fuzz::next_part(input);
    const std::string_view sums = jk_fuzz::next_part(input);
    std::vector<std::string> names;
    if (!input.empty()) names = jk_fuzz::split_nul(input);

    std::vector<std::string> warnings;
    std::vector<jk::dpkg::Package> pkgs = jk::dpkg::parse_status(status, &warnings);
    for (const auto& p : pkgs) {
        check(jk::dpkg::is_package_name(p.name));
        for (const auto& c : p.conffiles) check_path(c);
        for (const auto& g : p.depends) check(!g.empty());
    }
    const jk::dpkg::Database db(std::move(pkgs), "amd64");
    for (const auto& p : db.packages()) {
        check(p.installed);
        // A qualified name always finds a package (a stanza without
        // Architecture has no qualified form to look up by).
        if (!p.architecture.empty()) check(db.find(jk::dpkg::qualified_name(p)) != nullptr);
    }
    std::vector<std::string> block;
    if (!names.empty()) block.push_back(names.front());
    const jk::dpkg::Closure c = jk::dpkg::closure(db, names, true, block);
    check(c.packages.size() <= db.packages().size());
    for (const auto& r : jk::dpkg::parse_relations(status))
        for (const auto& a : r) check(jk::dpkg::is_package_name(a.name));
    for (const auto& p : jk::dpkg::parse_list(list)) check_path(p);
    for (const auto& [p, sum] : jk::dpkg::parse_md5sums(sums)) {
        check_path(p);
        check(sum.size() == 32);
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
