#!/bin/bash
# Run (as root):  bash bench/login.sh BUILDDIR        e.g. bash bench/login.sh /work/build
#
# Benchmark of jk_chrootsh's login overhead (DESIGN.md "Performance"): a
# minimal jail holding /usr/bin/true, a throw-away user whose host home is
# JAIL/./home/U and whose in-jail shell is /usr/bin/true, a setuid copy of
# the built jk_chrootsh; then, page cache warm, JK_BENCH_RUNS rounds (median)
# of JK_BENCH_CALLS calls each:
#   chroot    `chroot JAIL /usr/bin/true` as root (the floor: one extra exec,
#             no checks, no privilege drop)
#   ours      jk_chrootsh as the user (setpriv --reuid --regid --init-groups),
#             which execs the jail's /usr/bin/true
#   jailkit   Debian's jailkit 2.23 /usr/sbin/jk_chrootsh (setuid root) on the
#             same jail and user, where installed; it reads the host's
#             /etc/jailkit/jk_chrootsh.ini (only read, never written)
# each at RLIMIT_NOFILE 1024 and 65536: closing every fd above 2 must not cost
# more with a higher limit (jailkit closes them one by one).
# Prints the time per call and the ratios ours/chroot (target: within 1.5x)
# and jailkit/ours.
# Then isolated logins (issue 12), at RLIMIT_NOFILE 1024, in a private mount
# namespace whose configuration directory holds the jail's policy; these
# variants (and chroot again) take turns round by round, so that a slow
# phase of a virtual machine cannot fall on one of them alone:
#   isolated  jk_chrootsh into the same jail with a policy of pid, ipc, uts and
#             mount namespaces (the jail's own /proc) and a loopback-only
#             network (goals: <= bwrap and <= 2x chroot)
#   bwrap     Debian's bubblewrap as the user, doing the same over the same
#             jail: --unshare-pid --unshare-ipc --unshare-uts --unshare-net
#             --proc /proc
#   netns     the same policy joining a named network namespace instead of
#             creating one per login (the cost of a new network namespace)
# Environment: JK_BENCH_RUNS (5), JK_BENCH_CALLS (200).

set -u
set -o pipefail

# The isolated logins read their policy from the configuration directory:
# a private mount namespace lets a scratch one stand in for it.
if [[ -z ${JK_BENCH_PRIVATE_NS:-} ]]; then
    export JK_BENCH_PRIVATE_NS=1
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_chrootsh jk_cp" "$@"
JK_CHROOTSH="$BUILDDIR/jk_chrootsh"
JK_CP="$BUILDDIR/jk_cp"
RUNS=${JK_BENCH_RUNS:-5}
CALLS=${JK_BENCH_CALLS:-200}
JAILKIT=/usr/sbin/jk_chrootsh
LIMITS=(1024 65536)

bench_root

USER_NAME=""
cleanup() {
    [[ -n "$USER_NAME" ]] && { userdel -f "$USER_NAME" >/dev/null 2>&1; groupdel "$USER_NAME" >/dev/null 2>&1; }
    rm -rf --one-file-system "$BASE"
}
trap cleanup EXIT

