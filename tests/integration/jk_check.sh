#!/bin/bash
# Integration test of jk_check (COMPAT.md 2.9, issue 3 "Tests"): jails built
# with the real jk_cp, one problem planted at a time, run as root.
#
#   JK_CHECK=/abs/path/jk_check JK_CP=/abs/path/jk_cp bash tests/integration/jk_check.sh
#
# Covers: a clean jail (exit 0, no output); each of these alone found with
# exit 2 and jailkit's words: a setuid binary (root-owned and owned by a
# normal user), a world-writable dir, a group-writable dir, a binary changed
# with the same size and a forged mtime, a changed symlink, a deleted library
# (bash's ELF closure broken), a removed program interpreter, a jail root
# writable by others, a group-writable parent, passwd mismatches both ways;
# --json (parsed by python3); positional jails honoured over the ini; -c with
# ignore keys; usage errors and a missing -c file (exit 1); a 50-deep tree
# and names with newline, tab and bytes that are not UTF-8.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_CHECK
: "${JK_SBINDIR:?JK_SBINDIR is not set (meson passes it)}"
need_tool JK_CP
need_cmd python3 useradd usermod dd touch chmod chown
for f in /usr/bin/bash /usr/bin/id /usr/bin/true /usr/lib/x86_64-linux-gnu/libtinfo.so.6; do
    [[ -e $f ]] || fatal "$f is needed by this test (packages: bash coreutils libtinfo6)"
done
setup_root
cd "$T_ROOT/cwd" || fatal "cd"

CK=$JK_CHECK
EMPTY_INI=$T_ROOT/empty.ini
: >"$EMPTY_INI"

# new_jail NAME : a jail with bash, id and true copied by jk_cp; prints its path.
new_jail() {
    local j
    j=$(make_jail "$1")
    "$JK_CP" -j "$j" /usr/bin/bash /usr/bin/id /usr/bin/true >/dev/null 2>"$T_ROOT/jk_cp.err" \
        || fatal "jk_cp into $j failed: $(cat "$T_ROOT/jk_cp.err")"
    printf '%s\n' "$j"
}

# expect_finding DESC JAIL EXPECTED-LINE : exit 2 and that exact line on stdout.
expect_finding() {
    local desc=$1 j=$2 line=$3
    run_cmd "$CK" -c "$EMPTY_INI" "$j"
    assert_rc "$desc: exit 2" 2
    if grep -qxF -- "$line" <<<"$R_OUT"; then ok "$desc: reported"
    else not_ok "$desc: reported"; diag "missing line: $line"; diag "stdout:"; diag "$R_OUT"; diag "stderr: $R_ERR"; fi
}

# ============================================================ usage

run_cmd "$CK" --help
assert_rc "--help exits 0" 0
assert_match "--help prints a usage text" 'Usage: jk_check' "$R_OUT"
run_cmd "$CK" --version
assert_rc "--version exits 0" 0
assert_match "--version prints a version" '^jk_check [0-9]+\.[0-9]+' "$R_OUT"
run_cmd "$CK" --no-such-option
assert_rc "unknown option: exit 1" 1
run_cmd "$CK" -c
assert_rc "-c without a file: exit 1" 1
run_cmd "$CK" -c "$T_ROOT/no-such.ini" /
assert_rc "a missing -c file: exit 1" 1
assert_contains "a missing -c file is named" "no-such.ini" "$R_ERR"

# ============================================================ clean jail

J=$(new_jail clean)
run_cmd "$CK" -c "$EMPTY_INI" "$J"
assert_rc "a clean jail: exit 0" 0
assert_eq "a clean jail: no findings" "" "$R_OUT"
run_cmd "$CK" -c "$EMPTY_INI" -v "$J"
assert_rc "a clean jail, verbose: exit 0" 0
assert_not_contains "verbose prints no finding" "ERROR" "$R_OUT"
run_cmd chroot "$J" /usr/bin/bash -c 'id -u'
assert_eq "the clean jail works" "0" "$R_OUT"

# ============================================================ one problem at a time

U1=$(make_user)
U1_UID=$(id -u "$U1")

J=$(new_jail suid_user)
cp /usr/bin/true "$J/usr/bin/evil" && chown "$U1:$U1" "$J/usr/bin/evil" && chmod 4755 "$J/usr/bin/evil"
expect_finding "setuid file owned by a normal user" "$J" \
    "WARNING: $J/usr/bin/evil is executable for others and setuid user $U1_UID!!"
