#!/bin/bash
# Run (as root):  bash bench/socketd.sh BUILDDIR        e.g. bash bench/socketd.sh /work/build
#
# Benchmark of jk_socketd (issue 5, COMPAT.md W18, DESIGN.md "Performance"):
# datagrams per second relayed from N jail sockets to a counting receiver,
# and CPU time per datagram (utime+stime from /proc/PID/stat of every
# process of the relay), at N = 1, 100, 1,000 and 10,000 sockets, plus the
# memory (VmRSS) of the relay at 10,000 sockets and the time to create them.
# Measured in the same run:
#   jk_socketd  the built daemon (root parent + unprivileged relay child)
#   plain       a plain epoll relay (C, compiled here from a heredoc): bind,
#               epoll_wait, recv, blocking send - the floor to compare with
#   jailkit     Debian's jailkit 2.23 (/usr/sbin/jk_socketd) where installed:
#               it reads /etc/jailkit/jk_socketd.ini and relays to /dev/log,
#               so it runs with a private /etc/jailkit and the receiver bound
#               over /dev/log in this script's private mount namespace; it
#               serves at most 128 sockets (the rest are not even created).
# The sender (C) writes JK_BENCH_MSGS datagrams of JK_BENCH_SIZE bytes
# round-robin over the sockets with blocking sends (back-pressure, nothing
# lost); the receiver (C) counts what arrives and times first to last.
# Rate limits are set out of the way (base 1e6 bytes per 0.01 s).
# Environment: JK_BENCH_MSGS (200000), JK_BENCH_SIZE (128), JK_BENCH_COUNTS
# ("1 100 1000 10000").

set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_socketd" "$@"
JK_SOCKETD="$BUILDDIR/jk_socketd"
command -v cc >/dev/null || { echo "$0 needs cc to build the reference relay" >&2; exit 2; }
MSGS=${JK_BENCH_MSGS:-200000}
SIZE=${JK_BENCH_SIZE:-128}
read -r -a COUNTS <<<"${JK_BENCH_COUNTS:-1 100 1000 10000}"
JAILKIT=/usr/sbin/jk_socketd
CONFDIR=/etc/jailkit   # where both daemons read jk_socketd.ini (ours: its JK_SYSCONFDIR)

# A private mount namespace: the bind mounts over /etc/jailkit and /dev/log
# are seen by this script and its children only.
if [[ -z ${JK_BENCH_PRIVATE_NS:-} ]]; then
    export JK_BENCH_PRIVATE_NS=1
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi

bench_root
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf --one-file-system "$BASE"
}
trap cleanup EXIT

ulimit -n "$(ulimit -Hn)"

# ------------------------------------------------------------ helpers in C
cat >"$BASE/tool.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static struct sockaddr_un addr(const char *p) {
    struct sockaddr_un a; memset(&a, 0, sizeof a); a.sun_family = AF_UNIX;
    strncpy(a.sun_path, p, sizeof a.sun_path - 1); return a;
}
static char **read_list(const char *file, int *n) {
    FILE *f = fopen(file, "r"); char line[512]; int cap = 16; char **v = malloc(cap * sizeof *v); *n = 0;
    if (!f) { perror(file); exit(1); }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (*n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[(*n)++] = strdup(line);
    }
    fclose(f); return v;
}
int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "recv")) {          /* recv PATH COUNT OUT */
        struct sockaddr_un a = addr(argv[2]); long want = atol(argv[3]), got = 0; double first = 0, last = 0;
        int s = socket(AF_UNIX, SOCK_DGRAM, 0); unlink(argv[2]);
        if (bind(s, (struct sockaddr *)&a, sizeof a)) { perror("bind"); return 1; }
        chmod(argv[2], 0666);
        struct timeval tv = {3, 0}; setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        static char buf[1 << 18];
        for (;;) {
            ssize_t n = recv(s, buf, sizeof buf, 0);
            if (n < 0) { if (errno == EINTR) continue; if (got) break; else continue; }
            last = now(); if (!got) first = last;
            if (++got >= want) break;
        }
        FILE *f = fopen(argv[4], "w"); fprintf(f, "%ld %.6f\n", got, last - first); fclose(f);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "send")) {          /* send LIST COUNT SIZE */
        int n; char **p = read_list(argv[2], &n); long count = atol(argv[3]); int size = atoi(argv[4]);
        int *fd = malloc(n * sizeof *fd); char *msg = malloc(size); memset(msg, 'b', size); memcpy(msg, "<13>bench: ", size > 11 ? 11 : size);
        for (int i = 0; i < n; i++) {
            struct sockaddr_un a = addr(p[i]); fd[i] = socket(AF_UNIX, SOCK_DGRAM, 0);
            if (connect(fd[i], (struct sockaddr *)&a, sizeof a)) { fd[i] = -1; }
        }
        long sent = 0;
        for (long k = 0; sent < count; k++) {
            int i = (int)(k % n); if (fd[i] < 0) { if (k > 4L * n && sent == 0) break; continue; }
            if (send(fd[i], msg, size, 0) == size) sent++;
            else if (errno != EINTR) { close(fd[i]); fd[i] = -1; }
        }
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "relay")) {         /* relay TARGET LIST */
        struct sockaddr_un t = addr(argv[2]); int n; char **p = read_list(argv[3], &n);
        int out = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (connect(out, (struct sockaddr *)&t, sizeof t)) { perror("connect"); return 1; }
        int ep = epoll_create1(0);
        for (int i = 0; i < n; i++) {
            struct sockaddr_un a = addr(p[i]); int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
            unlink(p[i]); mode_t old = umask(0111);
            if (bind(s, (struct sockaddr *)&a, sizeof a)) { perror(p[i]); return 1; }
            umask(old);
            struct epoll_event e = {.events = EPOLLIN, .data.fd = s}; epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
        }
        static char buf[1 << 18]; struct epoll_event ev[256];
        for (;;) {
            int k = epoll_wait(ep, ev, 256, -1);
            for (int i = 0; i < k; i++) {
                ssize_t m;
                while ((m = recv(ev[i].data.fd, buf, sizeof buf, 0)) >= 0) send(out, buf, m, 0);
            }
        }
    }
    fprintf(stderr, "usage: tool recv|send|relay ...\n"); return 2;
}
C
cc -O2 -o "$BASE/tool" "$BASE/tool.c" || { echo "cannot build the helper" >&2; exit 1; }
TOOL=$BASE/tool

