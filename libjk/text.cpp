#include "jk/text.hpp"

#include <cstdio>

namespace jk::text {

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    const std::size_t take = s.size() > max ? max : s.size();
    for (std::size_t k = 0; k < take; ++k) {
        const auto u = static_cast<unsigned char>(s[k]);
        if (u == '\n') {
            out += "\\n";
        } else if (u == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += static_cast<char>(u);
        }
    }
    if (take < s.size()) out += "...(" + std::to_string(s.size() - take) + " more bytes)";
    return out;
}

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace jk::text
