#!/usr/bin/env bash
# jk_chrootsh (COMPAT.md 2.3, DESIGN.md invariants 1-3): a setuid copy run
# as real users against a real jail built by jk_init. Every exit code of
# jailkit's sequence, every jk_chrootsh.ini key, the $USER choice among
# accounts sharing a uid, and the hostile cases: loader variables, a huge
# environment, closed std fds, an inherited directory fd, unsafe jails,
# homes and shells, capabilities, no_new_privs and the new session.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHROOTSH
need_tool JK_INIT
need_cmd setpriv script python3
setup_root
private_confdir
capture_syslog
install_setuid JK_CHROOTSH

J=$(make_jail shell)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"

# jail_user NAME : host home JAIL/./home/NAME, login shell jk_chrootsh, a jail
# passwd/group entry with /bin/bash, and the home itself.
jail_user() {
    local u=$1
    usermod -d "$J/./home/$u" -s "$JK_CHROOTSH" "$u" || fatal "usermod $u"
    jail_account "$J" "$u"
}

CANARY=$(canary_new secret)
U=$(make_user); jail_user "$U"
V=$(make_user); jail_user "$V"
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
cp "$J/etc/passwd" "$T_ROOT/passwd.good"

as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
# login USER ARG... : jk_chrootsh as USER with a clean environment.
login() { local u=$1; shift; run_cmd as_user "$u" env -i "USER=$u" "$JK_CHROOTSH" "$@"; }
ini() { printf '%s\n' "$@" >"$T_CONF/jk_chrootsh.ini"; chmod 0644 "$T_CONF/jk_chrootsh.ini"; }
no_ini() { rm -f "$T_CONF/jk_chrootsh.ini"; }

# ---------------------------------------------------------------- the login
login "$U" -c 'echo "user=$(id -un) uid=$(id -u) home=$HOME pwd=$PWD shell=$SHELL"; ls /'
assert_rc "a jailed user logs in" 0
assert_contains "runs as the user, in the home inside the jail" \
    "user=$U uid=$UID_U home=/home/$U pwd=/home/$U shell=/bin/bash" "$R_OUT"
assert_not_contains "/ is the jail (no host /srv)" "srv" "$R_OUT"
syslog_has "the login is in syslog (authpriv.info)" "^<86>.*jk_chrootsh\[[0-9]+\]: now entering jail $J for user $U \($UID_U\) with arguments -c"

login "$U" -c 'cd /; cd ..; cd ../..; pwd; ls'
assert_eq "cd .. from / stays in the jail" "$(printf '/\n%s' "$(ls "$J")")" "$R_OUT"

login "$U" -c 'exit 42'
assert_rc "the shell's exit status is passed on" 42
login "$U" -c 'kill -TERM $$'
assert_rc "death by a signal is passed on" 143

run_cmd "$JK_CHROOTSH" --version
assert_match "--version alone answers" "^jk_chrootsh [0-9]" "$R_OUT"

# ---------------------------------------------------------------- argv[0]
for name in jk_chrootsh -jk_chrootsh su -su; do
    run_cmd as_user "$U" env -i USER="$U" bash -c "exec -a '$name' '$JK_CHROOTSH' -c 'echo in'"
    assert_eq "argv[0] '$name' is accepted" "0:in" "$R_RC:$R_OUT"
done
run_cmd as_user "$U" env -i USER="$U" bash -c "exec -a bash '$JK_CHROOTSH' -c 'echo in'"
assert_rc "any other argv[0] is refused with 1" 1

# ---------------------------------------------------------------- who
run_cmd env -i "$JK_CHROOTSH" -c true
assert_rc "run by root: 12" 12
install -D -m 0755 "$JK_CHROOTSH" "$T_ROOT/plain/jk_chrootsh"
run_cmd as_user "$U" env -i USER="$U" "$T_ROOT/plain/jk_chrootsh" -c true
assert_rc "not setuid: 11" 11
login "$U" -c true; assert_rc "(control) setuid copy works" 0
run_cmd as_user "$U" env -i USER=root "$JK_CHROOTSH" -c true
assert_rc "\$USER naming another account: 13" 13
syslog_has "the \$USER refusal is logged (authpriv.err)" "^<83>.*jk_chrootsh.*USER names another account"
run_cmd as_user "$U" env -i USER=nosuchuser-jk "$JK_CHROOTSH" -c true
assert_rc "\$USER naming no account: 13" 13
run_cmd as_user "$U" env -i "$JK_CHROOTSH" -c 'echo $USER'
assert_eq "no \$USER: the account of the uid" "0:$U" "$R_RC:$R_OUT"

