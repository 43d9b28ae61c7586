#!/bin/bash
# Integration test of jk_jailuser (COMPAT.md 2.8, W1): real users moved into
# a jail built by our jk_init, run as root.
#
#   JK_JAILUSER=/abs/jk_jailuser JK_INIT=/abs/jk_init JK_INIT_INI=/abs/jk_init.ini \
#       bash tests/integration/jk_jailuser.sh
#
# Covers: a full -m run (jail passwd/group lines, supplementary group, host
# home JAIL/./HOME and shell, the home renamed with owner/mode/ACL/xattr/
# mtime/symlinks intact); a re-run that changes nothing; a home on another
# filesystem (/dev/shm) copied and removed; -n with bad jails (exit 33);
# supplementary groups written into the jail so that `id` run there through
# jk_chrootsh names them;
# the interactive jail prompt and move question fed through stdin; a user
# that does not exist (exit 0); root refused; a home named with a space and
# $(touch PWNED); two homes in the way (refused, nothing merged); usermod
# failing (reported, exit 1); the ISPConfig and i-MSCP call sequences.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
enter_private_mounts "$@"

skip_unless_root
need_tool JK_JAILUSER
need_tool JK_INIT
need_tool JK_CHROOTSH
[[ -n ${JK_INIT_INI:-} && -f $JK_INIT_INI ]] || fatal "JK_INIT_INI is not set to the ini file (meson passes it)"
need_cmd useradd usermod groupadd getent setfacl getfacl setfattr getfattr find setpriv
setup_root
private_confdir
cd "$T_ROOT/cwd" || fatal "cd"

JU=$JK_JAILUSER
CHSH=/usr/sbin/nologin   # the host login shell we set: only written to passwd
[[ -x $CHSH ]] || fatal "$CHSH is needed (package: login)"
install -d -m 0755 -o 0 -g 0 "$T_ROOT/home-src"

J=$(make_jail main)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell >"$T_ROOT/init.out" 2>&1 || fatal "jk_init failed: $(cat "$T_ROOT/init.out")"
[[ -f $J/etc/passwd && -x $J/bin/sh && -x $J/bin/bash ]] || fatal "the jail has no etc/passwd, /bin/sh or /bin/bash"

