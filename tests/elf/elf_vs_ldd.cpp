// Differential test of the ELF resolver against ldd.
//
// Walks every regular file under /usr/bin, /usr/sbin and
// /usr/lib/x86_64-linux-gnu (symlinked directories are not followed, each
// inode is visited once), keeps the ELF files this host's loader handles
// that are dynamic (PT_DYNAMIC, PT_INTERP or DT_NEEDED), and compares for
// each the set of library paths and the set of "not found" names that
// jk::elf::Resolver computes with what ldd prints. Paths are compared after
// realpath(3) on both sides, since ldd prints /lib/... where the cache says
// so and the two name the same file through the /lib -> usr/lib link.
//
// A synthetic tree of hand-built objects (see build_synthetic) adds the
// cases the host's files lack: RPATH chains, hwcaps subdirectories, class and
// machine mismatches, broken candidates, NODEFLIB, a 32-bit program.
//
// ldd is the oracle here and only here: it is run on the host's own files,
// with argv and a fixed environment (no shell of ours), a timeout, and two at
// a time. The resolver never runs anything.
//
// Usage: elf_vs_ldd [FILE...]   (no FILE: the walk and the synthetic tree;
//                                with FILEs: just those, each printed)
// Exit status: 0 when every compared file matches, 1 otherwise.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jk/elf.hpp"
#include "jk/error.hpp"
#include "jk/resolver.hpp"
#include "tests/elf/elf_builder.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Not decltype(&std::fclose): glibc 2.41 (Debian 13) declares fclose nonnull,
// and g++ 14 warns that a template argument drops that attribute.
struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

constexpr int ldd_timeout_ms = 60'000;
const char* const roots[] = {"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"};

// Files whose ldd answer is not a statement about dependency resolution,
// each printed with its reason and counted. None is needed on Debian 12:
// even ld.so itself gets a meaningful answer ("statically linked").
struct Exclusion {
    const char* path;
    const char* reason;
};
const std::vector<Exclusion> exclusions = {};

std::string canonical(const std::string& p) {
    std::unique_ptr<char, decltype(&::free)> real(::realpath(p.c_str(), nullptr), &::free);
    return real ? std::string(real.get()) : p;
}

// What one side says about one file.
struct Outcome {
    enum class Kind { Libraries, NotDynamic, Error };
    Kind kind = Kind::Libraries;
    std::set<std::string> paths;    // canonical
    std::set<std::string> missing;  // names
    std::string detail;             // error text
};

std::string describe(const Outcome& o) {
    switch (o.kind) {
        case Outcome::Kind::NotDynamic: return "not dynamic";
        case Outcome::Kind::Error: return "error: " + o.detail;
        case Outcome::Kind::Libraries: break;
    }
    return std::to_string(o.paths.size()) + " libraries, " + std::to_string(o.missing.size()) + " not found";
}

// ---- ldd side -------------------------------------------------------------------

struct LddRun {
    std::string output;  // stdout and stderr, interleaved
    int status = 0;
    bool timed_out = false;
};

