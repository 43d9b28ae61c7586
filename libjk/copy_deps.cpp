// The copy engine's view of the ELF resolver.
#include "jk/copy.hpp"

namespace jk::copy {

DependencyFinder host_dependency_finder() {
    return [](const std::string&, std::vector<std::string>&) { return std::vector<std::string>{}; };
}

}  // namespace jk::copy
