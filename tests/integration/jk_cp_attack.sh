#!/bin/bash
# Attack and bad-input tests of jk_cp (DESIGN.md security invariants 4-8,
# COMPAT.md section 3 W1 W2 W3 W10 W14 W20; issue 2 "Attack tests", "Bad input").
#
#   JK_CP=/abs/path/to/jk_cp bash tests/integration/jk_cp_attack.sh
#
# Every case records host canaries (files and directories outside the jail:
# content, inode, mode, owner, link count, mtime, ctime) and checks that none
# changed:
#   - a symlink planted at the destination (JAIL/usr/bin/true -> canary), with
#     and without -f, with -k; dangling planted links; planted links at a
#     library's destination;
#   - a planted directory symlink (absolute and relative, escaping the jail);
#   - JAIL/lib -> / and JAIL/usr/lib -> ../../../../../ then copying a library
#     (real host library watched by inode/mtime/ctime; "/" watched);
#   - shell metacharacters in file names and in the jail name (W1): copied as
#     names, nothing runs;
#   - setuid/setgid stripped under -k, host file untouched (W3);
#   - unsafe jails refused with exit 6 and nothing created;
#   - truncated / garbage / hostile ELF files: no crash, clear message naming
#     the file or a plain copy;
#   - FIFO (must not hang), unreadable file (root without CAP_DAC_OVERRIDE),
#     not-a-directory jail, 10 kB arguments, a path longer than PATH_MAX.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_CP
need_cmd setpriv useradd groupadd mkfifo cmp find timeout sha256sum base64
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
JK=$JK_CP
SRC=$T_ROOT/src
HOST=$T_ROOT/host

LIBZ_LINK=/lib/x86_64-linux-gnu/libz.so.1
[[ -e $LIBZ_LINK ]] || fatal "$LIBZ_LINK is needed (package zlib1g)"
LIBZ_REAL=$(realpath "$LIBZ_LINK")
LIBC=$(realpath /lib/x86_64-linux-gnu/libc.so.6)

# Timeout: a tool that hangs is a failure, not a stuck test run.
jk() { run_cmd timeout 120 "$JK" "$@"; }

# Nothing outside the test root may change in any case: "/" itself (a new
# entry there would change its listing, mtime and ctime), the real library and
# its directory, the copied programs and the setuid binaries. (/tmp and
# /etc/passwd are not watched as a whole: other processes and parallel test
# runs legitimately change them; PWNED files are looked for by name.)
host_watch / /usr/lib/x86_64-linux-gnu "$LIBZ_REAL" "$LIBC" \
    /usr/bin/true /usr/bin/false /usr/bin/passwd /usr/bin/su /usr/bin/ssh-agent

# ============================================================ W2: planted symlink at the destination

CAN=$(canary_new victim-true)
J=$(make_jail w2-force)
mkdir -p "$J/usr/bin" && ln -s "$CAN" "$J/usr/bin/true"
jk -f -j "$J" /usr/bin/true
assert_rc "W2 -f: jk_cp -f over a planted symlink exits 0" 0
canary_check "W2 -f: the symlink target outside the jail is untouched (content, mode, owner, times)"
assert_type "W2 -f: JAIL/usr/bin/true is now a regular file" "$J/usr/bin/true" "regular file"
assert_same_content "W2 -f: JAIL/usr/bin/true is the host's true" /usr/bin/true "$J/usr/bin/true"

J=$(make_jail w2-noforce)
mkdir -p "$J/usr/bin" && ln -s "$CAN" "$J/usr/bin/true"
jk -j "$J" /usr/bin/true
assert_no_crash "W2 no -f: no crash"
canary_check "W2 no -f: the planted symlink is not followed"
assert_link "W2 no -f: an existing destination (the planted link) is left alone" "$J/usr/bin/true" "$CAN"

J=$(make_jail w2-hardlink)
mkdir -p "$J/usr/bin" && ln -s "$CAN" "$J/usr/bin/true"
true_meta=$(stat -c '%i %a %u:%g %s %Y' /usr/bin/true)
# link(2) rightly changes the link count and ctime of the program and its libraries
host_unwatch /usr/bin/true "$LIBC"
jk -k -f -j "$J" /usr/bin/true
assert_rc "W2 -k -f over a planted symlink: exit 0" 0
canary_check "W2 -k -f: the symlink target is untouched"
assert_same_inode "W2 -k -f: JAIL/usr/bin/true is now the hardlink" /usr/bin/true "$J/usr/bin/true"
assert_eq "W2 -k -f: host /usr/bin/true keeps inode, mode, owner, size, mtime" "$true_meta" \
    "$(stat -c '%i %a %u:%g %s %Y' /usr/bin/true)"
