// Small helpers shared by the ELF unit tests: a temporary directory removed
// on destruction and whole-file writes. (Test-only; not jails, so /tmp is
// fine here.)
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "jk/error.hpp"

namespace jk::test {

// Not decltype(&std::fclose): glibc 2.41 (Debian 13) declares fclose nonnull,
// and g++ 14 warns that a template argument drops that attribute.
struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/jk-elf-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw SysError("cannot create temporary directory", errno);
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

    // Writes root/rel (creating parent directories) and returns its path.
    std::string write(const std::string& rel, const std::string& bytes, mode_t mode = 0644) const {
        std::string p = *this / rel;
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        std::unique_ptr<FILE, FileCloser> f(std::fopen(p.c_str(), "wbe"));
        if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
            throw SysError("cannot write", p, errno);
        f.reset();
        ::chmod(p.c_str(), mode);
        return p;
    }

    std::string mkdir(const std::string& rel) const {
        std::filesystem::create_directories(*this / rel);
        return *this / rel;
    }

private:
    std::string path_;
};

}  // namespace jk::test
