#!/usr/bin/env bash
# jk_uchroot (COMPAT.md 2.5; W10, W11): a setuid copy run by real users
# against a real jail built by jk_init. An allowed user runs a program in
# the jail as themselves (only the jail visible, no capabilities,
# no_new_privs, own session, own groups, clean environment); every refusal
# path with jailkit's exit code; the executable resolved inside the jail,
# never on the host; every decision in syslog.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_UCHROOT
need_tool JK_INIT
need_cmd setpriv python3
setup_root
private_confdir
capture_syslog
install_setuid JK_UCHROOT

J=$(make_jail uc)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"
on_exit umount -l "$J/proc"
J2=$(make_jail other)

# jail_user NAME : a jail passwd/group entry and a home in the jail.
jail_user() {
    local u=$1
    jail_account "$J" "$u"
}
U=$(make_user); jail_user "$U"
V=$(make_user); jail_user "$V"
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
cp "$J/etc/passwd" "$T_ROOT/passwd.good"
cp "$J/etc/group" "$T_ROOT/group.good"
CANARY=$(canary_new secret)

as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
# uc USER ARG... : jk_uchroot as USER with a clean environment.
uc() { local u=$1; shift; run_cmd as_user "$u" env -i "USER=$u" "$JK_UCHROOT" "$@"; }
ini() { printf '%s\n' "$@" >"$T_CONF/jk_uchroot.ini"; chmod 0644 "$T_CONF/jk_uchroot.ini"; }
good_ini() { ini "[DEFAULT]" "allowed_jails = $J2" "[$U]" "allowed_jails = $T_ROOT/jails/nothing, $J/"; }
good_ini

# ---------------------------------------------------------------- the run
uc "$U" -j "$J" -x /bin/bash -- -c 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) pwd=$(pwd)"; ls /'
assert_rc "an allowed user runs bash in the jail" 0
assert_contains "as themselves, with their own groups, in /" "uid=$UID_U gid=$GID_U groups=$GID_U pwd=/" "$R_OUT"
assert_eq "/ is the jail" "$(printf 'uid=%s gid=%s groups=%s pwd=/\n%s' "$UID_U" "$GID_U" "$GID_U" "$(ls "$J")")" "$R_OUT"
syslog_has "the entry is logged (authpriv.info)" \
    "^<86>.*jk_uchroot\[[0-9]+\]: now entering jail $J for user $U \($UID_U\) to run /bin/bash with arguments -c"

uc "$U" -j "$J" -x /bin/bash -- -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status'
assert_eq "no capability in any set, bounding set empty, no_new_privs" \
    "$(printf 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1')" "$R_OUT"
uc "$U" -j "$J" -x /bin/bash -- -c 'grep -E "^(Uid|Gid)" /proc/self/status'
assert_eq "real, effective, saved and fs ids are the user's" \
    "$(printf 'Uid:\t%s\t%s\t%s\t%s\nGid:\t%s\t%s\t%s\t%s' "$UID_U" "$UID_U" "$UID_U" "$UID_U" "$GID_U" "$GID_U" "$GID_U" "$GID_U")" "$R_OUT"
uc "$U" -j "$J" -x /bin/bash -- -c 'read -r -a f < /proc/self/stat; echo "${f[0]} ${f[5]}"'
read -r p s <<<"$R_OUT"
assert_match "(the program reported its pid)" "^[0-9]+$" "${p:-}"
assert_eq "it leads a session of its own" "$p" "$s"
uc "$U" -j "$J" -x /bin/bash -- -c 'exit 42'
assert_rc "the program's exit status is passed on" 42
uc "$U" -j "$J" -x bin/bash -- -c 'echo rel'
assert_eq "a relative EXEC starts at the jail's root" "0:rel" "$R_RC:$R_OUT"
uc "$U" -j "$J/" -x /bin/bash -- -c 'echo slash'
assert_eq "-j with one trailing slash (as jailkit)" "0:slash" "$R_RC:$R_OUT"
# Non-canonical spellings of the allowed jail: jailkit 2.23 refuses them all
# with 21 (its getcwd() disowns them); a lexical cleanup is not what the
# kernel resolves ("link/.." is the link target's parent).
for jj in "$J/../uc" "$J/../uc/" "$T_ROOT/jails//uc" "$T_ROOT/jails/./uc" "$J/." "$J/./" "$J//" "/$J" "$J/.."; do
    uc "$U" -j "$jj" -x /bin/bash -- -c 'echo in'
    assert_eq "-j '${jj#"$T_ROOT"}' (non-canonical) is refused: 21" "21:" "$R_RC:$R_OUT"
