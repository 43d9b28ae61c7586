#!/usr/bin/env bash
# CI stage "sanitizers": the whole suite (unit, unit-root, integration,
# security, e2e, elf-vs-ldd, docs: everything meson knows) again, on a debug
# build with AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer,
# every finding fatal. Run as root, like tests/run_all.sh.
#   usage: bash .ci/sanitize.sh [BUILDDIR]     (default build-asan)
#
# Setuid tools (jk_chrootsh, jk_uchroot, jk_procmailwrapper): the tests run
# root 4755 copies of the SANITIZED builds (tests/lib/common.sh
# install_setuid), like every other tool. Measured with g++ 12 (libasan 8)
# and clang 14 (compiler-rt 14): neither runtime looks at AT_SECURE. Started
# setuid it initialises normally, honours the caller's ASAN_OPTIONS and
# UBSAN_OPTIONS, and LeakSanitizer still works at exit after the tool has
# dropped to the caller's uid. (That same fact is why a sanitized setuid
# binary must never be installed: the caller's log_path=/any/path makes the
# root process create that file.) The setuid prologue clears the environment
# only after the runtime has read its options, and keeps fds 0-2 open, so
# reports go to stderr and reach the test logs. Programs a tool then execs
# without the environment (jk_lsh inside a jail, started by jk_chrootsh) run
# with the runtime's defaults, which still stop at the first error and
# check leaks. Tools that run chrooted keep /proc/self/maps reachable only
# if the jail has /proc; that matters only for a report's symbolisation.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build-asan}
t0=$SECONDS

if [ ! -f "$builddir/build.ninja" ]; then
  # debug: no inlining, so reports name the right frames; UBSan fatal like
  # ASan (-fno-sanitize-recover=all). b_lundef=false: meson's default
  # -Wl,--no-undefined cannot link a sanitized shared object.
  meson setup "$builddir" -Dwerror=true -Dtests=true -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args=-fno-sanitize-recover=all -Dcpp_link_args=-fno-sanitize-recover=all
fi
ninja -C "$builddir"
t_build=$((SECONDS - t0))
echo "sanitized build (ASan+UBSan, debug) in ${t_build} s: $builddir"

# abort_on_error: a finding is a SIGABRT (exit 134), which no test mistakes
# for one of the tools' own exit codes.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:print_summary=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
# Tests whose measure means nothing under ASan (RSS bounds) skip just that
# check when this is set; meson passes it through (it is not in their env:).
export JK_TEST_SANITIZED=1
echo "setuid tools (jk_chrootsh, jk_uchroot, jk_procmailwrapper) run SANITIZED as root 4755 copies:"
echo "  the ASan/UBSan runtime does not refuse a setuid start (see the comment in .ci/sanitize.sh)"

# security_limits runs the setuid tools under ulimit -v / -s and strace:
# ASan cannot reserve its shadow under ulimit -v, needs more than a 16 KiB
# stack, and LeakSanitizer cannot run under ptrace. Those are limits of the
# runtime, not findings, so that one test runs only in the plain build
# (stage "test suite"); every other test runs here.
mapfile -t tests < <(meson test -C "$builddir" --list 2>/dev/null |
  sed -n 's|^[^ ]* / ||p' | grep -vx 'security_limits')
echo "sanitized run: ${#tests[@]} tests (all but security_limits)"
rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 "${tests[@]}" || rc=$?
python3 tests/lib/count_results.py "$builddir/meson-logs/testlog.json" sanitized

# A report the test did not turn into a failure (a tool whose exit status a
# test ignores) still fails the stage when it reached the logs.
if grep -nE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' \
     "$builddir/meson-logs/testlog.txt" >&2; then
  echo "sanitizer reports in $builddir/meson-logs/testlog.txt (above)" >&2
  rc=1
fi
echo "sanitizers stage: $((SECONDS - t0)) s (build ${t_build} s)"
exit "$rc"
