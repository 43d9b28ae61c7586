#!/bin/bash
# Run (as root):  bash bench/thin.sh BUILDDIR        e.g. bash bench/thin.sh /work/main/build
#
# Thin jails (issue 13), one run:
#   1. JK_BENCH_THIN_JAILS (1000) jails made by `jk_init --thin` with the
#      sections JK_BENCH_SECTIONS ("basicshell uidbasics"): disk use per
#      jail (du, goal <= 200 KB) and creation time per jail (goal <= 20 ms),
#      next to JK_BENCH_COPY_JAILS (5) copy jails of the same sections;
#   2. login time, JK_BENCH_CALLS (200) calls, median of JK_BENCH_RUNS (5):
#      jk_chrootsh into a thin jail and into a copy jail (the user's shell
#      /usr/bin/true), and bwrap as the user over the thin jail's directory
#      with the same read-only binds (goal: thin <= bwrap).
# In a private mount namespace whose configuration directory is a scratch
# one: the jails' policies never reach the host's.

set -u
set -o pipefail

if [[ -z ${JK_BENCH_PRIVATE_NS:-} ]]; then
    export JK_BENCH_PRIVATE_NS=1
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_init jk_chrootsh" "$@"
JK_INIT="$BUILDDIR/jk_init"
JK_CHROOTSH="$BUILDDIR/jk_chrootsh"
INI="$BUILDDIR/ini/jk_init.ini"
THIN_JAILS=${JK_BENCH_THIN_JAILS:-1000}
COPY_JAILS=${JK_BENCH_COPY_JAILS:-5}
SECTIONS=${JK_BENCH_SECTIONS:-basicshell uidbasics}
RUNS=${JK_BENCH_RUNS:-5}
CALLS=${JK_BENCH_CALLS:-200}
read -r -a SECTION_LIST <<<"$SECTIONS"

bench_root
USER_NAME=""
cleanup() {
    [[ -n "$USER_NAME" ]] && { userdel -f "$USER_NAME" >/dev/null 2>&1; groupdel "$USER_NAME" >/dev/null 2>&1; }
    rm -rf --one-file-system "$BASE"
}
trap cleanup EXIT

CONFDIR=$(meson introspect --buildoptions "$BUILDDIR" 2>/dev/null |
    python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "confdir"))') ||
    { echo "cannot read the build's confdir" >&2; exit 1; }
install -d -m 0755 "$BASE/conf/jails.d"
[[ -d $CONFDIR ]] || install -d -m 0755 "$CONFDIR"
mount --bind "$BASE/conf" "$CONFDIR" || { echo "cannot bind a scratch $CONFDIR" >&2; exit 1; }

# ---------------------------------------------------------------- 1. making them
install -d -m 0755 "$BASE/thin" "$BASE/copy"
# make_jails KIND COUNT [--thin] : seconds to make COUNT jails of the sections,
# one jk_init call each (it makes the jail's directory too).
make_jails() {
    local kind=$1 count=$2 i t0 t1; shift 2
    t0=$(now)
    for ((i = 0; i < count; i++)); do
        "$JK_INIT" -c "$INI" "$@" -j "$BASE/$kind/j$i" "${SECTION_LIST[@]}" >/dev/null 2>"$BASE/init.err" ||
            { echo "jk_init $* failed on jail $i: $(head -c 300 "$BASE/init.err")" >&2; exit 1; }
    done
    t1=$(now)
    elapsed "$t0" "$t1"
}
sync
thin_s=$(make_jails thin "$THIN_JAILS" --thin)
copy_s=$(make_jails copy "$COPY_JAILS")
sync
thin_kb=$(du -sk "$BASE/thin" | cut -f1)
copy_kb=$(du -sk "$BASE/copy" | cut -f1)
per() { awk -v a="$1" -v n="$2" -v m="$3" 'BEGIN { printf "%.1f", a * m / n }'; }
echo "sections: $SECTIONS"
printf '%-34s %8s %14s %14s\n' "kind" "jails" "KB per jail" "ms per jail"
printf '%-34s %8s %14s %14s\n' "thin (jk_init --thin)" "$THIN_JAILS" "$(per "$thin_kb" "$THIN_JAILS" 1)" \
    "$(per "$thin_s" "$THIN_JAILS" 1000)"
printf '%-34s %8s %14s %14s\n' "copy (jk_init)" "$COPY_JAILS" "$(per "$copy_kb" "$COPY_JAILS" 1)" \
    "$(per "$copy_s" "$COPY_JAILS" 1000)"
awk -v kb="$(per "$thin_kb" "$THIN_JAILS" 1)" -v ms="$(per "$thin_s" "$THIN_JAILS" 1000)" 'BEGIN {
    printf "thin: %s KB per jail (goal <= 200: %s), %s ms per jail (goal <= 20: %s)\n",
        kb, (kb <= 200 ? "met" : "missed"), ms, (ms <= 20 ? "met" : "missed") }'