done
assert_contains "... saying why" "has a '..' component" "$R_ERR"
syslog_has "the non-canonical jail is logged (authpriv.err)" "^<83>.*jk_uchroot.*abort, the jail '$J/\.\.' has a '\.\.' component"

# Supplementary groups: the caller's own (the caller is the user), never root's.
run_cmd setpriv --reuid="$U" --regid="$GID_U" --groups="$GID_U,4" env -i USER="$U" "$JK_UCHROOT" -j "$J" -x /usr/bin/id -- -G
assert_eq "the groups the caller had (here $GID_U and 4) are kept" "0:$GID_U 4" "$R_RC:$R_OUT"
run_cmd setpriv --reuid="$U" --regid="$GID_U" --clear-groups env -i USER="$U" "$JK_UCHROOT" -j "$J" -x /usr/bin/id -- -G
assert_eq "a caller without supplementary groups gets none (never root's 0)" "0:$GID_U" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- environment
run_cmd as_user "$U" env -i USER="$U" TERM=xterm LANG=C.UTF-8 LD_PRELOAD=/nonexistent/evil.so \
    LD_LIBRARY_PATH=/home/evil GCONV_PATH=/home/evil IFS=/ BASH_ENV=/home/evil/rc PATH=/home/evil SECRET=x \
    "$JK_UCHROOT" -j "$J" -x /usr/bin/env
assert_rc "a hostile environment still runs" 0
for v in LD_PRELOAD LD_LIBRARY_PATH GCONV_PATH IFS BASH_ENV SECRET; do
    assert_not_contains "$v passed in is not seen in the jail" "$v=" "$R_OUT"
done
assert_contains "TERM is kept" "TERM=xterm" "$R_OUT"
assert_contains "LANG is kept" "LANG=C.UTF-8" "$R_OUT"
assert_contains "PATH is the default" "PATH=/usr/local/bin:/usr/bin:/bin" "$R_OUT"
assert_contains "HOME is the jail passwd's" "HOME=/home/$U" "$R_OUT"
assert_contains "USER is the user" "USER=$U" "$R_OUT"
assert_contains "SHELL is the jail passwd's" "SHELL=/bin/bash" "$R_OUT"
# A locale or zone that names a file: libc in the jail would read and parse
# whatever the caller points at (privilege::unsafe_value).
for lang in /etc/shadow ../../../../tmp/evil C.UTF-8/../../x; do
    run_cmd as_user "$U" env -i USER="$U" LANG="$lang" TZ=/etc/shadow "$JK_UCHROOT" -j "$J" -x /usr/bin/env
    assert_not_contains "LANG='$lang' (a path) is not passed" "LANG=" "$R_OUT"
    assert_not_contains "... nor TZ=/etc/shadow" "TZ=" "$R_OUT"
done

# ---------------------------------------------------------------- fds
run_cmd as_user "$U" env -i USER="$U" bash -c "exec 7</ 8>$T_ROOT/host/fd8; exec '$JK_UCHROOT' -j '$J' -x /bin/bash -- -c 'ls /proc/self/fd'"
assert_eq "inherited fds (a directory fd, a host file) are closed" "$(printf '0\n1\n2\n3')" "$R_OUT"

# ---------------------------------------------------------------- who
uc "$V" -j "$J" -x /bin/bash -- -c true
assert_rc "a user whose section does not list the jail: 21" 21
syslog_has "the refusal is logged (authpriv.err)" "^<83>.*jk_uchroot.*user $V \([0-9]+\) is not allowed in jail"
uc "$U" -j "$J2" -x /bin/bash -- -c true
assert_rc "a jail listed only in DEFAULT, not in the user's section: 21" 21
uc "$U" -j "$J/../other" -x /bin/bash -- -c true
assert_rc "'..' out of an allowed jail: 21" 21
uc "$U" -j "uc" -x /bin/bash -- -c true
assert_rc "a relative jail: 21" 21
run_cmd env -i "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c true
assert_rc "run by root: 12" 12
install -D -m 0755 "$JK_UCHROOT" "$T_ROOT/plain/jk_uchroot"
run_cmd as_user "$U" env -i USER="$U" "$T_ROOT/plain/jk_uchroot" -j "$J" -x /bin/bash -- -c true
assert_rc "not setuid: 11" 11
run_cmd as_user "$U" env -i USER="$V" "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c true
assert_rc "\$USER naming another account: 13" 13
run_cmd as_user "$U" env -i USER=nosuchuser-jk "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c true
assert_rc "\$USER naming no account: 13" 13
run_cmd as_user "$U" env -i "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c 'echo $USER'
assert_eq "no \$USER: the account of the uid" "0:$U" "$R_RC:$R_OUT"
run_cmd as_user "$U" env -i USER="$U" bash -c "exec -a jk_chrootsh '$JK_UCHROOT' -j '$J' -x /bin/bash -- -c 'echo in'"
assert_rc "invoked under another name: 1" 1

