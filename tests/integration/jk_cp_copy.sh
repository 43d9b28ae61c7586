#!/bin/bash
# Integration test of jk_cp (COMPAT.md 2.2, issue 2 "Tests"): real copies into
# real jails, run as root; the copied programs are executed inside the jail
# with chroot(8).
#
#   JK_CP=/abs/path/to/jk_cp bash tests/integration/jk_cp_copy.sh
#
# Covers: the command-line forms (-j, positional jail, --jail=J, --jail J,
# options after files, long options, -h/-?/--help, --version) and every exit
# code (1 2 3 4 5 6); bash/ssh/python3/perl/git copied into empty jails and run
# inside them (also as nobody); merged-/usr symlinks and the interpreter chain
# reproduced; ld.so.cache made; idempotent re-run (same inodes, mtimes,
# ctimes, no "Copying" line); -k (same inode; setuid/setgid files copied and
# stripped; cross-filesystem fallback); -o and -s; modes, mtimes, parent
# directory modes; recursive directories; devices with large major/minor;
# sockets skipped; ACLs and xattrs; $PATH lookup of relative names; -f
# replacing by rename; the stdout phrases panels parse.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_CP
need_cmd chroot setpriv setfacl getfacl setfattr getfattr useradd groupadd mknod cmp find readelf
for f in /usr/bin/bash /usr/bin/ssh /usr/bin/python3 /usr/bin/perl /usr/bin/git /usr/bin/passwd \
         /usr/bin/ssh-agent /usr/bin/true /usr/bin/ls; do
    [[ -e $f ]] || fatal "$f is needed by this test (packages: bash openssh-client python3 perl git passwd coreutils)"
done
PYLIB=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))') \
    || fatal "cannot find the python3 standard library"
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
# The programs run in the jails see this environment: no locale to load.
export LC_ALL=C
unset LANG LANGUAGE

SRC=$T_ROOT/src
JK=$JK_CP

# has_line TEXT ERE : some line of TEXT matches ^ERE$
has_line() { grep -qE -- "^$2\$" <<<"$1"; }
# re_quote STRING : STRING as a literal ERE
re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

assert_line() {  # DESC TEXT ERE
    if has_line "$2" "$3"; then ok "$1"; else not_ok "$1"; diag "no line matching: ^$3\$"; diag "in:"; diag "$2"; fi
}

# ============================================================ exit codes, forms

J=$(make_jail help)
for opt in -h --help '-?'; do
    run_cmd "$JK" "$opt"
    assert_rc "jk_cp $opt exits 0" 0
    assert_match "jk_cp $opt prints a usage text" '[Uu]sage|-j' "$R_OUT$R_ERR"
done
run_cmd "$JK" --version
assert_rc "jk_cp --version exits 0" 0
assert_match "jk_cp --version prints a version" '[0-9]+\.[0-9]+' "$R_OUT"

run_cmd "$JK" --no-such-option -j "$J" /usr/bin/true
assert_rc "unknown long option: exit 1" 1
run_cmd "$JK" -Z -j "$J" /usr/bin/true
assert_rc "unknown short option: exit 1" 1
run_cmd "$JK" -j
assert_rc "-j without its argument: exit 1" 1
assert_eq "bad options create nothing in the jail" "" "$(jail_entries "$J")"

run_cmd "$JK"
assert_rc "no arguments: exit 2" 2
run_cmd "$JK" -j "$J"
assert_rc "-j JAIL without files: exit 2" 2
run_cmd "$JK" "$J"
assert_rc "positional JAIL without files: exit 2" 2
run_cmd env PATH=/usr/sbin:/usr/bin "$JK" -j "$J" "jk-no-such-program-$T_TAG"
assert_rc "the only relative name is not in \$PATH: exit 2 (COMPAT 2.2)" 2
assert_eq "exit 2 creates nothing in the jail" "" "$(jail_entries "$J")"

echo data >"$T_ROOT/plainfile"
run_cmd "$JK" -j "$T_ROOT/plainfile" /usr/bin/true
assert_rc "jail is a regular file: exit 3" 3
run_cmd "$JK" -j "$T_ROOT/jails/does-not-exist" /usr/bin/true
assert_rc "jail does not exist: exit 3" 3
assert_missing "a missing jail is not created by jk_cp" "$T_ROOT/jails/does-not-exist"

