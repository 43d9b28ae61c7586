// A scratch directory that passes the jail safety rule: root-owned, 0755,
// under /run (root-owned, not group/other-writable, unlike /tmp). Removed
// with everything in it at the end of the test.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "catch.hpp"

namespace jk::test {

inline void require_root() {
    if (::geteuid() != 0) FAIL("this test needs root (run it through the unit-root suite as root)");
}

class TempJail {
public:
    TempJail() {
        require_root();
        char tmpl[] = "/run/jk-unit.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) FAIL("mkdtemp failed");
        path_ = tmpl;
        ::chmod(path_.c_str(), 0755);
    }
    ~TempJail() {
        std::string cmd = "rm -rf --one-file-system '" + path_ + "'";
        int rc = std::system(cmd.c_str());
        (void)rc;  // a destructor has nobody to tell; leftovers are under /run
    }
    TempJail(const TempJail&) = delete;
    TempJail& operator=(const TempJail&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

inline void sh(const std::string& cmd) {
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

}  // namespace jk::test