# Two accounts sharing U's uid: $USER picks one (i-MSCP's useradd -o).
W="${U}w"
printf '%s\n' "$W" >>"$T_ROOT/.users"
_retry useradd -o -u "$UID_U" -g "$GID_U" -M -d "$J/./home/$W" -s "$JK_CHROOTSH" "$W" >/dev/null 2>&1 || fatal "useradd -o $W"
install -d -m 0750 -o "$U" -g "$U" "$J/home/$W"
printf '%s:x:%s:%s::/home/%s:/bin/bash\n' "$W" "$UID_U" "$GID_U" "$W" >>"$J/etc/passwd"
run_cmd as_user "$U" env -i USER="$W" "$JK_CHROOTSH" -c 'echo "$USER $PWD"'
assert_eq "\$USER chooses among accounts sharing a uid" "0:$W /home/$W" "$R_RC:$R_OUT"
run_cmd as_user "$U" env -i USER="$U" "$JK_CHROOTSH" -c 'echo "$USER $PWD"'
assert_eq "... and the first account by its own name" "0:$U /home/$U" "$R_RC:$R_OUT"

run_cmd setpriv --reuid="$U" --regid="$(id -g "$V")" --clear-groups env -i USER="$U" "$JK_CHROOTSH" -c true
assert_rc "gid other than the passwd one: 15" 15

# ---------------------------------------------------------------- homes
usermod -d "" "$V" 2>/dev/null || sed -i "s#^$V:\([^:]*:[^:]*:[^:]*:[^:]*\):[^:]*:#$V:\1::#" /etc/passwd
login "$V" -c true; assert_rc "empty home: 16" 16
usermod -d "/home/$V" "$V"
login "$V" -c true; assert_rc "home without /./: 17" 17
usermod -d "/./home/$V" "$V"
login "$V" -c true; assert_rc "home '/./x' (no jail part): 17" 17
usermod -d "$T_ROOT/jails/missing/./home/$V" "$V"
login "$V" -c true; assert_rc "jail directory missing: 19" 19
ln -s "$J" "$T_ROOT/jails/link"
usermod -d "$T_ROOT/jails/link/./home/$V" "$V"
login "$V" -c true; assert_rc "jail path through a symlink: 21" 21
# One way to write a jail home. jailkit 2.23 refuses most of these (21, 39,
# 53: it chroots into the text before the last /./ and then checks getcwd),
# and accepts "J//./h"; here each is unsafe (53) before anything is opened.
# (A trailing "//" is unit-tested: usermod strips one trailing '/'.)
for h in "$T_ROOT/./jails/shell/./home/$V" "$J/./home/./$V" "$J//./home/$V" "$J/./home//$V" "$J/.//home/$V" \
    "$J/./home/$V/." "$J/./home/nobody/../$V" "$T_ROOT/jails/shell/../shell/./home/$V"; do
    usermod -d "$h" "$V"
    login "$V" -c 'echo in'
    assert_eq "home '${h#"$T_ROOT"}' (non-canonical) is refused: 53" "53:" "$R_RC:$R_OUT"
done
syslog_has "a non-canonical home is logged (authpriv.err)" "^<83>.*jk_chrootsh.*homedir '.*' for user $V \([0-9]+\) has"
usermod -d "$J/./home/$V/" "$V"
login "$V" -c 'echo "$HOME $PWD"'
assert_eq "one trailing slash is accepted (as jailkit)" "0:/home/$V /home/$V" "$R_RC:$R_OUT"
usermod -d "$J/./home/$V" "$V"
login "$V" -c true; assert_rc "(control) V logs in" 0

chmod g+w "$J"; login "$U" -c true; assert_rc "group-writable jail: 53" 53; chmod g-w "$J"
chmod o+w "$T_ROOT/jails"; login "$U" -c true; assert_rc "other-writable parent of the jail: 53" 53; chmod o-w "$T_ROOT/jails"
chmod g+w "$T_ROOT"; login "$U" -c true; assert_rc "group-writable grandparent: 53" 53; chmod g-w "$T_ROOT"
chown "$U" "$J"; login "$U" -c true; assert_rc "jail owned by the user: 53" 53; chown 0 "$J"
chmod g+w "$J/usr"; login "$U" -c true; assert_rc "group-writable JAIL/usr: 53" 53; chmod g-w "$J/usr"
syslog_has "unsafe jails are logged" "^<83>.*is not a safe jail"

