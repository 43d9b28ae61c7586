// The unit tests' main: Catch2's own, in the spelling that works with
// Catch2 2 (Debian 12) and Catch2 3 (Debian 13, whose header defines no main).
#define CATCH_CONFIG_RUNNER
#include "catch.hpp"

int main(int argc, char* argv[]) {
    return Catch::Session().run(argc, argv);
}
