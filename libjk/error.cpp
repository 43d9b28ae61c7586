#include "jk/error.hpp"

#include <cstring>

namespace jk {

namespace {
std::string sys_message(const std::string& action, const std::string& path, int err) {
    std::string m = action;
    if (!path.empty()) m += " " + quoted(path);
    m += ": ";
    m += std::strerror(err);
    return m;
}
}  // namespace

SysError::SysError(const std::string& action, std::string path, int err)
    : Error(sys_message(action, path, err)), err_(err), path_(std::move(path)) {}

SysError::SysError(const std::string& action, int err) : Error(sys_message(action, "", err)), err_(err) {}

ConfigError::ConfigError(std::string file, int line, const std::string& message)
    : Error(line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message),
      file_(std::move(file)),
      line_(line) {}

UnsafePath::UnsafePath(std::string path, const std::string& reason)
    : Error(quoted(path) + " " + reason), path_(std::move(path)), reason_(reason) {}

ElfError::ElfError(std::string path, const std::string& reason)
    : Error(quoted(path) + ": " + reason), path_(std::move(path)) {}

std::string quoted(const std::string& s) {
    // Control characters are escaped so a hostile name cannot forge log lines
    // or terminal escapes.
    std::string out = "'";
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += "'";
    return out;
}

}  // namespace jk
