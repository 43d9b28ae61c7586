// The copy engine's view of the ELF resolver: for one host file, the host
// paths of its interpreter and of every library of its closure.
#include <memory>

#include "jk/copy.hpp"
#include "jk/resolver.hpp"

namespace jk::copy {

DependencyFinder host_dependency_finder() {
    // Built on first use, so plans without ELF files never read ld.so.cache.
    auto resolver = std::make_shared<std::unique_ptr<elf::Resolver>>();
    return [resolver](const std::string& host_path, std::vector<std::string>& missing) {
        if (!*resolver) *resolver = std::make_unique<elf::Resolver>(elf::Resolver::for_host());
        elf::Resolution r = (*resolver)->resolve(host_path);
        std::vector<std::string> needs;
        if (!r.interpreter.empty()) needs.push_back(r.interpreter);
        for (const auto& lib : r.libraries) needs.push_back(lib.path);
        for (const auto& m : r.missing) missing.push_back(m.name + " (needed by " + m.needed_by + ")");
        return needs;
    };
}

}  // namespace jk::copy
