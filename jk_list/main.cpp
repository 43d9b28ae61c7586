// jk_list: placeholder until its issue lands (issue 5).
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("jk_list %s\n", JK_VERSION);
        return 0;
    }
    std::fprintf(stderr, "jk_list: not implemented yet\n");
    return 1;
}
