#!/usr/bin/env bash
# Hostile jail contents for jk_update and jk_check (issue 11), run as root on
# jails built with the real jk_cp:
#   jk_update  an installed file the admin replaced (a new inode) or edited
#              in place, whose host original is then deleted or changed, is
#              neither removed nor overwritten: "left alone (changed since
#              installed)", exit 0, and the same in a dry run; the untouched
#              installed files are still removed or replaced.
#   jk_check   world-writable regular files (a program, etc/passwd) and a
#              group-writable root-owned file are reported (exit 2), a
#              user's group-writable file and /dev/null-like devices are
#              not; an ignore entry for JAIL/tmp covers JAIL/tmp and below,
#              never the sibling JAIL/tmpevil (also for ignorepathoncompare
#              and ignorepatheverywhere).
source "$(dirname "$0")/../lib/common.sh" || { echo "Bail out! cannot load tests/lib/common.sh"; exit 1; }
skip_unless_root
need_tool JK_CP
need_tool JK_UPDATE
need_tool JK_CHECK
need_cmd mknod chmod chown
setup_root
cd "$T_ROOT/cwd" || fatal "cd"

has_line() {  # DESC LINE TEXT
    if grep -qxF -- "$2" <<<"$3"; then ok "$1"
    else not_ok "$1"; diag "missing line: $2"; diag "output:"; diag "$3"; fi
}
first_line() { head -n1 -- "$1" 2>/dev/null || echo "<missing>"; }

# ============================================================ jk_update

