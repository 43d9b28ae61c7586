#!/usr/bin/env bash
# Installed from source under a prefix of its own, on a machine where Debian's
# jailkit 2.23 sits at /usr/sbin and /etc/jailkit (issue 17): the installed
# suite uses its own tools and its own configuration, never jailkit's.
#   usage: prefix.sh PREFIX CONFDIR      (as root, from any directory)
# Configures this source tree with --prefix=PREFIX -Dconfdir=CONFDIR
# (-Dtests=false), builds and installs it for real, then checks:
#   1. the installed jk_init.ini, man pages, systemd unit and bash completion
#      name PREFIX's tools and CONFDIR;
#   2. `jk_init -j JAIL jk_lsh sftp` copies PREFIX's jk_lsh and CONFDIR's
#      jk_lsh.ini (same bytes), and nothing of jailkit's;
#   3. `jk_jailuser` then `jk_check`: no shell warning, exit 0 (issue 11.3);
#   4. an sftp login through a private sshd (tests/lib/sshd.sh) in that jail;
#   5. `jk_update` keeps the jail's own, edited CONFDIR/jk_lsh.ini.
# Needs Debian's jailkit installed (a missing one fails the run: the point is
# that its files are there and not used); .ci/prefix.sh installs it.
# Everything installed is removed on exit: the files meson installed (listed
# in a state file before installing, so an interrupted run is cleaned up by
# the next), CONFDIR, the directories the install created, the users and
# jails (tests/lib/common.sh). It refuses a PREFIX that already holds any
# file it would install: never an administrator's real installation.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=../lib/sshd.sh
source "$here/../lib/sshd.sh"
set +e   # the checks report failures; `finish` sets the exit status

(($# == 2)) || fatal "usage: prefix.sh PREFIX CONFDIR"
PREFIX=$1 CONFDIR=$2
[[ $PREFIX == /?* && $CONFDIR == /?* ]] || fatal "PREFIX and CONFDIR must be absolute"
[[ $PREFIX != /usr && $CONFDIR != /etc/jailkit ]] || fatal "not a scratch prefix: $PREFIX, $CONFDIR are jailkit's"
T_NAME="prefix.sh $PREFIX"
skip_unless_root
need_cmd meson ninja sftp ssh-keygen cmp useradd usermod dpkg-query
[[ $(dpkg-query -W -f='${db:Status-Abbrev}' jailkit 2>/dev/null) == "ii " && -x /usr/sbin/jk_lsh ]] ||
    fatal "Debian's jailkit is not installed (.ci/prefix.sh installs it)"
export LC_ALL=C

# ---------------------------------------------------------------- cleanup

STATE=/var/lib/jk-prefix-test/$(printf '%s' "$PREFIX" | tr / _).state
# remove_installed : what the state file records: the installed files,
# CONFDIR, and each directory the install created with all it holds (it did
# not exist before: everything in it is this run's).
remove_installed() {
    [[ -f $STATE ]] || return 0
    local kind path
    while IFS=' ' read -r kind path; do
        case $kind in
            file) rm -f -- "$path" ;;
            confdir) rm -rf --one-file-system -- "$path" ;;
            newdir) grep -qxF "newdir ${path%/*}" "$STATE" || rm -rf --one-file-system -- "$path" ;;
        esac
    done <"$STATE"
    rm -f "$STATE"
    rmdir "${STATE%/*}" 2>/dev/null
    return 0
}
remove_installed   # an earlier run that was interrupted

setup_root
on_exit remove_installed
B=$T_ROOT/build

# ---------------------------------------------------------------- build, install

meson setup "$B" "$src" --prefix="$PREFIX" -Dconfdir="$CONFDIR" -Dtests=false -Dwerror=true \
    >"$T_ROOT/setup.log" 2>&1 || fatal "meson setup failed: $(tail -n 20 "$T_ROOT/setup.log")"
# ccache would hash the (random) build directory into every object's key
# because of -g: not here, so a second run reuses the first one's objects.
CCACHE_NOHASHDIR=1 ninja -C "$B" >"$T_ROOT/build.log" 2>&1 || fatal "build failed: $(grep -A5 FAILED "$T_ROOT/build.log" | head -n 30)"
mapfile -t INSTALLED < <(meson introspect "$B" --installed |
    python3 -c 'import json, sys; print("\n".join(sorted(set(json.load(sys.stdin).values()))))')