assert_contains "setuid: also the user x bit" "WARNING: $J/usr/bin/evil is executable for user and setuid user $U1_UID!!" "$R_OUT"
assert_not_contains "setuid: nothing else (the extra file exists only in the jail)" "ERROR" "$R_OUT"

J=$(new_jail suid_root)
chmod 4755 "$J/usr/bin/id"
expect_finding "setuid-root copy" "$J" "WARNING: $J/usr/bin/id is executable for others and setuid root!!"

J=$(new_jail sgid_user)
cp /usr/bin/true "$J/usr/bin/grpx" && chown "$U1:$U1" "$J/usr/bin/grpx" && chmod 2710 "$J/usr/bin/grpx"
expect_finding "setgid file owned by a normal user" "$J" \
    "WARNING: $J/usr/bin/grpx is executable for group and setgid group $(id -g "$U1")!!"

J=$(new_jail world_writable)
mkdir -m 0757 "$J/pub" && chmod 0757 "$J/pub"
expect_finding "world-writable dir" "$J" "WARNING: $J/pub is writable for others!"
assert_not_contains "world-writable (o+w only): not reported for group" "is writable for group" "$R_OUT"

J=$(new_jail group_writable)
mkdir "$J/grp" && chmod 0775 "$J/grp"
expect_finding "group-writable dir" "$J" "WARNING: $J/grp is writable for group!"

J=$(new_jail sticky_tmp)
mkdir "$J/tmp" && chmod 1777 "$J/tmp"
expect_finding "sticky 1777 tmp is still reported (as jailkit)" "$J" "WARNING: $J/tmp is writable for others!"