host_watch /usr/bin/true "$LIBC"

# dangling planted links: O_CREAT through them would create the host file
for force in "" -f; do
    J=$(make_jail "w2-dangling$force")
    mkdir -p "$J/usr/bin" && ln -s "$HOST/created-through-link$force" "$J/usr/bin/true"
    host_absent "$HOST/created-through-link$force"
    jk $force -j "$J" /usr/bin/true
    assert_no_crash "W2 dangling link ${force:-(no -f)}: no crash"
    canary_check "W2 dangling link ${force:-(no -f)}: no file created at the link's target"
done

# planted symlinks at a library's destination (libc pulled in by true)
CANLIB=$(canary_new victim-libc)
for force in "" -f; do
    J=$(make_jail "w2-lib$force")
    mkdir -p "$J$(dirname "$LIBC")" && ln -s "$CANLIB" "$J$LIBC"
    jk $force -j "$J" /usr/bin/true
    assert_no_crash "W2 planted link at libc's destination ${force:-(no -f)}: no crash"
    canary_check "W2 planted link at libc's destination ${force:-(no -f)}: host untouched"
done
assert_type "W2 planted link at libc's destination -f: replaced by the real library" "$J$LIBC" "regular file"

# ============================================================ planted directory symlinks

mkdir -p "$HOST/bindir" && cp /usr/bin/true "$HOST/bindir/true" && chmod 0755 "$HOST/bindir"
host_watch "$HOST/bindir" "$HOST/bindir/true"
J=$(make_jail dirlink-abs)
mkdir -p "$J/usr" && ln -s "$HOST/bindir" "$J/usr/bin"
jk -f -j "$J" /usr/bin/true /usr/bin/false
assert_no_crash "JAIL/usr/bin -> absolute host dir, -f: no crash"
canary_check "JAIL/usr/bin -> absolute host dir, -f: nothing written in the host dir"
J=$(make_jail dirlink-rel)
mkdir -p "$J/usr"
ln -s "../../../../../../../../../../..$HOST/bindir" "$J/usr/bin"
jk -f -j "$J" /usr/bin/true /usr/bin/false
assert_no_crash "JAIL/usr/bin -> ../../../..$HOST/bindir (escaping), -f: no crash"
canary_check "JAIL/usr/bin -> relative link escaping the jail, -f: nothing written outside"
if ((R_RC == 0)); then
    assert_exists "relative escaping dir link: the copy landed inside the jail" \
        "$(find "$J" -name false -type f | head -n1)"
fi

# ============================================================ JAIL/lib -> /  and  JAIL/usr/lib -> ../../../../../

for force in "" -f; do
    J=$(make_jail "lib-root$force")
    ln -s / "$J/lib"
    jk $force -j "$J" "$LIBZ_LINK"
    assert_no_crash "JAIL/lib -> / ${force:-(no -f)}: no crash"
    canary_check "JAIL/lib -> / ${force:-(no -f)}: host library, / and /usr/lib untouched"
    assert_missing "JAIL/lib -> / ${force:-(no -f)}: no /x86_64-linux-gnu on the host" /x86_64-linux-gnu
    if ((R_RC == 0)); then
        f=$(find "$J" -name "$(basename "$LIBZ_REAL")" -type f | head -n1)
        if [[ -n "$f" ]] && cmp -s "$f" "$LIBZ_REAL"; then ok "JAIL/lib -> / ${force:-(no -f)}: the library landed inside the jail"
        else not_ok "JAIL/lib -> / ${force:-(no -f)}: the library landed inside the jail"; diag "$(find "$J" | head -n 20)"; fi
    else
        assert_eq "JAIL/lib -> / ${force:-(no -f)}: refused as unsafe (exit 6) if not copied" 6 "$R_RC"
    fi

    J=$(make_jail "usrlib-rel$force")
    mkdir -p "$J/usr" && ln -s ../../../../../ "$J/usr/lib"
    jk $force -j "$J" /usr/lib/x86_64-linux-gnu/libz.so.1
    assert_no_crash "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: no crash"
    canary_check "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: nothing written outside the jail"
    assert_missing "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: no /x86_64-linux-gnu on the host" /x86_64-linux-gnu
    if ((R_RC == 0)); then
        f=$(find "$J" -name "$(basename "$LIBZ_REAL")" -type f | head -n1)
        if [[ -n "$f" ]] && cmp -s "$f" "$LIBZ_REAL"; then ok "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: the library landed inside the jail"
        else not_ok "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: the library landed inside the jail"; diag "$(find "$J" | head -n 20)"; fi
    else
        assert_eq "JAIL/usr/lib -> ../../../../../ ${force:-(no -f)}: refused as unsafe (exit 6) if not copied" 6 "$R_RC"
    fi