# ------------------------------------------------------------ set-up
TARGET=$BASE/target.sock
CONF=$BASE/conf
install -d -m 0755 -o 0 -g 0 "$CONF"
[[ -d $CONFDIR ]] || install -d -m 0755 -o 0 -g 0 "$CONFDIR"
mount --bind "$CONF" "$CONFDIR" || { echo "cannot bind-mount $CONF over $CONFDIR" >&2; exit 1; }

# /dev/log for jailkit: the receiver's socket bound over it (an empty
# /dev/log is made to mount on when the host has none).
# shellcheck source=../tests/lib/dev_log_mountpoint.sh
source "$(dirname "$0")/../tests/lib/dev_log_mountpoint.sh"
DEVLOG_READY=0
prepare_devlog() { dev_log_mountpoint jk-bench-dev && DEVLOG_READY=1; }

# jail_sockets N : N jails' worth of sockets under one jail's dev directory
# (the relay does not care whose directory it is); writes list + ini.
jail_sockets() {
    local n=$1 j=$BASE/jail$1
    install -d -m 0755 "$j" "$j/dev"
    python3 - "$j/dev" "$n" "$BASE/list$n" "$BASE/ini$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(sys.argv[3], "w") as l, open(sys.argv[4], "w") as f:
    for i in range(n):
        l.write("%s/s%d\n" % (d, i))
        f.write("[%s/s%d]\nbase = 1000000\npeak = 10000000\ninterval = 0.01\n" % (d, i))
PY
}

cpu_ticks() {  # PID... : utime+stime of each, summed
    local p t=0 s
    for p in "$@"; do
        s=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || s=0
        t=$((t + ${s:-0}))
    done
    echo "$t"
}
rss_kb() { local p t=0 r; for p in "$@"; do r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null); t=$((t + ${r:-0})); done; echo "$t"; }
HZ=$(getconf CLK_TCK)
count_sockets() { find "$1" -maxdepth 1 -type s | wc -l; }

# measure WHO N PIDS... : sends, waits for the receiver, prints one row.
RESULTS=()
measure() {
    local who=$1 n=$2; shift 2
    local pids=("$@") c0 c1 got secs rate cpu_us
    c0=$(cpu_ticks "${pids[@]}")
    "$TOOL" send "$BASE/served" "$MSGS" "$SIZE"
    wait "$RECV" 2>/dev/null
    c1=$(cpu_ticks "${pids[@]}")
    read -r got secs <"$BASE/recv.out" || { got=0; secs=0; }
    rate=$(awk -v g="$got" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", g / s; else print 0 }')
    cpu_us=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v g="$got" 'BEGIN { if (g > 0) printf "%.2f", t * 1e6 / hz / g; else print "-" }')
    RESULTS+=("$(printf '%-11s %7s %8s %10s %8s %10s %11s %8s %8s' "$who" "$n" "$SERVED" "$got" "$((MSGS - got))" "$rate" "$cpu_us" "$RSS" "$STARTUP")")
}

