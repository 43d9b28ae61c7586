// jk_init's `packages =`: the files dpkg lists for the requested packages
// (and their Depends closure), each regular file checked against the sum
// dpkg recorded (see init.hpp and dpkg_db.hpp).
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <unordered_set>

#include "jk/dpkg_db.hpp"
#include "jk/error.hpp"
#include "jk/init.hpp"
#include "jk/md5.hpp"

namespace jk::init {

bool package_doc_path(std::string_view path) {
    static constexpr std::string_view roots[] = {"/usr/share/doc", "/usr/share/man", "/usr/share/info",
                                                 "/usr/share/lintian"};
    return std::any_of(std::begin(roots), std::end(roots), [&](std::string_view r) {
        return path.starts_with(r) && (path.size() == r.size() || path[r.size()] == '/');
    });
}

bool not_copied(const std::vector<std::string>& patterns, const std::string& path) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return ::fnmatch(p.c_str(), path.c_str(), 0) == 0; });
}

PackageFiles package_files(const Request& req, const std::string& admindir) {
    PackageFiles out;
    if (req.packages.empty()) return out;
    std::optional<dpkg::Database> db;
    try {
        db.emplace(dpkg::load(admindir));
    } catch (const SysError& e) {
        // No dpkg here (ENOENT) or unreadable: nothing is installed.
        out.warnings.push_back("cannot read dpkg's database: " + std::string(e.what()));
        out.not_installed = req.packages;
        return out;
    }
    // The requested packages, then the closure of those usedepends asked
    // it for; each package once, in that order.
    dpkg::Closure roots = dpkg::closure(*db, req.packages, false, {});
    dpkg::Closure deps = dpkg::closure(*db, req.depends_packages, true, req.block_depends);
    out.not_installed = std::move(roots.not_installed);
    for (auto& w : deps.warnings) out.warnings.push_back(std::move(w));
    std::vector<const dpkg::Package*> all = roots.packages;
    for (const dpkg::Package* p : deps.packages)
        if (std::find(all.begin(), all.end(), p) == all.end()) all.push_back(p);

    std::unordered_set<std::string> taken;
    for (const dpkg::Package* p : all) {
        const std::string name = dpkg::qualified_name(*p);
        out.packages.push_back(name);
        std::optional<std::vector<std::string>> list = dpkg::read_list(admindir, *p);
        if (!list) {
            out.warnings.push_back("package " + name + " has no file list in " + admindir + "/info");
            continue;
        }
        const std::map<std::string, std::string> sums = dpkg::read_md5sums(admindir, *p);
        const std::set<std::string> conffiles(p->conffiles.begin(), p->conffiles.end());
        for (const std::string& path : *list) {
            if (package_doc_path(path) || taken.count(path) || not_copied(req.do_not_copy, path)) continue;
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0) {
                if (errno != ENOENT && errno != ENOTDIR) throw SysError("cannot stat", path, errno);
                out.absent.push_back(path + " (package " + name + ")");
                continue;
            }
            if (S_ISREG(st.st_mode) && !conffiles.count(path)) {
                const auto sum = sums.find(path);
                if (sum == sums.end()) {
                    out.notes.push_back(path + " (package " + name + ") has no MD5 sum in dpkg's database");
                } else if (md5::file_hex(path) != sum->second) {
                    out.changed.push_back(path + " (package " + name + ")");
                    continue;
                }
            }
            // Directories too, as empty ones (add_shallow): a package's own
            // empty directory (a spool, a cache) is part of it.
            taken.insert(path);
            out.paths.push_back(path);
        }
    }
    return out;
}

}  // namespace jk::init