# ---------------------------------------------------------------- command line
uc "$U" -x /bin/bash; assert_rc "no -j: 1" 1
uc "$U" -j "$J"; assert_rc "no -x: 1" 1
uc "$U" -j "$J" -x /bin/bash -c true; assert_rc "program options without '--': 1 (as jailkit's getopt)" 1
uc "$U" --jail="$J" --exec=/bin/bash -- -c 'echo long'
assert_eq "--jail and --exec (abbreviation of --executable)" "0:long" "$R_RC:$R_OUT"
run_cmd "$JK_UCHROOT" --version
assert_match "--version answers 'jk_uchroot VERSION'" "^jk_uchroot [0-9]" "$R_OUT"
run_cmd "$JK_UCHROOT" --help
assert_eq "--help prints the usage, exit 0" "0:Usage: jk_uchroot" "$R_RC:${R_OUT%% -j*}"

# ---------------------------------------------------------------- the executable
uc "$U" -j "$J" -x /usr/bin/nosuchprogram; assert_rc "EXEC missing in the jail: 1" 1
uc "$U" -j "$J" -x /usr/bin; assert_rc "EXEC a directory: 1" 1
printf '#!/bin/sh\necho host-version\ntouch %s/host/ran\n' "$T_ROOT" >"$T_ROOT/host/evil.sh"; chmod 0755 "$T_ROOT/host/evil.sh"
ln -s "$T_ROOT/host/evil.sh" "$J/usr/bin/hostlink"
uc "$U" -j "$J" -x /usr/bin/hostlink
assert_rc "EXEC symlinked to a host path missing in the jail: 1 (resolved inside the jail)" 1
assert_missing "... the host's file never ran" "$T_ROOT/host/ran"
install -d -m 0755 "$J$T_ROOT/host"
printf '#!/bin/sh\necho jail-version\n' >"$J$T_ROOT/host/evil.sh"; chmod 0755 "$J$T_ROOT/host/evil.sh"
uc "$U" -j "$J" -x /usr/bin/hostlink
assert_eq "... with the same path in the jail, the jail's file runs" "0:jail-version" "$R_RC:$R_OUT"
assert_missing "... never the host's" "$T_ROOT/host/ran"
rm -rf "${J:?}$T_ROOT" "$J/usr/bin/hostlink"
install -d -m 0700 "$J/secret"; cp "$J/usr/bin/id" "$J/secret/id"; chmod 0755 "$J/secret/id"
uc "$U" -j "$J" -x /secret/id; assert_rc "EXEC in a directory the user cannot search: 111 (not run from root's fd)" 111
chmod 0755 "$J/secret"
uc "$U" -j "$J" -x /secret/id -- -u; assert_eq "(control) once searchable it runs" "0:$UID_U" "$R_RC:$R_OUT"
rm -rf "$J/secret"
uc "$U" -j "$J" -x ../../../../../usr/bin/id -- -u
assert_eq "'..' in EXEC stays in the jail" "0:$UID_U" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- config
rm -f "$T_CONF/jk_uchroot.ini"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "no jk_uchroot.ini: 1" 1
good_ini
chmod 0664 "$T_CONF/jk_uchroot.ini"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "group-writable jk_uchroot.ini: 14" 14
chmod 0646 "$T_CONF/jk_uchroot.ini"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "other-writable jk_uchroot.ini: 14" 14
chmod 0644 "$T_CONF/jk_uchroot.ini"; chown "$U" "$T_CONF/jk_uchroot.ini"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "jk_uchroot.ini owned by the user: 14" 14
chown 0 "$T_CONF/jk_uchroot.ini"
chmod 0757 "$T_CONF"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "other-writable config directory: 14" 14; chmod 0755 "$T_CONF"
ini "[$U" "allowed_jails = $J"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "malformed jk_uchroot.ini: 14" 14
ini "[$U]" "allowed_jails = $J" "skip_injail_passwd_check = maybe"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "a malformed value: 14" 14
ini "[$U]" "skip_injail_passwd_check = 0"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "no allowed_jails: 1" 1
ini "[group $U]" "allowed_jails = $J" "[DEFAULT]" "allowed_jails = $J2"
uc "$U" -j "$J" -x /bin/bash -- -c 'echo grp'; assert_eq "the primary group's section applies" "0:grp" "$R_RC:$R_OUT"
ini "[DEFAULT]" "allowed_jails = $J" "alowed_jails = typo"
uc "$U" -j "$J" -x /bin/bash -- -c 'echo def'; assert_eq "DEFAULT applies last" "0:def" "$R_RC:$R_OUT"
syslog_has "an unknown key is warned about (authpriv.warning)" "^<84>.*jk_uchroot.*unknown key 'alowed_jails'"
ln -s "$J" "$T_ROOT/jails/link"
ini "[DEFAULT]" "allowed_jails = $T_ROOT/jails/link"
uc "$U" -j "$T_ROOT/jails/link" -x /bin/bash -- -c true; assert_rc "an allowed jail path through a symlink: 21" 21
good_ini