chown "$V" "$J/home/$U"; login "$U" -c true; assert_rc "home owned by someone else: 53" 53
ini "[DEFAULT]" "relax_home_owner = 1"
login "$U" -c true; assert_rc "relax_home_owner allows it" 0
no_ini; chown "$U" "$J/home/$U"
chgrp "$V" "$J/home/$U"; login "$U" -c true; assert_rc "home of another group: 53" 53
ini "[DEFAULT]" "relax_home_group = yes"; login "$U" -c true; assert_rc "relax_home_group allows it" 0
no_ini; chgrp "$U" "$J/home/$U"
chmod g+w "$J/home/$U"; login "$U" -c true; assert_rc "group-writable home: 53" 53
ini "[DEFAULT]" "relax_home_group_permissions = 1"; login "$U" -c true; assert_rc "relax_home_group_permissions allows it" 0
no_ini; chmod g-w "$J/home/$U"
chmod o+w "$J/home/$U"; login "$U" -c true; assert_rc "other-writable home: 53" 53
ini "[DEFAULT]" "relax_home_other_permissions = 1"; login "$U" -c true; assert_rc "relax_home_other_permissions allows it" 0
no_ini; chmod o-w "$J/home/$U"
mv "$J/home/$U" "$J/home/$U.real"; ln -s "$U.real" "$J/home/$U"
login "$U" -c true; assert_rc "home is a symlink: 53" 53
rm "$J/home/$U"; login "$U" -c true; assert_rc "home missing: 53" 53
mv "$J/home/$U.real" "$J/home/$U"

# ---------------------------------------------------------------- in-jail passwd
sed -i "/^$U:/d" "$J/etc/passwd"
login "$U" -c true; assert_rc "user missing from the jail's passwd: 35" 35
ini "[DEFAULT]" "skip_injail_passwd_check = 1" "injail_shell = /bin/sh"
login "$U" -c 'echo $SHELL'
assert_eq "skip_injail_passwd_check with injail_shell logs in anyway" "0:/bin/sh" "$R_RC:$R_OUT"
no_ini; cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^$U:x:\([0-9]*\):\([0-9]*\)::/home/$U:#$U:x:\1:\2::/home/elsewhere:#" "$J/etc/passwd"
login "$U" -c true; assert_rc "jail home differs from the part after /./: 39" 39
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^$U:x:#${U}x:x:#" "$J/etc/passwd"
run_cmd as_user "$U" env -i "$JK_CHROOTSH" -c true
assert_rc "jail user name differs (looked up by uid): 37" 37
cp "$T_ROOT/passwd.good" "$J/etc/passwd"

# ---------------------------------------------------------------- the jail's passwd and group must be root's
# jk_chrootsh believes these files about who the user is inside (home,
# shell, names): a user who can write or swap them could say anything.
chown "$U" "$J/etc/passwd"
login "$U" -c true; assert_rc "a jail passwd owned by the user is refused: 53" 53
assert_contains "... with a clear message" "user database $J/etc/passwd is not owned by root" "$R_ERR"
chown 0 "$J/etc/passwd"
chmod o+w "$J/etc/passwd"; login "$U" -c true; assert_rc "an other-writable jail passwd: 53" 53; chmod o-w "$J/etc/passwd"
chmod g+w "$J/etc/group"; login "$U" -c true; assert_rc "a group-writable jail group file: 53" 53; chmod g-w "$J/etc/group"
install -m 0644 -o "$U" -g "$U" "$J/etc/passwd" "$J/home/$U/passwd"
mv "$J/etc/passwd" "$T_ROOT/passwd.moved"; ln -s "/home/$U/passwd" "$J/etc/passwd"
login "$U" -c true; assert_rc "a jail passwd symlinked to a file the user owns: 53" 53
assert_contains "... with a clear message" "user database $J/etc/passwd is a symbolic link" "$R_ERR"
syslog_has "the untrusted jail passwd is logged (authpriv.err)" "^<83>.*jk_chrootsh.*user database $J/etc/passwd is a symbolic link"
rm "$J/etc/passwd"; cp "$J/home/$U/passwd" "$J/etc/passwd.real"; ln -s passwd.real "$J/etc/passwd"
login "$U" -c true; assert_rc "a jail passwd symlinked even to a root-owned file: 53" 53
rm -f "$J/etc/passwd" "$J/etc/passwd.real" "$J/home/$U/passwd"; mv "$T_ROOT/passwd.moved" "$J/etc/passwd"
login "$U" -c 'echo in'; assert_eq "(control) the root-owned jail passwd logs in" "0:in" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- the shell
ini "[DEFAULT]" "injail_shell = /bin/sh"
login "$U" -c 'echo $SHELL'; assert_eq "injail_shell replaces the jail passwd shell" "0:/bin/sh" "$R_RC:$R_OUT"
ini "[DEFAULT]" "injail_login_shell = 1"
login "$U" -c 'shopt -q login_shell && echo login'
assert_eq "injail_login_shell makes it a login shell" "0:login" "$R_RC:$R_OUT"
no_ini
login "$U" -c 'shopt -q login_shell && echo login || echo plain'
assert_eq "without it the shell is not a login shell (as jailkit)" "0:plain" "$R_RC:$R_OUT"