SRC=$T_ROOT/src/app
mkdir -p "$SRC"
for f in gone swapped edited chmodded upd-swapped upd-edited kept; do echo "$f" >"$SRC/$f"; done
touch -d '2020-01-01' "$SRC"/*
J=$(make_jail update)
"$JK_CP" -j "$J" "$SRC" >/dev/null 2>"$T_ROOT/cp.err" || fatal "jk_cp failed: $(cat "$T_ROOT/cp.err")"
JS=$J$SRC
[[ -f $JS/gone ]] || fatal "jk_cp did not copy $SRC"

# The admin puts their own file in place of installed ones (a new inode at
# the same path), edits one in place and chmods another.
rm "$JS/swapped" && echo "admin's own" >"$JS/swapped"
echo "admin's line" >>"$JS/edited"
chmod 0700 "$JS/chmodded"
rm "$JS/upd-swapped" && echo "admin's own" >"$JS/upd-swapped"
echo "admin's line" >>"$JS/upd-edited"
# Then the host loses some originals and changes others.
rm "$SRC/gone" "$SRC/swapped" "$SRC/edited" "$SRC/chmodded"
echo "host v2, longer" >"$SRC/upd-swapped"
echo "host v2, longer" >"$SRC/upd-edited"
echo "host v2, longer" >"$SRC/kept"

run_cmd "$JK_UPDATE" -d -j "$J" "$SRC"
assert_rc "dry run: changes pending (exit 3)" 3
has_line "dry run: the untouched file would go" "will remove deprecated file $JS/gone" "$R_OUT"
for f in swapped edited chmodded upd-swapped upd-edited; do
    has_line "dry run: $f is left alone" "left alone (changed since installed): $JS/$f" "$R_OUT"
done
assert_not_contains "dry run: no replaced file would be removed" "will remove deprecated file $JS/swapped" "$R_OUT"

run_cmd "$JK_UPDATE" -j "$J" "$SRC"
assert_rc "update with files the admin changed: exit 0" 0
has_line "the untouched installed file is removed" "removing deprecated file $JS/gone" "$R_OUT"
has_line "the untouched installed file is updated" "removing outdated file $JS/kept" "$R_OUT"
for f in swapped edited chmodded upd-swapped upd-edited; do
    has_line "$f: reported as left alone" "left alone (changed since installed): $JS/$f" "$R_OUT"
done
assert_missing "gone: removed" "$JS/gone"
assert_eq "the admin's file in place of an installed one is not removed" "admin's own" "$(first_line "$JS/swapped")"
assert_match "the installed file edited in place is not removed" "admin's line" "$(cat "$JS/edited" 2>&1)"
assert_exists "the chmod'ed installed file is not removed" "$JS/chmodded"
assert_eq "the admin's file is not overwritten by the host's new version" "admin's own" "$(first_line "$JS/upd-swapped")"
assert_match "the edited file is not overwritten by the host's new version" "admin's line" "$(cat "$JS/upd-edited" 2>&1)"
assert_eq "kept: the host's new version" "host v2, longer" "$(first_line "$JS/kept")"
run_cmd "$JK_UPDATE" -j "$J" "$SRC"
assert_rc "a second run: exit 0" 0
assert_not_contains "a second run: nothing removed or replaced" "removing" "$R_OUT"

# ============================================================ jk_check

EMPTY_INI=$T_ROOT/empty.ini
: >"$EMPTY_INI"
C=$(make_jail check)
"$JK_CP" -j "$C" /usr/bin/true >/dev/null 2>"$T_ROOT/cp.err" || fatal "jk_cp true: $(cat "$T_ROOT/cp.err")"
mkdir -p "$C/etc" "$C/dev" "$C/home/u"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$C/etc/passwd"
run_cmd "$JK_CHECK" -c "$EMPTY_INI" "$C"
assert_rc "the check jail starts clean" 0

chmod 0757 "$C/usr/bin/true"   # a program anyone may rewrite
chmod 0666 "$C/etc/passwd"     # the jail's passwd anyone may rewrite
run_cmd "$JK_CHECK" -c "$EMPTY_INI" "$C"
assert_rc "world-writable regular files: exit 2" 2
has_line "a world-writable program is reported" "WARNING: $C/usr/bin/true is writable for others!" "$R_OUT"
has_line "a world-writable etc/passwd is reported" "WARNING: $C/etc/passwd is writable for others!" "$R_OUT"
has_line "etc/passwd 0666: group-writable root file too" "WARNING: $C/etc/passwd is writable for group!" "$R_OUT"
chmod 0755 "$C/usr/bin/true"; chmod 0644 "$C/etc/passwd"

chmod 0775 "$C/usr/bin/true"
run_cmd "$JK_CHECK" -c "$EMPTY_INI" "$C"
has_line "a group-writable root-owned program is reported" "WARNING: $C/usr/bin/true is writable for group!" "$R_OUT"
chmod 0755 "$C/usr/bin/true"

U=$(make_user)
echo shared >"$C/home/u/notes" && chown "$U:$U" "$C/home/u/notes" && chmod 0664 "$C/home/u/notes"
mknod -m 0666 "$C/dev/null" c 1 3
run_cmd "$JK_CHECK" -c "$EMPTY_INI" "$C"
assert_rc "a user's group-writable file and a 0666 device: exit 0" 0
assert_eq "... and nothing reported" "" "$R_OUT"

# Ignore entries match whole path components.
mkdir -m 0755 "$C/tmp" "$C/tmpevil"
chmod 1777 "$C/tmp"; chmod 0777 "$C/tmpevil"
echo x >"$C/tmpevil/dropped" && chmod 0666 "$C/tmpevil/dropped"
cat >"$T_ROOT/check.ini" <<EOF
[$C]
ignorewritableforothers = $C/tmp
ignorewritableforgroup = $C/tmp/
EOF
run_cmd "$JK_CHECK" -c "$T_ROOT/check.ini" "$C"
assert_rc "an ignore of JAIL/tmp: JAIL/tmpevil still found (exit 2)" 2
assert_not_contains "the ignored JAIL/tmp itself is not reported" "WARNING: $C/tmp is" "$R_OUT"
has_line "JAIL/tmpevil is not hidden by the ignore of JAIL/tmp" "WARNING: $C/tmpevil is writable for others!" "$R_OUT"
has_line "JAIL/tmpevil (group) is not hidden" "WARNING: $C/tmpevil is writable for group!" "$R_OUT"
has_line "a file below JAIL/tmpevil is not hidden" "WARNING: $C/tmpevil/dropped is writable for others!" "$R_OUT"

cat >"$T_ROOT/check.ini" <<EOF
[$C]
ignorepatheverywhere = $C/tmp
EOF
run_cmd "$JK_CHECK" -c "$T_ROOT/check.ini" "$C"
has_line "ignorepatheverywhere JAIL/tmp does not hide JAIL/tmpevil" "WARNING: $C/tmpevil is writable for others!" "$R_OUT"
assert_not_contains "ignorepatheverywhere JAIL/tmp hides JAIL/tmp" "WARNING: $C/tmp is" "$R_OUT"
rm -rf "$C/tmp" "$C/tmpevil"

# ignorepathoncompare: JAIL/usr/bin/tru (a prefix of true) hides nothing.
printf 'x' >>"$C/usr/bin/true"
cat >"$T_ROOT/check.ini" <<EOF
[$C]
ignorepathoncompare = $C/usr/bin/tru
EOF
run_cmd "$JK_CHECK" -c "$T_ROOT/check.ini" "$C"
has_line "ignorepathoncompare of a name prefix does not hide the changed binary" \
    "ERROR: $C/usr/bin/true and /usr/bin/true have a different size!" "$R_OUT"
cat >"$T_ROOT/check.ini" <<EOF
[$C]
ignorepathoncompare = $C/usr/bin/
EOF
run_cmd "$JK_CHECK" -c "$T_ROOT/check.ini" "$C"
assert_rc "ignorepathoncompare of the directory hides it: exit 0" 0

finish
