#include "jk/path.hpp"

namespace jk::path {

std::vector<std::string> components(std::string_view p) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        if (j > i) out.emplace_back(p.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

std::string parent_of(const std::string& p) {
    const size_t slash = p.rfind('/');
    return slash == 0 || slash == std::string::npos ? std::string() : p.substr(0, slash);
}

std::string dirname(std::string_view p) {
    const size_t slash = p.rfind('/');
    if (slash == std::string_view::npos) return ".";
    return slash == 0 ? "/" : std::string(p.substr(0, slash));
}

std::string basename(std::string_view p) {
    const size_t slash = p.rfind('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

std::optional<std::string> noncanonical(std::string_view p, TrailingSlash trailing) {
    if (p.empty() || p.front() != '/') return "is not an absolute path";
    if (p == "/") return std::nullopt;
    std::string_view rest = p.substr(1);
    if (rest.back() == '/') {
        if (trailing == TrailingSlash::refused) return "ends with '/'";
        rest.remove_suffix(1);
    }
    for (;;) {
        const std::size_t slash = rest.find('/');
        const std::string_view comp = rest.substr(0, slash);
        if (comp.empty()) return "has an empty component ('//')";
        if (comp == ".") return "has a '.' component";
        if (comp == "..") return "has a '..' component";
        if (slash == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(slash + 1);
    }
}

}  // namespace jk::path
