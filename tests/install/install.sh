#!/usr/bin/env bash
# meson install puts each tool, config and man page where a distribution
# would, with the modes the tool table gives.
#   usage: install.sh BUILDDIR SBINDIR MANDIR CONFDIR TOOL:DIR:MODE...
set -euo pipefail
builddir=$1 sbindir=$2 mandir=$3 confdir=$4
shift 4
dest=$(mktemp -d)
confdir_src=$builddir/ini   # the ini files as configured (ini/meson.build)
trap 'rm -rf "$dest"' EXIT
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }

meson install -C "$builddir" --no-rebuild --destdir "$dest" >/dev/null
for spec in "$@"; do
  IFS=: read -r tool dir mode <<<"$spec"
  check "$tool installed in $dir" "[ -x '$dest$dir/$tool' ]"
  check "$tool has mode $mode" "[ \"\$(stat -c %a '$dest$dir/$tool')\" = $mode ]"
  check "$tool(8) installed" "[ -f '$dest$mandir/man8/$tool.8' ] || [ -f '$dest$mandir/man1/$tool.1' ]"
  check "the installed $tool answers --version" "'$dest$dir/$tool' --version | grep -q '^$tool '"
done
for ini in jk_check jk_chrootsh jk_init jk_lsh jk_socketd jk_uchroot jk_update; do
  check "$ini.ini installed in $confdir" "[ -f '$dest$confdir/$ini.ini' ]"
  check "... as configured, no @VARIABLE@ left" "! grep -q '@[A-Z]*@' '$dest$confdir/$ini.ini'"
done
# The jk_lsh section copies the jk_lsh and jk_lsh.ini installed here.
check "jk_init.ini's [jk_lsh] copies $sbindir/jk_lsh and $confdir/jk_lsh.ini" \
  "sed -n '/^\[jk_lsh\]/,/^\[/p' '$dest$confdir/jk_init.ini' | grep -qxF 'paths = $sbindir/jk_lsh, $confdir/jk_lsh.ini'"
check "jk_lsh(8)'s FILES names $confdir/jk_lsh.ini" "grep -qxF '.I $confdir/jk_lsh.ini' '$dest$mandir/man8/jk_lsh.8'"
check "jk_jail.ini(5) installed, naming $confdir/jails.d" \
  "grep -qxF '.IR $confdir/jails.d/ ESCAPED .ini' '$dest$mandir/man5/jk_jail.ini.5'"
check "no man page keeps an @VARIABLE@" "! grep -l '@[A-Z]*@' '$dest$mandir'/man*/*"
# Installing again over an administrator's edits keeps them: the new default
# goes beside the file as .dist, an unchanged file is left alone.
echo "[/srv/a/jail/dev/log]" >>"$dest$confdir/jk_socketd.ini"
edited=$(sha256sum <"$dest$confdir/jk_socketd.ini")
untouched=$(stat -c %Y.%i "$dest$confdir/jk_init.ini")
meson install -C "$builddir" --no-rebuild --destdir "$dest" >/dev/null
check "a second install keeps the edited jk_socketd.ini" "[ \"\$(sha256sum <'$dest$confdir/jk_socketd.ini')\" = '$edited' ]"
check "... and puts the default beside it as jk_socketd.ini.dist" "cmp -s '$dest$confdir/jk_socketd.ini.dist' '$confdir_src/jk_socketd.ini'"
check "... and leaves the unchanged jk_init.ini alone (no .dist)" \
  "[ \"\$(stat -c %Y.%i '$dest$confdir/jk_init.ini')\" = '$untouched' ] && [ ! -e '$dest$confdir/jk_init.ini.dist' ]"
unit=$(find "$dest" -name jk_socketd.service -path '*/systemd/system/*' | head -n1)
check "jk_socketd.service installed in a systemd/system directory" "[ -n '$unit' ]"
check "the unit starts the installed jk_socketd" "grep -qx 'ExecStart=$sbindir/jk_socketd -n' '$unit'"
check "the unit's start condition reads $confdir/jk_socketd.ini" "grep -q '^ExecCondition=.* $confdir/jk_socketd.ini.\$' '$unit'"
exit $fail
