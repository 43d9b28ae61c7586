#!/usr/bin/env bash
# The upkeep tools on a thin jail (issue 13, item 3): a jail that holds only
# its own files (etc/passwd, etc/group, a copied /etc file, home) while its
# policy binds the host's /usr and /etc/ld.so.cache read-only at every entry.
# The jail is built here by hand as `jk_init --thin` lays it out: bin, lib,
# lib64, sbin as on the host (symlinks into usr/), empty root-owned mount
# points behind them, an empty placeholder etc/ld.so.cache.
#
# Checks: jk_list -s / --json give the kind (thin, and copy for a jail made
# by jk_init); jk_check finds nothing on a sound thin jail (libraries looked
# up through the binds) and reports a group-writable mount point, a
# symlinked mount point and a bind source owned by a user; jk_update brings a
# changed copied /etc file up to date and creates nothing under the jail's
# usr/, with the default directories and with /usr/ named.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_LIST
need_tool JK_CHECK
need_tool JK_UPDATE
need_tool JK_CP
need_tool JK_INIT
need_cmd python3 pgrep unshare chroot
setup_root
private_confdir

# ---------------------------------------------------------------- a thin jail by hand
T=$(make_jail thin)
install -d -m 0755 -o 0 -g 0 "$T/usr" "$T/etc" "$T/home"
for d in bin lib lib64 sbin; do
    [[ -L /$d ]] || continue
    target=$(readlink "/$d")
    ln -s "$target" "$T/$d"
    install -d -m 0755 -o 0 -g 0 "$T/$target"
done
install -m 0644 -o 0 -g 0 /dev/null "$T/etc/ld.so.cache"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$T/etc/passwd"
printf 'root:x:0:\n' >"$T/etc/group"
chmod 0644 "$T/etc/passwd" "$T/etc/group"
# A program of the jail's own, outside the binds: its libraries are the host's.
install -d -m 0755 -o 0 -g 0 "$T/home/app"
install -m 0755 -o 0 -g 0 "$(readlink -f /usr/bin/true)" "$T/home/app/true"

# The copied /etc file, through a private copy bound over the host's in this
# test's own mount namespace: changing it changes nobody else's /etc.
HOSTCONF=/etc/host.conf
[[ -f $HOSTCONF ]] || fatal "no $HOSTCONF on this host"
install -m 0644 -o 0 -g 0 "$HOSTCONF" "$T_ROOT/host.conf"
mount --bind "$T_ROOT/host.conf" "$HOSTCONF" || fatal "cannot bind over $HOSTCONF"
"$JK_CP" -j "$T" "$HOSTCONF" >/dev/null 2>&1 || fatal "jk_cp $HOSTCONF into the thin jail failed"

POLICY=$(jail_policy_file "$T")
policy() { printf '%s\n' "$@" >"$POLICY"; chown 0:0 "$POLICY"; chmod 0644 "$POLICY"; }
policy '[thin]' 'ro_binds = /usr, /etc/ld.so.cache'

# A copy jail next to it.
C=$(make_jail copy)
"$JK_INIT" -c "$JK_INIT_INI" -j "$C" basicshell >/dev/null 2>&1 || fatal "jk_init basicshell in $C failed"

# ---------------------------------------------------------------- jk_list
M1="4000.$$1" M2="4000.$$2"
stop_all() { local p; for p in $(pgrep -f "4000\.$$[0-9]"); do kill "$p"; done; }
on_exit stop_all
# A process in the thin jail as a login would have it: the binds in a mount
# namespace of its own, then the chroot.
unshare --mount --propagation private bash -c \
    "mount --bind -o ro /usr '$T/usr' && mount --bind -o ro /etc/ld.so.cache '$T/etc/ld.so.cache' &&
     exec chroot '$T' /usr/bin/sleep $M1" </dev/null >/dev/null 2>&1 &
chroot "$C" /bin/sh -c "exec sleep $M2" </dev/null >/dev/null 2>&1 &
for m in "$M1" "$M2"; do
    for _ in $(seq 100); do
        p=$(pgrep -fx "sleep $m" || pgrep -fx "/usr/bin/sleep $m") && [[ "$(readlink "/proc/$p/root")" != / ]] && break
        sleep 0.05
    done
done

run_cmd "$JK_LIST" -s -j "$T" -j "$C"
assert_rc "jk_list -s exits 0" 0
assert_match "jk_list -s: the header names the kind" "^Processes Kind +Jail" "$(head -n1 <<<"$R_OUT")"
assert_match "jk_list -s: the thin jail is thin, with its plan" \
    "^ +1 thin +$T  isolated: .*thin=/etc/ld.so.cache,/usr" "$(grep -F " $T " <<<"$R_OUT")"
assert_match "jk_list -s: the jk_init jail is a copy jail" "^ +1 copy +$C\$" "$(grep -F " $C" <<<"$R_OUT")"

