#!/usr/bin/env bash
# jk_init --thin (issue 13): a jail holding only its own files (/etc copies,
# users, devices, empty dirs) with the host's system roots and loader cache
# bound read-only at entry through the [thin] section of its policy file.
# Checked: the jail's size and emptiness of its usr/ and lib dirs, the
# policy's [thin] with the admin's section kept, an idempotent re-run, a
# section path outside the system bound on its own, jk_exec running in the
# jail, and conversion copy -> thin -> copy keeping homes and users.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_INIT
need_tool JK_EXEC
need_cmd systemd-escape du find stat
setup_root
private_confdir

policy_of() { printf '%s/jails.d/%s.ini\n' "$T_CONF" "$(systemd-escape --path "$1")"; }

# What the host makes the binds: its real system roots and its loader cache.
expected=()
for r in /usr /bin /sbin /lib /lib64 /lib32 /libx32; do
    [[ -d $r && ! -L $r ]] && expected+=("$r")
done
[[ -f /etc/ld.so.cache && ! -L /etc/ld.so.cache ]] && expected+=(/etc/ld.so.cache)
binds_line() { printf '%s\n' "$@" | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g'; }

# A path outside the system and /etc: bound on its own.
DATA=$T_ROOT/src/data
install -d -m 0755 "$DATA" && echo payload >"$DATA/file"
CFG=$T_ROOT/cfg/jk_init.ini
printf '\n[thindata]\npaths = %s\nincludesections = basicshell\n' "$DATA" >>"$CFG"

# ============================================================ a new thin jail
J=$(make_jail thin)
P=$(policy_of "$J")
install -d -m 0755 "$T_CONF/jails.d"
admin=$'# web jail, by the admin\n[isolation]\nisolate = none\n'
printf '%s' "$admin" >"$P"

run_cmd "$JK_INIT" --thin -c "$CFG" -j "$J" thindata
assert_rc "jk_init --thin thindata" 0
kb=$(du -sk "$J" | cut -f1)
if ((kb < 200)); then ok "the thin jail is tiny (${kb} KB)"; else not_ok "the thin jail is ${kb} KB (>= 200)"; fi
for r in /usr /bin /sbin /lib /lib64 /lib32 /libx32; do
    [[ -e $J$r && ! -L $J$r ]] || continue
    assert_eq "no file under the jail's $r" "" "$(find "$J$r" -mindepth 1 ! -type d | head -5)"
done
for r in /bin /sbin /lib /lib64 /lib32 /libx32; do
    [[ -L $r ]] || continue
    assert_link "JAIL$r is the host's link" "$J$r" "$(readlink "$r")"
    assert_type "... and leads to an empty directory" "$J/$(readlink "$r")" "directory"
done
assert_type "etc/ld.so.cache is a placeholder file" "$J/etc/ld.so.cache" "regular empty file"
assert_mode "... 0644" "$J/etc/ld.so.cache" 644
assert_owner "... root's" "$J/etc/ld.so.cache" root:root
assert_type "the data path's mount point" "$J$DATA" "directory"
assert_eq "its mount point is empty" "" "$(ls -A "$J$DATA")"
assert_type "/etc files are copied" "$J/etc/profile" "regular file"
assert_contains "the jail's users are written" "root:" "$(cat "$J/etc/passwd")"
assert_type "devices are made" "$J/dev/null" "character special file"
assert_type "emptydirs are made" "$J/tmp" "directory"
assert_mode "the jail stays sshd's ChrootDirectory kind" "$J" 755
assert_owner "... root's" "$J" root:root

text=$(cat "$P")
assert_eq "the policy keeps the admin's lines and gains [thin]" \
    "${admin}"$'\n'"[thin]"$'\n'"ro_binds = $(binds_line "${expected[@]}" "$DATA")" "$text"
assert_mode "the policy file is 0644" "$P" 644
assert_eq "no temporary file is left in jails.d" "" "$(find "$T_CONF/jails.d" -name '.jk-*')"

run_cmd "$JK_EXEC" "$J" /bin/sh -c 'echo ok'
assert_rc "jk_exec runs /bin/sh in the thin jail" 0
assert_eq "... which prints ok" "ok" "$R_OUT"
run_cmd "$JK_EXEC" "$J" /bin/cat "$DATA/file"
assert_eq "the data path is seen through its bind" "payload" "$R_OUT"
run_cmd "$JK_EXEC" "$J" /bin/sh -c 'echo x >/usr/bin/jk-thin-probe'
assert_ne "the system is read-only in the jail" 0 "$R_RC"
assert_missing "... and nothing was written on the host" /usr/bin/jk-thin-probe

before=$(tree_listing "$J")
run_cmd "$JK_INIT" --thin -c "$CFG" -j "$J" thindata
assert_rc "a second jk_init --thin" 0
assert_eq "... changes nothing in the jail" "$before" "$(tree_listing "$J")"
assert_eq "... nor in the policy" "$text" "$(cat "$P")"

# Back to a copy jail: [thin] goes, the admin's section stays.
run_cmd "$JK_INIT" -c "$CFG" -j "$J" basicshell
assert_rc "jk_init without --thin on the thin jail" 0
assert_eq "[thin] is removed, the admin's lines kept" "$admin" "$(cat "$P")"$'\n'
assert_type "programs are copied again" "$J/usr/bin/bash" "regular file"

# ============================================================ copy -> thin -> copy
U=$(make_user)
printf '\n[thinuser]\nusers = %s\nincludesections = basicshell\n' "$U" >>"$CFG"
J2=$(make_jail conv)
P2=$(policy_of "$J2")
run_cmd "$JK_INIT" -c "$CFG" -j "$J2" thinuser
assert_rc "a copy jail" 0
assert_type "... with bash copied" "$J2/usr/bin/bash" "regular file"
install -d -m 0700 -o "$U" "$J2/home/$U" && echo mine >"$J2/home/$U/file"
echo admin >"$J2/usr/bin/jk-admin-tool"

run_cmd "$JK_INIT" --thin -c "$CFG" -j "$J2" thinuser
assert_rc "made thin" 0
assert_missing "the copied bash is removed" "$J2/usr/bin/bash"
assert_eq "only the admin's file is left under usr/" "$J2/usr/bin/jk-admin-tool" \
    "$(find "$J2/usr" -mindepth 1 ! -type d)"
assert_contains "... and named in a warning" "$J2/usr/bin/jk-admin-tool" "$R_ERR"
assert_type "the loader cache is a placeholder now" "$J2/etc/ld.so.cache" "regular empty file"
assert_eq "the policy is [thin] alone" "[thin]"$'\n'"ro_binds = $(binds_line "${expected[@]}")" "$(cat "$P2")"
assert_eq "the home file is kept" "mine" "$(cat "$J2/home/$U/file")"
assert_contains "the user is kept" "$U:" "$(cat "$J2/etc/passwd")"
run_cmd "$JK_EXEC" "$J2" /bin/sh -c 'echo ok'
assert_eq "jk_exec runs in the converted jail" "ok" "$R_OUT"

run_cmd "$JK_INIT" -c "$CFG" -j "$J2" thinuser
assert_rc "made a copy jail again" 0
assert_missing "the policy file is removed (nothing else in it)" "$P2"
assert_type "bash is copied again" "$J2/usr/bin/bash" "regular file"
if [[ -s $J2/etc/ld.so.cache ]]; then ok "the jail has its own loader cache again"; else not_ok "no loader cache"; fi
assert_eq "the home file is kept" "mine" "$(cat "$J2/home/$U/file")"
assert_contains "the user is kept" "$U:" "$(cat "$J2/etc/passwd")"
run_cmd "$JK_EXEC" "$J2" /bin/sh -c 'echo ok'
assert_eq "jk_exec runs in the copy jail" "ok" "$R_OUT"

finish
