#!/bin/bash
# Run (as root):  bash bench/lsh.sh BUILDDIR        e.g. bash bench/lsh.sh build
#
# Benchmark of jk_lsh's overhead (DESIGN.md "Performance": within 1.1x of
# executing the allowed command directly). In a private mount namespace a
# scratch jk_lsh.ini is mounted over /etc/jailkit (the file jk_lsh reads
# when run outside a jail, as with sshd's ForceCommand), allowing
# /usr/bin/true and rsync. Then, page cache warm, JK_BENCH_RUNS rounds
# (median) of JK_BENCH_CALLS calls each, as the user nobody with the
# environment a login has:
#   direct     /usr/bin/true executed directly (the floor: one exec)
#   sh -c      /bin/sh -c /usr/bin/true (what a shell account's login runs)
#   ours       jk_lsh -c /usr/bin/true: config read, section chosen, command
#              split, resolved and checked, environment rebuilt, then exec
#   ours+rules jk_lsh -c 'rsync --server --version' against rsync --version:
#              the same with the built-in argument rules applied
#   jailkit    Debian's jailkit 2.23 /usr/sbin/jk_lsh on the same ini, where
#              installed
# Prints the time per call and each ratio to its direct run.
# Environment: JK_BENCH_RUNS (5), JK_BENCH_CALLS (500).

set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_lsh" "$@"
if [[ -z ${JK_BENCH_PRIVATE_NS:-} ]]; then
    export JK_BENCH_PRIVATE_NS=1
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi
JK_LSH="$BUILDDIR/jk_lsh"
RUNS=${JK_BENCH_RUNS:-5}
CALLS=${JK_BENCH_CALLS:-500}
JAILKIT=/usr/sbin/jk_lsh
CONFDIR=/etc/jailkit   # ours reads its JK_SYSCONFDIR, jailkit this path
USER_NAME=nobody

bench_root
install -d -m 0755 -o 0 -g 0 "$BASE/conf"
cat >"$BASE/conf/jk_lsh.ini" <<'EOF'
[DEFAULT]
paths = /usr/bin
executables = /usr/bin/true, /usr/bin/rsync
umask = 022
EOF
chmod 0644 "$BASE/conf/jk_lsh.ini"
[[ -d $CONFDIR ]] || install -d -m 0755 -o 0 -g 0 "$CONFDIR"
mount --bind "$BASE/conf" "$CONFDIR" || { echo "cannot bind-mount $BASE/conf over $CONFDIR" >&2; exit 1; }
HOME_DIR=$BASE/home
install -d -m 0755 -o "$USER_NAME" "$HOME_DIR"

# loop_total CMD... : seconds for CALLS calls of CMD from one bash running as
# the user, with a login's environment (USER, HOME, PATH).
loop_total() {
    local script='for ((i = 0; i < N; i++)); do "$@" || exit 1; done'
    local t0 t1
    t0=$(now)
    ( cd "$HOME_DIR" &&
      exec env -i USER="$USER_NAME" HOME="$HOME_DIR" PATH=/usr/bin:/bin N="$CALLS" \
          setpriv --reuid="$USER_NAME" --regid=nogroup --clear-groups bash -c "$script" bash "$@" ) \
        >/dev/null 2>"$BASE/loop.err" || return 1
    t1=$(now)
    elapsed "$t0" "$t1"
}

# per_call CMD... : median of RUNS rounds, in ms per call.
per_call() {
    local r totals=() t
    for ((r = 0; r < RUNS; r++)); do
        t=$(loop_total "$@") || { echo "FAIL: $(head -c 300 "$BASE/loop.err")" >&2; echo FAIL; return; }
        totals+=("$t")
    done
    awk -v t="$(median "${totals[@]}")" -v n="$CALLS" 'BEGIN { printf "%.3f", t * 1000 / n }'
}

