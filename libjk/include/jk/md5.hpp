// MD5 (RFC 1321), for one purpose only: comparing a host file with the sum
// dpkg recorded for it in PKG.md5sums (jk_init's `packages =`). It is not a
// security boundary (MD5 has known collisions): it tells a file changed
// since its package was installed from one that did not, as dpkg --verify
// does. libcrypto is not a dependency of the suite, hence this small copy.
//
// MUST:
//  1. The digest is RFC 1321's for any length, input split anyhow
//     (tests/unit/test_dpkg_db.cpp checks the RFC's test suite).
//  2. file_hex reads a regular file through one fd opened with O_NOFOLLOW,
//     and refuses anything else (a symlink, a FIFO that would block).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace jk::md5 {

class Md5 {
public:
    Md5();
    void update(std::string_view data);
    // The digest as 32 lowercase hex digits; the object is spent after.
    std::string hex();

private:
    void block(const unsigned char* p);
    std::array<std::uint32_t, 4> state_;
    std::array<unsigned char, 64> buffer_{};
    std::uint64_t length_ = 0;  // bytes so far
};

// The digest of `data` as 32 lowercase hex digits.
std::string hex(std::string_view data);

// The digest of the regular file at `path` (MUST 2). Throws SysError when
// it cannot be read, Error when it is not a regular file.
std::string file_hex(const std::string& path);

}  // namespace jk::md5
