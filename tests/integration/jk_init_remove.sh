#!/usr/bin/env bash
# jk_init --remove (what the Ansible collection's state=absent calls): a
# jail, everything in it and its policy file go; symlinks in it are removed,
# never followed; a jail in use (a process rooted in it, a host user's home
# in it) or holding a mount point is refused before anything is deleted; a
# dry run and --json say what would go; removing twice is not an error.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_INIT
need_cmd python3 setpriv
setup_root
private_confdir
capture_syslog

build() {  # build NAME : a jail from jk_init with user-made clutter in it
    local j
    j=$(make_jail "$1")
    "$JK_INIT" -c "$JK_INIT_INI" -j "$j" basicshell >/dev/null 2>&1 || fatal "jk_init basicshell failed"
    install -d -m 0755 "$j/home/u/a/b/c"
    ln -s /etc "$j/home/u/etc-link"
    ln -s / "$j/home/u/root-link"
    ln -s "$T_ROOT/host" "$j/home/u/a/b/c/host-link"
    mkfifo "$j/home/u/fifo"
    printf '%s\n' "$j"
}
CANARY=$(canary_new remove)
host_watch /etc/hostname  # not /etc/passwd: the test adds a user

J=$(build one)
POLICY=$(jail_policy_file "$J")
printf '[isolation]\nnamespaces = pid\n' >"$POLICY"; chmod 0644 "$POLICY"
n_before=$(find "$J" -mindepth 1 | wc -l)

# ---------------------------------------------------------------- dry run
run_cmd "$JK_INIT" --remove --dry-run --json -j "$J"
assert_rc "a dry run succeeds" 0
assert_exists "... and the jail is still there" "$J/bin/bash"
assert_exists "... with its policy" "$POLICY"
check "... its JSON names the jail and the number of entries" \
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d["removed"];
sys.exit(not (d["dry_run"] and d["changed"] and r[0]["path"]==sys.argv[2] and r[0]["detail"].endswith(" %s entries in it" % sys.argv[3]) and r[1]["type"]=="config"))' \
    "$R_OUT" "$J" "$n_before"

# ---------------------------------------------------------------- refusals
run_cmd "$JK_INIT" --remove -j "$J/"
assert_rc "a jail not named canonically is refused" 1
run_cmd "$JK_INIT" --remove -j "$T_ROOT/jails/../jails/one"
assert_rc "... also with '..'" 1
run_cmd "$JK_INIT" --remove -j "$J" basicshell
assert_rc "--remove with a section is a usage error" 1
run_cmd "$JK_INIT" --remove
assert_rc "--remove without a jail exits 2" 2

install -d -m 0755 "$J/mnt"
mount -t tmpfs -o mode=0755 jk-remove "$J/mnt"
touch "$J/mnt/kept"
run_cmd "$JK_INIT" --remove -j "$J"
assert_rc "a mount point inside is refused" 1
assert_contains "... naming it" "$J/mnt' is a mount point" "$R_ERR"
assert_exists "... before anything is deleted" "$J/bin/bash"
assert_exists "... and what is mounted is untouched" "$J/mnt/kept"
umount "$J/mnt"
mount --bind "$J/home/u" "$J/home/u"
run_cmd "$JK_INIT" --remove -j "$J"
assert_rc "a bind mount of the jail's own directory is refused too" 1
umount "$J/home/u"

chroot "$J" /bin/sleep 60 &
SLEEPER=$!
on_exit kill "$SLEEPER"
for _ in $(seq 50); do [[ $(readlink "/proc/$SLEEPER/root" 2>/dev/null) == "$J" ]] && break; sleep 0.1; done
run_cmd "$JK_INIT" --remove -j "$J"
assert_rc "a process rooted in the jail refuses the removal" 1
assert_contains "... naming its pid" "$SLEEPER" "$R_ERR"
kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null

U=$(make_user)
usermod -d "$J/./home/u" "$U"
run_cmd "$JK_INIT" --remove -j "$J"
assert_rc "a host user whose home is in the jail refuses it" 1
assert_contains "... naming the user" "$U" "$R_ERR"
usermod -d /nonexistent "$U"

chmod 0777 "$J/etc"
run_cmd "$JK_INIT" --remove -j "$J"
assert_rc "an unsafe jail is refused (exit 3)" 3
chmod 0755 "$J/etc"
assert_exists "after every refusal the jail is whole" "$J/home/u/a/b/c/host-link"

# ---------------------------------------------------------------- removal
run_cmd "$JK_INIT" --remove --json -j "$J"
assert_rc "the removal succeeds" 0
assert_missing "the jail is gone" "$J"
assert_missing "... and its policy file" "$POLICY"
check "... the report says removed" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(not (d["changed"] and not d["dry_run"] and len(d["removed"])==2))' "$R_OUT"
assert_exists "the parent stays" "$T_ROOT/jails"
syslog_has "the removal is in syslog" "removed the jail $J"

run_cmd "$JK_INIT" --remove --json -j "$J"
assert_rc "removing it again is fine" 0
check "... and changes nothing" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(d["changed"])' "$R_OUT"

J2=$(build two)
POLICY2=$(jail_policy_file "$J2")
rm -rf --one-file-system "$J2"
printf '[isolation]\nnamespaces = pid\n' >"$POLICY2"; chmod 0644 "$POLICY2"
run_cmd "$JK_INIT" --remove -j "$J2"
assert_rc "a jail already gone: its leftover policy is removed" 0
assert_missing "... the policy file" "$POLICY2"

run_cmd setpriv --reuid="$U" --regid="$U" --clear-groups "$JK_INIT" --remove -j "$T_ROOT/jails/three"
assert_rc "not root: refused" 5

canary_check "no host file was touched (the symlinks in the jail were removed, never followed)"
finish
