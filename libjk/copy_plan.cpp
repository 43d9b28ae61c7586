// Planning: what a host path needs in a jail. Host-side reads only; the jail
// is not touched until execute().
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "jk/copy.hpp"
#include "jk/error.hpp"
#include "jk/path.hpp"
#include "jk/sys.hpp"

namespace jk::copy {

namespace {

constexpr int max_link_depth = 40;

// Directories the loader searches without being told (glibc's built-in list
// on Debian, with multiarch). A library elsewhere is found through the
// ld.so.cache, which ldconfig can only rebuild from the jail's ld.so.conf.
bool in_default_library_dir(const std::string& lib) {
    static const char* const dirs[] = {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib",   "/usr/lib",  "/lib64", "/usr/lib64",
        "/lib/i386-linux-gnu",   "/usr/lib/i386-linux-gnu",   "/lib32", "/usr/lib32"};
    std::string dir = path::parent_of(lib);
    return std::any_of(std::begin(dirs), std::end(dirs), [&](const char* d) { return dir == d; });
}

// Shared objects are often not executable (Debian ships them 0644); their
// names say what they are: "x.so" or "x.so.1.2".
bool named_like_shared_object(const std::string& path) {
    const std::string_view name = std::string_view(path).substr(path.rfind('/') + 1);
    for (size_t at = name.find(".so"); at != std::string_view::npos; at = name.find(".so", at + 1)) {
        if (at + 3 == name.size()) return true;
        if (name[at + 3] == '.' && at + 4 < name.size() && name[at + 4] >= '0' && name[at + 4] <= '9') return true;
    }
    return false;
}

bool worth_scanning(const std::string& path, const struct stat& st) {
    return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) || named_like_shared_object(path);
}

}  // namespace

Planner::Planner(Options options, DependencyFinder deps) : options_(std::move(options)), deps_(std::move(deps)) {}

void Planner::push(Step step) {
    step.replace = replace_ && step.explicit_arg;
    if (!planned_.insert(step.source).second) return;
    plan_.steps.push_back(std::move(step));
}

void Planner::add(const std::string& host_path, bool replace) {
    if (host_path.empty() || host_path[0] != '/') throw Error("path " + quoted(host_path) + " is not absolute");
    replace_ = replace;
    add_path(host_path, true, false, 0);
    replace_ = false;
}

void Planner::add_directory(const std::string& host_path) {
    if (host_path.empty() || host_path[0] != '/') throw Error("path " + quoted(host_path) + " is not absolute");
    shallow_ = true;
    try {
        add_path(host_path, true, false, 0);
    } catch (...) {
        shallow_ = false;
        throw;
    }
    shallow_ = false;
}

