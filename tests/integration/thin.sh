#!/usr/bin/env bash
# Thin jails (issue 13): made by `jk_init --thin`, the host's system bound
# read-only (nosuid, nodev) at every entry in a mount namespace of the
# login's own.
#   1. real sshd logins into a thin jail: a shell through jk_chrootsh, and
#      sftp, scp, rsync and git through jk_lsh; jk_uchroot,
#      jk_procmailwrapper and jk_chrootlaunch into it too;
#   2. no way up or out: a setuid-root program of the host does not make
#      the user root, /usr is read-only, /etc/shadow is not there, the
#      mounts carry ro,nosuid,nodev;
#   3. a host upgrade (a library replaced by one with a new soname, its
#      program relinked): the thin jail runs the new one at once, a copy
#      jail of the same program keeps the old one until jk_update;
#   4. sshd's own ChrootDirectory + internal-sftp on a thin jail;
#   5. clean mounts: 100 logins, 10 at a time, leave the host's mount
#      table (and this test's) as they were.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/common.sh"
source "$here/../lib/sshd.sh"

skip_unless_root
enter_private_mounts "$@"
need_tool JK_CP
need_tool JK_INIT
need_tool JK_CHROOTSH
need_tool JK_LSH
need_tool JK_JAILUSER
need_tool JK_EXEC
need_tool JK_UPDATE
need_tool JK_UCHROOT
need_tool JK_PROCMAILWRAPPER
need_tool JK_CHROOTLAUNCH
need_cmd ssh sftp scp rsync git ssh-keygen cc usermod timeout python3 xargs procmail setpriv
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
export LC_ALL=C
unset LANG LANGUAGE

setup_root
private_confdir
capture_syslog
cd "$T_ROOT/cwd" || fatal "cd"
install_setuid JK_CHROOTSH
install_setuid JK_UCHROOT
install_setuid JK_PROCMAILWRAPPER

# The tools a thin jail cannot find in the host's /usr (ours are not
# installed there): a root-owned directory bound into the jails read-only.
TOOLS=$T_ROOT/tools
install -d -m 0755 -o 0 -g 0 "$TOOLS"
install -m 0755 -o 0 -g 0 "$JK_LSH" "$TOOLS/jk_lsh" || fatal "install jk_lsh"
cc -static -O -o "$T_ROOT/jkprobe" "$here/../lib/jkprobe.c" || fatal "cannot build jkprobe"
install -m 0755 -o 0 -g 0 "$T_ROOT/jkprobe" "$TOOLS/jkprobe"
install -m 4755 -o 0 -g 0 "$T_ROOT/jkprobe" "$TOOLS/jkprobe-setuid"
[[ -u $TOOLS/jkprobe-setuid ]] || fatal "no setuid bit on $TOOLS/jkprobe-setuid (nosuid mount?)"
# The control: on the host the setuid copy does make a user root.
CONTROL_USER=$(make_user)
assert_contains "control: the setuid probe gives euid 0 outside a jail" "euid=0" \
    "$(setpriv --reuid="$CONTROL_USER" --regid="$CONTROL_USER" --clear-groups "$TOOLS/jkprobe-setuid" ids)"

# add_tools JAIL : $TOOLS bound into the thin jail as well.
add_tools() {
    local f
    f=$(jail_policy_file "$1")
    [[ -f $f ]] || fatal "jk_init --thin wrote no policy $f"
    sed -i "s#^ro_binds *=.*#&, $TOOLS#" "$f"
    install -d -m 0755 -o 0 -g 0 "$1$TOOLS"
}
jailuser() {
    run_cmd "$JK_JAILUSER" -n -m -j "$1" -s "$3" --chrootsh="$JK_CHROOTSH" "$2"
    assert_rc "jk_jailuser -j ${1##*/} -s $3 $2" 0
}
# A scratch /usr/local over the real one in this test's mount namespace
# (section 3 installs there): the thin jails' recursive bind of /usr
# carries it in like any submount; the host's /usr is never written.
install -d -m 0755 -o 0 -g 0 "$T_ROOT/usr-local" "$T_ROOT/usr-local/lib" "$T_ROOT/usr-local/bin"
mount --bind "$T_ROOT/usr-local" /usr/local || fatal "cannot bind a scratch /usr/local"
# host_mounts : this test's mount table, and the lines of the host's (pid
# 1's, which other programs may change meanwhile) that name this test.
host_mounts() { cat /proc/self/mountinfo; echo ---; grep -F "$T_ROOT" /proc/1/mountinfo; }
MOUNTS_BEFORE=$(host_mounts)

