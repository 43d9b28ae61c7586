#!/usr/bin/env bash
# meson install puts each tool, config and man page where a distribution
# would, with the modes the tool table gives.
#   usage: install.sh BUILDDIR SBINDIR MANDIR
set -euo pipefail
builddir=$1 sbindir=$2 mandir=$3
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }

meson install -C "$builddir" --no-rebuild --destdir "$dest" >/dev/null
check "jk_cp installed in sbindir" "[ -x '$dest$sbindir/jk_cp' ]"
check "jk_cp is mode 0755, not setuid" "[ \"\$(stat -c %a '$dest$sbindir/jk_cp')\" = 755 ]"
check "jk_cp(8) installed" "[ -f '$dest$mandir/man8/jk_cp.8' ]"
check "the installed jk_cp runs" "'$dest$sbindir/jk_cp' --version | grep -q '^jk_cp '"
exit $fail