// Walks `path` one component at a time on the host, so that every symlink on
// the way is planned as a symlink (merged-/usr: /bin -> usr/bin) and every
// directory as a directory with the host's mode; then plans the entry itself.
void Planner::add_path(const std::string& path, bool explicit_arg, bool is_library, int depth) {
    if (depth > max_link_depth) throw SysError("cannot resolve", path, ELOOP);
    const std::vector<std::string> comps = path::components(path);
    std::string resolved;  // a prefix made of real directories only
    for (size_t i = 0; i < comps.size(); ++i) {
        const std::string& name = comps[i];
        if (name == ".") continue;
        if (name == "..") {
            resolved = path::parent_of(resolved);
            continue;
        }
        const std::string candidate = resolved + "/" + name;
        const bool last = std::all_of(comps.begin() + static_cast<long>(i) + 1, comps.end(),
                                      [](const std::string& c) { return c == "."; });
        struct stat st {};
        auto cached = dir_cache_.find(candidate);
        if (cached != dir_cache_.end()) {
            st = cached->second;
        } else if (::lstat(candidate.c_str(), &st) != 0) {
            throw SysError("cannot stat", candidate, errno);
        }

        if (S_ISLNK(st.st_mode)) {
            std::string target = sys::readlink_at(AT_FDCWD, candidate);
            Step link{Kind::symlink, candidate, st, target, is_library, explicit_arg && last};
            push(std::move(link));
            std::string next = target.starts_with("/") ? target : resolved + "/" + target;
            for (size_t j = i + 1; j < comps.size(); ++j) next += "/" + comps[j];
            try {
                add_path(next, explicit_arg && last, is_library, depth + 1);
            } catch (const SysError& e) {
                // A dangling or looping link inside a tree is copied as the
                // link it is; the host has the same dangling link.
                if (e.err() != ENOENT && e.err() != ELOOP && e.err() != ENOTDIR) throw;
                if (explicit_arg && last && depth == 0) throw;
                plan_.warnings.push_back("symlink " + candidate + " points to " + target +
                                         ", which cannot be copied: " + e.what());
            }
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            dir_cache_.emplace(candidate, st);
            if (!last || !explicit_arg) push(Step{Kind::directory, candidate, st, {}, false, false});
            resolved = candidate;
            continue;
        }
        if (!last) throw SysError("cannot stat", path, ENOTDIR);

        if (S_ISREG(st.st_mode)) {
            add_regular(candidate, st, explicit_arg, is_library);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            if (explicit_arg && options_.devices)
                push(Step{Kind::device, candidate, st, {}, false, true});
            else
                plan_.warnings.push_back("skipping device " + candidate + ": devices are created only when named");
        } else if (S_ISFIFO(st.st_mode)) {
            push(Step{Kind::fifo, candidate, st, {}, false, explicit_arg});
        } else {
            plan_.warnings.push_back("skipping socket " + candidate);
        }
        return;
    }
    // The path named a directory (or "/"): copy it with what it contains.
    if (resolved.empty()) return;
    const struct stat& st = dir_cache_.at(resolved);
    push(Step{Kind::directory, resolved, st, {}, false, explicit_arg});
    if (shallow_) return;
    if (trees_.insert(resolved).second) add_tree(resolved, depth);
}

void Planner::add_tree(const std::string& dir, int depth) {
    UniqueFd fd = sys::open_at(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(fd.get()), ::closedir);
    if (!d) throw SysError("cannot read directory", dir, errno);
    fd.release();
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
    }
    if (errno != 0) throw SysError("cannot read directory", dir, errno);
    // Sorted, so the plan and its output are the same on every run.
    std::sort(names.begin(), names.end());
    const std::string prefix = dir == "/" ? "" : dir;
    for (const auto& n : names) {
        const std::string child = prefix + "/" + n;
        // Copying a tree that holds the jail must not copy the jail into itself.
        if (!options_.exclude.empty() && child == options_.exclude) {
            plan_.warnings.push_back("skipping " + child + ": it is the jail");
            continue;
        }
        add_path(child, false, false, depth);
    }
}

void Planner::add_regular(const std::string& path, const struct stat& st, bool explicit_arg, bool is_library) {
    if (planned_.count(path)) return;
    push(Step{Kind::file, path, st, {}, is_library, explicit_arg});
    // A library reached through another file's closure has its own needs in
    // that closure already.
    if (!options_.libraries || is_library || !worth_scanning(path, st)) return;
    std::vector<std::string> missing;
    for (const auto& lib : deps_(path, missing, plan_.warnings)) {
        if (!in_default_library_dir(lib)) needs_ld_conf_ = true;
        if (!planned_.count(lib)) add_path(lib, false, true, 0);
    }
    for (auto& m : missing) plan_.missing_libraries.push_back(std::move(m));
}

Plan Planner::take() {
    // Libraries outside the built-in search dirs are found through the cache
    // that ldconfig builds from the jail's own ld.so.conf.
    if (needs_ld_conf_) {
        needs_ld_conf_ = false;
        for (const char* conf : {"/etc/ld.so.conf", "/etc/ld.so.conf.d"}) {
            struct stat st {};
            if (::lstat(conf, &st) == 0 && !planned_.count(conf)) add_path(conf, false, false, 0);
        }
    }
    return std::move(plan_);
}

}  // namespace jk::copy