# Only two of each kind are needed from here on.
for ((i = 2; i < THIN_JAILS; i++)); do rm -rf --one-file-system "$BASE/thin/j$i"; done

# ---------------------------------------------------------------- 2. logging in
THIN=$BASE/thin/j0 COPY=$BASE/copy/j0
USER_NAME="jkb${BASE##*.}"
USER_NAME=${USER_NAME,,}
USER_NAME=${USER_NAME//[^a-z0-9]/x}
install -d -m 0755 "$BASE/bin"
install -m 4755 -o root -g root "$JK_CHROOTSH" "$BASE/bin/jk_chrootsh"
bench_install_twin "$JK_CHROOTSH" "$BASE/bin"
groupadd -r "$USER_NAME" || exit 1
useradd -r -M -N -g "$USER_NAME" -d "$THIN/./home/$USER_NAME" -s "$BASE/bin/jk_chrootsh" "$USER_NAME" || exit 1
uid=$(id -u "$USER_NAME") gid=$(id -g "$USER_NAME")
for j in "$THIN" "$COPY"; do
    install -d -m 0755 "$j/home"
    install -d -m 0755 -o "$uid" -g "$gid" "$j/home/$USER_NAME"
    printf '%s:x:%s:%s::/home/%s:/usr/bin/true\n' "$USER_NAME" "$uid" "$gid" "$USER_NAME" >>"$j/etc/passwd"
    printf '%s:x:%s:\n' "$USER_NAME" "$gid" >>"$j/etc/group"
done

# per_call HOME CMD... : median of RUNS rounds of CALLS calls as the user, ms per call.
per_call() {
    local home=$1 r totals=() t0 t1; shift
    local script='for ((i = 0; i < N; i++)); do "$@" || exit 1; done'
    for ((r = 0; r < RUNS; r++)); do
        t0=$(now)
        env -i USER="$USER_NAME" HOME="$home" PATH=/usr/bin:/bin N="$CALLS" \
            setpriv --reuid="$uid" --regid="$gid" --init-groups bash -c "$script" bash "$@" \
            >/dev/null 2>"$BASE/loop.err" || { echo "FAIL: $(head -c 300 "$BASE/loop.err")" >&2; echo FAIL; return; }
        t1=$(now)
        totals+=("$(elapsed "$t0" "$t1")")
    done
    awk -v t="$(median "${totals[@]}")" -v n="$CALLS" 'BEGIN { printf "%.3f", t * 1000 / n }'
}
# The thin jail's binds, as bwrap arguments (bwrap needs the mount points
# the thin jail already has).
binds=$(sed -n 's/^ro_binds *= *//p' "$BASE"/conf/jails.d/*thin-j0.ini | tr ',' ' ')
bw_args=(--bind "$THIN" /)
for b in $binds; do bw_args+=(--ro-bind "$b" "$b"); done

usermod -d "$THIN/./home/$USER_NAME" "$USER_NAME" 2>/dev/null
if ! out=$(env -i USER="$USER_NAME" setpriv --reuid="$uid" --regid="$gid" --init-groups "$BASE/bin/jk_chrootsh" 2>&1); then
    echo "the thin login is refused: $out" >&2; exit 1
fi
thin=$(per_call "$THIN/./home/$USER_NAME" "$BASE/bin/jk_chrootsh")
usermod -d "$COPY/./home/$USER_NAME" "$USER_NAME"
copy=$(per_call "$COPY/./home/$USER_NAME" "$BASE/bin/jk_chrootsh")
echo
echo "logins ($CALLS calls, median of $RUNS rounds; the shell is /usr/bin/true)"
printf '%-52s %12s %10s\n' "command" "ms/call" "/copy"
printf '%-52s %12s %10s\n' "jk_chrootsh into a copy jail" "$copy" "1.00"
printf '%-52s %12s %10s\n' "jk_chrootsh into a thin jail (binds: $binds)" "$thin" "$(ratio "$thin" "$copy")"
if command -v bwrap >/dev/null 2>&1; then
    bw=$(per_call "$THIN/./home/$USER_NAME" bwrap "${bw_args[@]}" /usr/bin/true)
    printf '%-52s %12s %10s\n' "bwrap, the same read-only binds" "$bw" "$(ratio "$bw" "$copy")"
    echo "thin/bwrap: $(ratio "$thin" "$bw") (goal <= 1.00: $(awk -v a="$thin" -v b="$bw" 'BEGIN { print (a <= b ? "met" : "missed") }'))"
else
    echo "no bwrap (apt-get install bubblewrap): not compared"
fi
