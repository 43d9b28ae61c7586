#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each on its seed corpus (the committed
# text seeds plus, for the binary formats, the host's own ELF files and
# ld.so.cache copied into a scratch corpus at run time), JOBS targets at a
# time (default 2: CI has two cores, so the whole run takes about
# targets * SECONDS / 2: 18 targets at 60 s are about 9 minutes).
#   usage: bash tests/fuzz/run.sh FUZZ_BUILDDIR [SECONDS] [JOBS] [MIN_CPU_SECONDS]
# With MIN_CPU_SECONDS, a target that got less CPU than that in SECONDS of
# wall time (a loaded machine) runs again on the corpus it grew, until it
# has: wall time is what libFuzzer bounds, CPU time is what a campaign is
# measured in.
# Per target it prints the executions, the CPU time it got, the coverage
# (cov: edges, ft: features) and the corpus size at the end; a crash, leak, timeout or
# sanitizer report fails the run, prints the log's tail and copies the
# reproducer (crash-*, leak-*, timeout-*, oom-*) to the current directory.
# Reproduce one with: FUZZ_BUILDDIR/tests/fuzz/fuzz_NAME ./crash-HASH-NAME
# With JK_FUZZ_KEEP_CORPUS=DIR, each target's grown corpus is kept as DIR/NAME
# (to minimize into tests/fuzz/corpus with libFuzzer's -merge=1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 seconds=${2:-60} jobs=${3:-2} min_cpu=${4:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# UBSan findings stop the target (libFuzzer then saves the input) instead
# of being printed and forgotten.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Every fuzz_* target the build has (tests/fuzz/meson.build declares them).
targets=()
for exe in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$exe" ] && [ -f "$exe" ] && targets+=("${exe##*/fuzz_}")
done
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets in $build/tests/fuzz" >&2; exit 1; }
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  if [ -d "$here/corpus/$t" ]; then cp -r "$here/corpus/$t/." "$work/$t/"; fi
done
[ -d "$work/ldso" ] && cp /etc/ld.so.cache "$work/ldso/host-cache"
if [ -d "$work/elf" ]; then
  for f in /usr/bin/true /usr/bin/ls /usr/lib/x86_64-linux-gnu/libc.so.6; do
    [ -f "$f" ] && head -c 65536 "$f" > "$work/elf/$(basename "$f")"
  done
fi

# One target; prints its whole report at once when done (jobs run side by
# side, so the lines of two targets never interleave) and leaves its exit
# status in $work/$t.rc.
# CPU seconds (user + system) this shell's finished children have used:
# bash's `times` prints them on its second line as "XmY.YYYs XmY.YYYs". It
# must run in this shell, not in a pipeline's subshell: hence the file.
children_cpu() {
  times >"$1"
  sed -n 2p "$1" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s }'
}

run_one() {
  local t=$1 rc=0 out cpu=0 execs=0 rounds=0 n wall=$seconds
  while :; do
    rounds=$((rounds + 1))
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$wall" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts-$t/" "$work/$t" >"$work/$t.out" 2>>"$work/$t.log" || rc=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
    execs=$((execs + ${n:-0}))
    children_cpu "$work/$t.times" >"$work/$t.cpu"; cpu=$(cat "$work/$t.cpu")
    [ "$rc" -eq 0 ] && [ "$cpu" -lt "$min_cpu" ] || break
    # The next round asks for what is still owed, not another full SECONDS.
    wall=$((min_cpu - cpu + 5))
    : >"$work/$t.log.prev" && tail -c 200000 "$work/$t.log" >"$work/$t.log.prev" && mv "$work/$t.log.prev" "$work/$t.log"
  done
  echo "$rc" > "$work/$t.rc"
  out="== fuzz_$t ($rounds round(s) from $seconds s wall, $cpu CPU s)"$'\n'
  local done_line
  done_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$work/$t.log" | tail -1 || true)
  out+="   executions: $execs  $(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$done_line" || echo 'cov: ?')"$'\n'
  out+="   corpus dir: $(find "$work/$t" -type f | wc -l) files (seeds included)"$'\n'
  if [ "$rc" -ne 0 ]; then
    out+="   FAILED (exit $rc):"$'\n'"$(tail -40 "$work/$t.log")"$'\n'
  fi
  printf '%s' "$out"
}

mkdir -p "${targets[@]/#/$work/artifacts-}"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait || true

status=0
for t in "${targets[@]}"; do
  rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz_$t FAILED (exit $rc)" >&2
  fi
  if [ -n "${JK_FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$JK_FUZZ_KEEP_CORPUS/$t" && cp -r "$work/$t/." "$JK_FUZZ_KEEP_CORPUS/$t/"
  fi
  for a in "$work/artifacts-$t"/*; do
    [ -f "$a" ] || continue
    cp "$a" "./${a##*/}-$t" && echo "fuzz_$t: reproducer saved as ./${a##*/}-$t" >&2
  done
done
exit $status