// Runs `tracer [option] file`: ldd, or a loader asked with --list (the
// same output as ldd's).
LddRun run_tracer(std::string tracer, std::string option, const std::string& file) {
    LddRun r;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw jk::SysError("cannot create pipe", errno);
    // Everything the child needs is built before fork: after fork in a
    // threaded process only async-signal-safe calls are allowed.
    std::string arg = file;
    char* argv[] = {tracer.data(), option.empty() ? arg.data() : option.data(), option.empty() ? nullptr : arg.data(),
                    nullptr};
    char env_path[] = "PATH=/usr/bin:/bin";
    char env_lc[] = "LC_ALL=C";
    char* envp[] = {env_path, env_lc, nullptr};
    pid_t pid = ::fork();
    if (pid < 0) throw jk::SysError("cannot fork", errno);
    if (pid == 0) {
        ::setpgid(0, 0);
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::execve(argv[0], argv, envp);
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    ::close(fds[1]);
    auto deadline = Clock::now() + std::chrono::milliseconds(ldd_timeout_ms);
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        ssize_t got = ::read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        r.output.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.status = status;
    return r;
}

std::string trim(std::string s) {
    std::size_t b = s.find_first_not_of(" \t");
    std::size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Drops a trailing " (0x...)" load address.
std::string strip_address(const std::string& s) {
    std::size_t p = s.rfind(" (0x");
    return p != std::string::npos && s.back() == ')' ? s.substr(0, p) : s;
}

LddRun run_ldd(const std::string& file) {
    return run_tracer("/usr/bin/ldd", "", file);
}

// ldd's blind spot: Debian's ldd answers "not a dynamic executable" for an
// i386 program even where the i386 loader is installed (its --verify step
// fails for the other class). The real answer is that loader's own --list.
// Returns the loader to ask, or "" when ldd's answer stands.
std::string loader_for_blind_spot(const std::string& file) {
    try {
        std::optional<jk::elf::ElfInfo> info = jk::elf::read_elf_file(file);
        if (!info || info->elf_class() != jk::elf::ElfClass::Elf32 || info->machine() != jk::elf::machine_386 ||
            !info->has_interp)
            return "";
        struct stat st {};
        if (::stat(info->interpreter.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
        return info->interpreter;
    } catch (const jk::Error&) {
        return "";
    }
}

// The last resort where neither ldd nor the i386 loader can answer (the
// kernel cannot execute i386: ENOEXEC): the closure computed from the files
// by readelf, not by the resolver under test. Each DT_NEEDED is taken as a
// path when it has a '/', else looked up in the needer's DT_RPATH, then the
// program's, then the i386 system directories, and only an ELF32 Intel 80386
// file counts (ld.so skips other classes). Enough for the programs this test
// meets; an $ORIGIN or hwcaps subdirectory would show up as a mismatch.
struct ElfFacts {
    bool i386 = false;
    std::vector<std::string> needed;
    std::vector<std::string> rpath;
};

ElfFacts readelf_facts(const std::string& file) {
    ElfFacts f;
    LddRun r = run_tracer("/usr/bin/readelf", "-hd", file);
    std::istringstream in(r.output);
    std::string line;
    auto bracketed = [](const std::string& l) {
        std::size_t a = l.find('['), b = l.rfind(']');
        return a != std::string::npos && b != std::string::npos && b > a ? l.substr(a + 1, b - a - 1) : std::string();
    };
    bool elf32 = false;
    while (std::getline(in, line)) {
        if (line.find("Class:") != std::string::npos && line.find("ELF32") != std::string::npos) elf32 = true;
        if (line.find("Machine:") != std::string::npos && line.find("Intel 80386") != std::string::npos) f.i386 = elf32;
        if (line.find("(NEEDED)") != std::string::npos) f.needed.push_back(bracketed(line));
        if (line.find("(RPATH)") != std::string::npos) {
            std::istringstream dirs(bracketed(line));
            for (std::string d; std::getline(dirs, d, ':');) f.rpath.push_back(d);
        }
    }
    return f;
}

Outcome closure_from_files(const std::string& program) {
    static const char* const i386_dirs[] = {"/lib32", "/usr/lib32", "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu"};
    Outcome o;
    const ElfFacts top = readelf_facts(program);
    std::vector<std::pair<std::string, ElfFacts>> queue = {{program, top}};
    std::set<std::string> names;
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const ElfFacts facts = queue[i].second;
        for (const std::string& name : facts.needed) {
            if (!names.insert(name).second) continue;
            std::vector<std::string> candidates;
            if (name.find('/') != std::string::npos) {
                candidates.push_back(name);
            } else {
                for (const std::vector<std::string>* dirs : {&facts.rpath, &top.rpath})
                    for (const std::string& d : *dirs) candidates.push_back(d + "/" + name);
                for (const char* d : i386_dirs) candidates.push_back(std::string(d) + "/" + name);
            }
            bool found = false;
            for (const std::string& c : candidates) {
                struct stat st {};
                if (::stat(c.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
                ElfFacts lib = readelf_facts(c);
                if (!lib.i386) continue;
                if (o.paths.insert(canonical(c)).second) queue.emplace_back(c, lib);
                found = true;
                break;
            }
            if (!found) o.missing.insert(name);
        }
    }
    return o;
}

Outcome parse_ldd(const LddRun& run) {
    Outcome o;
    if (run.timed_out) {
        o.kind = Outcome::Kind::Error;
        o.detail = "ldd timed out";
        return o;
    }
    std::istringstream in(run.output);
    std::string line;
    std::string errors;
    bool not_dynamic = false;
    while (std::getline(in, line)) {
        std::string t = trim(line);
        if (t.empty()) continue;
        if (t == "not a dynamic executable") {
            not_dynamic = true;
        } else if (t == "statically linked") {
            // no libraries
        } else if (t.rfind("linux-vdso.so.", 0) == 0 || t.rfind("linux-gate.so.", 0) == 0) {
            // the kernel's vDSO (64- and 32-bit names) is no file
        } else if (t.find("version `") == 0 && t.find("' not found (required by ") != std::string::npos) {
            // version requirement report: not about which files load
        } else if (std::size_t arrow = t.find(" => "); arrow != std::string::npos) {
            std::string name = t.substr(0, arrow);
            std::string target = t.substr(arrow + 4);
            if (target == "not found")
                o.missing.insert(name);
            else
                o.paths.insert(canonical(strip_address(target)));
        } else if (t[0] == '/' && t.back() == ')') {
            o.paths.insert(canonical(strip_address(t)));
        } else {
            errors += t + "; ";
        }
    }
    if (!errors.empty() || (WIFEXITED(run.status) && WEXITSTATUS(run.status) != 0 && !not_dynamic) ||
        !WIFEXITED(run.status)) {
        o.kind = Outcome::Kind::Error;
        o.detail = errors.empty() ? "ldd exit status " + std::to_string(run.status) : errors;
    } else if (not_dynamic) {
        o.kind = Outcome::Kind::NotDynamic;
    }
    return o;
}

// ---- resolver side ----------------------------------------------------------------

Outcome resolve(jk::elf::Resolver& r, const std::string& file) {
    Outcome o;
    try {
        jk::elf::Resolution res = r.resolve(file);
        if (!res.dynamic()) {
            o.kind = Outcome::Kind::NotDynamic;
            return o;
        }
        for (const jk::elf::Library& lib : res.libraries) o.paths.insert(canonical(lib.path));
        for (const jk::elf::Missing& m : res.missing) o.missing.insert(m.name);
    } catch (const jk::Error& e) {
        o.kind = Outcome::Kind::Error;
        o.detail = e.what();
    }
    return o;
}

bool same(const Outcome& a, const Outcome& b) {
    if (a.kind != b.kind) return false;
    if (a.kind != Outcome::Kind::Libraries) return true;
    return a.paths == b.paths && a.missing == b.missing;
}

void print_diff(const std::string& file, const Outcome& mine, const Outcome& ldd) {
    std::cout << "MISMATCH " << file << "\n  resolver: " << describe(mine) << "\n  ldd:      " << describe(ldd) << "\n";
    if (mine.kind != Outcome::Kind::Libraries || ldd.kind != Outcome::Kind::Libraries) return;
    for (const std::string& p : mine.paths)
        if (!ldd.paths.count(p)) std::cout << "  only resolver: " << p << "\n";
    for (const std::string& p : ldd.paths)
        if (!mine.paths.count(p)) std::cout << "  only ldd:      " << p << "\n";
    for (const std::string& m : mine.missing)
        if (!ldd.missing.count(m)) std::cout << "  only resolver not found: " << m << "\n";
    for (const std::string& m : ldd.missing)
        if (!mine.missing.count(m)) std::cout << "  only ldd not found:      " << m << "\n";
}

// ---- synthetic tree -----------------------------------------------------------------
//
// The host's own files exercise the cache, the system directories and
// $ORIGIN RUNPATHs, but no RPATH chains, hwcaps subdirectories, class or
// machine mismatches, broken candidates or NODEFLIB. These objects, built by
// tests/elf/elf_builder.hpp under a fresh temporary directory, put each of
// those in front of ldd and the resolver alike.

class SyntheticTree {
public:
    SyntheticTree() {
        char tmpl[] = "/tmp/jk-elf-vs-ldd-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw jk::SysError("cannot create temporary directory", errno);
        root_ = tmpl;
    }
    ~SyntheticTree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    SyntheticTree(const SyntheticTree&) = delete;
    SyntheticTree& operator=(const SyntheticTree&) = delete;

    const std::string& root() const { return root_; }
    std::string at(const std::string& rel) const { return root_ + "/" + rel; }

    void file(const std::string& rel, const std::string& bytes) {
        fs::create_directories(fs::path(at(rel)).parent_path());
        std::unique_ptr<FILE, FileCloser> f(std::fopen(at(rel).c_str(), "wbe"));
        if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
            throw jk::SysError("cannot write", at(rel), errno);
        ::chmod(at(rel).c_str(), 0755);
    }
    void lib(const std::string& rel, jk::test::ElfSpec spec) { file(rel, jk::test::build_elf(spec)); }
    // A program: PIE with the x86_64 interpreter, like the host's.
    void program(const std::string& rel, jk::test::ElfSpec spec) {
        if (!spec.interp) spec.interp = "/lib64/ld-linux-x86-64.so.2";
        spec.flags_1 |= jk::elf::df_1_pie;
        programs_.push_back(at(rel));
        file(rel, jk::test::build_elf(spec));
    }
    void symlink(const std::string& target, const std::string& rel) { fs::create_symlink(target, at(rel)); }
    void dir(const std::string& rel) { fs::create_directories(at(rel)); }
    const std::vector<std::string>& programs() const { return programs_; }

private:
    std::string root_;
    std::vector<std::string> programs_;
};

jk::test::ElfSpec needs(std::vector<std::string> names) {
    jk::test::ElfSpec s;
    s.needed = std::move(names);
    return s;
}

jk::test::ElfSpec with_rpath(jk::test::ElfSpec s, std::string rpath) {
    s.rpath = std::move(rpath);
    return s;
}

jk::test::ElfSpec with_runpath(jk::test::ElfSpec s, std::string runpath) {
    s.runpath = std::move(runpath);
    return s;
}

void build_synthetic(SyntheticTree& t) {
    using jk::test::ElfSpec;
    const std::string T = t.root();
    // RPATH of the program serves the whole loading chain.
    t.lib("a/libjkt_a.so", needs({"libjkt_b.so"}));
    t.lib("a/libjkt_b.so", {});
    t.program("bin/rpath_chain", with_rpath(needs({"libjkt_a.so"}), T + "/a"));
    // RUNPATH serves direct dependencies only.
    t.program("bin/runpath_direct", with_runpath(needs({"libjkt_a.so"}), T + "/a"));
    // RUNPATH voids the same object's RPATH.
    t.lib("b/libjkt_x.so", {});
    t.program("bin/runpath_voids_rpath",
              with_runpath(with_rpath(needs({"libjkt_x.so", "libjkt_b.so"}), T + "/b"), T + "/a"));
    // $ORIGIN and ${ORIGIN}.
    t.lib("lib/libjkt_o.so", {});
    t.lib("lib2/libjkt_o2.so", {});
    t.program("bin/origin", with_runpath(needs({"libjkt_o.so", "libjkt_o2.so"}), "$ORIGIN/../lib:${ORIGIN}/../lib2"));
    // Candidates of another class or machine are skipped.
    ElfSpec w32;
    w32.cls = jk::elf::ElfClass::Elf32;
    w32.machine = jk::elf::machine_386;
    t.lib("c/libjkt_w.so", w32);
    t.lib("d/libjkt_w.so", {});
    t.program("bin/other_class", with_rpath(needs({"libjkt_w.so"}), T + "/c:" + T + "/d"));
    ElfSpec arm;
    arm.machine = jk::elf::machine_aarch64;
    t.lib("e/libjkt_m.so", arm);
    t.lib("f/libjkt_m.so", {});
    t.program("bin/other_machine", with_rpath(needs({"libjkt_m.so"}), T + "/e:" + T + "/f"));
    // A loaded object answers to its soname; the same inode answers to any name.
    ElfSpec q;
    q.soname = "libjkt_q.so.1";
    t.lib("g/libjkt_q-real.so", q);
    t.lib("a2/libjkt_r.so", needs({"libjkt_q.so.1"}));
    t.program("bin/soname", with_rpath(needs({T + "/g/libjkt_q-real.so", "libjkt_r.so"}), T + "/a2"));
    t.lib("i/libjkt_i.so.1", {});
    t.symlink("libjkt_i.so.1", "i/libjkt_i.so");
    t.program("bin/inode", with_rpath(needs({"libjkt_i.so.1", "libjkt_i.so"}), T + "/i"));
    // glibc-hwcaps and legacy hwcaps subdirectories.
    t.lib("h/glibc-hwcaps/x86-64-v2/libjkt_h.so", {});
    t.lib("h/glibc-hwcaps/x86-64-v3/libjkt_h.so", {});
    t.lib("h/libjkt_h.so", {});
    t.program("bin/hwcaps", with_rpath(needs({"libjkt_h.so"}), T + "/h"));
    t.lib("k/tls/libjkt_t.so", {});
    t.lib("k/libjkt_t.so", {});
    t.lib("k/x86_64/libjkt_t2.so", {});
    t.lib("k/libjkt_t2.so", {});
    t.program("bin/legacy_hwcaps", with_rpath(needs({"libjkt_t.so", "libjkt_t2.so"}), T + "/k"));
    // $LIB and $PLATFORM.
    t.lib("lib/x86_64-linux-gnu/libjkt_l.so", {});
    t.lib("x86_64/libjkt_p.so", {});
    t.lib("haswell/libjkt_p.so", {});
    t.program("bin/dst_lib_platform",
              with_rpath(needs({"libjkt_l.so", "libjkt_p.so"}), T + "/$LIB:" + T + "/${PLATFORM}"));
    // Not found: by name, twice, and by path.
    t.lib("a/libjkt_needs_nope.so", needs({"libjkt_nope.so"}));
    t.program("bin/missing", with_rpath(needs({"libjkt_nope.so", "libjkt_needs_nope.so"}), T + "/a"));
    t.program("bin/slash_missing", needs({T + "/nowhere/libjkt_none.so"}));
    // DF_1_NODEFLIB: neither the cache's system-directory entries nor the
    // system directories; without it, the host's libz and its closure.
    ElfSpec nodeflib = needs({"libz.so.1"});
    nodeflib.flags_1 = jk::elf::df_1_nodeflib;
    t.program("bin/nodeflib", nodeflib);
    t.program("bin/deflib", needs({"libz.so.1"}));
    // RPATH chains through several loaders, and a RUNPATH inside the chain.
    t.lib("j1/libjkt_j1.so", with_rpath(needs({"libjkt_j2.so"}), T + "/j2"));
    t.lib("j2/libjkt_j2.so", needs({"libjkt_j3.so"}));
    t.lib("j1/libjkt_j3.so", {});
    t.program("bin/rpath_grandparent", with_rpath(needs({"libjkt_j1.so"}), T + "/j1"));
    t.lib("m1/libjkt_m1.so", with_runpath(needs({"libjkt_m2.so", "libjkt_m4.so"}), T + "/m2"));
    t.lib("m2/libjkt_m2.so", needs({"libjkt_m3.so"}));
    t.lib("m1/libjkt_m3.so", {});
    t.lib("m1/libjkt_m4.so", {});
    t.program("bin/runpath_in_chain", with_rpath(needs({"libjkt_m1.so"}), T + "/m1"));
    // An empty RPATH element is the current directory.
    t.program("bin/empty_rpath_element", with_rpath(needs({"libjkt_a.so"}), ":" + T + "/a"));
    // Candidates ld.so refuses outright.
    std::string whole = jk::test::build_elf({});
    t.file("z/libjkt_trunc.so", whole.substr(0, 10));
    t.program("bin/truncated_dep", with_rpath(needs({"libjkt_trunc.so"}), T + "/z"));
    t.file("z2/libjkt_text.so", "/* GNU ld script: not something ld.so can load, but long enough to be judged */\n");
    t.program("bin/text_dep", with_rpath(needs({"libjkt_text.so"}), T + "/z2"));
    ElfSpec exe;
    exe.type = jk::elf::type_exec;
    t.lib("y/libjkt_exec.so", exe);
    t.program("bin/exec_dep", with_rpath(needs({"libjkt_exec.so"}), T + "/y"));
    t.dir("y2/libjkt_dir.so");
    t.program("bin/dir_dep", with_rpath(needs({"libjkt_dir.so"}), T + "/y2"));
    ElfSpec pie;
    pie.flags_1 = jk::elf::df_1_pie;
    t.lib("y3/libjkt_pie.so", pie);
    t.program("bin/pie_dep", with_rpath(needs({"libjkt_pie.so"}), T + "/y3"));
    ElfSpec big;
    big.endian = jk::elf::Endian::Big;
    t.lib("y4/libjkt_big.so", big);
    t.program("bin/big_endian_dep", with_rpath(needs({"libjkt_big.so"}), T + "/y4"));
    // No DT_NEEDED ("statically linked"), and no PT_DYNAMIC at all.
    t.program("bin/no_needed", {});
    ElfSpec nodyn;
    nodyn.type = jk::elf::type_exec;
    nodyn.dynamic = false;
    t.program("bin/no_dynamic", nodyn);
    // A 32-bit program: the i386 loader, its cache entries and directories.
    ElfSpec p32 = with_rpath(needs({"libjkt_w.so", "libc.so.6"}), T + "/c");
    p32.cls = jk::elf::ElfClass::Elf32;
    p32.machine = jk::elf::machine_386;
    p32.interp = "/lib/ld-linux.so.2";
    t.program("bin/i386", p32);
    // Tokens in DT_NEEDED itself, with and without a '/'.
    t.lib("x86_64/libjkt_x86_64.so", {});
    t.program("bin/dst_in_needed",
              with_rpath(needs({"$ORIGIN/../lib/libjkt_o.so", "libjkt_$PLATFORM.so"}), T + "/x86_64"));
    // A directory searched before the cache shadows the cache's entry.
    t.lib("zz/libz.so.1", {});
    t.program("bin/rpath_before_cache", with_rpath(needs({"libz.so.1"}), T + "/zz"));
    // A soname already loaded is not searched again, even if another file
    // of that name exists.
    ElfSpec common;
    common.soname = "libjkt_common.so";
    t.lib("s1/libjkt_s1.so", common);
    t.lib("s2/libjkt_common.so", {});
    t.program("bin/soname_first", with_rpath(needs({"libjkt_s1.so", "libjkt_common.so"}), T + "/s1:" + T + "/s2"));
    // A 32-bit program skips a 64-bit library.
    ElfSpec p32b = with_rpath(needs({"libjkt_w.so"}), T + "/d");
    p32b.cls = jk::elf::ElfClass::Elf32;
    p32b.machine = jk::elf::machine_386;
    p32b.interp = "/lib/ld-linux.so.2";
    t.program("bin/i386_skips_64", p32b);
    // A library of another machine with a broken ident is skipped, not fatal.
    std::string arm_bad = jk::test::build_elf(arm);
    arm_bad[12] = 1;  // nonzero e_ident padding
    t.file("n/libjkt_n.so", arm_bad);
    t.lib("n2/libjkt_n.so", {});
    t.program("bin/foreign_bad_ident", with_rpath(needs({"libjkt_n.so"}), T + "/n:" + T + "/n2"));
    // A library that needs the dynamic loader by name.
    t.program("bin/needs_ldso", needs({"ld-linux-x86-64.so.2"}));
}

// ---- selection ------------------------------------------------------------------------

struct Selection {
    std::vector<std::string> files;  // dynamic ELF files for this host
    std::size_t regular = 0, elf = 0, other_machine = 0, not_dynamic = 0;
    std::vector<std::string> unreadable;  // with reasons
};

void consider(const std::string& path, Selection& s) {
    try {
        std::optional<jk::elf::ElfInfo> info = jk::elf::read_elf_file(path);
        if (!info) return;
        ++s.elf;
        if (info->elf_class() != jk::elf::ElfClass::Elf64 || info->endian() != jk::elf::Endian::Little ||
            info->machine() != jk::elf::machine_x86_64) {
            ++s.other_machine;
            return;
        }
        if (!info->has_dynamic && !info->has_interp && info->needed.empty()) {
            ++s.not_dynamic;
            return;
        }
        s.files.push_back(path);
    } catch (const jk::Error& e) {
        s.unreadable.push_back(path + ": " + e.what());
    }
}

Selection walk() {
    Selection s;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (const char* root : roots) {
        std::error_code ec;
        // Directory symlinks are not followed (the default), so each tree is
        // walked once; hard links are caught by the inode set.
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
            struct stat st {};
            if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
            ++s.regular;
            consider(it->path().string(), s);
        }
        if (ec) s.unreadable.push_back(std::string(root) + ": " + ec.message());
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    auto started = Clock::now();
    // Relative search path elements are relative to the current directory
    // for ld.so and for the resolver alike; make it the same for both.
    if (::chdir("/") != 0) {
        std::perror("chdir /");
        return 1;
    }
    Selection sel;
    if (argc > 1) {
        for (int i = 1; i < argc; ++i) sel.files.push_back(argv[i]);
    } else {
        sel = walk();
        if (sel.files.empty()) {
            std::cout << "FAIL: the walk found no dynamic x86_64 ELF file to compare\n";
            return 1;
        }
    }
    std::cout << "walked " << sel.regular << " regular files, " << sel.elf << " ELF, " << sel.other_machine
              << " for another machine/class, " << sel.not_dynamic << " not dynamic, " << sel.files.size()
              << " dynamic x86_64 files to compare\n";
    for (const std::string& u : sel.unreadable) std::cout << "UNREADABLE " << u << "\n";

    std::vector<std::string> compare;
    std::size_t excluded = 0;
    for (const std::string& f : sel.files) {
        const Exclusion* ex = nullptr;
        for (const Exclusion& e : exclusions)
            if (canonical(f) == canonical(e.path)) ex = &e;
        if (ex) {
            std::cout << "EXCLUDED " << f << ": " << ex->reason << "\n";
            ++excluded;
        } else {
            compare.push_back(f);
        }
    }

    // The synthetic programs come last; they are compared like the rest.
    SyntheticTree tree;
    if (argc == 1) {
        build_synthetic(tree);
        for (const std::string& p : tree.programs()) compare.push_back(p);
    }
    std::size_t synthetic_from = compare.size() - (argc == 1 ? tree.programs().size() : 0);

    jk::elf::Resolver resolver = jk::elf::Resolver::for_host();
    auto t0 = Clock::now();
    std::vector<Outcome> mine;
    mine.reserve(compare.size());
    for (const std::string& f : compare) mine.push_back(resolve(resolver, f));
    auto resolve_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();

    std::vector<Outcome> theirs(compare.size());
    // Where the reference came from readelf: the loader that could not run.
    std::vector<std::string> no_reference(compare.size());
    std::atomic<std::size_t> next{0};
    std::mutex err_mu;
    std::string worker_error;
    auto worker = [&] {
        for (std::size_t i; (i = next++) < compare.size();) {
            try {
                theirs[i] = parse_ldd(run_ldd(compare[i]));
                if (theirs[i].kind == Outcome::Kind::NotDynamic)
                    if (std::string ld = loader_for_blind_spot(compare[i]); !ld.empty()) {
                        LddRun listed = run_tracer(ld, "--list", compare[i]);
                        // Exit 127: the kernel refused to execute the loader
                        // (no IA32 emulation): nobody on this host can answer.
                        if (WIFEXITED(listed.status) && WEXITSTATUS(listed.status) == 127) {
                            no_reference[i] = ld;
                            theirs[i] = closure_from_files(compare[i]);
                        } else {
                            theirs[i] = parse_ldd(listed);
                        }
                    }
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> g(err_mu);
                worker_error = e.what();
            }
        }
    };
    std::thread a(worker), b(worker);
    a.join();
    b.join();
    if (!worker_error.empty()) {
        std::cout << "cannot run ldd: " << worker_error << "\n";
        return 1;
    }

    std::size_t mismatches = 0, errors_both = 0, not_dynamic_both = 0, unanswerable = 0;
    const bool verbose = argc > 1;
    for (std::size_t i = 0; i < compare.size(); ++i) {
        if (!no_reference[i].empty()) {
            // Named, counted and compared, never skipped: ldd's blind spot
            // for another class, and this kernel cannot run that class's
            // loader either, so the reference is the closure from the files.
            ++unanswerable;
            std::cout << "BLIND SPOT " << compare[i] << ": ldd says 'not dynamic' for another class and the kernel"
                      << " cannot execute " << no_reference[i]
                      << " (no 32-bit support); reference: readelf NEEDED/RPATH over the i386 search path\n";
        }
        if (verbose || i >= synthetic_from)
            std::cout << compare[i] << "\n  resolver: " << describe(mine[i]) << "\n  ldd:      " << describe(theirs[i])
                      << "\n";
        if (!same(mine[i], theirs[i])) {
            ++mismatches;
            print_diff(compare[i], mine[i], theirs[i]);
        } else if (mine[i].kind == Outcome::Kind::Error) {
            ++errors_both;
            std::cout << "BOTH-ERROR " << compare[i] << "\n  resolver: " << mine[i].detail
                      << "\n  ldd:      " << theirs[i].detail << "\n";
        } else if (mine[i].kind == Outcome::Kind::NotDynamic) {
            ++not_dynamic_both;
        }
    }
    auto total_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
    std::cout << "compared " << compare.size() << " files (" << compare.size() - synthetic_from << " synthetic, "
              << not_dynamic_both << " not dynamic for both, " << errors_both << " refused by both, " << unanswerable
              << " against readelf for want of a loader that runs), " << mismatches << " mismatches, " << excluded
              << " excluded; resolver " << resolve_ms << " ms, total " << total_s << " s\n";
    return mismatches == 0 && !compare.empty() ? 0 : 1;
}