done

# A planted absolute link deeper down, used when copying a whole program.
J=$(make_jail deep-link)
mkdir -p "$J/usr/lib" && ln -s "$HOST" "$J/usr/lib/x86_64-linux-gnu"
jk -f -j "$J" /usr/bin/true
assert_no_crash "JAIL/usr/lib/x86_64-linux-gnu -> host dir, -f: no crash"
canary_check "JAIL/usr/lib/x86_64-linux-gnu -> host dir, -f: no library written into the host dir"

# ============================================================ W1: shell metacharacters in names

PW="PWNED.$T_TAG"
mkdir -p "$SRC/pw" && chmod 0755 "$SRC/pw"
NAMES=(
    "a.so;touch\${IFS}$PW.1"
    "a.so\$(touch $PW.2)"
    "a.so\`touch $PW.3\`"
    "a.so|touch $PW.4"
    "a.so && touch $PW.5"
    $'a.so\ntouch '"$PW.6"
    "-rf a.so"
)
for n in "${NAMES[@]}"; do cp "$LIBZ_REAL" "$SRC/pw/$n"; chmod 0755 "$SRC/pw/$n"; done
# a path whose directory ends the ldd command: ".../a.so;touch${IFS}/tmp/PWNED.tag"
mkdir -p "$SRC/pw2/a.so;touch\${IFS}/tmp"
cp "$LIBZ_REAL" "$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7"; chmod 0755 "$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7"
chmod -R go-w "$SRC/pw2"
host_absent "/tmp/$PW.7" "/$PW.1" "$T_ROOT/cwd/$PW.1"
J=$(make_jail "w1-dir")
jk -j "$J" "$SRC/pw" "$SRC/pw2"
assert_rc "W1: directory of hostile names copied: exit 0" 0
J2=$(make_jail "w1-args")
jk -j "$J2" -- "${NAMES[@]/#/$SRC/pw/}" "$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7"
if ((R_RC != 0)); then   # "--" may not be supported; the names again without it
    jk -j "$J2" "${NAMES[@]/#/$SRC/pw/}" "$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7"
fi
assert_rc "W1: hostile names given as arguments: exit 0" 0
for n in "${NAMES[@]}"; do
    q=${n@Q}
    assert_same_content "W1: $q copied as a name (dir)" "$SRC/pw/$n" "$J$SRC/pw/$n"
    assert_same_content "W1: $q copied as a name (argument)" "$SRC/pw/$n" "$J2$SRC/pw/$n"
done
assert_same_content "W1: '.../a.so;touch\${IFS}/tmp/$PW.7' copied as a name" \
    "$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7" "$J2$SRC/pw2/a.so;touch\${IFS}/tmp/$PW.7"
pwned=$(find / -xdev -maxdepth 1 -name "PWNED.$T_TAG*" 2>/dev/null; find /tmp "$T_ROOT" "$here" -name "PWNED.$T_TAG*" \
        ! -path "$SRC/*" ! -path "$T_ROOT/jails/*" 2>/dev/null)
assert_eq "W1: no PWNED file anywhere (/, /tmp, cwd, test root, script dir)" "" "$pwned"
canary_check "W1: host untouched"

# ldconfig -r JAIL with a hostile jail name (jailkit ran it through /bin/sh)
J=$(make_jail "j;touch\${IFS}$PW.8;x")
jk -j "$J" /usr/bin/true
assert_rc "W1: jail name with shell metacharacters: exit 0" 0
assert_type "W1: ld.so.cache made in the hostile-named jail" "$J/etc/ld.so.cache" "regular file"
pwned=$(find "$T_ROOT" /tmp -maxdepth 2 -name "$PW.8*" 2>/dev/null; ls -d "/$PW.8"* 2>/dev/null)
assert_eq "W1: ldconfig -r did not run the jail name through a shell" "" "$pwned"

