#!/bin/bash
# Integration test of jk_init (COMPAT.md 2.1, issue 3): command-line forms,
# every exit code, --strict, -l, jail creation, each section key (paths and
# its synonyms, globs, bare names, paths_w_owner, paths_w_setuid, devices,
# emptydirs, users, groups, includesections, need_logsocket, need_proc),
# warnings (unknown keys, space-separated lists), a 10 kB paths line,
# idempotency (a second run changes nothing), -k/-f, and the hosting panels'
# invocations of COMPAT.md section 5. Run as root.
#
#   JK_INIT=/abs/path/to/jk_init JK_INIT_INI=/abs/path/to/ini/jk_init.ini \
#       bash tests/integration/jk_init_run.sh
#
# Every config used lives in a scratch directory, so jk_socketd.ini is only
# ever written there (never in /etc/jailkit or the source tree).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_INIT
need_cmd chroot setpriv sha256sum find stat
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
[[ -f $JK_INIT_INI ]] || fatal "JK_INIT_INI=$JK_INIT_INI is not a file"
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
export LC_ALL=C
unset LANG LANGUAGE
JK=$JK_INIT

CFG_DIR=$T_ROOT/etc
mkdir -m 0755 "$CFG_DIR"
CFG=$CFG_DIR/jk_init.ini
cp "$JK_INIT_INI" "$CFG"

# A small config for the key tests.
T_CFG_DIR=$T_ROOT/tcfg
mkdir -m 0755 "$T_CFG_DIR"
TCFG=$T_CFG_DIR/jk_init.ini

