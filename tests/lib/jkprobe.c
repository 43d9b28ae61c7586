/* jkprobe: asks the kernel for one thing from inside a jail and prints what
 * it answered, so the isolation tests need no shell tricks. Built static by
 * the tests and copied into the jail.
 *   jkprobe fork N         fork up to N children that sleep; prints "forked K errno E"
 *   jkprobe unshare-user   unshare(CLONE_NEWUSER)
 *   jkprobe keyctl         keyctl(KEYCTL_GET_KEYRING_ID)
 *   jkprobe mount          mount("none", "/tmp", "tmpfs")
 *   jkprobe tiocsti        ioctl(0, TIOCSTI, "x")
 *   jkprobe connect PORT   TCP connect to 127.0.0.1:PORT
 *   jkprobe alloc MB       touch MB mebibytes; prints "allocated K"
 *   jkprobe ids            prints "uid=R euid=E" (a setuid copy shows what it gained)
 * Each prints "ok" or "errno NAME". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int answer(long rc) {
    if (rc >= 0) {
        puts("ok");
        return 0;
    }
    printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    return 1;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* what = argv[1];
    if (!strcmp(what, "fork") && argc == 3) {
        int n = atoi(argv[2]), k = 0, err = 0;
        pid_t* kids = calloc((size_t)n + 1, sizeof *kids);
        for (; k < n; ++k) {
            pid_t p = fork();
            if (p < 0) { err = errno; break; }
            if (p == 0) { pause(); _exit(0); }
            kids[k] = p;
        }
        printf("forked %d errno %s\n", k, err ? strerrorname_np(err) : "none");
        fflush(stdout);
        for (int i = 0; i < k; ++i) kill(kids[i], SIGKILL);
        for (int i = 0; i < k; ++i) waitpid(kids[i], NULL, 0);
        return 0;
    }
    if (!strcmp(what, "ids")) {
        printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
        return 0;
    }
    if (!strcmp(what, "unshare-user")) return answer(unshare(CLONE_NEWUSER));
    if (!strcmp(what, "keyctl")) return answer(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    if (!strcmp(what, "mount")) return answer(mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(what, "tiocsti")) { char c = 'x'; return answer(ioctl(0, TIOCSTI, &c)); }
    if (!strcmp(what, "connect") && argc == 3) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) return answer(-1);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return answer(connect(s, (struct sockaddr*)&a, sizeof a));
    }
    if (!strcmp(what, "alloc") && argc == 3) {
        int mb = atoi(argv[2]), k = 0;
        char** got = calloc((size_t)mb + 1, sizeof *got);
        if (!got) return 2;
        for (; k < mb; ++k) {
            got[k] = malloc(1 << 20);
            if (!got[k]) break;
            memset(got[k], 1, 1 << 20);
        }
        /* Freed before printing: with the address space full, printf's
         * buffer or the stack growing under it could fail, and the probe
         * would die without a word. */
        for (int i = 0; i < k; ++i) free(got[i]);
        free(got);
        printf("allocated %d\n", k);
        return 0;
    }
    return 2;
}