# ============================================================ W3: setuid under -k

# -k rightly hardlinks the (not setuid) libraries: libc's link count changes.
host_unwatch "$LIBC"
J=$(make_jail w3)
jk -k -j "$J" /usr/bin/su /usr/bin/passwd /usr/bin/ssh-agent
assert_rc "W3: jk_cp -k su passwd ssh-agent: exit 0" 0
for f in /usr/bin/su /usr/bin/passwd /usr/bin/ssh-agent; do
    assert_other_inode "W3 -k: $f is copied, not hardlinked" "$f" "$J$f"
    m=$(fstat "$J$f" %a)
    if [[ "$m" != "<missing>" ]] && (( (8#$m & 8#6000) == 0 )); then ok "W3 -k: J$f has no setuid/setgid bit ($m)"
    else not_ok "W3 -k: J$f has no setuid/setgid bit"; diag "mode: $m"; fi
done
canary_check "W3 -k: host setuid files untouched (mode, owner, link count, ctime)"
J=$(make_jail w3-force)
mkdir -p "$J/usr/bin" && printf 'x\n' >"$J/usr/bin/su"
jk -k -f -j "$J" /usr/bin/su
assert_rc "W3 -k -f over an existing file: exit 0" 0
assert_other_inode "W3 -k -f: su copied, not hardlinked" /usr/bin/su "$J/usr/bin/su"
assert_mode "W3 -k -f: su stripped" "$J/usr/bin/su" 755
host_watch "$LIBC"

# ============================================================ unsafe jails: exit 6, nothing created

U1=$(make_user) || fatal "cannot create a test user"
unsafe_case() {  # DESC JAILPATH REALDIR
    local before; before=$(jail_entries "$3")
    jk -j "$2" /usr/bin/true
    assert_rc "unsafe jail ($1): exit 6" 6
    assert_eq "unsafe jail ($1): nothing created" "$before" "$(jail_entries "$3")"
}
J=$(make_jail u-gw); chmod 0775 "$J"; unsafe_case "group-writable" "$J" "$J"
J=$(make_jail u-ow); chmod 0757 "$J"; unsafe_case "other-writable" "$J" "$J"
J=$(make_jail u-sticky); chmod 1777 "$J"; unsafe_case "1777 like /tmp" "$J" "$J"
J=$(make_jail u-owner); chown "$U1" "$J"; unsafe_case "owned by a user" "$J" "$J"
J=$(make_jail u-group); chgrp "$U1" "$J"; unsafe_case "group not root" "$J" "$J"
J=$(make_jail u-link-real); ln -s "$J" "$T_ROOT/jails/u-link"
unsafe_case "the jail path is a symlink" "$T_ROOT/jails/u-link" "$J"
mkdir -p "$T_ROOT/par-real/j"; chmod 0755 "$T_ROOT/par-real" "$T_ROOT/par-real/j"
ln -s par-real "$T_ROOT/par-link"
unsafe_case "a parent is a symlink" "$T_ROOT/par-link/j" "$T_ROOT/par-real/j"
mkdir -p "$T_ROOT/par-gw/j"; chmod 0775 "$T_ROOT/par-gw"; chmod 0755 "$T_ROOT/par-gw/j"
unsafe_case "a parent is group-writable" "$T_ROOT/par-gw/j" "$T_ROOT/par-gw/j"
mkdir -p "$T_ROOT/par-tmp/j"; chmod 1777 "$T_ROOT/par-tmp"; chmod 0755 "$T_ROOT/par-tmp/j"
unsafe_case "a parent is 1777 like /tmp" "$T_ROOT/par-tmp/j" "$T_ROOT/par-tmp/j"
mkdir -p "$T_ROOT/par-user/j"; chown "$U1" "$T_ROOT/par-user"; chmod 0755 "$T_ROOT/par-user" "$T_ROOT/par-user/j"
unsafe_case "a parent is owned by a user" "$T_ROOT/par-user/j" "$T_ROOT/par-user/j"
for sub in etc usr bin dev lib sbin; do
    J=$(make_jail "u-sub-$sub"); mkdir "$J/$sub"; chmod 0777 "$J/$sub"
    unsafe_case "JAIL/$sub is 0777" "$J" "$J"
done
J=$(make_jail u-sub-owner); mkdir "$J/usr"; chown "$U1" "$J/usr"
unsafe_case "JAIL/usr owned by a user" "$J" "$J"
J=$(make_jail u-sub-etclink); mkdir -p "$T_ROOT/gwdir"; chmod 0777 "$T_ROOT/gwdir"; ln -s "$T_ROOT/gwdir" "$J/etc"
unsafe_case "JAIL/etc is a symlink to a 0777 dir" "$J" "$J"
canary_check "unsafe jails: host untouched"

# ============================================================ truncated, garbage and hostile ELF

mkdir -p "$SRC/elf" && chmod 0755 "$SRC/elf"
head -c 100 /usr/bin/ls >"$SRC/elf/trunc100"
head -c 64 /usr/bin/ls >"$SRC/elf/header-only"
head -c $(( $(stat -c %s /usr/bin/ls) / 2 )) /usr/bin/ls >"$SRC/elf/half-ls"
{ printf '\x7fELF'; head -c 4000 /dev/urandom; } >"$SRC/elf/garbage"
{ printf '\x7fELF\x02\x01\x01'; head -c 9 /dev/zero; head -c 2000 /dev/urandom; } >"$SRC/elf/garbage64"
printf '\x7fELF' >"$SRC/elf/magic-only"
: >"$SRC/elf/empty.so"
# ELF header of ls with e_phoff (offset 32) and e_phnum (offset 56) made huge
cp /usr/bin/ls "$SRC/elf/bad-phoff"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$SRC/elf/bad-phoff" bs=1 seek=32 conv=notrunc status=none
cp /usr/bin/ls "$SRC/elf/bad-phnum"
printf '\xff\xff' | dd of="$SRC/elf/bad-phnum" bs=1 seek=56 conv=notrunc status=none
# big-endian 32-bit header (EI_CLASS=1, EI_DATA=2) followed by bytes of ls
{ printf '\x7fELF\x01\x02\x01'; tail -c +8 /usr/bin/true; } >"$SRC/elf/foreign-be32"
chmod 0755 "$SRC/elf"/*
for f in "$SRC/elf"/*; do
    n=${f##*/}
    J=$(make_jail "elf-$n")
    jk -j "$J" "$f"
    assert_no_crash "bad ELF $n: jk_cp exits by itself (no signal, no hang)"
    if ((R_RC == 0)); then
        assert_same_content "bad ELF $n: exit 0, so it is copied whole as a plain file" "$f" "$J$f"
    else
        assert_contains "bad ELF $n: exit $R_RC with a message naming the file" "$n" "$R_ERR"
        if [[ -e "$J$f" ]]; then
            assert_same_content "bad ELF $n: failed, and no partial file at the destination" "$f" "$J$f"
        else ok "bad ELF $n: failed, and no partial file at the destination"; fi
        stray=$(find "$J" -type f ! -path "$J$f" ! -path "$J/etc/ld.so.cache" ! -path "$J/usr/lib*" ! -path "$J/lib*" | head)
        assert_eq "bad ELF $n: no temporary file left in the jail" "" "$stray"
    fi
done
canary_check "bad ELF: host untouched"

# ============================================================ missing, FIFO, unreadable, not-a-dir, long

J=$(make_jail missing)
jk -j "$J" /usr/bin/true "$SRC/nope"
assert_rc "missing file: exit 4" 4
assert_contains "missing file: message names it" "$SRC/nope" "$R_ERR"
assert_eq "missing file: nothing copied (checked before copying)" "" "$(jail_entries "$J")"

mkfifo -m 0644 "$SRC/fifo"
J=$(make_jail fifo)
run_cmd timeout 20 "$JK" -j "$J" "$SRC/fifo"
assert_no_crash "FIFO named on the command line: jk_cp does not hang reading it (20 s)"
if ((R_RC == 0)); then
    t=$(fstat "$J$SRC/fifo" %F)
    if [[ "$t" == fifo || "$t" == "<missing>" ]]; then ok "FIFO: exit 0, and it is recreated as a FIFO or skipped (not read into a file)"
    else not_ok "FIFO: exit 0, and it is recreated as a FIFO or skipped (not read into a file)"; diag "destination: $t"; fi
else
    assert_contains "FIFO: exit $R_RC with a message naming it" fifo "$R_ERR"
fi

# Root reads everything; to get an unreadable file, run jk_cp as uid 0 without
# CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (bounding set dropped before exec).
printf 'secret\n' >"$SRC/unreadable"; chown "$U1:$U1" "$SRC/unreadable"; chmod 0000 "$SRC/unreadable"
J=$(make_jail unreadable)
run_cmd setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search \
    timeout 60 "$JK" -j "$J" "$SRC/unreadable"
assert_no_crash "unreadable file: no crash"
assert_ne "unreadable file: non-zero exit" 0 "$R_RC"
assert_contains "unreadable file: message names it" "$SRC/unreadable" "$R_ERR"
if [[ -e "$J$SRC/unreadable" ]]; then
    not_ok "unreadable file: nothing (no empty or partial file) at the destination"; diag "$(fstat "$J$SRC/unreadable" '%F %s %a')"
else ok "unreadable file: nothing (no empty or partial file) at the destination"; fi
stray=$(find "$J" -type f ! -name ld.so.cache | head)
assert_eq "unreadable file: no temporary file left in the jail" "" "$stray"

printf 'x\n' >"$T_ROOT/notadir"
jk -j "$T_ROOT/notadir" /usr/bin/true
assert_rc "jail is a regular file: exit 3" 3
mkfifo "$T_ROOT/fifojail"
jk -j "$T_ROOT/fifojail" /usr/bin/true
assert_rc "jail is a FIFO: exit 3" 3

long=/$(head -c 10240 /dev/zero | tr '\0' a)
J=$(make_jail longarg)
jk -j "$J" "$long"
assert_no_crash "10 kB file argument: no crash"
assert_ne "10 kB file argument: non-zero exit" 0 "$R_RC"
if [[ -n "$R_ERR" ]]; then ok "10 kB file argument: an error message"; else not_ok "10 kB file argument: an error message"; fi
assert_eq "10 kB file argument: nothing created" "" "$(jail_entries "$J")"
jk -j "$T_ROOT/jails$long" /usr/bin/true
assert_no_crash "10 kB jail argument: no crash"
assert_ne "10 kB jail argument: non-zero exit" 0 "$R_RC"
if [[ -n "$R_ERR" ]]; then ok "10 kB jail argument: an error message"; else not_ok "10 kB jail argument: an error message"; fi
jk -j "$J" "/usr/bin/true/$(head -c 300 /dev/zero | tr '\0' b)"
assert_no_crash "a 300-byte name component: no crash"
assert_ne "a 300-byte name component: non-zero exit" 0 "$R_RC"

# A real file whose path is longer than PATH_MAX (4096): copied whole or a
# loud error, never truncated to another path.
comp=$(head -c 200 /dev/zero | tr '\0' d)
deep="$SRC/deep"; mkdir -p "$deep"
(
    cd "$deep" || exit 1
    for _ in $(seq 1 22); do mkdir "$comp" && cd "$comp" || exit 1; done
    printf 'deep\n' >file
) || fatal "cannot build a deep tree"
deepfile="$deep$(printf "/$comp%.0s" $(seq 1 22))/file"
J=$(make_jail deep)
jk -j "$J" "$deepfile"
assert_no_crash "path of ${#deepfile} bytes (> PATH_MAX): no crash"
if ((R_RC == 0)); then
    got=$(cd "$J$deep" && for _ in $(seq 1 22); do cd "$comp" || exit 1; done && cat file)
    assert_eq "path > PATH_MAX: exit 0, so the file is copied whole at the same path" "deep" "$got"
else
    if [[ -n "$R_ERR" ]]; then ok "path > PATH_MAX: exit $R_RC with a message"; else not_ok "path > PATH_MAX: a message"; fi
fi
J=$(make_jail deepdir)
jk -j "$J" "$deep"
assert_no_crash "directory tree deeper than PATH_MAX: no crash"
if ((R_RC == 0)); then
    got=$(cd "$J$deep" && for _ in $(seq 1 22); do cd "$comp" || exit 1; done && cat file)
    assert_eq "tree deeper than PATH_MAX: exit 0, so its deepest file is copied" "deep" "$got"
else
    if [[ -n "$R_ERR" ]]; then ok "tree deeper than PATH_MAX: exit $R_RC with a message"; else not_ok "tree deeper than PATH_MAX: a message"; fi
fi

canary_check "end: host untouched"
finish