# A sanity call of each, so a refusal is not timed as speed.
sane() {
    env -i USER="$USER_NAME" HOME="$HOME_DIR" setpriv --reuid="$USER_NAME" --regid=nogroup --clear-groups "$@" \
        >/dev/null 2>"$BASE/sane.err"
}
sane "$JK_LSH" -c /usr/bin/true || { echo "our jk_lsh refuses the bench command: $(cat "$BASE/sane.err")" >&2; exit 1; }
sane "$JK_LSH" -c 'rsync --server --version' ||
    { echo "our jk_lsh refuses 'rsync --server --version': $(cat "$BASE/sane.err")" >&2; exit 1; }
have_jailkit=0
if [[ -x $JAILKIT ]]; then
    if sane "$JAILKIT" -c /usr/bin/true; then have_jailkit=1
    else echo "jailkit's $JAILKIT refuses the bench command: $(cat "$BASE/sane.err"); not measured" >&2; fi
else
    echo "no $JAILKIT: jailkit not measured"
fi

echo "as $USER_NAME, $CALLS calls per round, median of $RUNS rounds"
printf '%-52s %10s %10s\n' "command" "ms/call" "ratio"
direct=$(per_call /usr/bin/true)
printf '%-52s %10s %10s\n' "/usr/bin/true (direct)" "$direct" "1.00"
shc=$(per_call /bin/sh -c /usr/bin/true)
printf '%-52s %10s %10s\n' "/bin/sh -c /usr/bin/true" "$shc" "$(ratio "$shc" "$direct")"
ours=$(per_call "$JK_LSH" -c /usr/bin/true)
printf '%-52s %10s %10s\n' "jk_lsh -c /usr/bin/true (ours)" "$ours" "$(ratio "$ours" "$direct")"
if ((have_jailkit)); then
    theirs=$(per_call "$JAILKIT" -c /usr/bin/true)
    printf '%-52s %10s %10s   jailkit/ours: %s\n' "jailkit 2.23 jk_lsh -c /usr/bin/true" "$theirs" \
        "$(ratio "$theirs" "$direct")" "$(ratio "$theirs" "$ours")"
fi
rdirect=$(per_call /usr/bin/rsync --server --version)
printf '%-52s %10s %10s\n' "rsync --server --version (direct)" "$rdirect" "1.00"
rours=$(per_call "$JK_LSH" -c 'rsync --server --version')
printf '%-52s %10s %10s\n' "jk_lsh -c 'rsync --server --version' (ours, rules)" "$rours" "$(ratio "$rours" "$rdirect")"

# The verdict on the two targets (issue 11): within 1.1x of the direct call,
# and faster than jailkit's jk_lsh in the same run.
within=$(awk -v a="$ours" -v b="$direct" 'BEGIN { print (a <= 1.1 * b) ? 1 : 0 }')
if ((within)); then
    echo "target jk_lsh <= 1.1x the direct call: met ($(ratio "$ours" "$direct")x)"
else
    echo "target jk_lsh <= 1.1x the direct call: missed by $(awk -v a="$ours" -v b="$direct" \
        'BEGIN { printf "%.0f", (a / b - 1.1) * 100 }') points ($(ratio "$ours" "$direct")x). Why: jk_lsh is" \
        "one more exec in front of the program, and an exec here costs $(awk -v a="$shc" -v b="$direct" \
        'BEGIN { printf "%.0f", (a / b - 1) * 100 }')% of the whole direct call (/bin/sh -c, the cheapest wrapper," \
        "is $(ratio "$shc" "$direct")x); jk_lsh's own work on top of that exec: $(ratio "$ours" "$shc")x of sh -c." \
        "On a real command (rsync --server) it is $(ratio "$rours" "$rdirect")x."
fi
if ((have_jailkit)); then
    faster=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print (a < b) ? 1 : 0 }')
    if ((faster)); then echo "target faster than jailkit's jk_lsh: met (jailkit/ours $(ratio "$theirs" "$ours"))"
    else echo "target faster than jailkit's jk_lsh: missed (jailkit/ours $(ratio "$theirs" "$ours"))"; fi
fi
