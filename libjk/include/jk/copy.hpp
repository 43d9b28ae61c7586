// The copy engine: builds a plan of what a set of host paths needs inside a
// jail (the files, every symlink on the way, parent directories, libraries),
// then executes it through the jail's directory fd.
//
// MUST (DESIGN.md invariants 4-7):
//  1. Every entry is created under a temporary name in its parent directory
//     (resolved beneath the jail) and renamed over the final name, so a file
//     in the jail is the old one or the complete new one, and a symlink
//     planted at the destination is replaced, never followed.
//  2. Metadata is set on the fd of the new entry, never by path.
//  3. setuid/setgid bits and file capabilities are dropped unless the caller
//     keeps them; a hardlink never shares a setuid/setgid inode.
//  4. Libraries come from reading ELF headers; nothing copied is executed,
//     except the host's own root-owned loader of a non-native ABI, once
//     with --help, to learn whether the kernel runs that ABI at all
//     (copy_deps.cpp).
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "jk/changes.hpp"
#include "jk/jail.hpp"
#include "jk/manifest.hpp"

namespace jk::copy {

struct Options {
    bool force = false;        // replace what exists in the jail
    bool hardlink = false;     // link instead of copying where safe
    bool keep_owner = false;   // keep uid/gid (else root:root)
    bool keep_setuid = false;  // keep setuid/setgid bits and file capabilities (implies keep_owner)
    bool verbose = false;
    bool libraries = true;  // add the ELF libraries each file needs
    bool devices = true;    // create device nodes named explicitly (never ones met by recursion)
    std::string exclude;    // a host directory never walked into (the jail itself)
    // Decide every step as a run would, record it in `changes`, and change
    // nothing (no ld.so.cache, no manifest either).
    bool dry_run = false;
    // Where each step is recorded as it happens (created, updated or left
    // alone), so a run that fails half-way still says what it did. Optional.
    changes::Report* changes = nullptr;
};

enum class Kind { directory, file, symlink, device, fifo, socket };

// "directory", "file"... as the --json reports name them.
const char* kind_name(Kind kind);

struct Step {
    Kind kind;
    std::string source;         // absolute host path, every directory component a real directory
    struct stat st;             // lstat of source when planned
    std::string link_target;    // symlinks only
    bool is_library = false;    // added because an ELF file needs it
    bool explicit_arg = false;  // named by the caller (not met by recursion or dependency)
    bool replace = false;       // replace what exists in the jail even without Options::force
};

struct Plan {
    std::vector<Step> steps;
    std::vector<std::string> missing_libraries;  // "libx.so.1 (needed by /usr/bin/y)"
    std::vector<std::string> warnings;
};

// Finds what an ELF file needs: the host paths of its interpreter and every
// library of its closure. Appends to `missing` the libraries no search
// found, and to `warnings` why the host cannot run the file when it cannot.
// Throws ElfError for malformed files.
using DependencyFinder = std::function<std::vector<std::string>(
    const std::string& host_path, std::vector<std::string>& missing, std::vector<std::string>& warnings)>;

// The finder backed by libjk's ELF resolver and the host's ld.so config.
// A program of another ABI the host has a loader for (i386 on x86_64) gets
// that loader and that ABI's libraries. It warns, naming the file, when the
// file is for an ABI no host loader handles, when its ABI's loader is not
// installed, or when the kernel refuses to execute that loader (learnt by
// executing the host loader once with --help; see copy_deps.cpp).
DependencyFinder host_dependency_finder();

class Planner {
public:
    Planner(Options options, DependencyFinder deps);
    // Adds a host path (absolute) and everything it needs. Throws SysError
    // when the source cannot be read, ElfError for a malformed ELF file.
    // With `replace`, the entry itself (not what it needs) replaces what the
    // jail has at its path, as Options::force would (jk_update's outdated
    // files).
    void add(const std::string& host_path, bool replace = false);
    // As add(), but a directory that `host_path` names (or its symlinks lead
    // to) is planned as a directory only, without what it holds: for callers
    // that list every entry themselves (jk_init's packages =, from dpkg's
    // file lists), so a directory never brings in files nobody listed; and
    // jk_trace, which creates the directory a program looked for and lets
    // the next round say what inside is wanted.
    void add_shallow(const std::string& host_path);
    // The finished plan (adds the ld.so.conf files when libraries outside
    // the default dirs are in it).
    Plan take();

private:
    void add_path(const std::string& path, bool explicit_arg, bool is_library, int depth);
    void add_tree(const std::string& dir, int depth);
    void add_regular(const std::string& path, const struct stat& st, bool explicit_arg, bool is_library);
    void push(Step step);

    Options options_;
    DependencyFinder deps_;
    Plan plan_;
    std::unordered_set<std::string> planned_;                 // paths already in the plan
    std::unordered_set<std::string> trees_;                   // directories already walked
    std::unordered_map<std::string, struct stat> dir_cache_;  // host lstat of directory prefixes
    bool needs_ld_conf_ = false;
    bool replace_ = false;  // the current add() call's `replace`
    bool shallow_ = false;  // inside add_shallow()
};

struct Result {
    unsigned copied = 0, linked = 0, symlinks = 0, directories = 0, devices = 0, skipped = 0;
    bool libraries_added = false;
    std::vector<manifest::Entry> installed;  // what this run put in place
};

// Where execute() reports the jailkit phrases panels parse ("Copying A to B").
using Output = std::function<void(const std::string& line)>;

// Executes the plan inside the jail. Throws on the first failure (entries
// already completed stay complete; the failing one is left as it was).
Result execute(const Plan& plan, const Jail& jail, const Options& options, const Output& out);

// What tools call: execute(), then update_ld_cache() when libraries were
// added, then record what was installed in the jail's manifest (manifest.hpp)
// so jk_update and jk_check can tell copied files from the admin's own.
Result install(const Plan& plan, const Jail& jail, const Options& options, const Output& out);

// Rebuilds JAIL/etc/ld.so.cache with the host's ldconfig run with argv
// (no shell): `ldconfig -r JAIL`. Throws Error when it fails.
void update_ld_cache(const Jail& jail);

}  // namespace jk::copy