((${#INSTALLED[@]} > 20)) || fatal "meson introspect --installed lists ${#INSTALLED[@]} files"
for f in "${INSTALLED[@]}"; do
    [[ ! -e $f && ! -L $f ]] || fatal "$f exists: $PREFIX is not a scratch prefix (an earlier install?)"
done
[[ ! -e $CONFDIR ]] || fatal "$CONFDIR exists: not a scratch configuration directory"
# Every directory from PREFIX's top down that does not exist yet is made by
# the install: recorded, so cleaning up removes exactly those.
install -d -m 0755 "${STATE%/*}"
{
    printf 'file %s\n' "${INSTALLED[@]}"
    printf 'confdir %s\n' "$CONFDIR"
    for f in "${INSTALLED[@]}" "$CONFDIR/x"; do
        d=${f%/*}
        while [[ -n $d && ! -e $d ]]; do printf 'newdir %s\n' "$d"; d=${d%/*}; done
    done | sort -u
} >"$STATE"
meson install -C "$B" --no-rebuild >"$T_ROOT/install.log" 2>&1 || fatal "meson install failed: $(tail "$T_ROOT/install.log")"
# meson's own list adds what introspection folds together (one file
# installed under several names: the bash completion).
grep -v '^#' "$B/meson-logs/install-log.txt" | sed 's/^/file /' >>"$STATE"
ok "built and installed under $PREFIX, configuration in $CONFDIR"

SBIN=$PREFIX/sbin
for t in jk_init jk_jailuser jk_check jk_update jk_lsh jk_chrootsh; do
    [[ -x $SBIN/$t ]] || fatal "$SBIN/$t was not installed"
done
assert_mode "$SBIN/jk_chrootsh is setuid root" "$SBIN/jk_chrootsh" 4755
# A static setuid tool finds its twin relative to itself (jk/handover.hpp).
if [[ -s $B/dynamic-twins && -n $(tr -d '[:space:]' <"$B/dynamic-twins") ]]; then
    for t in jk_chrootsh jk_uchroot jk_procmailwrapper; do
        [[ $t == jk_chrootsh ]] && dir=$SBIN || dir=$PREFIX/bin
        twin_ref=$(awk -v t="$t" '$1 == t { print $2 }' "$B/dynamic-twins")
        assert_mode "the twin of $t, $dir/$twin_ref, is installed, not setuid" "$dir/$twin_ref" 755
    done
else
    echo "# this build links the setuid tools dynamically (sanitized or fuzz build): no twins to install"
fi

# ---------------------------------------------------------------- 1. installed files

# jailkit's paths, not as the tail of ours (/usr/local/etc/jailkit).
JAILKIT_PATHS='(^|[^[:alnum:]_./-])(/etc/jailkit|/usr/sbin/jk_|/sbin/jk_)'
ini_lsh=$(sed -n '/^\[jk_lsh\]/,/^\[/p' "$CONFDIR/jk_init.ini")
assert_contains "$CONFDIR/jk_init.ini: [jk_lsh] copies $SBIN/jk_lsh and $CONFDIR/jk_lsh.ini" \
    "paths = $SBIN/jk_lsh, $CONFDIR/jk_lsh.ini" "$ini_lsh"
for f in "$CONFDIR"/*.ini; do
    assert_eq "${f##*/} names neither /etc/jailkit nor /usr/sbin/jk_*" "" "$(grep -nE "$JAILKIT_PATHS" "$f")"
done
# The FILES sections: the configuration under CONFDIR; JAIL/etc/jailkit/jk_manifest
# is a path inside every jail, the same for every build.
man_files=""
for p in "$PREFIX"/share/man/man[178]/*.[178]; do
    man_files+=$(awk '/^\.SH/ { f = ($2 == "FILES") } f' "$p" | grep -v 'jk_manifest')$'\n'
done
assert_contains "the man pages' FILES name $CONFDIR/jk_lsh.ini" ".I $CONFDIR/jk_lsh.ini" "$man_files"
assert_contains "... and $CONFDIR/jk_chrootsh.ini" ".I $CONFDIR/jk_chrootsh.ini" "$man_files"
assert_eq "... and never jailkit's /etc/jailkit" "" "$(grep -E "$JAILKIT_PATHS" <<<"$man_files")"
assert_not_contains "... nor an unconfigured @VARIABLE@" "@" "$(grep -o '@[A-Z]*@' <<<"$man_files")"
unit=$(grep -l '^ExecStart=' "$PREFIX"/lib/systemd/system/jk_socketd.service 2>/dev/null)
check "the systemd unit starts $SBIN/jk_socketd" grep -qx "ExecStart=$SBIN/jk_socketd -n" "$unit"
check "... and reads $CONFDIR/jk_socketd.ini" grep -q "^ExecCondition=.* $CONFDIR/jk_socketd.ini'\$" "$unit"
completion=$(find "$PREFIX/share" -path '*completion*' -name jk_init -type f | head -n1)
check "the bash completion reads $CONFDIR" grep -qx "_jk_confdir=$CONFDIR" "$completion"

# ---------------------------------------------------------------- 2. jk_init

J=$(make_jail sftp)
run_cmd "$SBIN/jk_init" -j "$J" jk_lsh sftp
assert_rc "jk_init -j JAIL jk_lsh sftp (default ini, $CONFDIR/jk_init.ini)" 0
assert_same_content "the jail's $SBIN/jk_lsh is the installed one" "$SBIN/jk_lsh" "$J$SBIN/jk_lsh"
assert_same_content "the jail's $CONFDIR/jk_lsh.ini is the one in $CONFDIR" "$CONFDIR/jk_lsh.ini" "$J$CONFDIR/jk_lsh.ini"
assert_missing "jailkit's /usr/sbin/jk_lsh is not in the jail" "$J/usr/sbin/jk_lsh"
assert_missing "jailkit's /etc/jailkit/jk_lsh.ini is not in the jail" "$J/etc/jailkit/jk_lsh.ini"

# ---------------------------------------------------------------- 3. jk_jailuser, jk_check

U=$(make_user)
[[ ! -e /home/$U ]] || fatal "/home/$U exists already"
install -d -m 0755 -o "$U" -g "$U" "/home/$U"
on_exit rm -rf --one-file-system "/home/$U"
printf 'hello %s\n' "$T_TAG" >"/home/$U/hello.txt" && chown "$U:$U" "/home/$U/hello.txt"
usermod -d "/home/$U" "$U" >/dev/null || fatal "usermod -d"
run_cmd "$SBIN/jk_jailuser" -m -n -j "$J" "$U"
assert_rc "jk_jailuser -m -n -j JAIL USER (default shells)" 0
assert_eq "the host shell is $SBIN/jk_chrootsh" "$SBIN/jk_chrootsh" "$(getent passwd "$U" | cut -d: -f7)"
assert_eq "the jail's shell is $SBIN/jk_lsh" "$SBIN/jk_lsh" "$(grep "^$U:" "$J/etc/passwd" | cut -d: -f7)"
run_cmd "$SBIN/jk_check" "$J"
assert_not_contains "jk_check: no warning about the user's shell" "jk_chrootsh shell" "$R_OUT$R_ERR"
assert_rc "jk_check JAIL: exit 0 (nothing to report)" 0

# ---------------------------------------------------------------- 4. sftp through sshd

ssh_authorize "$U"
sshd_start main
printf 'uploaded %s\n' "$T_TAG" >"$T_ROOT/src/up.txt"
cat >"$T_ROOT/batch" <<EOF
put $T_ROOT/src/up.txt up.txt
get hello.txt $T_ROOT/cwd/hello.back
pwd
EOF
run_cmd t_sftp main "$U" -b "$T_ROOT/batch"
assert_rc "sftp -b through sshd, $SBIN/jk_chrootsh and the jail's $SBIN/jk_lsh" 0
assert_contains "sftp: the working directory is /home/USER inside the jail" "Remote working directory: /home/$U" "$R_OUT"
assert_same_content "sftp put: the file is in JAIL/home/USER" "$T_ROOT/src/up.txt" "$J/home/$U/up.txt"
assert_same_content "sftp get: the moved home's file" "$J/home/$U/hello.txt" "$T_ROOT/cwd/hello.back"

# ---------------------------------------------------------------- 5. jk_update

printf '# edited for this jail %s\n' "$T_TAG" >>"$J$CONFDIR/jk_lsh.ini"
edited=$(sha256sum <"$J$CONFDIR/jk_lsh.ini")
run_cmd "$SBIN/jk_update" -j "$J"
assert_rc "jk_update -j JAIL" 0
assert_eq "jk_update keeps the jail's own $CONFDIR/jk_lsh.ini" "$edited" "$(sha256sum <"$J$CONFDIR/jk_lsh.ini")"
assert_same_content "... and the jail's jk_lsh is still the installed one" "$SBIN/jk_lsh" "$J$SBIN/jk_lsh"

finish