# Default host shell (JK_SBINDIR/jk_chrootsh), as --help states it.
DEFAULT_CHSH=$("$JU" --help | grep -o '(default [^)]*/jk_chrootsh)' | sed 's/(default //; s/)//')
[[ $DEFAULT_CHSH == /*/jk_chrootsh ]] || fatal "cannot read the default chroot shell from --help"

host_field() { getent passwd "$1" | cut -d: -f"$2"; }
uid_of() { id -u "$1"; }
gid_of() { id -g "$1"; }

# make_home USER DIR : a home with files, a subdir, a symlink to /etc/shadow,
# an ACL, an xattr, a 0600 file; owned by USER; set as USER's host home.
make_home() {
    local u=$1 h=$2
    mkdir -p "$h/sub" || fatal "mkdir $h"
    echo data >"$h/file"
    echo secret >"$h/private"
    chmod 0600 "$h/private"
    echo deep >"$h/sub/deep"
    chmod 2750 "$h/sub"
    ln -s /etc/shadow "$h/shadowlink"
    setfacl -m u:daemon:r "$h/file" || fatal "setfacl"
    setfattr -n user.x -v hello "$h/file" || fatal "setfattr on $h (user xattrs unsupported?)"
    chown -hR "$u:$(gid_of "$u")" "$h"
    chmod 0750 "$h"
    touch -d '2001-02-03 04:05:06' "$h/file" "$h/sub/deep"
    touch -h -d '2001-02-03 04:05:06' "$h/shadowlink"
    touch -d '2002-03-04 05:06:07' "$h/sub" "$h"
    usermod -d "$h" "$u" >/dev/null 2>&1 || fatal "usermod -d $h $u"
}

# tree_meta DIR : everything a copy must keep (no inode, no directory size).
tree_meta() {
    (cd "$1" && find . -type d -printf '%p %y %m %u %g %T@\n' -o -printf '%p %y %m %u %g %s %T@ %l\n' | LC_ALL=C sort)
}

# acl_meta DIR : ACLs of everything but symlinks (getfacl would follow them).
acl_meta() {
    (cd "$1" && find . -type l -prune -o -print0 | LC_ALL=C sort -z | xargs -0 getfacl -p 2>/dev/null)
}

jail_state() { cat "$J/etc/passwd" "$J/etc/group"; stat -c '%i %Y' "$J/etc/passwd" "$J/etc/group"; }

# ============================================================ usage

run_cmd "$JU" --version
assert_rc "--version exits 0" 0
assert_match "--version prints the version" '^jk_jailuser [0-9]+\.[0-9]+' "$R_OUT"
run_cmd "$JU" -j "$J"
assert_rc "no user name: exit 2" 2
run_cmd "$JU" --bogus -j "$J" x
assert_rc "unknown option: exit 1" 1

# ============================================================ full -m run

U1=$(make_user)
G1=$(make_user)   # its group is U1's supplementary group, present in the jail
G2=$(make_user)   # a supplementary group absent from the jail
usermod -a -G "$G1,$G2" "$U1" >/dev/null 2>&1 || fatal "usermod -G"
printf '%s:x:%s:\n' "$G1" "$(gid_of "$G1")" >>"$J/etc/group"
H1=$T_ROOT/home-src/$U1
make_home "$U1" "$H1"
META1=$(tree_meta "$H1")
LIST1=$(tree_listing "$H1")   # with inodes: a rename keeps them
ACL1=$(acl_meta "$H1")

run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U1"
assert_rc "-m: exit 0" 0
assert_eq "jail passwd line" "$U1:x:$(uid_of "$U1"):$(gid_of "$U1")::$H1:/bin/sh" "$(grep "^$U1:" "$J/etc/passwd")"
assert_eq "jail group: the primary group" "$U1:x:$(gid_of "$U1"):" "$(grep "^$U1:" "$J/etc/group")"
assert_eq "jail group: the supplementary group lists the user" "$G1:x:$(gid_of "$G1"):$U1" "$(grep "^$G1:" "$J/etc/group")"
assert_eq "jail group: a group absent from the jail is added with the user (as jailkit)" \
    "$G2:x:$(gid_of "$G2"):$U1" "$(grep "^$G2:" "$J/etc/group")"
assert_eq "host home is JAIL/./HOME" "$J/.$H1" "$(host_field "$U1" 6)"
assert_eq "host shell is the --chrootsh path" "$CHSH" "$(host_field "$U1" 7)"
assert_missing "the old home is gone" "$H1"
assert_eq "the home moved with inodes, owners, modes, times kept" "$LIST1" "$(tree_listing "$J$H1")"
assert_eq "ACLs kept" "$ACL1" "$(acl_meta "$J$H1")"
assert_match "the ACL is really there" 'user:daemon:r--' "$(getfacl -p "$J$H1/file" 2>/dev/null)"
assert_eq "xattr kept" "hello" "$(getfattr --only-values -n user.x "$J$H1/file" 2>/dev/null)"
assert_link "the /etc/shadow symlink stays a symlink" "$J$H1/shadowlink" /etc/shadow
assert_mode "the 0600 file keeps its mode" "$J$H1/private" 600
assert_mode "the setgid subdir keeps its mode" "$J$H1/sub" 2750
assert_owner "the jail's new parent is root-owned" "$J/srv" root:root
assert_contains "stdout says what was done" "moved home directory $H1" "$R_OUT"

# ============================================================ re-run: nothing changes

STATE=$(jail_state)
HOSTLINE=$(getent passwd "$U1")
run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U1"
assert_rc "re-run: exit 0" 0
assert_eq "re-run: jail passwd/group not rewritten" "$STATE" "$(jail_state)"
assert_eq "re-run: host entry unchanged" "$HOSTLINE" "$(getent passwd "$U1")"
assert_eq "re-run: home tree unchanged" "$LIST1" "$(tree_listing "$J$H1")"
assert_eq "re-run: nothing to say" "" "$R_OUT"
run_cmd "$JU" -v -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U1"
assert_contains "re-run -v: says it is already there" "already" "$R_OUT"

# ============================================================ another filesystem

SHM=$(mktemp -d /dev/shm/jk-test.XXXXXXXX) || fatal "mktemp in /dev/shm"
T_CLEAN_PATHS+=("$SHM")
chmod 0755 "$SHM"
U2=$(make_user)
H2=$SHM/$U2
make_home "$U2" "$H2"
META2=$(tree_meta "$H2")
ACL2=$(acl_meta "$H2")
run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U2"
assert_rc "tmpfs home: exit 0" 0
assert_missing "tmpfs home: the source is removed" "$H2"
assert_eq "tmpfs home: copied with owners, modes, times, links" "$META2" "$(tree_meta "$J$H2")"
assert_eq "tmpfs home: ACLs copied" "$ACL2" "$(acl_meta "$J$H2")"
assert_eq "tmpfs home: xattr copied" "hello" "$(getfattr --only-values -n user.x "$J$H2/file" 2>/dev/null)"
assert_link "tmpfs home: symlink recreated, not followed" "$J$H2/shadowlink" /etc/shadow
assert_eq "tmpfs home: no temporary copy left" "$U2" "$(ls -A "$J$SHM")"
assert_eq "tmpfs home: host home" "$J/.$H2" "$(host_field "$U2" 6)"

# ============================================================ bad jails

BAD=$(make_jail nopasswd)
run_cmd "$JU" -n -s /bin/sh -j "$BAD" "$U1"
assert_rc "-n, jail without etc/passwd: exit 33" 33
assert_contains "the message names the jail" "$BAD" "$R_ERR"
assert_contains "the message says why" "etc/passwd" "$R_ERR"
run_cmd "$JU" -n -s /bin/zsh-not-there -j "$J" "$U1"
assert_rc "-n, shell missing in the jail: exit 33" 33
WBAD=$(make_jail writable)
mkdir -p "$WBAD/etc" "$WBAD/bin" && cp "$J/etc/passwd" "$WBAD/etc/" && cp /bin/true "$WBAD/bin/sh" && chmod 0775 "$WBAD"
run_cmd "$JU" -n -s /bin/sh -j "$WBAD" "$U1"
assert_rc "-n, group-writable jail: exit 33" 33
run_cmd "$JU" -n -s /bin/sh "$U1"
assert_rc "-n without -j: exit 33" 33
assert_eq "bad jails: the user was not touched" "$HOSTLINE" "$(getent passwd "$U1")"

# ============================================================ interactive

U3=$(make_user)
H3=$T_ROOT/home-src/$U3
make_home "$U3" "$H3"
OUT=$(printf '%s\n%s\nn\n' "$BAD" "$J" | "$JU" -s /bin/sh --chrootsh="$CHSH" -j /nonexistent-jk "$U3" 2>"$T_ROOT/err")
RC=$?
assert_eq "interactive: exit 0 after a wrong and a good jail" 0 "$RC"
assert_eq "interactive: asked twice for the jail" 2 "$(grep -o 'enter jail directory: ' <<<"$OUT" | wc -l)"
assert_contains "interactive: asked before moving" "move home directory $H3 to $J/.$H3? [Y]/[n] " "$OUT"
assert_exists "interactive 'n': the home stays" "$H3/file"
assert_missing "interactive 'n': nothing in the jail" "$J$H3"
assert_eq "interactive 'n': host home still set" "$J/.$H3" "$(host_field "$U3" 6)"
# Another user, answering with an empty line (the default, yes).
U3B=$(make_user)
H3B=$T_ROOT/home-src/$U3B
make_home "$U3B" "$H3B"
OUT=$(printf '\n' | "$JU" -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U3B" 2>"$T_ROOT/err")
RC=$?
assert_eq "interactive, default answer: exit 0" 0 "$RC"
assert_missing "interactive, default answer: moved" "$H3B"
assert_exists "interactive, default answer: in the jail" "$J$H3B/file"
OUT=$(printf '' | "$JU" -s /bin/sh -j "$BAD" "$U3" 2>/dev/null)
assert_eq "interactive, end of input at the jail prompt: exit 33" 33 "$?"

# ============================================================ missing user, root

run_cmd "$JU" -n -s /bin/sh --chrootsh="$CHSH" -j "$J" jk-no-such-user
assert_rc "a user that does not exist: exit 0 (jailkit)" 0
assert_contains "a user that does not exist: said so" "user jk-no-such-user does not exist" "$R_ERR"
ROOTLINE=$(getent passwd root)
JP=$(cat "$J/etc/passwd")
run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" root
assert_rc "root is refused: exit 1" 1
assert_contains "root is refused: said so" "uid 0" "$R_ERR"
assert_eq "root's host entry is untouched" "$ROOTLINE" "$(getent passwd root)"
assert_eq "the jail passwd is untouched" "$JP" "$(cat "$J/etc/passwd")"

# ============================================================ shell characters in the home

U4=$(make_user)
H4="$T_ROOT/home-src/a b;\$(touch PWNED)"
make_home "$U4" "$H4"
run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U4"
assert_rc "a home with a space and \$(...): exit 0" 0
assert_eq "a home with a space and \$(...): host home" "$J/.$H4" "$(host_field "$U4" 6)"
assert_exists "a home with a space and \$(...): moved" "$J$H4/file"
assert_eq "PWNED is never created" "" "$(find "$T_ROOT" "$SHM" / -maxdepth 1 -name PWNED 2>/dev/null; find "$T_ROOT" "$SHM" -name PWNED)"

# ============================================================ two homes in the way

U5=$(make_user)
H5=$T_ROOT/home-src/$U5
make_home "$U5" "$H5"
mkdir -p "$J$H5" && echo theirs >"$J$H5/other"
LINE5=$(getent passwd "$U5")
run_cmd "$JU" -m -n -s /bin/sh --chrootsh="$CHSH" -j "$J" "$U5"
assert_rc "both homes exist: exit 1" 1
assert_contains "both homes exist: said so" "not merging" "$R_ERR"
assert_exists "both homes exist: source intact" "$H5/file"
assert_missing "both homes exist: nothing merged" "$J$H5/file"
assert_eq "both homes exist: host entry unchanged" "$LINE5" "$(getent passwd "$U5")"

# ============================================================ usermod failing

U6=$(make_user)
run_cmd "$JU" -n -s /bin/sh --chrootsh="/bin/x:y" -j "$J" "$U6"
assert_rc "usermod failing: exit 1" 1
assert_contains "usermod failing: its output is shown" "usermod" "$R_ERR"
assert_contains "usermod failing: the command is shown" "'-s' '/bin/x:y'" "$R_ERR"

# ============================================================ groups seen inside the jail
# jailkit 2.23 writes every group the user is a member of into the jail's
# group file, the user listed: `id` in the jail then shows names, not numbers.
install_setuid JK_CHROOTSH
JG=$(make_jail groups)
"$JK_INIT" -c "$JK_INIT_INI" -j "$JG" basicshell uidbasics >"$T_ROOT/init-groups.out" 2>&1 \
    || fatal "jk_init failed: $(cat "$T_ROOT/init-groups.out")"
UG=$(make_user); S1=$(make_user); S2=$(make_user)
usermod -a -G "$S1,$S2" "$UG" >/dev/null 2>&1 || fatal "usermod -G"
printf '%s:x:%s:someone\n' "$S1" "$(gid_of "$S1")" >>"$JG/etc/group"  # present, with another member
install -d -m 0750 -o "$UG" -g "$UG" "$T_ROOT/home-src/$UG"
usermod -d "$T_ROOT/home-src/$UG" "$UG" >/dev/null 2>&1 || fatal "usermod -d"
run_cmd "$JU" -m -n -s /bin/bash --chrootsh="$JK_CHROOTSH" -j "$JG" "$UG"
assert_rc "groups: exit 0" 0
assert_eq "groups: a jail group keeps its members and gets the user" "$S1:x:$(gid_of "$S1"):someone,$UG" "$(grep "^$S1:" "$JG/etc/group")"
assert_eq "groups: a missing group is added with the user" "$S2:x:$(gid_of "$S2"):$UG" "$(grep "^$S2:" "$JG/etc/group")"
run_cmd setpriv --reuid="$UG" --regid="$(gid_of "$UG")" --init-groups env -i USER="$UG" "$JK_CHROOTSH" -c 'id; id -Gn'
assert_rc "groups: id runs in the jail through jk_chrootsh and finds a name for every group (exit 0)" 0
assert_match "groups: id in the jail names the primary and both supplementary groups" \
    "^uid=$(uid_of "$UG")\($UG\) gid=$(gid_of "$UG")\($UG\) groups=[0-9]+\([a-z0-9]+\),[0-9]+\([a-z0-9]+\),[0-9]+\([a-z0-9]+\)\$" \
    "$(head -n 1 <<<"$R_OUT")"
sorted_words() { tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' '; }
assert_eq "groups: ... all three by name" "$(sorted_words <<<"$UG $S1 $S2")" "$(tail -n 1 <<<"$R_OUT" | sorted_words)"
GSTATE=$(cat "$JG/etc/group"; stat -c '%i %Y' "$JG/etc/group")
run_cmd "$JU" -n -s /bin/bash --chrootsh="$JK_CHROOTSH" -j "$JG" "$UG"
assert_rc "groups: a second run: exit 0" 0
assert_eq "groups: a second run adds no duplicate member and does not rewrite the file" "$GSTATE" \
    "$(cat "$JG/etc/group"; stat -c '%i %Y' "$JG/etc/group")"

# ============================================================ panels

# ISPConfig: usermod --home=JAIL/./home/U first, then jk_jailuser -n -s SHELL -j JAIL U.
U7=$(make_user)
usermod --home="$J/./home/$U7" "$U7" 2>/dev/null || fatal "usermod --home"
run_cmd "$JK_JAILUSER" -n -s /bin/bash -j "$J" "$U7"
assert_rc "ISPConfig sequence: exit 0" 0
assert_eq "ISPConfig: jail passwd home /home/U, shell /bin/bash" \
    "$U7:x:$(uid_of "$U7"):$(gid_of "$U7")::/home/$U7:/bin/bash" "$(grep "^$U7:" "$J/etc/passwd")"
assert_eq "ISPConfig: host home unchanged" "$J/./home/$U7" "$(host_field "$U7" 6)"
assert_eq "ISPConfig: host shell is the default jk_chrootsh" "$DEFAULT_CHSH" "$(host_field "$U7" 7)"

# i-MSCP: umask 022; jk_jailuser -m -n -s SHELL -j JAIL U.
U8=$(make_user)
H8=$T_ROOT/home-src/$U8
make_home "$U8" "$H8"
run_cmd bash -c 'umask 022; exec "$@"' - "$JK_JAILUSER" -m -n -s /bin/bash -j "$J" "$U8"
assert_rc "i-MSCP sequence: exit 0" 0
assert_exists "i-MSCP: home moved" "$J$H8/file"
assert_eq "i-MSCP: host home" "$J/.$H8" "$(host_field "$U8" 6)"

# Several users in one call, one of them missing: the others are done.
U9=$(make_user)
run_cmd "$JU" -n -s /bin/sh --chrootsh="$CHSH" -j "$J" jk-no-such-user "$U9"
assert_rc "a missing user among others: exit 0" 0
assert_eq "a missing user among others: the next one is jailed" "$U9" "$(grep "^$U9:" "$J/etc/passwd" | cut -d: -f1)"

finish
