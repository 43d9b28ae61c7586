#include "jk/main.hpp"

#include <cstdio>
#include <cstring>
#include <new>

#include "jk/error.hpp"

namespace jk {

namespace {
const char* g_program = "jk";
}

const char* program_name() {
    return g_program;
}

int run_main(const char* argv0, const std::function<int()>& fn) {
    if (argv0 != nullptr && *argv0 != '\0') {
        const char* slash = std::strrchr(argv0, '/');
        g_program = slash ? slash + 1 : argv0;
    }
    try {
        return fn();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", g_program, e.what(), g_program);
        return e.exit_code();
    } catch (const Error& e) {
        std::fprintf(stderr, "%s: %s\n", g_program, e.what());
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: out of memory\n", g_program);
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", g_program, e.what());
        return 1;
    }
}

}  // namespace jk
