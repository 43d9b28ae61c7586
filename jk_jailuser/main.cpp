// jk_jailuser: placeholder until its issue lands (issue 4).
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("jk_jailuser %s\n", JK_VERSION);
        return 0;
    }
    std::fprintf(stderr, "jk_jailuser: not implemented yet\n");
    return 1;
}