run_cmd "$JK" -j "$J" /usr/bin/true "$SRC/no-such-file"
assert_rc "a file does not exist: exit 4" 4
assert_contains "exit 4 names the missing file" "ERROR: $SRC/no-such-file does not exist" "$R_ERR"
assert_eq "exit 4: files are checked before anything is copied (jail still empty)" "" "$(jail_entries "$J")"

# Not root: a copy of the tool in a root-owned 0755 dir, so that the build
# directory's permissions cannot make this an exec failure.
mkdir -p "$T_ROOT/bin" && cp "$JK" "$T_ROOT/bin/jk_cp" && chmod 0755 "$T_ROOT/bin" "$T_ROOT/bin/jk_cp"
run_cmd setpriv --reuid=65534 --regid=65534 --clear-groups "$T_ROOT/bin/jk_cp" -j "$J" /usr/bin/true
assert_rc "not root (uid 65534): exit 5" 5
assert_eq "exit 5 creates nothing" "" "$(jail_entries "$J")"

Jgw=$(make_jail groupwritable); chmod 0775 "$Jgw"
run_cmd "$JK" -j "$Jgw" /usr/bin/true
assert_rc "group-writable jail: exit 6" 6
assert_eq "exit 6 creates nothing in the jail" "" "$(jail_entries "$Jgw")"
Jow=$(make_jail otherwritable); chmod 0757 "$Jow"
run_cmd "$JK" -j "$Jow" /usr/bin/true
assert_rc "other-writable jail: exit 6" 6
U1=$(make_user) || fatal "cannot create a test user"
Juo=$(make_jail userowned); chown "$U1:$U1" "$Juo"
run_cmd "$JK" -j "$Juo" /usr/bin/true
assert_rc "jail not owned by root: exit 6" 6
mkdir -p "$T_ROOT/gwparent/j" && chmod 0775 "$T_ROOT/gwparent" && chmod 0755 "$T_ROOT/gwparent/j"
run_cmd "$JK" -j "$T_ROOT/gwparent/j" /usr/bin/true
assert_rc "group-writable parent of the jail: exit 6" 6
Jreal=$(make_jail linked-real); ln -s "$Jreal" "$T_ROOT/jails/linked"
run_cmd "$JK" -j "$T_ROOT/jails/linked" /usr/bin/true
assert_rc "symlinked jail path: exit 6" 6
mkdir -p "$T_ROOT/realparent/j" && chmod 0755 "$T_ROOT/realparent" "$T_ROOT/realparent/j"
ln -s realparent "$T_ROOT/linkparent"
run_cmd "$JK" -j "$T_ROOT/linkparent/j" /usr/bin/true
assert_rc "symlinked parent of the jail: exit 6" 6
assert_eq "exit 6 (symlinked parent) creates nothing" "" "$(jail_entries "$T_ROOT/realparent/j")"

# ============================================================ bash, alone