cp "$J/bin/bash" "$J/home/$U/myshell"; chown "$U" "$J/home/$U/myshell"
sed -i "s#^\($U:.*\):/bin/bash\$#\1:/home/$U/myshell#" "$J/etc/passwd"
login "$U" -c true; assert_rc "a shell owned by the user is refused: 53" 53
chown 0 "$J/home/$U/myshell"
login "$U" -c true; assert_rc "a root-owned shell in a user-writable directory is refused: 53" 53
syslog_has "the unsafe shell is logged" "^<83>.*shell $J/home/$U/myshell"
rm -f "$J/home/$U/myshell"
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^\($U:.*\):/bin/bash\$#\1:/bin/nosuchshell#" "$J/etc/passwd"
login "$U" -c true; assert_rc "a missing shell: 111" 111
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
cp "$J/bin/bash" "$J/usr/bin/suidshell"; chmod 4755 "$J/usr/bin/suidshell"
ini "[DEFAULT]" "injail_shell = /usr/bin/suidshell"
login "$U" -c true; assert_rc "a setuid shell is refused: 53" 53
ini "[DEFAULT]" "injail_shell = /usr/bin/suidshell" "allow_setuid = 1"
login "$U" -c 'echo ok'; assert_eq "... unless allow_setuid" "0:ok" "$R_RC:$R_OUT"
no_ini; rm -f "$J/usr/bin/suidshell"
install -d -m 0700 "$J/opt/private" && cp "$J/bin/bash" "$J/opt/private/bash"
ini "[DEFAULT]" "injail_shell = /opt/private/bash"
login "$U" -c true; assert_rc "a shell the user cannot reach by its path (0700 directory) is not run: 111" 111
no_ini; rm -rf "$J/opt"
ln -s /etc/shadow "$J/usr/bin/evilshell"
ini "[DEFAULT]" "injail_shell = /usr/bin/evilshell"
login "$U" -c true; assert_rc "a shell symlinked to /etc/shadow resolves inside the jail (missing there): 111" 111
no_ini; rm -f "$J/usr/bin/evilshell"

# ---------------------------------------------------------------- config file
ini "[DEFAULT]" "injail_shell = /bin/sh"
chmod 0666 "$T_CONF/jk_chrootsh.ini"; login "$U" -c true; assert_rc "other-writable jk_chrootsh.ini: 14" 14
chmod 0664 "$T_CONF/jk_chrootsh.ini"; login "$U" -c true; assert_rc "group-writable jk_chrootsh.ini: 14" 14
chmod 0644 "$T_CONF/jk_chrootsh.ini"; chown "$U" "$T_CONF/jk_chrootsh.ini"
login "$U" -c true; assert_rc "jk_chrootsh.ini owned by the user: 14" 14
chown 0 "$T_CONF/jk_chrootsh.ini"
chmod 0757 "$T_CONF"; login "$U" -c true; assert_rc "other-writable config directory: 14" 14; chmod 0755 "$T_CONF"
mv "$T_CONF/jk_chrootsh.ini" "$T_ROOT/real.ini"; ln -s "$T_ROOT/real.ini" "$T_CONF/jk_chrootsh.ini"
login "$U" -c true; assert_rc "jk_chrootsh.ini as a symlink: 14" 14
rm "$T_CONF/jk_chrootsh.ini"
ini "[DEFAULT" "env = X"
login "$U" -c true; assert_rc "malformed jk_chrootsh.ini: 14 (fail closed)" 14
assert_contains "the message names the file and line" "jk_chrootsh.ini:1" "$R_ERR"
ini "[DEFAULT]" "relax_home_owner = maybe"
login "$U" -c true; assert_rc "a malformed value: 14" 14

