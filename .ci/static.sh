#!/usr/bin/env bash
# CI stage "static analysis": clang-tidy (checks in /.clang-tidy, every
# finding an error) and cppcheck over libjk and the tools - not the tests or
# the fuzz targets - and clang-format (/.clang-format) over every C++ file.
# All three always run; the stage fails if any finds anything.
# Runs from a fresh clone as root; about 2 minutes of CPU on 2 cores.
#   bash .ci/static.sh [build-dir]     (default: build-static)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
build=${1:-build-static}
jobs=${JK_STATIC_JOBS:-2}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

pick() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }; done; return 1; }
tidy=$(pick clang-tidy-14 clang-tidy) || { echo "static: clang-tidy is not installed" >&2; exit 1; }
command -v cppcheck >/dev/null || { echo "static: cppcheck is not installed" >&2; exit 1; }

# A compile database whose flags clang understands: configure with clang++.
# Only the compile commands are needed, nothing is built.
if [[ ! -f $build/compile_commands.json ]]; then
  cxx=$(pick clang++ clang++-14 c++) || exit 1
  CXX=$cxx meson setup "$build" -Dtests=false -Dfuzzers=false >"$log/setup" 2>&1 ||
    { cat "$log/setup" >&2; echo "static: meson setup failed" >&2; exit 1; }
fi
db=$root/$build
[[ $build = /* ]] && db=$build

# Our sources: libjk/*.cpp and jk_*/*.cpp.
mapfile -t files < <(cd "$root" && ls libjk/*.cpp jk_*/*.cpp)
files_re="^$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|/]/\\&/g')/(libjk|jk_[a-z_]+)/[^/]+\\.cpp\$"
strip_color() { sed 's/\x1b\[[0-9;]*m//g'; }

# ---- clang-tidy
t0=$SECONDS
runner=$(pick run-clang-tidy-14 run-clang-tidy || true)
if [[ -n $runner ]]; then
  "$runner" -clang-tidy-binary "$(command -v "$tidy")" -p "$db" -j "$jobs" -quiet "$files_re" \
    >"$log/tidy.raw" 2>"$log/tidy.err"
  tidy_rc=$?
else
  printf '%s\n' "${files[@]/#/$root/}" |
    xargs -P "$jobs" -n 4 "$tidy" -p "$db" --quiet >"$log/tidy.raw" 2>"$log/tidy.err"
  tidy_rc=$?
fi
strip_color <"$log/tidy.raw" >"$log/tidy.txt"
# A header's finding shows once per file that includes it: count it once.
tidy_findings=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$log/tidy.txt" | sort -u | tee "$log/tidy.list" | wc -l)
tidy_secs=$((SECONDS - t0))
if ((tidy_rc != 0 || tidy_findings != 0)); then
  cat "$log/tidy.txt"
  grep -v -E 'warnings? generated|^Suppressed|Use -header-filter|^$' "$log/tidy.err" >&2
fi

# ---- cppcheck
t0=$SECONDS
cppcheck --project="$db/compile_commands.json" -j "$jobs" --quiet \
  --enable=warning,performance,portability --inline-suppr --error-exitcode=1 \
  --suppressions-list=.ci/cppcheck-suppressions.txt \
  --file-filter="$root/libjk/*.cpp" --file-filter="$root/jk_*.cpp" \
  --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
  >"$log/cppcheck.txt" 2>&1
cpp_rc=$?
cpp_findings=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: [a-z]+: ' "$log/cppcheck.txt")
cpp_secs=$((SECONDS - t0))
((cpp_rc != 0 || cpp_findings != 0)) && cat "$log/cppcheck.txt"

# ---- clang-format: every C++ file of the repository, tests and fuzzers too
t0=$SECONDS
fmt=$(pick clang-format-14 clang-format) || { echo "static: clang-format is not installed" >&2; exit 1; }
: >"$log/format.txt"
while IFS= read -r f; do
  "$fmt" --style=file "$f" | cmp -s - "$f" || echo "$f" >>"$log/format.txt"
done < <(cd "$root" && git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
fmt_findings=$(wc -l <"$log/format.txt")
fmt_secs=$((SECONDS - t0))
if ((fmt_findings != 0)); then
  echo "files that differ from .clang-format (fix with: clang-format -i FILE):"
  sed 's/^/  /' "$log/format.txt"
fi

# ---- summary
printf '\nstatic analysis over %d files (libjk, jk_*):\n' "${#files[@]}"
printf '  clang-tidy (%s): %d finding(s), exit %d, %ds\n' "$tidy" "$tidy_findings" "$tidy_rc" "$tidy_secs"
printf '  cppcheck (%s): %d finding(s), exit %d, %ds\n' "$(cppcheck --version)" "$cpp_findings" "$cpp_rc" "$cpp_secs"
printf '  clang-format (%s): %d file(s) differ, %ds\n' "$("$fmt" --version)" "$fmt_findings" "$fmt_secs"
if ((tidy_rc != 0 || tidy_findings != 0 || cpp_rc != 0 || cpp_findings != 0 || fmt_findings != 0)); then
  echo "static analysis: FAILED" >&2
  exit 1
fi
echo "static analysis: clean"
