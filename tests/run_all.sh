#!/usr/bin/env bash
# Builds the suite (warnings are errors) and runs every test suite: unit,
# integration, security. Run as root: root-only tests report SKIP otherwise,
# and the summary line says how many were skipped.
#   usage: bash tests/run_all.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dwerror=true -Dtests=true
fi
ninja -C "$builddir"
rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 || rc=$?
python3 tests/lib/count_results.py "$builddir/meson-logs/testlog.json"
exit "$rc"