start_receiver() {
    rm -f "$BASE/recv.out"
    "$TOOL" recv "$1" "$MSGS" "$BASE/recv.out" &
    RECV=$!
    PIDS+=("$RECV")
    for _ in $(seq 100); do [[ -S "$1" ]] && return 0; sleep 0.02; done
    echo "the receiver did not start" >&2; exit 1
}

# wait_sockets DIR N PID : until N sockets exist (or the count stops rising).
wait_sockets() {
    local last=-1 now stable=0
    for _ in $(seq 1200); do
        now=$(count_sockets "$1")
        ((now >= $2)) && break
        if ((now == last)); then stable=$((stable + 1)); ((stable > 40)) && break; else stable=0; fi
        last=$now
        kill -0 "$3" 2>/dev/null || break
        sleep 0.05
    done
}

run_ours() {
    local n=$1 dir=$BASE/jail$1/dev t0 t1 child
    cp "$BASE/ini$n" "$CONF/jk_socketd.ini"
    start_receiver "$TARGET"
    t0=$(now)
    "$JK_SOCKETD" -n --target="$TARGET" 2>"$BASE/ours.err" &
    local d=$!
    PIDS+=("$d")
    wait_sockets "$dir" "$n" "$d"
    for _ in $(seq 200); do grep -q "serving" "$BASE/ours.err" && break; sleep 0.05; done
    t1=$(now)
    STARTUP=$(elapsed "$t0" "$t1")
    SERVED=$(count_sockets "$dir")
    find "$dir" -maxdepth 1 -type s | sort >"$BASE/served"
    child=$(pgrep -P "$d" | head -1)
    RSS=$(rss_kb "$d" "$child")
    measure jk_socketd "$n" "$d" "$child"
    kill "$d"; wait "$d" 2>/dev/null
}

run_plain() {
    local n=$1 dir=$BASE/jail$1/dev t0 t1
    start_receiver "$TARGET"
    t0=$(now)
    "$TOOL" relay "$TARGET" "$BASE/list$n" &
    local r=$!
    PIDS+=("$r")
    wait_sockets "$dir" "$n" "$r"
    t1=$(now)
    STARTUP=$(elapsed "$t0" "$t1")
    SERVED=$(count_sockets "$dir")
    find "$dir" -maxdepth 1 -type s | sort >"$BASE/served"
    RSS=$(rss_kb "$r")
    measure plain "$n" "$r"
    kill "$r"; wait "$r" 2>/dev/null
    find "$dir" -maxdepth 1 -type s -delete
}

run_jailkit() {
    local n=$1 dir=$BASE/jail$1/dev t0 t1 pids
    ((DEVLOG_READY)) || prepare_devlog || { RESULTS+=("jailkit     $n  (cannot prepare /dev/log)"); return; }
    cp "$BASE/ini$n" "$CONF/jk_socketd.ini"
    start_receiver "$BASE/devlog.sock"
    mount --bind "$BASE/devlog.sock" /dev/log || { RESULTS+=("jailkit     $n  (cannot bind /dev/log)"); return; }
    t0=$(now)
    "$JAILKIT" -n >"$BASE/jailkit.out" 2>&1 &
    local d=$!
    PIDS+=("$d")
    wait_sockets "$dir" "$n" "$d"
    t1=$(now)
    STARTUP=$(elapsed "$t0" "$t1")
    SERVED=$(count_sockets "$dir")
    find "$dir" -maxdepth 1 -type s | sort >"$BASE/served"
    RSS=$(rss_kb "$d")
    measure jailkit "$n" "$d"
    kill "$d"; wait "$d" 2>/dev/null
    umount /dev/log
    find "$dir" -maxdepth 1 -type s -delete
}

echo "jk_socketd bench: $MSGS datagrams of $SIZE bytes per run, sockets: ${COUNTS[*]}"
for n in "${COUNTS[@]}"; do
    jail_sockets "$n"
    run_ours "$n"
    run_plain "$n"
    if [[ -x $JAILKIT ]]; then run_jailkit "$n"; fi
done

echo
printf '%-11s %7s %8s %10s %8s %10s %11s %8s %8s\n' relay sockets served received lost "msgs/s" "cpu us/msg" "rss kB" "start s"
printf '%s\n' "${RESULTS[@]}"
echo
echo "served: sockets the relay created; received: datagrams counted at the receiver"
echo "(the sender writes only to the sockets that exist); lost: sent - received;"
echo "start: until the sockets exist (a capped relay: until their number stops rising);"
echo "cpu: utime+stime of the relay's processes (jk_socketd: parent + child) per"
echo "datagram received; rss: VmRSS after start-up (jk_socketd: parent + child)."
[[ -x $JAILKIT ]] || echo "jailkit 2.23 is not installed ($JAILKIT): its rows are missing."
