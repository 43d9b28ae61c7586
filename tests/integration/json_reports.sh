#!/bin/bash
# The --json and --dry-run reports of jk_cp, jk_init and jk_update
# (jk_json(5); issue 16, "results a machine can read"), on real jails:
#   - every document is checked against the format (tests/lib/check_json_report.py);
#   - a dry run changes nothing (the jail's full listing, the confdir's) and
#     names exactly what the real run then does;
#   - a second run reports changed=false, and so does a dry run after it;
#   - updates and removals (jk_cp -f, jk_update) are reported as such, an
#     admin's file as left alone with its reason;
#   - failures print the document with the tool's message and change nothing;
#   - a file name that is not UTF-8 still gives valid JSON.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CP
need_tool JK_INIT
need_tool JK_UPDATE
need_tool JK_JAILUSER
need_cmd python3 sha256sum find usermod getent
setup_root
private_confdir
cd "$T_ROOT/cwd" 2>/dev/null || cd "$T_ROOT" || fatal "cd"

CHECK=$here/../lib/check_json_report.py
# report TOOL QUERY... < document : the answers, or "INVALID: why".
report() { local out; out=$(python3 "$CHECK" "$@" 2>&1) || { echo "INVALID: $out"; return; }; printf '%s\n' "$out"; }
listing() { (cd "$1" && find . -printf '%p %y %i %m %u %g %s %T@ %l\n' | LC_ALL=C sort
             cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }

SRC=$T_ROOT/src
install -d -m 0755 "$SRC/app/sub"
printf 'one\n' >"$SRC/app/a.txt"
printf 'two\n' >"$SRC/app/sub/b.txt"
ln -s a.txt "$SRC/app/link"
cp /usr/bin/true "$SRC/app/prog"

# ---------------------------------------------------------------- jk_cp
J=$(make_jail cp)
before=$(listing "$J")
run_cmd "$JK_CP" --dry-run --json -j "$J" "$SRC/app/a.txt" "$SRC/app/link" "$SRC/app/sub/b.txt" "$SRC/app/prog"
assert_eq "jk_cp --dry-run --json: exit 0" 0 "$R_RC"
dry=$R_OUT
assert_eq "jk_cp --dry-run --json: a valid report, dry_run and changed" $'true\ntrue' "$(report jk_cp dry_run changed <<<"$dry")"
assert_eq "jk_cp --dry-run: the jail is exactly as it was" "$before" "$(listing "$J")"
assert_contains "jk_cp --dry-run: the program is to be created" "$SRC/app/prog" "$(report jk_cp paths:created <<<"$dry")"
assert_contains "jk_cp --dry-run: its libraries too, marked as such" "library" \
    "$(report jk_cp "detail:created:$(readlink -f /lib64/ld-linux-x86-64.so.2)" <<<"$dry")"

run_cmd "$JK_CP" --json -j "$J" "$SRC/app/a.txt" "$SRC/app/link" "$SRC/app/sub/b.txt" "$SRC/app/prog"
assert_eq "jk_cp --json: exit 0" 0 "$R_RC"
real=$R_OUT
assert_eq "jk_cp --json: changed, not a dry run" $'false\ntrue' "$(report jk_cp dry_run changed <<<"$real")"
assert_eq "jk_cp: the run created exactly what the dry run named" \
    "$(report jk_cp paths:created <<<"$dry")" "$(report jk_cp paths:created <<<"$real")"
for p in "$SRC/app/a.txt" "$SRC/app/link" "$SRC/app/sub/b.txt" "$SRC/app/prog"; do
    assert_exists "jk_cp: ${p##*/} is in the jail" "$J$p"
done
assert_eq "jk_cp --json: stdout is the document alone (one line)" 1 "$(printf '%s\n' "$real" | wc -l)"

run_cmd "$JK_CP" --json -j "$J" "$SRC/app/a.txt" "$SRC/app/link" "$SRC/app/sub/b.txt" "$SRC/app/prog"
again=$R_OUT
assert_eq "jk_cp again: changed=false, nothing created or updated" $'false\n0\n0' \
    "$(report jk_cp changed count:created count:updated <<<"$again")"
assert_contains "jk_cp again: the file is listed as left alone" "$SRC/app/a.txt" "$(report jk_cp paths:unchanged <<<"$again")"
run_cmd "$JK_CP" --dry-run -j "$J" "$SRC/app/a.txt" "$SRC/app/prog"
assert_eq "jk_cp --dry-run (text) after it: nothing to do" "0:nothing to do" "$R_RC:$R_OUT"

run_cmd "$JK_CP" --dry-run -f -j "$J" "$SRC/app/a.txt"
assert_eq "jk_cp --dry-run -f (text): one line, the update" "would update file $SRC/app/a.txt" "$R_OUT"
ino=$(stat -c %i "$J$SRC/app/a.txt")
run_cmd "$JK_CP" --json -f -j "$J" "$SRC/app/a.txt"
assert_eq "jk_cp -f --json: a.txt updated, nothing created" "$SRC/app/a.txt:0" \
    "$(report jk_cp paths:updated count:created <<<"$R_OUT" | paste -sd:)"
assert_ne "jk_cp -f: a.txt was really replaced (new inode)" "$ino" "$(stat -c %i "$J$SRC/app/a.txt")"

# A name that is not UTF-8: the document stays valid JSON.
bad=$SRC/app/$'caf\xe9'
printf 'x\n' >"$bad"
run_cmd "$JK_CP" --json -j "$J" "$bad"
assert_eq "jk_cp --json with a non-UTF-8 name: valid, changed" "true" "$(report jk_cp changed <<<"$R_OUT")"
assert_contains "jk_cp --json: the byte is written as \\u00e9" 'caf\u00e9' "$R_OUT"

# Failures: the document with the tool's message, nothing changed.
U=$(make_jail unsafe); chmod 0775 "$U"; before=$(listing "$U")
run_cmd "$JK_CP" --json -j "$U" "$SRC/app/a.txt"
assert_eq "jk_cp --json into a group-writable jail: exit 6" 6 "$R_RC"
assert_contains "jk_cp --json: the error is the tool's message" "not safe" "$(report jk_cp error <<<"$R_OUT")"
assert_eq "jk_cp --json: the failed run says changed=false" false "$(report jk_cp changed <<<"$R_OUT")"
assert_contains "jk_cp --json: the message is on stderr too" "not safe" "$R_ERR"
assert_eq "jk_cp: the unsafe jail is untouched" "$before" "$(listing "$U")"
run_cmd "$JK_CP" --json -j "$J" "$SRC/app/missing"
assert_eq "jk_cp --json with a missing file: exit 4 and the message in the document" \
    "4:ERROR: $SRC/app/missing does not exist" "$R_RC:$(report jk_cp error <<<"$R_OUT")"

# ---------------------------------------------------------------- jk_init
INI=$T_ROOT/init.ini
cat >"$INI" <<INI
[files]
comment = a few host files
paths = $SRC/app/a.txt, $SRC/app/prog
emptydirs = /srv/data/uploads
users = root
groups = root
need_logsocket = yes
INI
J2=$T_ROOT/jails/init-new
SOCKETD_INI=$T_ROOT/jk_socketd.ini  # beside -c's file, as jailkit has it
run_cmd "$JK_INIT" --dry-run --json -c "$INI" -j "$J2" files
assert_eq "jk_init --dry-run --json of a jail still to be made: exit 0" 0 "$R_RC"
dry=$R_OUT
assert_eq "jk_init --dry-run: valid, dry_run, changed" $'true\ntrue' "$(report jk_init dry_run changed <<<"$dry")"
assert_missing "jk_init --dry-run: the jail directory was not made" "$J2"
assert_missing "jk_init --dry-run: no jk_socketd.ini written" "$SOCKETD_INI"
for p in "$J2" /etc/passwd /etc/group /srv/data/uploads "$SRC/app/prog" "$SOCKETD_INI"; do
    assert_contains "jk_init --dry-run names $p" "$p" "$(report jk_init paths:created paths:updated <<<"$dry")"
done
run_cmd "$JK_INIT" --json -c "$INI" -j "$J2" files
assert_eq "jk_init --json: exit 0" 0 "$R_RC"
real=$R_OUT
assert_eq "jk_init: the run created and updated exactly what the dry run named" \
    "$(report jk_init paths:created paths:updated <<<"$dry")" "$(report jk_init paths:created paths:updated <<<"$real")"
assert_exists "jk_init: the empty directory is there" "$J2/srv/data/uploads"
assert_contains "jk_init: the jail's log socket is registered" "[$J2/dev/log]" "$(cat "$SOCKETD_INI")"
assert_contains "jk_init: root is in the jail's passwd" "root:x:0:0" "$(cat "$J2/etc/passwd")"
run_cmd "$JK_INIT" --json -c "$INI" -j "$J2" files
assert_eq "jk_init again: exit 0, changed=false" "0:false" "$R_RC:$(report jk_init changed <<<"$R_OUT")"
before=$(listing "$J2")
run_cmd "$JK_INIT" --dry-run -c "$INI" -j "$J2" files
assert_eq "jk_init --dry-run (text) after it: nothing to do" "0:nothing to do" "$R_RC:$R_OUT"
rm "$J2/etc/group"
run_cmd "$JK_INIT" --dry-run --json -c "$INI" -j "$J2" files
assert_eq "jk_init --dry-run after /etc/group went: that file alone" "/etc/group" \
    "$(report jk_init paths:created paths:updated <<<"$R_OUT" | tr -s '\n' ' ' | xargs)"
assert_missing "jk_init --dry-run: /etc/group still missing" "$J2/etc/group"

# Thin jails: a new one, then a copy jail made thin (its system copies removed).
changes_of() { report jk_init paths:created paths:updated paths:removed; }
JT=$T_ROOT/jails/thin-new
run_cmd "$JK_INIT" --dry-run --json --thin -c "$INI" -j "$JT" files
assert_eq "jk_init --dry-run --thin --json of a new jail: exit 0, changed" "0:true" "$R_RC:$(report jk_init changed <<<"$R_OUT")"
dry=$R_OUT
assert_missing "jk_init --dry-run --thin: nothing made" "$JT"
assert_missing "jk_init --dry-run --thin: no policy written" "$(jail_policy_file "$JT")"
policy=$(jail_policy_file "$JT")
assert_contains "jk_init --dry-run --thin: the policy file is to be created" "$JK_SYSCONFDIR/jails.d/${policy##*/}" \
    "$(report jk_init paths:created <<<"$dry")"
run_cmd "$JK_INIT" --json --thin -c "$INI" -j "$JT" files
assert_eq "jk_init --thin --json: exit 0" 0 "$R_RC"
assert_eq "jk_init --thin: the run did exactly what the dry run named" "$(changes_of <<<"$dry")" "$(changes_of <<<"$R_OUT")"
run_cmd "$JK_INIT" --json --thin -c "$INI" -j "$JT" files
assert_eq "jk_init --thin again: changed=false" false "$(report jk_init changed <<<"$R_OUT")"
JC=$(make_jail copy-to-thin)
"$JK_INIT" -c "$JK_INIT_INI" -j "$JC" basicshell >/dev/null 2>&1 || fatal "jk_init basicshell"
before=$(listing "$JC")
run_cmd "$JK_INIT" --dry-run --json --thin -c "$JK_INIT_INI" -j "$JC" basicshell
assert_eq "jk_init --dry-run --thin of a copy jail: exit 0" 0 "$R_RC"
dry=$R_OUT
assert_ne "jk_init --dry-run --thin of a copy jail: its system copies are to be removed" 0 \
    "$(report jk_init count:removed <<<"$dry")"
assert_eq "jk_init --dry-run --thin: the copy jail is exactly as it was" "$before" "$(listing "$JC")"
run_cmd "$JK_INIT" --json --thin -c "$JK_INIT_INI" -j "$JC" basicshell
assert_eq "jk_init --thin of the copy jail: the run did exactly what the dry run named" \
    "$(changes_of <<<"$dry")" "$(changes_of <<<"$R_OUT")"
assert_missing "jk_init --thin: the copied /bin/bash is gone (the host's is bound)" "$JC/usr/bin/bash"

# --policy: the jail's isolation policy holds the file's sections.
"$JK_INIT" -c "$INI" -j "$J2" files >/dev/null 2>&1 || fatal "jk_init $J2 again"
POL=$T_ROOT/policy.ini
printf '[limits]\nnproc = 512\n' >"$POL"
pfile=$(jail_policy_file "$J2"); pshown=$JK_SYSCONFDIR/jails.d/${pfile##*/}
run_cmd "$JK_INIT" --dry-run --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy --dry-run: exactly the policy file to be created" "0:$pshown" \
    "$R_RC:$(report jk_init paths:created paths:updated <<<"$R_OUT" | paste -sd' ' | sed 's/ *$//')"
assert_missing "jk_init --policy --dry-run: no policy written" "$pfile"
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy: the policy file created" "0:$pshown" "$R_RC:$(report jk_init paths:created <<<"$R_OUT")"
assert_eq "jk_init --policy: it holds the file's sections" "$(cat "$POL")" "$(cat "$pfile" 2>/dev/null)"
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy again: changed=false" false "$(report jk_init changed <<<"$R_OUT")"
printf '[limits]\nnproc = 256\n' >"$POL"
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy with another value: the policy updated" "$pshown" "$(report jk_init paths:updated <<<"$R_OUT")"
printf '[limits]\nnproc = lots\n' >"$POL"
before=$(cat "$pfile")
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_ne "jk_init --policy with a malformed value: refused" 0 "$R_RC"
assert_contains "jk_init --policy refused: the message names the file" "$POL" "$(report jk_init error <<<"$R_OUT")"
assert_eq "jk_init --policy refused: the policy is as it was" "$before" "$(cat "$pfile")"
printf '[thin]\nro_binds = /usr\n' >"$POL"
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy with a [thin] section: exit 1" 1 "$R_RC"
: >"$POL"
run_cmd "$JK_INIT" --json --policy="$POL" -c "$INI" -j "$J2" files
assert_eq "jk_init --policy with no section: the policy removed" "0:$pshown" \
    "$R_RC:$(report jk_init paths:removed <<<"$R_OUT")"
assert_missing "jk_init --policy with no section: no policy file" "$pfile"

run_cmd "$JK_INIT" --json --strict -c "$INI" -j "$J2" files nosuchsection
assert_eq "jk_init --json --strict with a missing section: exit 4" 4 "$R_RC"
assert_contains "jk_init --json --strict: the document carries the refusal" "nosuchsection" \
    "$(report jk_init error <<<"$R_OUT")"
before=$(listing "$U")
run_cmd "$JK_INIT" --json -c "$INI" -j "$U" files
assert_eq "jk_init --json into a group-writable jail: exit 3, changed=false" "3:false" \
    "$R_RC:$(report jk_init changed <<<"$R_OUT")"
assert_eq "jk_init: the unsafe jail is untouched" "$before" "$(listing "$U")"

# ---------------------------------------------------------------- jk_update
J3=$(make_jail upd)
"$JK_CP" -j "$J3" "$SRC/app/a.txt" "$SRC/app/sub/b.txt" >/dev/null || fatal "jk_cp for jk_update"
printf 'the admin\n' >"$J3$SRC/app/admin.txt"
run_cmd "$JK_UPDATE" --json -j "$J3" "$SRC"
assert_eq "jk_update --json, nothing to do: exit 0, changed=false" "0:false" "$R_RC:$(report jk_update changed <<<"$R_OUT")"
assert_eq "jk_update --json: the admin's file is left alone, with the reason" "not installed by the suite" \
    "$(report jk_update "detail:unchanged:$SRC/app/admin.txt" <<<"$R_OUT")"
rm "$SRC/app/sub/b.txt"
printf 'one, longer now\n' >"$SRC/app/a.txt"
before=$(listing "$J3")
run_cmd "$JK_UPDATE" --json -d -j "$J3" "$SRC"
assert_eq "jk_update --json -d with changes pending: exit 3" 3 "$R_RC"
assert_eq "jk_update --json -d: a.txt to update, b.txt to remove" "$SRC/app/a.txt|$SRC/app/sub/b.txt" \
    "$(report jk_update paths:updated paths:removed <<<"$R_OUT" | paste -sd'|')"
assert_eq "jk_update -d: the jail is exactly as it was" "$before" "$(listing "$J3")"
run_cmd "$JK_UPDATE" --json --max-remove=0 -j "$J3" "$SRC"
assert_eq "jk_update --json --max-remove=0: exit 4, the refusal in the document" "4:true" \
    "$R_RC:$(report jk_update error <<<"$R_OUT" | grep -c 'more than --max-remove=0' | sed 's/^1$/true/')"
assert_eq "jk_update refused: the jail is exactly as it was" "$before" "$(listing "$J3")"
run_cmd "$JK_UPDATE" --json -j "$J3" "$SRC"
assert_eq "jk_update --json: exit 0" 0 "$R_RC"
assert_eq "jk_update --json: a.txt updated, b.txt removed" "$SRC/app/a.txt|$SRC/app/sub/b.txt" \
    "$(report jk_update paths:updated paths:removed <<<"$R_OUT" | paste -sd'|')"
assert_same_content "jk_update: a.txt is the host's new version" "$SRC/app/a.txt" "$J3$SRC/app/a.txt"
assert_missing "jk_update: b.txt is gone" "$J3$SRC/app/sub/b.txt"
run_cmd "$JK_UPDATE" --json -j "$J3" "$SRC"
assert_eq "jk_update again: changed=false" false "$(report jk_update changed <<<"$R_OUT")"
assert_exists "jk_update: the admin's file is still there" "$J3$SRC/app/admin.txt"

# ---------------------------------------------------------------- jk_jailuser
J4=$(make_jail users)
"$JK_CP" -j "$J4" /bin/sh >/dev/null || fatal "jk_cp /bin/sh"
install -d -m 0755 "$J4/etc"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$J4/etc/passwd"
USR=$(make_user)
HOME_OLD=$T_ROOT/homes/$USR
install -d -m 0755 "$T_ROOT/homes"
install -d -m 0700 -o "$USR" -g "$USR" "$HOME_OLD"
printf 'mine\n' >"$HOME_OLD/notes"
usermod -d "$HOME_OLD" "$USR" >/dev/null 2>&1 || fatal "usermod -d"
CHSH=$T_ROOT/bin/jk_chrootsh
host_entry() { getent passwd "$USR"; }
before=$(listing "$J4"); host_before=$(host_entry)
run_cmd "$JK_JAILUSER" --dry-run --json -m -s /bin/sh --chrootsh="$CHSH" -j "$J4" "$USR"
assert_eq "jk_jailuser --dry-run --json -m: exit 0, valid, changed" "0:true:true" \
    "$R_RC:$(report jk_jailuser dry_run changed <<<"$R_OUT" | paste -sd:)"
dry=$R_OUT
assert_eq "jk_jailuser --dry-run: created the jail's group and the home's new place; updated the jail's and the host's passwd" \
    "/etc/group $HOME_OLD|/etc/passwd /etc/passwd" "$(report jk_jailuser paths:created paths:updated <<<"$dry" | paste -sd'|')"
assert_eq "jk_jailuser --dry-run: the old home is to be removed (moved)" "$HOME_OLD" \
    "$(report jk_jailuser paths:removed <<<"$dry")"
assert_contains "jk_jailuser --dry-run: the host account is to be changed" "host account $USR" \
    "$(report jk_jailuser detail:updated:/etc/passwd <<<"$dry")"
assert_eq "jk_jailuser --dry-run: the jail is exactly as it was" "$before" "$(listing "$J4")"
assert_eq "jk_jailuser --dry-run: the host account is as it was" "$host_before" "$(host_entry)"
assert_exists "jk_jailuser --dry-run: the home is where it was" "$HOME_OLD/notes"
run_cmd "$JK_JAILUSER" --json -m -s /bin/sh --chrootsh="$CHSH" -j "$J4" "$USR"
assert_eq "jk_jailuser --json -m: exit 0" 0 "$R_RC"
assert_eq "jk_jailuser: the run did exactly what the dry run named" \
    "$(report jk_jailuser paths:created paths:updated paths:removed <<<"$dry")" \
    "$(report jk_jailuser paths:created paths:updated paths:removed <<<"$R_OUT")"
assert_eq "jk_jailuser: the host account now points into the jail" "$J4/.$HOME_OLD:$CHSH" \
    "$(host_entry | cut -d: -f6,7)"
assert_exists "jk_jailuser: the home moved into the jail" "$J4$HOME_OLD/notes"
run_cmd "$JK_JAILUSER" --json -m -s /bin/sh --chrootsh="$CHSH" -j "$J4" "$USR"
assert_eq "jk_jailuser again: exit 0, changed=false" "0:false" "$R_RC:$(report jk_jailuser changed <<<"$R_OUT")"
run_cmd "$JK_JAILUSER" --dry-run -m -s /bin/sh --chrootsh="$CHSH" -j "$J4" "$USR"
assert_eq "jk_jailuser --dry-run (text) after it: nothing to do" "0:nothing to do" "$R_RC:$R_OUT"
run_cmd "$JK_JAILUSER" --json -n -s /bin/sh -j "$J4" "nosuchuser$RANDOM"
assert_eq "jk_jailuser --json, a user that does not exist: exit 0 (jailkit), changed=false" "0:false" \
    "$R_RC:$(report jk_jailuser changed <<<"$R_OUT")"
assert_contains "jk_jailuser --json: the document carries the message" "does not exist" \
    "$(report jk_jailuser error <<<"$R_OUT")"
run_cmd "$JK_JAILUSER" --json -s /bin/sh -j "$U" "$USR"
assert_eq "jk_jailuser --json, an unsafe jail: exit 33 without asking, the message in the document" "33:true" \
    "$R_RC:$(report jk_jailuser error <<<"$R_OUT" | grep -i 'jail' >/dev/null && echo true)"

finish