sshd_start main

# ---------------------------------------------------------------- 1. a shell
J1=$(make_jail thinshell)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" --thin -j "$J1" basicshell uidbasics
assert_rc "jk_init --thin basicshell uidbasics" 0
add_tools "$J1"
assert_contains "the policy records the thin plan" "ro_binds" "$(cat "$(jail_policy_file "$J1")")"
size=$(du -sk "$J1" | cut -f1)
check "a thin jail is small (${size} KiB <= 200)" test "$size" -le 200
assert_eq "nothing of the host's system is copied into the jail's usr" "" \
    "$(find "$J1/usr" -mindepth 1 ! -type d 2>/dev/null)"
U1=$(make_user)
install -d -m 0755 -o "$U1" -g "$U1" "$T_ROOT/h1" && usermod -d "$T_ROOT/h1" "$U1" >/dev/null
ssh_authorize "$U1"
jailuser "$J1" "$U1" /bin/bash
H1=$(getent passwd "$U1" | cut -d: -f6); H1=${H1/\/.\///}

run_cmd t_ssh main "$U1" -- 'echo "id=$(id -un)"; ls /usr/bin/bash; echo "probe=$('"$TOOLS"'/jkprobe-setuid ids)"
    touch /usr/x 2>&1; cat /etc/shadow 2>&1; ls /etc; grep -E " /usr | '"$TOOLS"' " /proc/self/mountinfo 2>&1; exit 3'
assert_rc "thin shell over ssh: the command's exit status" 3
assert_contains "thin shell: logged in as the user" "id=$U1" "$R_OUT"
assert_contains "thin shell: the host's bash is there" "/usr/bin/bash" "$R_OUT"
assert_contains "thin shell: a host setuid-root program gains nothing" "probe=uid=$(id -u "$U1") euid=$(id -u "$U1")" "$R_OUT"
assert_contains "thin shell: /usr cannot be written" "Read-only file system" "$R_OUT"
assert_contains "thin shell: /etc/shadow is not there" "/etc/shadow: No such file or directory" "$R_OUT"
assert_not_contains "thin shell: nothing of the host's /etc but what the sections name" "shadow" \
    "$(grep -v 'No such file' <<<"$R_OUT")"
syslog_has "thin shell: the entry says thin" "jk_chrootsh\[[0-9]+\]: now entering jail $J1 for user $U1 .*thin=/"
# The mounts as the jail sees them (/proc of the host's pid namespace,
# mounted inside the jail for this check only).
install -d -m 0555 -o 0 -g 0 "$J1/proc"
mount -t proc proc "$J1/proc" || fatal "mount proc in $J1"
run_cmd t_ssh main "$U1" -- "grep -E ' /usr ' /proc/self/mountinfo"
umount "$J1/proc"
assert_match "thin shell: /usr is mounted ro,nosuid,nodev" ' /usr ro,nosuid,nodev' "$R_OUT"
assert_eq "thin shell: the jail's directory on the host stays empty" "" "$(find "$J1/usr" -mindepth 1 ! -type d)"
run_cmd t_ssh main "$U1" -- 'ls /dev | paste -sd" "; echo x >/dev/null && echo null-ok; script -qc "echo pty-ok" /dev/null'
assert_eq "thin shell: a minimal /dev made at entry" "fd full null ptmx pts random stderr stdin stdout tty urandom zero" \
    "$(head -n 1 <<<"$R_OUT")"
assert_contains "thin shell: /dev/null works" "null-ok" "$R_OUT"
assert_contains "thin shell: a new pty can be opened (script)" "pty-ok" "$R_OUT"

# ---------------------------------------------------------------- 1b. every other way in
as_u1() { setpriv --reuid="$U1" --regid="$(id -g "$U1")" --init-groups env -i USER="$U1" "$@"; }
printf '[%s]\nallowed_jails = %s\n' "$U1" "$J1" | install -m 0644 -o 0 -g 0 /dev/stdin "$T_CONF/jk_uchroot.ini"
run_cmd as_u1 "$JK_UCHROOT" -j "$J1" -x /usr/bin/bash -- -c 'echo "uchroot=$(id -un) $(stat -c %F /usr/bin/bash)"'
assert_eq "jk_uchroot into the thin jail finds the host's bash" "0:uchroot=$U1 regular file" "$R_RC:$R_OUT"
printf 'DEFAULT=$HOME/Mailbox\n' | install -m 0644 -o "$U1" -g "$U1" /dev/stdin "$H1/.procmailrc"
printf 'From: a@b\nTo: %s\nSubject: thin\n\nbody thin %s\n' "$U1" "$T_TAG" >"$T_ROOT/mail.txt"
as_u1 "$JK_PROCMAILWRAPPER" <"$T_ROOT/mail.txt" >"$T_ROOT/mail.out" 2>&1
assert_eq "jk_procmailwrapper delivers with the host's procmail (setgid, inert) in the thin jail" "0" "$?"
assert_contains "the mail is in the jailed home" "body thin $T_TAG" "$(cat "$H1/Mailbox" 2>/dev/null)"
run_cmd "$JK_CHROOTLAUNCH" -j "$J1" -u "$U1" -x /usr/bin/bash -- -c 'echo "launch=$(id -un)"'
assert_eq "jk_chrootlaunch starts the host's bash in the thin jail as the user" "0:launch=$U1" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- 1c. jk_lsh
J2=$(make_jail thinlsh)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" --thin -j "$J2" sftp scp rsync git uidbasics
assert_rc "jk_init --thin sftp scp rsync git uidbasics" 0
add_tools "$J2"
# These sections name no user; jk_jailuser adds to an existing passwd.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n' | install -m 0644 -o 0 -g 0 /dev/stdin "$J2/etc/passwd"
printf 'root:x:0:\n' | install -m 0644 -o 0 -g 0 /dev/stdin "$J2/etc/group"
install -d -m 0755 -o 0 -g 0 "$J2/etc/jailkit"
printf '%s\n' "[DEFAULT]" "paths = /usr/bin, /usr/lib/openssh" \
    "executables = /usr/lib/openssh/sftp-server, /usr/bin/scp, /usr/bin/rsync, /usr/bin/git-upload-pack, /usr/bin/git-receive-pack" \
    "umask = 022" | install -m 0644 -o 0 -g 0 /dev/stdin "$J2/etc/jailkit/jk_lsh.ini"
U2=$(make_user)
install -d -m 0755 -o "$U2" -g "$U2" "$T_ROOT/h2" && usermod -d "$T_ROOT/h2" "$U2" >/dev/null
ssh_authorize "$U2"
jailuser "$J2" "$U2" "$TOOLS/jk_lsh"
H2=$(getent passwd "$U2" | cut -d: -f6); H2=${H2/\/.\///}

printf 'payload %s\n' "$T_TAG" >"$T_ROOT/src/p.txt"
printf 'put %s up.txt\nget up.txt %s\n' "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back" >"$T_ROOT/p.batch"
run_cmd t_sftp main "$U2" -b "$T_ROOT/p.batch"
assert_rc "thin sftp: put and get" 0
assert_same_content "thin sftp: the file arrived in the jail" "$T_ROOT/src/p.txt" "$H2/up.txt"
assert_same_content "thin sftp: and came back" "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back"
run_cmd t_scp main "$U2" -O "$T_ROOT/src/p.txt" @:scp.txt
assert_rc "thin scp -O upload" 0
assert_same_content "thin scp: content" "$T_ROOT/src/p.txt" "$H2/scp.txt"
run_cmd t_rsync main "$U2" -a "$T_ROOT/src/" @:rs/
assert_rc "thin rsync upload" 0
assert_same_content "thin rsync: content" "$T_ROOT/src/p.txt" "$H2/rs/p.txt"
git init -q --bare --initial-branch=main "$H2/repo.git" || fatal "git init --bare"
chown -R "$U2:$U2" "$H2/repo.git"
GW=$T_ROOT/cwd/gitwork
git init -q --initial-branch=main "$GW" || fatal "git init"
git -C "$GW" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "thin $T_TAG" || fatal "git commit"
run_cmd t_git main "$U2" -C "$GW" push -q @:repo.git main
assert_rc "thin git push over ssh" 0
assert_eq "thin git: the commit arrived" "thin $T_TAG" "$(git --git-dir="$H2/repo.git" log -1 --format=%s main 2>&1)"
run_cmd t_git main "$U2" clone -q @:repo.git "$T_ROOT/cwd/gitclone"
assert_rc "thin git clone over ssh" 0

# ---------------------------------------------------------------- 3. an upgrade
# A library and its program in the host's /usr, named after this run; then
# the library replaced by one with a new soname and the program relinked.
# The host's /usr itself is never written (other tests watch it): the
# scratch /usr/local bound at the start is where they go.
LIBDIR=/usr/local/lib
LIB=jkthin${T_TAG//[^a-z0-9]/}; PROG=/usr/local/bin/$LIB-prog
build_version() {  # N : lib$LIB.so.N saying vN, and $PROG linked to it (RUNPATH /usr/local/lib)
    local n=$1 b=$T_ROOT/build-$1
    mkdir -p "$b"
    printf 'const char* jk_thin_version(void) { return "v%s"; }\n' "$n" >"$b/lib.c"
    printf '#include <stdio.h>\nconst char* jk_thin_version(void);\nint main(void) { puts(jk_thin_version()); return 0; }\n' >"$b/main.c"
    cc -shared -fPIC -Wl,-soname,"lib$LIB.so.$n" -o "$b/lib$LIB.so.$n" "$b/lib.c" || fatal "build lib v$n"
    ln -sf "lib$LIB.so.$n" "$b/lib$LIB.so"
    cc -o "$b/prog" "$b/main.c" -L"$b" -l"$LIB" -Wl,-rpath,"$LIBDIR" || fatal "build prog v$n"
    install -m 0644 -o 0 -g 0 "$b/lib$LIB.so.$n" "$LIBDIR/lib$LIB.so.$n"
    install -m 0755 -o 0 -g 0 "$b/prog" "$PROG"
}
build_version 1
J3=$(make_jail copyjail)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J3" uidbasics
"$JK_CP" -j "$J3" "$PROG" >/dev/null 2>&1 || fatal "jk_cp $PROG into the copy jail"
run_cmd "$JK_EXEC" "$J1" "$PROG"
assert_eq "before the upgrade: the thin jail runs v1" "0:v1" "$R_RC:$R_OUT"
run_cmd "$JK_EXEC" "$J3" "$PROG"
assert_eq "before the upgrade: the copy jail runs v1" "0:v1" "$R_RC:$R_OUT"
build_version 2
rm -f "$LIBDIR/lib$LIB.so.1"
assert_eq "the host runs v2" "v2" "$("$PROG")"
run_cmd "$JK_EXEC" "$J1" "$PROG"
assert_eq "after the upgrade: the thin jail runs v2 with no jk_update" "0:v2" "$R_RC:$R_OUT"
run_cmd "$JK_EXEC" "$J3" "$PROG"
assert_eq "after the upgrade: the copy jail still runs v1" "0:v1" "$R_RC:$R_OUT"
run_cmd "$JK_UPDATE" -j "$J3"
assert_rc "jk_update on the copy jail" 0
run_cmd "$JK_EXEC" "$J3" "$PROG"
assert_eq "after jk_update: the copy jail runs v2" "0:v2" "$R_RC:$R_OUT"
assert_eq "the thin jail's directory still holds nothing of the host's system" "" \
    "$(find "$J1/usr" -mindepth 1 ! -type d)"

# ---------------------------------------------------------------- 4. sshd's own chroot
J4=$(make_jail thinsftp)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" --thin -j "$J4" uidbasics
assert_rc "jk_init --thin uidbasics (for sshd's ChrootDirectory)" 0
U4=$(make_user)
install -d -m 0755 -o 0 -g 0 "$J4/home"
install -d -m 0755 -o "$U4" -g "$U4" "$J4/home/$U4"
ssh_authorize "$U4"
sshd_start chroot "Match User $U4" "ChrootDirectory $J4" "ForceCommand internal-sftp -d /home/%u"
printf 'put %s up.txt\nls\n' "$T_ROOT/src/p.txt" >"$T_ROOT/c.batch"
run_cmd t_sftp chroot "$U4" -b "$T_ROOT/c.batch"
assert_rc "sshd ChrootDirectory + internal-sftp on a thin jail" 0
assert_same_content "internal-sftp: the file arrived in the thin jail" "$T_ROOT/src/p.txt" "$J4/home/$U4/up.txt"

# ---------------------------------------------------------------- 5. clean mounts
# 100 logins through jk_chrootsh, 10 at a time.
run_cmd bash -c 'seq 100 | xargs -P 10 -I{} setpriv --reuid="$1" --regid="$2" --init-groups env -i USER="$1" "$3" -c "test -x /usr/bin/bash && echo in{}" | grep -c "^in"' \
    _ "$U1" "$(id -g "$U1")" "$JK_CHROOTSH"
assert_eq "100 logins, 10 at a time, all ran" "100" "$R_OUT"
assert_eq "afterwards the host's mount table and this test's are as before" "$MOUNTS_BEFORE" "$(host_mounts)"

finish
