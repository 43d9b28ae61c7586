#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each on its seed corpus (the committed
# text seeds plus, for the binary formats, the host's own ELF files and
# ld.so.cache copied into a scratch corpus at run time).
#   usage: bash tests/fuzz/run.sh FUZZ_BUILDDIR [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 seconds=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
cp /etc/ld.so.cache "$work/ldso/host-cache"
for f in /usr/bin/true /usr/bin/ls /usr/lib/x86_64-linux-gnu/libc.so.6; do head -c 65536 "$f" > "$work/elf/$(basename "$f")"; done
status=0
for t in "${targets[@]}"; do
  echo "== fuzz_$t ($seconds s)"
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/crash-$t-" "$work/$t" 2>"$work/$t.log"; then
    status=1
    tail -40 "$work/$t.log"
    cp "$work"/crash-"$t"-* . 2>/dev/null || true
  fi
  grep -E '^#[0-9]+.*(DONE|pulse)' "$work/$t.log" | tail -1 || true
done
exit $status