# The jail: /usr/bin/true and its libraries, a passwd naming the user.
J="$BASE/jail"
mkdir -m 0755 "$J"
"$JK_CP" -j "$J" /usr/bin/true >/dev/null 2>"$BASE/cp.err" || { echo "jk_cp failed:" >&2; cat "$BASE/cp.err" >&2; exit 1; }
USER_NAME="jkb${BASE##*.}"
USER_NAME=${USER_NAME,,}
USER_NAME=${USER_NAME//[^a-z0-9]/x}
install -d -m 0755 "$BASE/bin"
install -m 4755 -o root -g root "$JK_CHROOTSH" "$BASE/bin/jk_chrootsh"
bench_install_twin "$JK_CHROOTSH" "$BASE/bin"
groupadd -r "$USER_NAME" || exit 1
useradd -r -M -N -g "$USER_NAME" -d "$J/./home/$USER_NAME" -s "$BASE/bin/jk_chrootsh" "$USER_NAME" || exit 1
uid=$(id -u "$USER_NAME") gid=$(id -g "$USER_NAME")
install -d -m 0755 "$J/etc" "$J/home"
install -d -m 0755 -o "$uid" -g "$gid" "$J/home/$USER_NAME"
printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%s:%s::/home/%s:/usr/bin/true\n' "$USER_NAME" "$uid" "$gid" "$USER_NAME" >"$J/etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$USER_NAME" "$gid" >"$J/etc/group"

# loop_total LIMIT AS_USER CMD... : seconds for CALLS calls of CMD, run from
# one bash at RLIMIT_NOFILE LIMIT (soft and hard), as root or as the user
# (environment reduced to what a login passes: USER, HOME, PATH).
loop_total() {
    local limit=$1 as_user=$2; shift 2
    local script='for ((i = 0; i < N; i++)); do "$@" || exit 1; done'
    local t0 t1 pre=()
    [[ $as_user == user ]] && pre=(setpriv --reuid="$uid" --regid="$gid" --init-groups)
    t0=$(now)
    ( ulimit -n "$limit" || exit 3
      exec env -i USER="$USER_NAME" HOME="$J/./home/$USER_NAME" PATH=/usr/bin:/bin N="$CALLS" \
          "${pre[@]}" bash -c "$script" bash "$@" ) >/dev/null 2>"$BASE/loop.err" || return 1
    t1=$(now)
    elapsed "$t0" "$t1"
}

# per_call LIMIT AS_USER CMD... : median of RUNS rounds, in ms per call.
per_call() {
    local r totals=() t
    for ((r = 0; r < RUNS; r++)); do
        t=$(loop_total "$@") || { echo "FAIL: $(head -c 300 "$BASE/loop.err")" >&2; echo FAIL; return; }
        totals+=("$t")
    done
    awk -v t="$(median "${totals[@]}")" -v n="$CALLS" 'BEGIN { printf "%.3f", t * 1000 / n }'
}

# A sanity call of each, so a refusal is not timed as speed.
if ! out=$(env -i USER="$USER_NAME" setpriv --reuid="$uid" --regid="$gid" --init-groups "$BASE/bin/jk_chrootsh" 2>&1); then
    echo "our jk_chrootsh refuses the bench login: $out" >&2; exit 1
fi
have_jailkit=0
if [[ -x $JAILKIT && -u $JAILKIT ]]; then
    if out=$(env -i USER="$USER_NAME" setpriv --reuid="$uid" --regid="$gid" --init-groups "$JAILKIT" 2>&1); then
        have_jailkit=1
    else
        echo "jailkit's $JAILKIT refuses the bench login (exit $?): $out; not measured" >&2
    fi
else
    echo "no setuid $JAILKIT: jailkit not measured"
fi

# Raising the hard limit needs CAP_SYS_RESOURCE (missing in some containers):
# then the highest limit measured is the current hard limit.
hard=$(ulimit -Hn)
for i in "${!LIMITS[@]}"; do
    if [[ $hard != unlimited ]] && ((LIMITS[i] > hard)) && ! (ulimit -n "${LIMITS[i]}") 2>/dev/null; then
        echo "cannot raise RLIMIT_NOFILE to ${LIMITS[i]} (no CAP_SYS_RESOURCE?): measuring at the hard limit $hard instead"
        LIMITS[i]=$hard
    fi
done

echo "jail $J, user $USER_NAME ($uid), $CALLS calls per round, median of $RUNS rounds"
printf '%-8s %-44s %12s %10s\n' "NOFILE" "command" "ms/call" "ratio"
for limit in "${LIMITS[@]}"; do
    base=$(per_call "$limit" root /usr/sbin/chroot "$J" /usr/bin/true)
    ours=$(per_call "$limit" user "$BASE/bin/jk_chrootsh")
    printf '%-8s %-44s %12s %10s\n' "$limit" "chroot JAIL /usr/bin/true (root)" "$base" "1.00"
    printf '%-8s %-44s %12s %10s\n' "$limit" "jk_chrootsh (ours) -> /usr/bin/true" "$ours" "$(ratio "$ours" "$base")"
    if ((have_jailkit)); then
        theirs=$(per_call "$limit" user "$JAILKIT")
        printf '%-8s %-44s %12s %10s   jailkit/ours: %s\n' "$limit" "jailkit 2.23 jk_chrootsh -> /usr/bin/true" \
            "$theirs" "$(ratio "$theirs" "$base")" "$(ratio "$theirs" "$ours")"
    fi
done

# ---------------------------------------------------------------- isolation
CONFDIR=$(meson introspect --buildoptions "$BUILDDIR" 2>/dev/null |
    python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "confdir"))') ||
    { echo "cannot read the build's confdir: isolation not measured"; exit 0; }