ini "[DEFAULT]" "env = SECTION_D" "[group $U]" "env = SECTION_G" "[$U]" "env = SECTION_U"
show='echo "${SECTION_U:-} ${SECTION_G:-} ${SECTION_D:-}"'
run_cmd as_user "$U" env -i USER="$U" SECTION_U=u SECTION_G=g SECTION_D=d "$JK_CHROOTSH" -c "$show"
assert_eq "the user's section wins" "u  " "$R_OUT"
ini "[DEFAULT]" "env = SECTION_D" "[group $U]" "env = SECTION_G"
run_cmd as_user "$U" env -i USER="$U" SECTION_U=u SECTION_G=g SECTION_D=d "$JK_CHROOTSH" -c "$show"
assert_eq "then the primary group's section" " g " "$R_OUT"
ini "[DEFAULT]" "env = SECTION_D"
run_cmd as_user "$U" env -i USER="$U" SECTION_U=u SECTION_G=g SECTION_D=d "$JK_CHROOTSH" -c "$show"
assert_eq "then DEFAULT" "  d" "$R_OUT"

# ---------------------------------------------------------------- environment
ini "[DEFAULT]" "env = TERM, LANG, LD_PRELOAD, GCONV_PATH, IFS, BASH_ENV"
big=$(head -c 100000 /dev/zero | tr '\0' x)
run_cmd as_user "$U" env -i USER="$U" TERM=xterm LANG=C.UTF-8 LD_PRELOAD=/nonexistent/evil.so \
    LD_LIBRARY_PATH=/home/evil GCONV_PATH=/home/evil IFS=/ BASH_ENV=/home/evil/rc PATH=/home/evil \
    HUGE="$big" HUGE2="$big" HUGE3="$big" HUGE4="$big" HUGE5="$big" HUGE6="$big" HUGE7="$big" HUGE8="$big" \
    "$JK_CHROOTSH" -c env
assert_rc "a hostile environment still logs in" 0
assert_contains "TERM listed in env= is passed" "TERM=xterm" "$R_OUT"
assert_contains "LANG listed in env= is passed" "LANG=C.UTF-8" "$R_OUT"
for v in LD_PRELOAD LD_LIBRARY_PATH GCONV_PATH IFS BASH_ENV HUGE; do
    assert_not_contains "$v never reaches the jail" "$v=" "$R_OUT"
done
assert_contains "PATH not listed: the default PATH" "PATH=/usr/local/bin:/usr/bin:/bin" "$R_OUT"
syslog_has "a trap variable in env= is warned about" "^<84>.*env: LD_PRELOAD steers the loader"
no_ini

# A TZ or locale naming a file would make libc in the jail read whatever the
# caller points at (glibc reads TZ=/x, TZ=:/x and TZ=../../x as zone files).
ini "[DEFAULT]" "env = TZ, LANG, LC_ALL"
show='echo "TZ=${TZ-unset} LANG=${LANG-unset} LC_ALL=${LC_ALL-unset}"'
for tz in /etc/shadow :/etc/shadow ../../../../etc/shadow Europe/../../../etc/shadow "/home/$U/tz"; do
    run_cmd as_user "$U" env -i USER="$U" TZ="$tz" "$JK_CHROOTSH" -c "$show"
    assert_eq "TZ='$tz' (a file) is not passed on" "0:TZ=unset LANG=unset LC_ALL=unset" "$R_RC:$R_OUT"
