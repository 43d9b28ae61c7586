#!/bin/bash
# Run (as root):  bash bench/update.sh BUILDDIR        e.g. bash bench/update.sh build
#
# Benchmark of jk_update (issue 3, DESIGN.md "Performance"): a host tree of at
# least 50,000 files (a copy of /usr/share made under the bench's own root, so
# host files can be changed) is copied into a jail with the built jk_cp. Then,
# page cache warm, median of JK_BENCH_RUNS runs each:
#   walk      find over the jail's copy and the host tree printing size+mtime
#             (what deciding "nothing is stale" must stat at least)
#   jk_update jk_update -j J DIR with nothing stale
#   changed   one jk_update -j J DIR after 10 host files changed (all 10 must
#             be reported as outdated and replaced)
# and, where Debian's jailkit is installed (/usr/sbin/jk_update, Python), its
# dry run (-d) on the same jail, capped at 5 minutes.
# Target (DESIGN.md): jk_update with nothing stale no slower than the walk.
# Environment: JK_BENCH_TREE (default /usr/share), JK_BENCH_RUNS (3).
set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_cp jk_update" "$@"
JK_CP="$BUILDDIR/jk_cp"
JK_UPDATE="$BUILDDIR/jk_update"
TREE=${JK_BENCH_TREE:-/usr/share}
RUNS=${JK_BENCH_RUNS:-3}
JAILKIT=/usr/sbin/jk_update

bench_root
HOSTDIR=$BASE/host/opt/jkbench
J=$BASE/jail
install -d -m 0755 "$HOSTDIR" "$J"

cp -a "$TREE/." "$HOSTDIR/"
"$JK_CP" -j "$J" "$HOSTDIR" >/dev/null 2>&1 || { echo "jk_cp failed" >&2; exit 1; }
files=$(find "$J$HOSTDIR" -type f | wc -l)
echo "jail: $files files under $HOSTDIR (copy of $TREE)"

walk() { find "$J$HOSTDIR" "$HOSTDIR" -printf '%s %T@\n' >/dev/null; }
walk
walk_t=() upd_t=()
for _ in $(seq "$RUNS"); do
  t0=$(now); walk; t1=$(now); walk_t+=("$(elapsed "$t0" "$t1")")
  t0=$(now); out=$("$JK_UPDATE" -j "$J" "$HOSTDIR" 2>&1); rc=$?; t1=$(now); upd_t+=("$(elapsed "$t0" "$t1")")
  [[ $rc == 0 && -z $(grep -E '^(removing|Copying)' <<<"$out") ]] || echo "warning: jk_update with nothing stale: rc=$rc, output: ${out:0:300}"
done
t_walk=$(median "${walk_t[@]}") t_upd=$(median "${upd_t[@]}")
echo "runs: walk ${walk_t[*]}  jk_update ${upd_t[*]}  (median of $RUNS)"
echo "nothing stale: jk_update ${t_upd}s  walk ${t_walk}s  ratio: $(ratio "$t_upd" "$t_walk")"

mapfile -t victims < <(find "$HOSTDIR" -type f -size +1k | sort | head -n 10)
for f in "${victims[@]}"; do printf 'x' >>"$f"; done
t0=$(now); out=$("$JK_UPDATE" -j "$J" "$HOSTDIR" 2>&1); t1=$(now)
updated=$(grep -c '^removing outdated file' <<<"$out")
echo "10 host files changed: jk_update $(elapsed "$t0" "$t1")s, reported $updated/10 outdated"

if [[ -x $JAILKIT ]] && head -n1 "$JAILKIT" | grep -q python; then
  t0=$(now); timeout 300 "$JAILKIT" -d -j "$J" "$HOSTDIR" >/dev/null 2>&1; rc=$?; t1=$(now)
  t_jk=$(elapsed "$t0" "$t1")
  echo "jailkit 2.23 jk_update -d (nothing stale but what we just updated): ${t_jk}s (exit $rc)  jailkit/ours: $(ratio "$t_jk" "$t_upd")"
fi