J=$(make_jail bash)
run_cmd "$JK" -j "$J" /bin/bash
assert_rc "jk_cp -j J /bin/bash: exit 0" 0
OUT_BASH=$R_OUT
assert_link "merged-/usr: J/bin is a symlink to usr/bin, like the host" "$J/bin" "$(readlink /bin)"
assert_type "J/usr/bin/bash is a regular file" "$J/usr/bin/bash" "regular file"
assert_same_content "J/usr/bin/bash has the host's content" /usr/bin/bash "$J/usr/bin/bash"
assert_mode "J/usr/bin/bash keeps mode 755" "$J/usr/bin/bash" "$(stat -c %a /usr/bin/bash)"
assert_owner "J/usr/bin/bash is root:root" "$J/usr/bin/bash" root:root
assert_eq "J/usr/bin/bash keeps the host mtime" "$(stat -c %.9Y /usr/bin/bash)" "$(fstat "$J/usr/bin/bash" %.9Y)"
assert_other_inode "J/usr/bin/bash is a copy (not a hardlink) without -k" /usr/bin/bash "$J/usr/bin/bash"
interp=$(readelf -lW /usr/bin/bash 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ -n "$interp" ]] || interp=/lib64/ld-linux-x86-64.so.2
# every symlink on the way to the interpreter is reproduced with the host's target
p=$interp
for _ in 1 2 3 4 5 6 7 8; do
    d=$(dirname "$p") b=$(basename "$p")
    # walk the directory components first
    q=""
    IFS=/ read -ra comps <<<"${d#/}"
    for c in "${comps[@]}"; do
        q+="/$c"
        if [[ -L "$q" ]]; then
            assert_link "interpreter chain: J$q reproduced as a symlink" "$J$q" "$(readlink "$q")"
            t=$(readlink "$q"); [[ $t == /* ]] || t="$(dirname "$q")/$t"
            q=$(realpath -ms "$t")
        fi
    done
    p="$q/$b"
    if [[ -L "$p" ]]; then
        assert_link "interpreter chain: J$p reproduced as a symlink" "$J$p" "$(readlink "$p")"
        t=$(readlink "$p"); [[ $t == /* ]] || t="$(dirname "$p")/$t"
        p=$(realpath -ms "$t")
    else
        assert_type "interpreter chain ends in a regular file J$p" "$J$p" "regular file"
        break
    fi
done
libc=$(realpath /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null || true)
if [[ -n "$libc" ]]; then
    assert_same_content "libc needed by bash is in the jail (J$libc)" "$libc" "$J$libc"
fi
for lib in $(readelf -dW /usr/bin/bash | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    found=$(find "$J" -name "$lib" \( -type f -o -type l \) | head -n1)
    if [[ -n "$found" ]] && [[ -f "$found" ]]; then ok "DT_NEEDED $lib of bash is in the jail"
    else not_ok "DT_NEEDED $lib of bash is in the jail"; diag "found: '$found'"; fi
done
assert_type "ldconfig -r made J/etc/ld.so.cache" "$J/etc/ld.so.cache" "regular file"
if grep -qa 'libc.so.6' "$J/etc/ld.so.cache" 2>/dev/null; then ok "J/etc/ld.so.cache lists libc.so.6"
else not_ok "J/etc/ld.so.cache lists libc.so.6"; fi
# The manifest records what was installed (for jk_update/jk_check), root-only.
assert_eq "J/etc/jailkit/jk_manifest is root:root 0644" "root:root 644" "$(stat -c '%U:%G %a' "$J/etc/jailkit/jk_manifest" 2>&1)"
if grep -q "^/usr/bin/bash	f	/usr/bin/bash	" "$J/etc/jailkit/jk_manifest"; then ok "the manifest lists /usr/bin/bash as a copied file"
else not_ok "the manifest lists /usr/bin/bash as a copied file"; fi
if grep -q "^/bin	l	" "$J/etc/jailkit/jk_manifest"; then ok "the manifest lists the /bin symlink"
else not_ok "the manifest lists the /bin symlink"; fi
assert_line "stdout: Creating symlink J/bin to usr/bin" "$OUT_BASH" "Creating symlink $(re_quote "$J")/bin to usr/bin"
assert_line "stdout: Copying /usr/bin/bash to J/usr/bin/bash" "$OUT_BASH" \
    "Copying /usr/bin/bash to $(re_quote "$J")/usr/bin/bash"
run_cmd chroot "$J" /bin/bash -c 'echo ok'
assert_eq "chroot J /bin/bash -c 'echo ok'" "ok" "$R_OUT"
run_cmd chroot --userspec=65534:65534 "$J" /usr/bin/bash -c 'echo ok $UID'
assert_eq "chroot --userspec=nobody:nogroup J bash runs (modes readable)" "ok 65534" "$R_OUT"

# ============================================================ each program in its own jail

# ssh looks its user up before printing its version: a minimal passwd/group.
jail_users() {
    mkdir -p "$1/etc"
    printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$1/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
    chmod 0644 "$1/etc/passwd" "$1/etc/group"
}

declare -A PROG_CMD=(
    [ssh]='/usr/bin/ssh -V'
    [perl]="/usr/bin/perl -e print(qq(ok\\n))"
    [git]='/usr/bin/git --version'
    [python3]='/usr/bin/python3 --version'
)
declare -A PROG_WANT=(
    [ssh]='^OpenSSH_'
    [perl]='^ok$'
    [git]='^git version [0-9]'
    [python3]='^Python 3\.'
)
for prog in ssh perl git python3; do
    J=$(make_jail "only-$prog")
    run_cmd "$JK" -j "$J" "/usr/bin/$prog" /dev/null   # ssh and git open /dev/null
    assert_rc "jk_cp -j J /usr/bin/$prog /dev/null: exit 0" 0
    jail_users "$J"
    read -ra cmd <<<"${PROG_CMD[$prog]}"
    run_cmd chroot "$J" "${cmd[@]}"
    assert_match "chroot J ${PROG_CMD[$prog]} (alone in its jail)" "${PROG_WANT[$prog]}" "$R_OUT$R_ERR"
    run_cmd chroot --userspec=65534:65534 "$J" "${cmd[@]}"
    assert_match "as nobody: chroot J ${PROG_CMD[$prog]}" "${PROG_WANT[$prog]}" "$R_OUT$R_ERR"
done
assert_link "python3 symlink reproduced" "$T_ROOT/jails/only-python3/usr/bin/python3" "$(readlink /usr/bin/python3)"

# ============================================================ all together, plus a directory tree

J=$(make_jail all)
ALL=(/bin/bash /usr/bin/ssh /usr/bin/python3 /usr/bin/perl /usr/bin/git "$PYLIB" /dev/null)
run_cmd "$JK" -j "$J" "${ALL[@]}"
assert_rc "jk_cp -j J bash ssh python3 perl git $PYLIB /dev/null: exit 0" 0
jail_users "$J"
n_src=$(find "$PYLIB" ! -type s | wc -l) n_dst=$(find "$J$PYLIB" | wc -l)
assert_eq "all: the stdlib tree has as many entries in the jail as on the host" "$n_src" "$n_dst"
export PYTHONDONTWRITEBYTECODE=1
run_cmd chroot "$J" /bin/bash -c 'echo ok'
assert_eq "all: bash -c 'echo ok'" "ok" "$R_OUT"
run_cmd chroot "$J" /usr/bin/ssh -V
assert_match "all: ssh -V" '^OpenSSH_' "$R_ERR$R_OUT"
run_cmd chroot "$J" /usr/bin/perl -e 'print "ok\n"'
assert_eq "all: perl -e 'print \"ok\\n\"'" "ok" "$R_OUT"
run_cmd chroot "$J" /usr/bin/git --version
assert_match "all: git --version" '^git version [0-9]' "$R_OUT"
run_cmd chroot "$J" /usr/bin/python3 --version
assert_match "all: python3 --version" '^Python 3\.' "$R_OUT"
run_cmd chroot "$J" /usr/bin/python3 -c 'import json, os; print("ok", json.dumps([1]))'
assert_eq "all: python3 runs with its copied standard library (recursive dir copy)" "ok [1]" "$R_OUT"
run_cmd chroot --userspec=65534:65534 "$J" /usr/bin/python3 -c 'import os; print("ok", os.getuid())'
assert_eq "all: python3 as nobody" "ok 65534" "$R_OUT"

# idempotence: a second identical run changes nothing
before=$(tree_listing "$J") before_c=$(tree_ctimes "$J")
run_cmd "$JK" -j "$J" "${ALL[@]}"
assert_rc "second identical run: exit 0" 0
after=$(tree_listing "$J") after_c=$(tree_ctimes "$J")
if [[ "$before" == "$after" ]]; then ok "second run: same entries, inodes, modes, owners, sizes, mtimes"
else not_ok "second run: same entries, inodes, modes, owners, sizes, mtimes"
     diag "$(diff <(echo "$before") <(echo "$after") | head -n 40)"; fi
if [[ "$before_c" == "$after_c" ]]; then ok "second run: no ctime changed (no chmod/chown/rewrite)"
else not_ok "second run: no ctime changed (no chmod/chown/rewrite)"
     diag "$(diff <(echo "$before_c") <(echo "$after_c") | head -n 40)"; fi
if grep -q '^Copying ' <<<"$R_OUT"; then not_ok "second run prints no 'Copying' line"; diag "$(grep '^Copying' <<<"$R_OUT" | head)"
else ok "second run prints no 'Copying' line"; fi
run_cmd "$JK" -v -j "$J" /usr/bin/git
assert_line "-v on an existing file: 'J/usr/bin/git already exists, will not touch it'" "$R_OUT" \
    "$(re_quote "$J")/usr/bin/git already exists, will not touch it"
assert_eq "-v re-run changes nothing either" "$before" "$(tree_listing "$J")"

# ============================================================ -k hardlinks

J=$(make_jail hardlink)
host_passwd=$(stat -c '%a %U:%G %h %i' /usr/bin/passwd) host_agent=$(stat -c '%a %U:%G %h %i' /usr/bin/ssh-agent)
if [[ $(stat -c %d /usr/bin/git) != $(stat -c %d "$J") ]]; then
    fatal "the test root and /usr/bin are on different filesystems; -k cannot be tested here"
fi
run_cmd "$JK" -k -j "$J" /usr/bin/git /usr/bin/passwd /usr/bin/ssh-agent /dev/null
assert_rc "jk_cp -k: exit 0" 0
OUT_K=$R_OUT
assert_same_inode "-k: J/usr/bin/git is a hardlink of /usr/bin/git" /usr/bin/git "$J/usr/bin/git"
assert_line "-k stdout: Trying to link /usr/bin/git to J/usr/bin/git" "$OUT_K" \
    "Trying to link /usr/bin/git to $(re_quote "$J")/usr/bin/git"
assert_other_inode "-k: setuid /usr/bin/passwd is copied, not linked" /usr/bin/passwd "$J/usr/bin/passwd"
assert_mode "-k: J/usr/bin/passwd lost setuid (755)" "$J/usr/bin/passwd" 755
assert_same_content "-k: J/usr/bin/passwd has the host content" /usr/bin/passwd "$J/usr/bin/passwd"
assert_line "-k stdout: removing setuid and setgid permissions from J/usr/bin/passwd" "$OUT_K" \
    "removing setuid and setgid permissions from $(re_quote "$J")/usr/bin/passwd"
assert_other_inode "-k: setgid /usr/bin/ssh-agent is copied, not linked" /usr/bin/ssh-agent "$J/usr/bin/ssh-agent"
assert_mode "-k: J/usr/bin/ssh-agent lost setgid (755)" "$J/usr/bin/ssh-agent" 755
assert_owner "-k without -o: J/usr/bin/ssh-agent is root:root" "$J/usr/bin/ssh-agent" root:root
assert_eq "-k: host /usr/bin/passwd untouched (mode, owner, links, inode)" "$host_passwd" \
    "$(stat -c '%a %U:%G %h %i' /usr/bin/passwd)"
assert_eq "-k: host /usr/bin/ssh-agent untouched" "$host_agent" "$(stat -c '%a %U:%G %h %i' /usr/bin/ssh-agent)"
run_cmd chroot "$J" /usr/bin/git --version
assert_match "-k: hardlinked git runs in the jail" '^git version' "$R_OUT"

# -k across filesystems falls back to copying
xdir=""
for base in /dev/shm /run; do
    if [[ -d $base && $(stat -c %d "$base") != $(stat -c %d "$T_ROOT") ]]; then
        xdir=$(mktemp -d "$base/jk-test.XXXXXXXX") && break
    fi
done
if [[ -n "$xdir" ]]; then
    T_CLEAN_PATHS+=("$xdir")
    chmod 0755 "$xdir"; printf 'other fs\n' >"$xdir/file"; chmod 0644 "$xdir/file"
    J=$(make_jail xdev)
    run_cmd "$JK" -k -j "$J" "$xdir/file"
    assert_rc "-k across filesystems: exit 0" 0
    assert_same_content "-k across filesystems: the file is copied" "$xdir/file" "$J$xdir/file"
    assert_line "-k across filesystems: 'Linking SRC to DST failed, will revert to copying'" "$R_OUT" \
        "Linking $(re_quote "$xdir")/file to $(re_quote "$J$xdir")/file failed, will revert to copying"
else
    not_ok "-k across filesystems: no second filesystem (/dev/shm, /run) to test with"
fi

# ============================================================ -o and -s

mkdir -p "$SRC/own" && chmod 0755 "$SRC/own"
printf 'owned\n' >"$SRC/own/file"; chown "$U1:$U1" "$SRC/own/file"; chmod 0640 "$SRC/own/file"
J=$(make_jail noowner)
run_cmd "$JK" -j "$J" "$SRC/own/file" /usr/bin/ssh-agent /usr/bin/passwd
assert_rc "without -o: exit 0" 0
assert_owner "without -o: a user's file becomes root:root" "$J$SRC/own/file" root:root
assert_mode "without -o: mode 640 kept" "$J$SRC/own/file" 640
assert_owner "without -o: ssh-agent becomes root:root" "$J/usr/bin/ssh-agent" root:root
assert_mode "without -s: ssh-agent loses setgid" "$J/usr/bin/ssh-agent" 755
assert_mode "without -s: passwd loses setuid" "$J/usr/bin/passwd" 755
J=$(make_jail owner)
run_cmd "$JK" -o -j "$J" "$SRC/own/file" /usr/bin/ssh-agent
assert_rc "-o: exit 0" 0
assert_owner "-o keeps the owner of a user's file" "$J$SRC/own/file" "$U1:$U1"
assert_owner "-o keeps ssh-agent's group" "$J/usr/bin/ssh-agent" "$(stat -c %U:%G /usr/bin/ssh-agent)"
assert_mode "-o without -s: ssh-agent still loses setgid" "$J/usr/bin/ssh-agent" 755
J=$(make_jail setuid)
run_cmd "$JK" -s -j "$J" /usr/bin/passwd /usr/bin/ssh-agent
assert_rc "-s: exit 0" 0
assert_mode "-s keeps setuid on passwd" "$J/usr/bin/passwd" "$(stat -c %a /usr/bin/passwd)"
assert_owner "-s: passwd root:root" "$J/usr/bin/passwd" root:root
assert_mode "-s keeps setgid on ssh-agent" "$J/usr/bin/ssh-agent" "$(stat -c %a /usr/bin/ssh-agent)"
assert_owner "-s keeps ssh-agent's group" "$J/usr/bin/ssh-agent" "$(stat -c %U:%G /usr/bin/ssh-agent)"
J=$(make_jail longopts)
run_cmd "$JK" --owner --setuid --verbose --jail "$J" /usr/bin/ssh-agent "$SRC/own/file"
assert_rc "--owner --setuid --verbose --jail J: exit 0" 0
assert_mode "--setuid keeps setgid" "$J/usr/bin/ssh-agent" "$(stat -c %a /usr/bin/ssh-agent)"
assert_owner "--owner keeps the owner" "$J$SRC/own/file" "$U1:$U1"
assert_line "--verbose: 'Create directory J/usr'" "$R_OUT" "Create directory $(re_quote "$J")/usr/?"

# ============================================================ modes, mtimes, parents, recursion

P=$SRC/p711
mkdir -p "$P/tree/sub/deeper" "$P/tree/empty" "$P/tree/x750"
printf 'a\n' >"$P/tree/a"; printf 'bb\n' >"$P/tree/sub/b"; printf 'ccc\n' >"$P/tree/sub/deeper/c"
printf '#!/bin/sh\n' >"$P/tree/x750/script"
ln -s sub/b "$P/tree/rel-link"
ln -s deeper "$P/tree/sub/dirlink"
chmod 0600 "$P/tree/a"; chmod 0751 "$P/tree/x750/script"; chmod 0444 "$P/tree/sub/b"
chmod 0750 "$P/tree/x750"; chmod 0700 "$P/tree/sub/deeper"; chmod 0555 "$P/tree/empty"
chmod 0711 "$P"; chmod 0755 "$P/tree" "$P/tree/sub"
i=0
while IFS= read -r f; do
    i=$((i + 1)); touch -h -d "2003-0$(( i % 9 + 1 ))-1$(( i % 10 )) 12:34:56.$((123456789 + i))" "$f"
done < <(find "$P/tree" -depth)
J=$(make_jail tree)
run_cmd "$JK" -j "$J" "$P/tree"
assert_rc "directory copy: exit 0" 0
lst() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort); }
assert_eq "directory copied recursively: names, types, modes, sizes, link targets" "$(lst "$P/tree")" "$(lst "$J$P/tree")"
lstm() { (cd "$1" && find . -type "$2" -printf '%p %T@\n' | LC_ALL=C sort); }
assert_eq "directory copy: mtimes of regular files kept (ns)" "$(lstm "$P/tree" f)" "$(lstm "$J$P/tree" f)"
assert_eq "directory copy: mtimes of symlinks kept (ns)" "$(lstm "$P/tree" l)" "$(lstm "$J$P/tree" l)"
lstd() { (cd "$1" && find . -type d -printf '%p %T@\n' | LC_ALL=C sort); }
assert_eq "directory copy: mtimes of directories kept" "$(lstd "$P/tree")" "$(lstd "$J$P/tree")"
assert_eq "directory copy: everything root:root" "root:root" \
    "$(find "$J$P" -printf '%u:%g\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
assert_mode "parent dir created with the host's mode (711)" "$J$P" 711
d=$(dirname "$P")
while [[ "$d" != / ]]; do
    assert_mode "parent J$d has the host's mode" "$J$d" "$(stat -c %a "$d")"
    assert_owner "parent J$d is root:root" "$J$d" root:root
    d=$(dirname "$d")
done

# ============================================================ devices and sockets

J=$(make_jail dev)
run_cmd "$JK" -j "$J" /dev/null /dev/zero
assert_rc "jk_cp -j J /dev/null /dev/zero: exit 0" 0
for d in /dev/null /dev/zero; do
    assert_eq "J$d: same type, major/minor and mode as the host" "$(stat -c '%F %t:%T %a' $d)" "$(fstat "$J$d" '%F %t:%T %a')"
    assert_owner "J$d is root:root" "$J$d" root:root
done
mkdir -p "$SRC/devs" && chmod 0755 "$SRC/devs"
mknod -m 0640 "$SRC/devs/bigc" c 240 1000 || fatal "mknod failed"
mknod -m 0600 "$SRC/devs/bigb" b 259 70000 || fatal "mknod failed"
mknod -m 0644 "$SRC/devs/small" c 1 3 || fatal "mknod failed"
run_cmd "$JK" -j "$J" "$SRC/devs/bigc" "$SRC/devs/bigb" "$SRC/devs/small"
assert_rc "device nodes named on the command line: exit 0" 0
for d in bigc bigb small; do
    assert_eq "device $d (major > 255, minor > 255 too): same type, major:minor and mode" \
        "$(stat -c '%F %t:%T %a' "$SRC/devs/$d")" "$(fstat "$J$SRC/devs/$d" '%F %t:%T %a')"
done
# DESIGN invariant 6: device nodes are created only when listed, so a device
# found while copying a directory is skipped, loudly.
J=$(make_jail devdir)
run_cmd "$JK" -j "$J" "$SRC/devs"
assert_rc "directory of device nodes: exit 0" 0
assert_eq "devices inside a copied directory are not created (invariant 6)" "" \
    "$(find "$J" ! -type d ! -type l ! -path "$J/etc/jailkit/jk_manifest")"
assert_contains "devices skipped inside a directory: a warning names them" "$SRC/devs/bigc" "$R_ERR"

mkdir -p "$SRC/sockdir" && chmod 0755 "$SRC/sockdir"
printf 'f\n' >"$SRC/sockdir/file"
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SRC/sockdir/sock" \
    || fatal "cannot create a unix socket"
[[ -S "$SRC/sockdir/sock" ]] || fatal "no socket made"
J=$(make_jail sock)
run_cmd "$JK" -j "$J" "$SRC/sockdir"
assert_rc "directory with a socket: exit 0" 0
assert_same_content "directory with a socket: the file is copied" "$SRC/sockdir/file" "$J$SRC/sockdir/file"
assert_missing "the socket is skipped" "$J$SRC/sockdir/sock"
J=$(make_jail sock2)
run_cmd "$JK" -j "$J" "$SRC/sockdir/sock"
assert_rc "a socket named on the command line is skipped: exit 0" 0
assert_missing "a socket named on the command line is not created" "$J$SRC/sockdir/sock"

# ============================================================ ACLs and xattrs

mkdir -p "$SRC/acl/dflt" && chmod 0755 "$SRC/acl" "$SRC/acl/dflt"
printf 'acl\n' >"$SRC/acl/file"; chmod 0640 "$SRC/acl/file"
setfacl -m "u:$U1:r--" "$SRC/acl/file" || fatal "setfacl failed (filesystem without ACLs?)"
setfacl -d -m "u:$U1:rwx" "$SRC/acl/dflt" || fatal "setfacl -d failed"
setfattr -n user.jktest -v hello "$SRC/acl/file" || fatal "setfattr failed (filesystem without user xattrs?)"
setfattr -n user.jkdir -v 0xdeadbeef "$SRC/acl/dflt" || fatal "setfattr failed"
J=$(make_jail acl)
run_cmd "$JK" -j "$J" "$SRC/acl"
assert_rc "ACL/xattr tree: exit 0" 0
gacl() { getfacl -cp "$1" 2>/dev/null | grep -v '^#'; }
gxa() { getfattr -d -m '^user\.' -e hex "$1" 2>/dev/null | grep -v '^#'; }
assert_eq "access ACL preserved" "$(gacl "$SRC/acl/file")" "$(gacl "$J$SRC/acl/file")"
assert_contains "access ACL names the test user" "user:$U1:r--" "$(gacl "$J$SRC/acl/file")"
assert_eq "default ACL of a directory preserved" "$(gacl "$SRC/acl/dflt")" "$(gacl "$J$SRC/acl/dflt")"
assert_eq "user xattr of a file preserved" "$(gxa "$SRC/acl/file")" "$(gxa "$J$SRC/acl/file")"
assert_eq "user xattr of a directory preserved" "$(gxa "$SRC/acl/dflt")" "$(gxa "$J$SRC/acl/dflt")"

# ============================================================ forms: PATH, positional, --jail, options anywhere

J=$(make_jail path)
run_cmd env PATH=/usr/sbin:/usr/bin "$JK" -j "$J" ls
assert_rc "relative name looked up in \$PATH: exit 0" 0
assert_same_content "jk_cp -j J ls copies /usr/bin/ls" /usr/bin/ls "$J/usr/bin/ls"
run_cmd chroot "$J" /usr/bin/ls /
assert_rc "the PATH-found ls runs in the jail" 0

J=$(make_jail positional)
run_cmd "$JK" "$J" /usr/bin/true
assert_rc "positional jail (jk_cp JAIL FILE): exit 0" 0
assert_same_content "positional jail: file copied" /usr/bin/true "$J/usr/bin/true"
J=$(make_jail jail-eq)
run_cmd "$JK" --jail="$J" /usr/bin/true
assert_rc "--jail=J: exit 0" 0
assert_same_content "--jail=J: file copied into J" /usr/bin/true "$J/usr/bin/true"
J=$(make_jail jail-sp)
run_cmd "$JK" --jail "$J" /usr/bin/true
assert_rc "--jail J: exit 0" 0
assert_same_content "--jail J: file copied into J" /usr/bin/true "$J/usr/bin/true"
assert_missing "--jail J: J is not also taken as a file" "$J$J"
J=$(make_jail jail-last)
run_cmd "$JK" /usr/bin/true -j "$J"
assert_rc "-j J after the files: exit 0" 0
assert_same_content "-j J after the files: file copied" /usr/bin/true "$J/usr/bin/true"
J=$(make_jail k-last)
run_cmd "$JK" -j "$J" /usr/bin/git -k
assert_rc "-k after the files: exit 0" 0
assert_same_inode "-k after the files is an option (hardlink)" /usr/bin/git "$J/usr/bin/git"
assert_missing "-k after the files is not a file name" "$J/-k"

# -f replaces by rename (old or new, never rewritten in place); without -f not touched
J=$(make_jail force)
mkdir -p "$J/usr/bin"
printf 'old junk\n' >"$J/usr/bin/true"; chmod 0644 "$J/usr/bin/true"
ln "$J/usr/bin/true" "$T_ROOT/keep-old"
run_cmd "$JK" -j "$J" /usr/bin/true
assert_rc "existing destination without -f: exit 0" 0
assert_eq "existing destination without -f is not touched" "old junk" "$(cat "$J/usr/bin/true")"
assert_mode "existing destination without -f keeps its mode" "$J/usr/bin/true" 644
run_cmd "$JK" -j "$J" /usr/bin/true -f
assert_rc "-f after the files: exit 0" 0
assert_same_content "-f (after the files) replaces the destination" /usr/bin/true "$J/usr/bin/true"
assert_mode "-f: replaced file has the host mode" "$J/usr/bin/true" "$(stat -c %a /usr/bin/true)"
assert_eq "-f replaces by rename: the old inode still holds the old content" "old junk" "$(cat "$T_ROOT/keep-old")"
assert_other_inode "-f: new inode at the destination" "$T_ROOT/keep-old" "$J/usr/bin/true"
stray=$(find "$J/usr/bin" -mindepth 1 ! -name true | head)
assert_eq "-f leaves no temporary file behind" "" "$stray"
run_cmd "$JK" --force -j "$J" /usr/bin/false
assert_rc "--force: exit 0" 0

finish