J=$(new_jail same_size)
size_before=$(stat -c %s "$J/usr/bin/id")
# One byte in the middle, same size, mtime set back to the host's.
off=$(( size_before / 2 ))
orig=$(dd if="$J/usr/bin/id" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059  # the byte is built as an octal escape in the format
printf "\\$(printf '%03o' $(( (orig + 1) % 256 )))" | dd of="$J/usr/bin/id" bs=1 seek="$off" conv=notrunc 2>/dev/null
touch -r /usr/bin/id "$J/usr/bin/id"
assert_eq "same-size edit kept the size" "$size_before" "$(stat -c %s "$J/usr/bin/id")"
assert_eq "same-size edit kept the mtime" "$(stat -c %Y /usr/bin/id)" "$(stat -c %Y "$J/usr/bin/id")"
expect_finding "same-size edit with a forged mtime" "$J" "ERROR: $J/usr/bin/id and /usr/bin/id are not the same!"

J=$(new_jail other_size)
printf 'x' >>"$J/usr/bin/true"
expect_finding "a grown binary" "$J" "ERROR: $J/usr/bin/true and /usr/bin/true have a different size!"

J=$(new_jail symlink)
if [[ -L /lib64 && -L "$J/lib64" ]]; then
    ln -sfn usr/lib "$J/lib64"
    expect_finding "a changed symlink" "$J" "ERROR: symlinks $J/lib64 and /lib64 point to different files!"
else
    not_ok "a changed symlink: /lib64 is expected to be a symlink on host and in the jail (merged /usr)"
fi

J=$(new_jail nolib)
rm -f "$J"/usr/lib/x86_64-linux-gnu/libtinfo.so.6*
expect_finding "a deleted library breaks bash's closure" "$J" \
    "ERROR: $J/usr/bin/bash needs libtinfo.so.6, which is not in the jail"
assert_not_contains "id's closure is intact" "usr/bin/id needs" "$R_OUT"

J=$(new_jail nointerp)
interp=$(readelf -l /usr/bin/id 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p')
[[ -n "$interp" ]] || interp=/lib64/ld-linux-x86-64.so.2
rm -f "$J/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
expect_finding "a removed program interpreter" "$J" \
    "ERROR: $J/usr/bin/id needs the program interpreter $interp, which is not in the jail"

J=$(new_jail root_writable)
chmod o+w "$J"
run_cmd "$CK" -c "$EMPTY_INI" "$J"
assert_rc "jail root writable by others: exit 2" 2
assert_match "jail root writable by others: unsafe jail" "ERROR: jail $J is not safe: " "$R_OUT"
assert_contains "jail root writable by others: the dir itself" "WARNING: $J is writable for others!" "$R_OUT"
chmod o-w "$J"
chmod 4755 "$J/usr/bin/id"
chmod o+w "$J"
run_cmd "$CK" -c "$EMPTY_INI" "$J"
assert_contains "an unsafe jail is still walked" "WARNING: $J/usr/bin/id is executable for others and setuid root!!" "$R_OUT"
chmod o-w "$J"

mkdir -m 0755 "$T_ROOT/jails/parent"
P=$T_ROOT/jails/parent
mkdir -m 0755 "$P/j"
"$JK_CP" -j "$P/j" /usr/bin/true >/dev/null 2>&1 || fatal "jk_cp into $P/j"
run_cmd "$CK" -c "$EMPTY_INI" "$P/j"
assert_rc "jail under a safe parent: exit 0" 0
chmod g+w "$P"
run_cmd "$CK" -c "$EMPTY_INI" "$P/j"
assert_rc "group-writable parent: exit 2" 2
assert_match "group-writable parent: unsafe jail naming the parent" "ERROR: jail $P/j is not safe: .*$P" "$R_OUT"
chmod g-w "$P"

# ---- passwd, jail to host: the jail knows U1 with another uid
J=$(new_jail passwd_uid)
mkdir -p "$J/etc"
{
    echo "root:x:0:0:root:/root:/bin/bash"
    echo "$U1:x:$(( U1_UID + 1000 )):$(id -g "$U1"):::/bin/bash"
} >"$J/etc/passwd"
expect_finding "passwd: jail user with another uid" "$J" \
    "ERROR: user $U1 is changed in jail $J (uid $(( U1_UID + 1000 )) gid $(id -g "$U1") in the jail, uid $U1_UID gid $(id -g "$U1") on the real system)"
echo "jkghost${T_TAG,,}:x:54321:54321::/home/ghost:/bin/sh" >>"$J/etc/passwd"
expect_finding "passwd: jail user missing on the host" "$J" \
    "ERROR: user jkghost${T_TAG,,} in jail $J does not exist on the real system"

# ---- passwd, host to jail: a host user whose home is in the jail, absent there
J=$(new_jail passwd_host)
U2=$(make_user)
usermod -d "$J/./home/x" -s /usr/sbin/jk_chrootsh "$U2" || fatal "usermod $U2"
expect_finding "passwd: host /./ user missing in the jail" "$J" "ERROR: user $U2 does not exist in $J/etc/passwd"
mkdir -p "$J/etc"
{
    echo "root:x:0:0:root:/root:/bin/bash"
    echo "$U2:x:$(id -u "$U2"):$(id -g "$U2")::/home/x:/bin/bash"
} >"$J/etc/passwd"
run_cmd "$CK" -c "$EMPTY_INI" "$J"
assert_rc "passwd: consistent both ways: exit 0" 0
assert_eq "passwd: consistent both ways: no findings" "" "$R_OUT"
usermod -s /bin/bash "$U2" || fatal "usermod $U2"
expect_finding "passwd: /./ user without jk_chrootsh" "$J" \
    "WARNING: user $U2 has a /./ but does not have the $JK_SBINDIR/jk_chrootsh shell"
# The shell jk_jailuser gives (this build's), and jailkit's two, are accepted.
for shell in "$JK_SBINDIR/jk_chrootsh" /sbin/jk_chrootsh /usr/sbin/jk_chrootsh; do
    usermod -s "$shell" "$U2" || fatal "usermod -s $shell"
    run_cmd "$CK" -c "$EMPTY_INI" "$J"
    assert_eq "passwd: /./ user with the shell $shell: no findings" "" "$R_OUT"
done
# Without positional jails, the passwd-derived jail is checked too.
run_cmd "$CK" -c "$EMPTY_INI"
assert_not_contains "no positional jail: the /./ jail is checked (and clean)" "$J" "$R_OUT"
rm "$J/etc/passwd"
run_cmd "$CK" -c "$EMPTY_INI"
assert_contains "no positional jail: jails from /etc/passwd are checked" "ERROR: user $U2 does not exist in $J/etc/passwd" "$R_OUT"
usermod -d /nonexistent "$U2"

# ============================================================ ini, positional, --json

B=$(new_jail bad)
mkdir -m 0757 "$B/pub" && chmod 0757 "$B/pub"
mkdir "$B/grp" && chmod 0775 "$B/grp"
cp /usr/bin/true "$B/usr/bin/evil" && chown "$U1:$U1" "$B/usr/bin/evil" && chmod 4755 "$B/usr/bin/evil"
printf 'x' >>"$B/usr/bin/true"
C=$(new_jail good)

INI=$T_ROOT/check.ini
cat >"$INI" <<EOF
[$B]
ignorewritableforothers = $B/pub
ignorewritableforgroup = $B/grp/
ignoresetuidexecuteforuser = $B/usr/bin/evil
ignoresetuidexecuteforgroup = $B/usr/bin/evil
ignoresetuidexecuteforothers = $B/usr/bin/evil
ignorepathoncompare = $B/usr/bin/true
EOF
run_cmd "$CK" -c "$INI" "$B"
assert_rc "-c ini with ignore keys suppresses every finding: exit 0" 0
assert_eq "-c ini with ignore keys: no output" "" "$R_OUT"
cat >"$INI" <<EOF
[DEFAULT]
ignorewritableforgroup = $B/grp
[$B/]
ignorepatheverywhere = $B/pub, $B/usr/bin/evil
bogus_key = 1
EOF
run_cmd "$CK" -c "$INI" "$B"
assert_rc "DEFAULT + section ignores: only the size finding left" 2
assert_eq "DEFAULT + section ignores: the one finding" "ERROR: $B/usr/bin/true and /usr/bin/true have a different size!" "$R_OUT"
assert_contains "an unknown key is warned about" "bogus_key" "$R_ERR"

cat >"$INI" <<EOF
[$B]
EOF
run_cmd "$CK" -c "$INI" "$C"
assert_rc "positional jail honoured: the clean one alone is checked" 0
assert_eq "positional jail honoured: no output" "" "$R_OUT"
run_cmd "$CK" -c "$INI"
assert_rc "without positional jails, the ini's section is checked" 2
assert_contains "the ini's jail is reported" "WARNING: $B/pub is writable for others!" "$R_OUT"
(cd "$T_ROOT/jails" && "$CK" -c "$EMPTY_INI" good >"$T_ROOT/rel.out" 2>&1)
assert_eq "a relative positional jail works" "0:" "$?:$(cat "$T_ROOT/rel.out")"

# Names with newline and tab; a 50-level tree.
cp /usr/bin/true "$B/usr/bin/new"$'\n'"line" && chmod 6755 "$B/usr/bin/new"$'\n'"line"
cp /usr/bin/true "$B/usr/bin/t"$'\t'"ab" && chmod 4755 "$B/usr/bin/t"$'\t'"ab"
cp /usr/bin/true "$B/usr/bin/latin"$'\xff\xfe'"1" && chmod 4755 "$B/usr/bin/latin"$'\xff\xfe'"1"
deep=$B/deep
for i in $(seq 1 50); do deep+="/d$i"; done
mkdir -p "$deep" && chmod 0757 "$deep"
run_cmd "$CK" -c "$EMPTY_INI" --json "$B" "$C"
assert_rc "--json: exit 2" 2
printf '%s' "$R_OUT" >"$T_ROOT/out.json"
summary=$(python3 - "$T_ROOT/out.json" "$B" "$C" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
b, c = sys.argv[2], sys.argv[3]
jails = {j["jail"]: j["findings"] for j in doc["jails"]}
kinds = sorted({f["kind"] for f in jails[b]})
paths = {f["path"] for f in jails[b]}
for f in jails[b]:
    assert f["severity"] in ("warning", "error"), f
    assert f["message"], f
print(" ".join(kinds))
print(len(jails[c]))
print(b + "/usr/bin/new\nline" in paths, b + "/usr/bin/t\tab" in paths)
print(any(p.endswith("/d50") for p in paths))
print(b + "/usr/bin/latin\u00ff\u00fe1" in paths)
PY
)
assert_eq "--json parses and holds the findings" \
    "setuid size writable-group writable-others"$'\n'"0"$'\n'"True True"$'\n'"True"$'\n'"True" "$summary"
run_cmd "$CK" -c "$EMPTY_INI" "$B"
assert_no_crash "odd names and a deep tree: no crash"
assert_contains "a newline in a name is escaped in text output" "WARNING: $B/usr/bin/new\\nline is executable for others and setuid root!!" "$R_OUT"
assert_contains "a tab in a name is escaped in text output" "WARNING: $B/usr/bin/t\\tab is executable" "$R_OUT"
assert_contains "the 50-deep dir is reached" "/d49/d50 is writable for others!" "$R_OUT"

finish
