#!/bin/bash
# Every man page must be warning-free for both formatters: mandoc's linter
# (-W warning: warnings and errors) and groff through man-db (--warnings).
# Any output at all fails the test; so does a page neither tool could read,
# and a page without one of the required sections.
# Usage: lint_pages.sh PAGE...
set -u
fail=0
n=0
[ "$#" -gt 0 ] || { echo "not ok - no pages given"; exit 1; }
for page in "$@"; do
    n=$((n + 1))
    if [ ! -s "$page" ]; then
        echo "not ok $n - $page is missing or empty"; fail=1; continue
    fi
    out=$(mandoc -T lint -W warning "$page" 2>&1)
    rc=$?
    # mandoc exits 0 when clean, 2 for warnings, 3+ for errors.
    if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
        echo "not ok $n - mandoc -T lint $page (rc $rc)"; printf '%s\n' "$out"; fail=1
    else
        echo "ok $n - mandoc -T lint $page"
    fi
    n=$((n + 1))
    # man-db hands --warnings to groff (-w all by default); the rendered page
    # goes to /dev/null, groff's warnings come on stderr. MANWIDTH fixes the
    # line length so "cannot adjust line" warnings do not depend on a terminal.
    out=$(MANWIDTH=80 man --warnings -l -Tutf8 "$page" 2>&1 >/dev/null)
    rc=$?
    if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
        echo "not ok $n - man --warnings $page (rc $rc)"; printf '%s\n' "$out"; fail=1
    else
        echo "ok $n - man --warnings $page"
    fi
    n=$((n + 1))
    # The sections every page has (issue 7): a tool's page documents its
    # command line, exit codes, files, real uses, security and differences.
    case ${page##*/} in
        jailkit.7) want=("DESCRIPTION" "FILES" "EXAMPLES" "SECURITY" "COMPATIBILITY" "SEE ALSO") ;;
        # A file format: no command line, exit codes, or jailkit original.
        *.5) want=("SYNOPSIS" "DESCRIPTION" "FILES" "EXAMPLES" "SECURITY" "SEE ALSO") ;;
        *) want=("SYNOPSIS" "DESCRIPTION" "OPTIONS" "EXIT STATUS" "FILES" "EXAMPLES" "SECURITY" "COMPATIBILITY" "SEE ALSO") ;;
    esac
    missing=()
    for sec in "${want[@]}"; do
        grep -qxE "\.SH \"?$sec\"?" "$page" || missing+=("$sec")
    done
    if (( ${#missing[@]} )); then
        echo "not ok $n - $page lacks: ${missing[*]}"; fail=1
    else
        echo "ok $n - $page has ${want[*]}"
    fi
done
exit "$fail"
