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

}  // namespace jk::path