install -d -m 0755 "$BASE/conf/jails.d" "$J/proc"
[[ -d $CONFDIR ]] || install -d -m 0755 "$CONFDIR"
mount --bind "$BASE/conf" "$CONFDIR" || { echo "cannot bind a scratch $CONFDIR: isolation not measured"; exit 0; }
escaped=$(python3 -c '
import sys
p = sys.argv[1].strip("/")
print("".join("-" if c == "/" else c if (c.isascii() and (c.isalnum() or c in ":_.") and not (i == 0 and c == ".")) else "\\x%02x" % ord(c) for i, c in enumerate(p)))' "$J")
POLICY=$BASE/conf/jails.d/$escaped.ini
NETNS="jkb${BASE##*.}"
ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || { echo "ip netns add failed" >&2; exit 1; }
trap 'ip netns del "$NETNS" 2>/dev/null; cleanup' EXIT

printf '[isolation]\nnamespaces = pid, ipc, uts, mount\nnetwork = loopback\n' >"$POLICY"
if ! out=$(env -i USER="$USER_NAME" setpriv --reuid="$uid" --regid="$gid" --init-groups "$BASE/bin/jk_chrootsh" 2>&1); then
    echo "the isolated login is refused: $out" >&2; exit 1
fi
limit=1024
# The variants take turns, one round each, RUNS times: a slow phase of the
# machine then weighs on every variant alike, not on whichever ran in it.
# Each login reads the jail's policy, so a round writes the one it needs.
POLICY_LOOPBACK=$'[isolation]\nnamespaces = pid, ipc, uts, mount\nnetwork = loopback'
POLICY_NETNS=$'[isolation]\nnamespaces = pid, ipc, uts, mount\nnetwork = netns:'"$NETNS"
have_bwrap=0
command -v bwrap >/dev/null 2>&1 && have_bwrap=1
declare -A rounds=()
take() {  # take VARIANT LIMIT AS_USER CMD... : one round more for VARIANT
    local variant=$1 t; shift
    t=$(loop_total "$@") || { echo "FAIL ($variant): $(head -c 300 "$BASE/loop.err")" >&2; exit 1; }
    rounds[$variant]+=" $t"
}
for ((r = 0; r < RUNS; r++)); do
    take base "$limit" root /usr/sbin/chroot "$J" /usr/bin/true
    printf '%s\n' "$POLICY_LOOPBACK" >"$POLICY"
    take isolated "$limit" user "$BASE/bin/jk_chrootsh"
    printf '%s\n' "$POLICY_NETNS" >"$POLICY"
    take joined "$limit" user "$BASE/bin/jk_chrootsh"
    rm -f "$POLICY"
    take plain "$limit" user "$BASE/bin/jk_chrootsh"
    ((have_bwrap)) && take bwrap "$limit" user bwrap --bind "$J" / --unshare-pid --unshare-ipc --unshare-uts \
        --unshare-net --proc /proc /usr/bin/true
done
ms_per_call() {  # the median round of VARIANT, in ms per call
    # shellcheck disable=SC2086 # the rounds are words
    awk -v t="$(median ${rounds[$1]})" -v n="$CALLS" 'BEGIN { printf "%.3f", t * 1000 / n }'
}
base=$(ms_per_call base) isolated=$(ms_per_call isolated) joined=$(ms_per_call joined) plain=$(ms_per_call plain)
echo
echo "isolated logins (NOFILE $limit): pid, ipc, uts, mount with /proc, loopback-only network"
printf '%-52s %12s %10s\n' "command" "ms/call" "/chroot"
printf '%-52s %12s %10s\n' "chroot JAIL /usr/bin/true (root)" "$base" "1.00"
printf '%-52s %12s %10s\n' "jk_chrootsh, no policy" "$plain" "$(ratio "$plain" "$base")"
printf '%-52s %12s %10s\n' "jk_chrootsh, isolated (new loopback netns)" "$isolated" "$(ratio "$isolated" "$base")"
printf '%-52s %12s %10s\n' "jk_chrootsh, isolated (joins a named netns)" "$joined" "$(ratio "$joined" "$base")"
if ((have_bwrap)); then
    bw=$(ms_per_call bwrap)
    printf '%-52s %12s %10s\n' "bwrap, the same namespaces over the same jail" "$bw" "$(ratio "$bw" "$base")"
    echo "isolated/bwrap: $(ratio "$isolated" "$bw") (goal <= 1.00); isolated/chroot: $(ratio "$isolated" "$base") (goal <= 2.00)"
else
    echo "no bwrap (apt-get install bubblewrap): not compared"
fi
echo "no policy/chroot: $(ratio "$plain" "$base") (goal <= 1.50); a new network namespace per login costs" \
    "$(awk -v a="$isolated" -v b="$joined" 'BEGIN { printf "%.3f", a - b }') ms more than joining a named one"