run_cmd "$JK_LIST" --json -j "$T" -j "$C"
assert_rc "jk_list --json exits 0" 0
got=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print(" ".join("%s=%s" % (j["jail"], j["kind"]) for j in d["jails"]))
' <<<"$R_OUT" 2>&1)
assert_eq "jk_list --json: kind thin and copy" "$C=copy $T=thin" "$got"
run_cmd "$JK_LIST" -w -j "$T"
assert_match "the per-process table keeps jailkit's columns" "^ *Pid +User +Jail +Command\$" "$(head -n1 <<<"$R_OUT")"
stop_all

# ---------------------------------------------------------------- jk_check
run_cmd "$JK_CHECK" -v "$T"
assert_rc "jk_check: a sound thin jail has no finding" 0
assert_not_contains "... nothing reported as an error" "ERROR" "$R_OUT"
assert_not_contains "... nor as a warning" "WARNING" "$R_OUT"
assert_contains "-v: the jail was checked as a login sees it" "thin jail $T assembled" "$R_OUT"
assert_contains "-v: the bind points are not walked" "not checking $T/usr: the host binds it" "$R_OUT"

chmod g+w "$T/usr"
run_cmd "$JK_CHECK" "$T"
assert_rc "jk_check: a group-writable mount point is a finding (2)" 2
assert_contains "... named, with the rule it fails" "'$T/usr' is writable by group" "$R_OUT"
assert_contains "... as a refused bind of the thin jail" "every entry into the thin jail $T fails" "$R_OUT"
run_cmd "$JK_CHECK" --json "$T"
assert_contains "--json: kind thin-bind" '"kind":"thin-bind"' "$R_OUT"
chmod g-w "$T/usr"

rm "$T/etc/ld.so.cache"
ln -s /etc/ld.so.cache "$T/etc/ld.so.cache"
run_cmd "$JK_CHECK" "$T"
assert_rc "jk_check: a symlinked mount point is a finding (2)" 2
assert_match "... named as a symlink" "'$T/etc/ld.so.cache'.*symbolic link|symbolic link.*'$T/etc/ld.so.cache'" "$R_OUT"
rm "$T/etc/ld.so.cache"
install -m 0644 -o 0 -g 0 /dev/null "$T/etc/ld.so.cache"

U=$(make_user)
X=$T_ROOT/opt-x
install -d -m 0755 -o "$U" -g "$U" "$X"
install -d -m 0755 -o 0 -g 0 "$T$X"
policy '[thin]' "ro_binds = /usr, /etc/ld.so.cache, $X"
run_cmd "$JK_CHECK" "$T"
assert_rc "jk_check: a bind source owned by a user is a finding (2)" 2
assert_contains "... the source named" "'$X' is not owned by root" "$R_OUT"
assert_not_contains "... and its sound mount point is not" "'$T$X'" "$R_OUT"
policy '[thin]' 'ro_binds = /usr, /etc/ld.so.cache'

run_cmd "$JK_CHECK" "$T"
assert_rc "jk_check: sound again once repaired" 0

# ---------------------------------------------------------------- jk_update
listing_usr() { (cd "$T/usr" && find . | LC_ALL=C sort); }
before_usr=$(listing_usr)
run_cmd "$JK_UPDATE" -j "$T"
assert_rc "jk_update: nothing to do on a current thin jail" 0
assert_eq "... and nothing said" "" "$R_OUT"

printf '# changed by thin_tools.sh\nmulti on\norder hosts,bind\n' >"$T_ROOT/host.conf"
run_cmd "$JK_UPDATE" -j "$T" -d
assert_rc "jk_update -d: the changed /etc file is pending (3)" 3
assert_contains "... named" "will update outdated file $T$HOSTCONF" "$R_OUT"
run_cmd "$JK_UPDATE" -j "$T" -v
assert_rc "jk_update: updates the thin jail" 0
assert_contains "... the changed /etc file" "removing outdated file $T$HOSTCONF" "$R_OUT"
assert_contains "-v: says why it looks only at the manifest" "thin jail: updating only the files its manifest lists" "$R_OUT"
assert_same_content "... the jail's copy is the host's new one" "$HOSTCONF" "$T$HOSTCONF"
assert_eq "... nothing created under the jail's usr/" "$before_usr" "$(listing_usr)"
assert_missing "... nor a library cache in the placeholder's place" "$T/etc/ld.so.cache.jk-new"
check "... the placeholder ld.so.cache is still empty" test ! -s "$T/etc/ld.so.cache"

run_cmd "$JK_UPDATE" -j "$T" /usr/ /bin/ /lib/
assert_rc "jk_update with /usr/ named on a thin jail" 0
assert_eq "... nothing created under the jail's usr/ either" "$before_usr" "$(listing_usr)"
run_cmd "$JK_CHECK" "$T"
assert_rc "jk_check after the update: no finding" 0

finish