# full_listing J : metadata of every entry plus the content hash of files.
full_listing() {
    tree_listing "$1"
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# ============================================================ help, version, exit codes

run_cmd "$JK" -h
assert_rc "-h exits 0" 0
assert_match "-h prints the usage" 'Usage: jk_init' "$R_OUT"
run_cmd "$JK" --help
assert_rc "--help exits 0" 0
run_cmd "$JK" --version
assert_rc "--version exits 0" 0
assert_match "--version prints a version" '^jk_init [0-9]+\.[0-9]+' "$R_OUT"

J=$T_ROOT/jails/codes
run_cmd "$JK" -Z -c "$CFG" -j "$J" basicshell
assert_rc "unknown option: exit 1" 1
assert_match "unknown option: names it and points to --help" "invalid option.*Z.*|Try 'jk_init --help'" "$R_ERR"
run_cmd "$JK" --bogus -c "$CFG" -j "$J" basicshell
assert_rc "unknown long option: exit 1" 1
run_cmd "$JK" -c "$CFG" -j
assert_rc "-j without argument: exit 1" 1
run_cmd "$JK"
assert_rc "no arguments: exit 2" 2
run_cmd "$JK" -c "$CFG" -j "$J"
assert_rc "jail without section: exit 2" 2
run_cmd "$JK" -c "$CFG" "$J"
assert_rc "positional jail without section: exit 2" 2
assert_missing "usage errors create no jail" "$J"

run_cmd "$JK" -c "$T_ROOT/no-such.ini" -j "$J" basicshell
assert_rc "missing config file: exit 3" 3
assert_contains "missing config file: named" "$T_ROOT/no-such.ini" "$R_ERR"
assert_missing "missing config file: no jail created" "$J"

mkdir -m 0775 "$T_ROOT/gw"
run_cmd "$JK" -c "$CFG" -j "$T_ROOT/gw/jail" basicshell
assert_rc "jail below a group-writable directory: exit 3" 3
assert_contains "unsafe jail: the message names the jail" "$T_ROOT/gw/jail" "$R_ERR"
assert_missing "unsafe parent: nothing created in it" "$T_ROOT/gw/jail"
mkdir -m 0777 "$T_ROOT/jails/ww"
run_cmd "$JK" -c "$CFG" -j "$T_ROOT/jails/ww" basicshell
assert_rc "world-writable jail: exit 3" 3
assert_contains "world-writable jail: named" "$T_ROOT/jails/ww" "$R_ERR"
assert_eq "world-writable jail: left empty" "" "$(jail_entries "$T_ROOT/jails/ww")"
host_watch /usr/bin/env
run_cmd "$JK" -f -c "$CFG" -j / env
assert_rc "the jail '/' is refused: exit 3" 3
canary_check "jail '/': host untouched"
canary_reset
ln -s "$T_ROOT/jails" "$T_ROOT/jlink"
run_cmd "$JK" -c "$CFG" -j "$T_ROOT/jlink/x" basicshell
assert_rc "jail path through a symlink: exit 3" 3

install -m 0755 "$JK" "$T_ROOT/jk_init_copy"
run_cmd setpriv --reuid=65534 --regid=65534 --clear-groups "$T_ROOT/jk_init_copy" -c "$CFG" -j "$J" basicshell
assert_rc "not root: exit 5" 5
assert_contains "not root: jailkit's message" "Cannot create chroot jail without root privileges. Abort." "$R_ERR"

# ============================================================ -l

run_cmd "$JK" -l -c "$CFG"
assert_rc "-l exits 0" 0
assert_eq "-l: header line" "** Available sections in $CFG **" "$(head -n 1 <<<"$R_OUT")"
assert_eq "-l: sorted" "$(tail -n +2 <<<"$R_OUT" | LC_ALL=C sort)" "$(tail -n +2 <<<"$R_OUT")"
assert_match "-l: name - comment" $'(^|\n)basicshell - bash and dash' "$R_OUT"
assert_eq "-l: one line per section" "$(grep -c '^\[' "$CFG")" "$(tail -n +2 <<<"$R_OUT" | wc -l)"
run_cmd setpriv --reuid=65534 --regid=65534 --clear-groups "$T_ROOT/jk_init_copy" --list -c "$CFG"
assert_rc "--list works without root" 0
run_cmd "$JK" -l -c "$T_ROOT/no-such.ini"
assert_rc "-l on a missing file: exit 3" 3

# ============================================================ jail creation, missing sections, --strict

J=$T_ROOT/jails/new/deeper/jail
run_cmd "$JK" -c "$CFG" -j "$J" env
assert_rc "missing jail and parents: created, exit 0" 0
for d in "$T_ROOT/jails/new" "$T_ROOT/jails/new/deeper" "$J"; do
    assert_eq "created $d is 0755 root:root" "755 root:root" "$(fstat "$d" '%a %U:%G')"
done
check "the created jail works" chroot "$J" /usr/bin/env -i /usr/bin/env

J=$(make_jail missing)
run_cmd "$JK" -c "$CFG" -j "$J" env no_such_section
assert_rc "missing section: still exit 0 (panels treat non-zero as fatal)" 0
assert_contains "missing section: jailkit's warning" "WARNING: section no_such_section does not exist in $CFG" "$R_ERR"
assert_exists "missing section: the other sections are done" "$J/usr/bin/env"

J2=$T_ROOT/jails/strict
run_cmd "$JK" --strict -c "$CFG" -j "$J2" env no_such_section
assert_rc "--strict with a missing section: exit 4" 4
assert_missing "--strict: nothing done, not even the jail" "$J2"
cat >"$TCFG" <<EOF
[missingfile]
comment = one path that does not exist
paths = /usr/bin/env, /no/such/file-$T_TAG, /no/such/glob*
EOF
run_cmd "$JK" -c "$TCFG" -j "$J2" missingfile
assert_rc "missing file without --strict: exit 0" 0
assert_not_contains "missing file: silent without -v" "/no/such/file" "$R_OUT$R_ERR"
rm -rf "$J2"
run_cmd "$JK" -v -c "$TCFG" -j "$J2" missingfile
assert_contains "missing file with -v: reported" "Source file /no/such/file-$T_TAG does not exist" "$R_OUT"
assert_contains "glob matching nothing with -v: reported" "Source file /no/such/glob* does not exist" "$R_OUT"
rm -rf "$J2"
run_cmd "$JK" --strict -c "$TCFG" -j "$J2" missingfile
assert_rc "--strict with a missing file: exit 4" 4
assert_contains "--strict names the missing file" "/no/such/file-$T_TAG" "$R_ERR"
assert_missing "--strict with a missing file: nothing done" "$J2"

# ============================================================ section keys

U=$(make_user)
UGID=$(id -g "$U")
G2=$(make_user)   # its group is used by number below
G2GID=$(id -g "$G2")
SRC=$T_ROOT/src
echo owned >"$SRC/owned.txt"; chown "$U:$U" "$SRC/owned.txt"; chmod 0640 "$SRC/owned.txt"
cp /usr/bin/true "$SRC/suid-true"; chown "$U:$U" "$SRC/suid-true"; chmod 4755 "$SRC/suid-true"
cp /usr/bin/true "$SRC/suid-plain"; chmod 4755 "$SRC/suid-plain"
mkdir -p "$SRC/globdir"; for n in 1 2 3; do echo "$n" >"$SRC/globdir/f$n.dat"; done; echo x >"$SRC/globdir/other.txt"

cat >"$TCFG" <<EOF
[DEFAULT]
devices = /dev/null

[base]
comment = programs for the checks
paths = /usr/bin/id, /usr/bin/whoami, /etc/nsswitch.conf

[keys]
comment = every key
includesections = base, inc2
executables = /usr/bin/true
regularfiles = $SRC/suid-plain
directories = $SRC/globdir/f*.dat
libraries = ls
paths_w_owner = $SRC/owned.txt
paths_w_setuid = $SRC/suid-true
devices = /dev/zero, /dev/urandom
emptydirs = /var/empty-$T_TAG/sub, /no/such/host/dir
users = $U
groups = $G2GID, root
spelling_mistake = 1
need_proc = 1

[inc2]
comment = included, with a space-separated list
paths = /usr/bin/false /usr/bin/true

[log0]
need_logsocket = 0
[logno]
need_logsocket = no
[logfalse]
need_logsocket = false
[log1]
need_logsocket = 1
[logyes]
includesections = log1
EOF
host_watch /etc/fstab
J=$(make_jail keys)
printf 'keep:x:4242:4242:kept line:/:/bin/false\n' >"$J/../keep-passwd"
mkdir -m 0755 "$J/etc"; cp "$J/../keep-passwd" "$J/etc/passwd"
run_cmd "$JK" -c "$TCFG" -j "$J" keys
assert_rc "all keys: exit 0" 0
assert_contains "unknown key: warning names file and line" "$TCFG:21: unknown key 'spelling_mistake'" "$R_ERR"
assert_contains "space-separated list: warning" "contains a blank" "$R_ERR"
assert_contains "need_proc: not supported warning" "need_proc" "$R_ERR"
canary_check "need_proc: /etc/fstab untouched"
assert_exists "executables synonym" "$J/usr/bin/true"
assert_exists "includesections: base copied" "$J/usr/bin/id"
assert_missing "space-separated list is one missing path (not two)" "$J/usr/bin/false"
assert_mode "regularfiles synonym: setuid removed" "$J$SRC/suid-plain" 755
assert_exists "directories synonym with a glob: f1" "$J$SRC/globdir/f1.dat"
assert_exists "glob: f3" "$J$SRC/globdir/f3.dat"
assert_missing "glob: non-matching file not copied" "$J$SRC/globdir/other.txt"
assert_exists "libraries synonym with a bare name found in \$PATH" "$J/usr/bin/ls"
assert_owner "paths_w_owner keeps the owner" "$J$SRC/owned.txt" "$U:$U"
assert_mode "paths_w_owner keeps the mode" "$J$SRC/owned.txt" 640
assert_owner "paths_w_setuid keeps the owner" "$J$SRC/suid-true" "$U:$U"
assert_mode "paths_w_setuid keeps setuid" "$J$SRC/suid-true" 4755
assert_owner "paths without _w_owner: root" "$J/usr/bin/true" "root:root"
assert_type "devices: /dev/zero" "$J/dev/zero" "character special file"
assert_type "DEFAULT devices inherited: /dev/null" "$J/dev/null" "character special file"
assert_eq "devices: same numbers" "$(stat -c '%t:%T' /dev/urandom)" "$(stat -c '%t:%T' "$J/dev/urandom")"
assert_eq "emptydirs: 0755 root:root" "755 root:root" "$(fstat "$J/var/empty-$T_TAG/sub" '%a %U:%G')"
assert_eq "emptydirs absent on the host are created" "directory" "$(fstat "$J/no/such/host/dir" %F)"
assert_contains "users: the user's host line" "$(getent passwd "$U")" "$(cat "$J/etc/passwd")"
assert_contains "users: existing jail entries kept verbatim" "keep:x:4242:4242:kept line:/:/bin/false" "$(cat "$J/etc/passwd")"
assert_match "users: the user's primary group added" "(^|"$'\n'")$U:x:$UGID:" "$(cat "$J/etc/group")"
assert_match "groups: by number" "(^|"$'\n'")$G2:x:$G2GID:" "$(cat "$J/etc/group")"
assert_match "groups: by name" "(^|"$'\n'")root:x:0:" "$(cat "$J/etc/group")"
run_cmd chroot --userspec="$U:$U" "$J" /usr/bin/id -un
assert_eq "id -un inside prints the user's name" "$U" "$R_OUT"
run_cmd chroot --userspec="$U:$U" "$J" /usr/bin/id -gn
assert_eq "id -gn inside prints the group's name" "$U" "$R_OUT"
run_cmd chroot --userspec="$U:$U" "$J" /usr/bin/whoami
assert_eq "whoami inside" "$U" "$R_OUT"
assert_missing "no need_logsocket: no jk_socketd.ini" "$T_CFG_DIR/jk_socketd.ini"

# the same run again changes nothing (users included)
before=$(full_listing "$J")
run_cmd "$JK" -c "$TCFG" -j "$J" keys
assert_rc "all keys, second run: exit 0" 0
assert_eq "all keys, second run: nothing changed" "$before" "$(full_listing "$J")"

# need_logsocket
J=$(make_jail logs)
for s in log0 logno logfalse; do
    run_cmd "$JK" -c "$TCFG" -j "$J" "$s"
    assert_rc "need_logsocket in [$s]: exit 0" 0
    assert_missing "need_logsocket in [$s] is false: jk_socketd.ini not written (W15)" "$T_CFG_DIR/jk_socketd.ini"
done
printf '# admin comment\n[/other/jail/dev/log]\nbase=1\n' >"$T_CFG_DIR/jk_socketd.ini"
chmod 0640 "$T_CFG_DIR/jk_socketd.ini"
run_cmd "$JK" -c "$TCFG" -j "$J" logyes
assert_rc "need_logsocket = 1 (included): exit 0" 0
assert_eq "need_logsocket = 1: appended after the admin's text" \
    "$(printf '# admin comment\n[/other/jail/dev/log]\nbase=1\n\n[%s/dev/log]\nbase=512\npeak=2048\ninterval=10' "$J")" \
    "$(cat "$T_CFG_DIR/jk_socketd.ini")"
assert_mode "jk_socketd.ini keeps its mode" "$T_CFG_DIR/jk_socketd.ini" 640
assert_eq "need_logsocket: JAIL/dev made" "directory" "$(fstat "$J/dev" %F)"
sum1=$(sha256sum <"$T_CFG_DIR/jk_socketd.ini")
run_cmd "$JK" -c "$TCFG" -j "$J" log1 logyes
assert_eq "need_logsocket: registered once however often it runs" "$sum1" "$(sha256sum <"$T_CFG_DIR/jk_socketd.ini")"
assert_eq "no temporary file left in the config dir" "" "$(find "$T_CFG_DIR" -name '.jk-*')"

# a 10 kB paths line (DESIGN.md invariant 8)
mapfile -t ZONES < <(find /usr/share/zoneinfo -type f -size -40k | LC_ALL=C sort | head -n 400)
line="paths = $(printf '%s, ' "${ZONES[@]}")/usr/bin/env"
((${#line} >= 10000)) || diag "paths line only ${#line} bytes (few zoneinfo files on this host)"
printf '[long]\ncomment = a long line\n%s\n' "$line" >"$TCFG"
J=$(make_jail long)
run_cmd "$JK" -c "$TCFG" -j "$J" long
assert_rc "${#line}-byte paths line: exit 0" 0
assert_exists "long line: its last item was read" "$J/usr/bin/env"
assert_exists "long line: its first item was read" "$J${ZONES[0]}"
assert_eq "long line: every item copied" "${#ZONES[@]}" \
    "$(cd "$J" && find usr/share/zoneinfo -type f | wc -l)"

# ============================================================ idempotency, -k, -f

J=$(make_jail idem)
run_cmd "$JK" -c "$CFG" -j "$J" basicshell extendedshell jk_lsh
assert_rc "basicshell extendedshell jk_lsh: exit 0" 0
before=$(full_listing "$J")
run_cmd "$JK" -c "$CFG" -j "$J" basicshell extendedshell jk_lsh
assert_rc "second run: exit 0" 0
assert_eq "second run: nothing changed (listing with hashes)" "$before" "$(full_listing "$J")"
assert_not_contains "second run: nothing copied" "Copying" "$R_OUT"
assert_eq "jk_socketd.ini: one entry for the jail after two runs" 1 \
    "$(grep -cxF "[$J/dev/log]" "$CFG_DIR/jk_socketd.ini")"

J=$(make_jail hardlink)
run_cmd "$JK" -k -c "$CFG" -j "$J" env
assert_rc "-k: exit 0" 0
assert_same_inode "-k: hardlinked" /usr/bin/env "$J/usr/bin/env"
echo stale >"$J/etc/stale"
cp /usr/bin/true "$J/usr/bin/env.new" && mv "$J/usr/bin/env.new" "$J/usr/bin/env"
run_cmd "$JK" -c "$CFG" -j "$J" env
assert_same_content "without -f an existing file is kept" /usr/bin/true "$J/usr/bin/env"
run_cmd "$JK" -f -c "$CFG" -j "$J" env
assert_rc "-f: exit 0" 0
assert_same_content "-f replaces it" /usr/bin/env "$J/usr/bin/env"

# ============================================================ panels (COMPAT.md section 5)

# ISPConfig 3.2: jk_init [-k] [-f] -c FILE -j <docroot> <sect> <sect> ...
mkdir -p "$T_ROOT/www/clients/client1" && chmod 0755 "$T_ROOT/www" "$T_ROOT/www/clients" "$T_ROOT/www/clients/client1"
D=$T_ROOT/www/clients/client1/web1
run_cmd "$JK" -k -f -c "$CFG" -j "$D" basicshell editors
assert_rc "ISPConfig 3.2 (-k -f -c -j, two sections): exit 0" 0
assert_match "ISPConfig 3.2: the jailkit phrases on stdout" "(^|"$'\n'")(Copying|Trying to link) /usr/bin/bash to $D/usr/bin/bash" "$R_OUT"
assert_match "ISPConfig 3.2: symlink phrase" "(^|"$'\n'")Creating symlink $D/bin to usr/bin" "$R_OUT"
check "ISPConfig 3.2 health check: chroot --userspec bash -c true" chroot --userspec 65534:65534 "$D" /bin/bash -c true

# ISPConfig 3.1: -j, then the positional-jail retry
D=$T_ROOT/www/clients/client1/web2
run_cmd "$JK" -f -k -c "$CFG" -j "$D" basicshell
assert_rc "ISPConfig 3.1 (-f -k -c -j): exit 0" 0
run_cmd "$JK" -f -k -c "$CFG" "$D" basicshell scp
assert_rc "ISPConfig 3.1 retry with a positional jail: exit 0" 0
assert_exists "positional jail: scp section done" "$D/dev/urandom"

# Virtualmin: one section per call, then chmod g-w $dir/*
D=$T_ROOT/home-chroot/1
mkdir -p "$T_ROOT/home-chroot" && chmod 0755 "$T_ROOT/home-chroot"
for sect in perl basicshell extendedshell ssh scp sftp editors netutils php logbasics; do
    run_cmd "$JK" -f -c "$CFG" -j "$D" "$sect"
    assert_rc "Virtualmin: jk_init -f -j DIR $sect: exit 0" 0
done
check "Virtualmin: chmod g-w \$dir/*" chmod g-w "$D"/bin "$D"/dev "$D"/etc "$D"/lib "$D"/lib64 "$D"/usr
run_cmd "$JK" -f -c "$CFG" -j "$D" basicshell
assert_rc "Virtualmin: the jail is still accepted afterwards" 0
check "Virtualmin jail: perl runs as nobody" chroot --userspec 65534:65534 "$D" /usr/bin/perl -e 1

# HestiaCP / VestaCP: many sections at once, several absent from the file
D=$T_ROOT/jails/hestia
run_cmd "$JK" -f -c "$CFG" -j "$D" extendedshell netutils ssh sftp scp git php php5_6 php7_0 php7_1 php7_2 \
    php7_3 php7_4 php8_0 php8_1 php8_2
assert_rc "HestiaCP invocation: exit 0" 0
assert_contains "HestiaCP: absent php sections warned about" "WARNING: section php8_2 does not exist in $CFG" "$R_ERR"
run_cmd chroot "$D" /usr/bin/git --version
assert_rc "HestiaCP jail: git runs" 0
D=$T_ROOT/jails/vesta
run_cmd "$JK" -f -c "$CFG" -j "$D" basicshell editors extendedshell netutils ssh sftp scp git
assert_rc "VestaCP invocation: exit 0" 0

# jailkit 2.23's own jk_init.ini works unchanged (bare names, globs, old paths)
if [[ -f /etc/jailkit/jk_init.ini ]]; then
    cp /etc/jailkit/jk_init.ini "$T_CFG_DIR/debian.ini"
    D=$T_ROOT/jails/debian
    run_cmd "$JK" -c "$T_CFG_DIR/debian.ini" -j "$D" jk_lsh sftp scp basicshell
    assert_rc "jailkit 2.23's jk_init.ini: exit 0" 0
    # bash's \u prompt escape looks the user up through NSS.
    run_cmd chroot --userspec 65534:65534 "$D" /bin/bash -c 'ls / >/dev/null && PS1="\u" && echo "${PS1@P}"'
    assert_eq "jailkit 2.23's ini: bash runs as nobody and finds its name" nobody "$R_OUT"
else
    diag "/etc/jailkit/jk_init.ini (Debian's jailkit) not installed: its ini not tried"
fi

finish