# ---------------------------------------------------------------- the jail
chmod g+w "$J"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "group-writable jail: 53" 53; chmod g-w "$J"
chmod o+w "$T_ROOT/jails"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "other-writable parent of the jail: 53 (jailkit did not check)" 53; chmod o-w "$T_ROOT/jails"
chown "$U" "$J"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "jail owned by the user: 53" 53; chown 0 "$J"
chmod g+w "$J/usr"; uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "group-writable JAIL/usr: 53" 53; chmod g-w "$J/usr"
syslog_has "unsafe jails are logged" "^<83>.*jk_uchroot.*is not a safe jail"
ini "[DEFAULT]" "allowed_jails = $T_ROOT/jails/missing"
uc "$U" -j "$T_ROOT/jails/missing" -x /bin/bash -- -c true; assert_rc "an allowed jail that does not exist: 19" 19
good_ini

# ---------------------------------------------------------------- in-jail passwd
sed -i "/^$U:/d" "$J/etc/passwd"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "user missing from the jail's passwd: 35" 35
ini "[$U]" "allowed_jails = $J" "skip_injail_passwd_check = 1"
uc "$U" -j "$J" -x /bin/bash -- -c 'echo skipped $HOME'
assert_eq "skip_injail_passwd_check runs anyway (HOME /)" "0:skipped /" "$R_RC:$R_OUT"
good_ini; cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^$U:x:#${U}x:x:#" "$J/etc/passwd"
run_cmd as_user "$U" env -i "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c true
assert_rc "jail user name differs (looked up by uid): 37" 37
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^$U:x:$GID_U:#$U:x:4242421:#" "$J/etc/group"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "user's group missing from the jail's group file: 35" 35
cp "$T_ROOT/group.good" "$J/etc/group"
sed -i "s#^$U:x:$GID_U:#${U}g:x:$GID_U:#" "$J/etc/group"
uc "$U" -j "$J" -x /bin/bash -- -c true; assert_rc "jail group name differs: 37" 37
cp "$T_ROOT/group.good" "$J/etc/group"
uc "$U" -j "$J" -x /bin/bash -- -c 'echo back'; assert_eq "(control) restored jail files work" "0:back" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- static tool and twin
# A static jk_uchroot answers from the files only where NSS would; with sss
# first in nsswitch.conf it hands the run to its twin (jk/handover.hpp).
with_nss_first
uc "$U" -j "$J" -x /bin/bash -- -c 'echo "twin uid=$(id -u)"; umask'
assert_eq "with sss first in nsswitch.conf the run still works" "0:twin uid=$UID_U" "$R_RC:${R_OUT%%$'\n'*}"
if [[ -n ${T_TWINS[jk_uchroot]:-} ]]; then
    syslog_has "... handed to the twin" "jk_uchroot\[[0-9]+\]: handing the login to ${T_TWINS[jk_uchroot]}: NSS must find user "
    chmod 0775 "${T_TWINS[jk_uchroot]}"
    uc "$U" -j "$J" -x /bin/bash -- -c true
    assert_rc "a group-writable twin is refused (13)" 13
    assert_contains "... naming it" "cannot hand the login to ${T_TWINS[jk_uchroot]}" "$R_ERR"
    chmod 0755 "${T_TWINS[jk_uchroot]}"
    # A static program in the twin's place would hand over to itself for ever.
    cp "${T_TWINS[jk_uchroot]}" "$T_ROOT/twin.saved"
    install -m 0755 "$JK_UCHROOT" "${T_TWINS[jk_uchroot]}"
    uc "$U" -j "$J" -x /bin/bash -- -c true
    assert_eq "a static program as the twin is refused (13), not run" \
        "13:cannot hand the login to ${T_TWINS[jk_uchroot]}: it is not dynamically linked" \
        "$R_RC:$(grep -o "cannot hand the login to [^ ]* (NSS must find [^)]*): .*" <<<"$R_ERR" | sed 's/ (NSS must find [^)]*)//')"
    install -m 0755 "$T_ROOT/twin.saved" "${T_TWINS[jk_uchroot]}"
else
    echo "# this build's jk_uchroot is dynamic (no twin): it asked NSS itself, no handover exercised"
fi
without_nss_first

canary_check "nothing outside the jail was changed"
finish