done
syslog_has "the dropped TZ is warned about (authpriv.warning)" "^<84>.*jk_chrootsh.*env: the caller's TZ names a file"
run_cmd as_user "$U" env -i USER="$U" LANG=/home/evil LC_ALL=../../tmp/x "$JK_CHROOTSH" -c "$show"
assert_eq "LANG and LC_ALL naming paths are not passed on" "0:TZ=unset LANG=unset LC_ALL=unset" "$R_RC:$R_OUT"
for tz in Europe/Paris :Europe/Paris CET-1CEST,M3.5.0,M10.5.0/3 :/etc/localtime; do
    run_cmd as_user "$U" env -i USER="$U" TZ="$tz" LANG=C.UTF-8 "$JK_CHROOTSH" -c "$show"
    assert_eq "TZ='$tz' (a zone, not a file) is passed on" "0:TZ=$tz LANG=C.UTF-8 LC_ALL=unset" "$R_RC:$R_OUT"
done
no_ini

# ---------------------------------------------------------------- descriptors
run_cmd as_user "$U" env -i USER="$U" bash -c "exec 7</ 8>$T_ROOT/host/fd8; exec '$JK_CHROOTSH' -c 'ls /proc/self/fd'"
assert_eq "inherited fds (a directory fd, a host file) are closed" "$(printf '0\n1\n2\n3')" "$R_OUT"
as_user "$U" env -i USER="$U" bash -c "exec 0<&- 1>&- 2>&-; exec '$JK_CHROOTSH' -c 'exec 3>/home/$U/fds; ls -l /proc/\$\$/fd/ >&3'"
assert_eq "closed fds 0-2: the login still works" 0 "$?"
# glibc itself opens /dev/full or /dev/null for a setuid program; the
# prologue does the same for any it finds closed.
assert_eq "closed fds 0-2 are open again, on /dev/null or /dev/full" "3" "$(grep -cE ' [012] -> /dev/(null|full)$' "$J/home/$U/fds")"

# ---------------------------------------------------------------- privileges
login "$U" -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status'
assert_eq "no capability in any set, bounding set empty, no_new_privs" \
    "$(printf 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1')" "$R_OUT"
login "$U" -c 'grep -E "^(Uid|Gid|Groups)" /proc/self/status'
assert_eq "real, effective, saved and fs ids are the user's" \
    "$(printf 'Uid:\t%s\t%s\t%s\t%s\nGid:\t%s\t%s\t%s\t%s\nGroups:\t%s ' "$UID_U" "$UID_U" "$UID_U" "$UID_U" "$GID_U" "$GID_U" "$GID_U" "$GID_U" "$GID_U")" "$R_OUT"
ini "[DEFAULT]" "allow_setuid = 1"
login "$U" -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; grep CapBnd /proc/self/status'
assert_match "allow_setuid keeps the bounding set and drops no_new_privs" \
    $'CapEff:\t0000000000000000\nNoNewPrivs:\t0\nCapBnd:\t0*[1-9a-f]' "$R_OUT"
no_ini

# A caller that is not a session leader gets a new session without a
# controlling terminal, so nothing it runs can push keystrokes (TIOCSTI) into
# the terminal of whoever started it; a session leader (sshd's child) keeps
# its own session and terminal.
cat >"$T_ROOT/bin/stat_login" <<EOF
#!/bin/bash
exec setpriv --reuid=$U --regid=$GID_U --init-groups env -i USER=$U $JK_CHROOTSH -c \\
    'read -r -a f < /proc/self/stat; echo "pid=\${f[0]} sid=\${f[5]} tty=\${f[6]}"; exit 7'
EOF
chmod 0755 "$T_ROOT/bin/stat_login"
# script(1) runs its command with $SHELL -c, and dash (/bin/sh, or no SHELL
# at all, as under CI) forks for it unless told to exec: pin both.
pty_run() { SHELL=/bin/sh script -qec "$1" /dev/null | tr -d '\r'; }
out=$(pty_run "exec $T_ROOT/bin/stat_login")
assert_match "a session leader keeps its session and terminal (sshd's case)" "^pid=([0-9]+) sid=\\1 tty=[1-9][0-9]*\$" "$out"
out=$(pty_run "exec bash -c '$T_ROOT/bin/stat_login; true'")
assert_match "started from someone's terminal: own session, no terminal" "^pid=([0-9]+) sid=\\1 tty=0\$" "$out"
out=$(pty_run "exec bash -c 'set -m; $T_ROOT/bin/stat_login; echo rc=\$?'")
assert_match "started as a process group leader (job control): forked into its own session" \
    $'^pid=([0-9]+) sid=\\1 tty=0\nrc=7$' "$out"

canary_check "nothing outside the jail was changed"
umount "$J/proc"
finish
