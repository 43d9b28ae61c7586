// placeholder: jk_update is being written
#include "jk/main.hpp"
int main(int argc, char** argv) {
    (void)argc;
    return jk::run_main(argv[0], [] { return 1; });
}
