#!/bin/bash
# Run (as root):  bash bench/check.sh BUILDDIR        e.g. bash bench/check.sh /work/build
#
# Benchmark of jk_check (issue 3, DESIGN.md "Performance"): a jail of at least
# 50,000 files built with the built jk_cp from host trees (default /usr/share
# and /usr/bin: copies, not hardlinks, so content comparison is not proven by
# the inode), then, page cache warm, median of JK_BENCH_RUNS runs each:
#   walk      find J -printf '%s %T@\n' (a plain size+mtime walk: the floor)
#   walk2     the same walk of J and of the host trees (what a comparison
#             must stat at least: both sides)
#   jk_check  jk_check J, nothing changed (the manifest proves the copies)
#   changed   jk_check J after 10 files were changed in the jail with the same
#             size and their mtime set back (all 10 must be reported)
# and, where Debian's jailkit is installed (/usr/sbin/jk_check, Python), its
# jk_check on the same jail with a temporary ini naming it (one run, capped
# at 5 minutes; it finds none of the 10 same-size edits but the ones its
# random 1 KiB block happens to hit).
#
# Prints the times and the ratios jk_check/walk and jailkit/jk_check.
# Target (DESIGN.md): jk_check no slower than the walk while still catching
# the same-size edits.
# Environment: JK_BENCH_TREES (default "/usr/share /usr/bin"), JK_BENCH_RUNS (3).

set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_cp jk_check" "$@"
JK_CP="$BUILDDIR/jk_cp"
JK_CHECK="$BUILDDIR/jk_check"
read -r -a TREES <<<"${JK_BENCH_TREES:-/usr/share /usr/bin}"
RUNS=${JK_BENCH_RUNS:-3}
JAILKIT=/usr/sbin/jk_check
JAILKIT_CAP=300

bench_root

# timed LABEL CMD... : median seconds of RUNS runs (stdout/stderr discarded
# except for the last run, kept in $BASE/LABEL.out).
timed() {
    local label=$1 t0 t1 i times=()
    shift
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now)
        "$@" >"$BASE/$label.out" 2>"$BASE/$label.err"
        t1=$(now)
        times+=("$(elapsed "$t0" "$t1")")
    done
    median "${times[@]}"
}

J="$BASE/jail"
mkdir -m 0755 "$J"
echo "building the jail: jk_cp -j $J ${TREES[*]}"
t0=$(now)
"$JK_CP" -j "$J" "${TREES[@]}" >/dev/null 2>"$BASE/cp.err" || {
    echo "jk_cp failed (exit $?):" >&2; head -n 20 "$BASE/cp.err" >&2; exit 1; }
t1=$(now)
files=$(find "$J" -type f | wc -l)
entries=$(find "$J" | wc -l)
echo "jail: $files regular files, $entries entries (built in $(elapsed "$t0" "$t1")s)"
((files >= 50000)) || echo "WARNING: fewer than 50,000 files; set JK_BENCH_TREES to bigger trees" >&2

# Warm the page cache (both sides) and learn the baseline findings.
find "$J" -printf '%s %T@\n' >/dev/null
"$JK_CHECK" "$J" >"$BASE/base.out" 2>&1
base_rc=$?
base_findings=$(wc -l <"$BASE/base.out")
echo "jk_check on the fresh jail: exit $base_rc, $base_findings lines of findings"
((base_findings > 0)) && head -n 5 "$BASE/base.out"

walk=$(timed walk find "$J" -printf '%s %T@\n')
# jk_check must look at both sides: the same walk over the jail and the host trees.
walk2=$(timed walk2 find "$J" "${TREES[@]}" -printf '%s %T@\n')
ours=$(timed ours "$JK_CHECK" "$J")

# 10 files changed: same size, one byte flipped in the middle, mtime set back.
mapfile -t victims < <(find "$J/usr" -type f -size +4k -printf 'usr/%P\n' | LC_ALL=C sort | awk 'NR % 997 == 1' | head -n 10)
for v in "${victims[@]}"; do
    f="$J/$v"
    size=$(stat -c %s "$f")
    off=$((size / 2))
    b=$(dd if="$f" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    # shellcheck disable=SC2059  # the byte is built as an octal escape in the format
    printf "\\$(printf '%03o' $(( (b + 1) % 256 )))" | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
    touch -r "/$v" "$f"
done
changed=$(timed changed "$JK_CHECK" "$J")
caught=$(grep -c 'are not the same!$' "$BASE/changed.out")

echo
printf '%-34s %8ss\n' "size+mtime walk of the jail" "$walk"
printf '%-34s %8ss\n' "same walk of jail + host trees" "$walk2"
printf '%-34s %8ss   ratio to walk: %s   to jail+host walk: %s\n' "jk_check, nothing changed" "$ours" \
    "$(ratio "$ours" "$walk")" "$(ratio "$ours" "$walk2")"
printf '%-34s %8ss   ratio to walk: %s   same-size edits caught: %s/%s\n' "jk_check, 10 files changed" \
    "$changed" "$(ratio "$changed" "$walk")" "$caught" "${#victims[@]}"

if [[ -x $JAILKIT ]] && head -c 64 "$JAILKIT" | grep -q python; then
    ini="$BASE/jailkit.ini"
    printf '[%s]\n' "$J" >"$ini"
    t0=$(now)
    timeout "$JAILKIT_CAP" "$JAILKIT" -c "$ini" >"$BASE/jailkit.out" 2>&1
    rc=$?
    t1=$(now)
    theirs=$(elapsed "$t0" "$t1")
    jcaught=$(grep -c 'are not the same!$' "$BASE/jailkit.out")
    if ((rc == 124)); then
        printf '%-34s >%7ss   (capped)\n' "jailkit 2.23 jk_check, 10 changed" "$JAILKIT_CAP"
    else
        printf '%-34s %8ss   jailkit/ours: %s   same-size edits caught: %s/%s   exit %s\n' \
            "jailkit 2.23 jk_check, 10 changed" "$theirs" "$(ratio "$theirs" "$changed")" "$jcaught" \
            "${#victims[@]}" "$rc"
    fi
else
    echo "jailkit's jk_check (Python) not installed: no comparison"
fi
