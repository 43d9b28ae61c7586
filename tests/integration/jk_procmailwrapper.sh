#!/usr/bin/env bash
# jk_procmailwrapper (COMPAT.md 2.12): a setuid copy run as real recipients
# with the real procmail. A jailed recipient's mail lands in the home inside
# the jail and nowhere on the host; a recipient without "/./" in the home
# (also /…/john.doe, which jailkit took for jailed) gets the host's procmail,
# including delivery to /var/mail through procmail's setgid bit. Hostile
# callers: $USER naming another account, loader variables, inherited fds,
# unsafe jails, homes and procmail binaries; every refusal's exit code.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_PROCMAILWRAPPER
need_tool JK_INIT
need_tool JK_CP
need_cmd setpriv procmail python3
setup_root
private_confdir
capture_syslog
install_setuid JK_PROCMAILWRAPPER

J=$(make_jail mail)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
"$JK_CP" -j "$J" /usr/bin/procmail >/dev/null 2>&1 || fatal "jk_cp procmail failed"
[[ -f "$J/usr/bin/procmail" && ! -u "$J/usr/bin/procmail" ]] || fatal "the jail's procmail is missing or setuid"
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"

# A .procmailrc that delivers into the home: an mbox file, a copy of the
# environment and of the open fds of the shell procmail runs pipes with.
procmailrc() {
    cat <<'RC'
DEFAULT=$HOME/Mailbox
LOGFILE=$HOME/procmail.log
:0cw
| export -p > $HOME/env.txt; ls -l /proc/$$/fd/ > $HOME/fds.txt
RC
}

# jail_user NAME : host home J/./home/NAME, jail passwd/group entries, a home
# with a .procmailrc.
jail_user() {
    local u=$1
    usermod -d "$J/./home/$u" "$u" || fatal "usermod $u"
    jail_account "$J" "$u" /bin/sh
    procmailrc | install -m 0644 -o "$u" -g "$u" /dev/stdin "$J/home/$u/.procmailrc"
}
# host_user NAME HOME : a host home (no /./) with the same .procmailrc.
host_user() {
    local u=$1 h=$2
    install -d -m 0755 "$(dirname "$h")"
    # procmail runs no program for a user whose login shell is not in
    # /etc/shells (nologin): give host users a real one.
    usermod -d "$h" -s /bin/sh "$u" || fatal "usermod $u"
    install -d -m 0750 -o "$u" -g "$u" "$h"
    procmailrc | install -m 0644 -o "$u" -g "$u" /dev/stdin "$h/.procmailrc"
}

U=$(make_user); jail_user "$U"
V=$(make_user); host_user "$V" "$T_ROOT/plain/home/$V"
D=$(make_user); host_user "$D" "$T_ROOT/homes/john.doe"
M=$(make_user)  # no .procmailrc: procmail's default, /var/mail/M
usermod -d "$T_ROOT/plain/nomail/$M" "$M"; install -d -m 0750 -o "$M" -g "$M" "$T_ROOT/plain/nomail/$M"
[[ -e /var/mail/$M ]] && fatal "/var/mail/$M exists already"
on_exit rm -f "/var/mail/$M" "/var/mail/$M.lock" "/var/mail/$U" "/var/mail/$V" "/var/mail/$D"
UID_U=$(id -u "$U") GID_U=$(id -g "$U")

as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
# message TAG : a mail whose body carries TAG (found later with grep).
message() { printf 'From: sender@example.org\nTo: someone@example.org\nSubject: test %s\n\nbody %s\n' "$1" "$1"; }
# deliver USER TAG [-p] [ENV=VALUE...] : the wrapper as USER (as an MTA runs
# it), the message on stdin; -p goes to procmail (keep the environment:
# without it procmail clears everything but TZ). Sets R_RC, R_OUT, R_ERR.
deliver() {
    local u=$1 tag=$2 args=(); shift 2
    [[ ${1:-} == -p ]] && { args=(-p); shift; }
    local o e
    o=$(mktemp -p "$T_ROOT" out.XXXXXX) e=$(mktemp -p "$T_ROOT" err.XXXXXX)
    message "$tag" | as_user "$u" env -i "USER=$u" "$@" "$JK_PROCMAILWRAPPER" "${args[@]}" >"$o" 2>"$e"
    R_RC=$?
    R_OUT=$(<"$o") R_ERR=$(<"$e")
    rm -f "$o" "$e"
}
# host_hits TAG : host files holding TAG outside the jail's home and /proc.
host_hits() {
    grep -rlsF --exclude-dir=proc -- "$1" "$T_ROOT" /var/mail /var/spool/mail /tmp 2>/dev/null \
        | grep -v "^$J/home/" | grep -v "^$T_SYSLOG\$" || true
}

# ---------------------------------------------------------------- jailed delivery
TAG="jailed-$T_TAG-$RANDOM"
deliver "$U" "$TAG" -p LD_PRELOAD=/nonexistent/evil.so IFS=x PATH=/tmp BASH_ENV=/tmp/x \
    RECIPIENT="$U+box@example.org" ORIGINAL_RECIPIENT="$U@example.org" EXTENSION=box
assert_rc "a jailed recipient's mail is delivered" 0
assert_contains "the mail is in the mailbox inside the jail" "body $TAG" "$(cat "$J/home/$U/Mailbox" 2>/dev/null)"
assert_owner "the mailbox belongs to the recipient" "$J/home/$U/Mailbox" "$U:$U"
assert_missing "no /var/mail/U on the host" "/var/mail/$U"
assert_eq "the mail is nowhere else on the host" "" "$(host_hits "$TAG")"
env_txt=$(cat "$J/home/$U/env.txt" 2>/dev/null)
assert_match "procmail ran in the jail with HOME inside it" "HOME='?/home/$U'?" "$env_txt"
assert_match "USER is the recipient" "USER='?$U'?" "$env_txt"
assert_match "the MTA's RECIPIENT is passed on" "RECIPIENT='?$U\+box@example.org'?" "$env_txt"
assert_match "the MTA's EXTENSION is passed on" "EXTENSION='?box'?" "$env_txt"
assert_not_contains "LD_PRELOAD is not passed on" "LD_PRELOAD" "$env_txt"
assert_not_contains "BASH_ENV is not passed on" "BASH_ENV" "$env_txt"
assert_not_contains "the caller's PATH is not passed on" "PATH='/tmp'" "$env_txt"
syslog_has "the jailed delivery is logged (mail.info)" "^<22>.*jk_procmailwrapper\[[0-9]+\]: delivering mail for user $U \($UID_U\) in jail $J"

# A static wrapper answers from the files only where NSS would; with sss
# first in nsswitch.conf it hands the delivery to its twin (jk/handover.hpp).
with_nss_first
TAG3="twin-$T_TAG-$RANDOM"
deliver "$U" "$TAG3"
assert_rc "with sss first in nsswitch.conf a jailed mail is delivered" 0
assert_contains "... into the mailbox inside the jail" "body $TAG3" "$(cat "$J/home/$U/Mailbox" 2>/dev/null)"
if [[ -n ${T_TWINS[jk_procmailwrapper]:-} ]]; then
    syslog_has "... handed to the twin" \
        "jk_procmailwrapper\[[0-9]+\]: handing the login to ${T_TWINS[jk_procmailwrapper]}: NSS must find user "
else
    echo "# this build's jk_procmailwrapper is dynamic (no twin): it asked NSS itself, no handover exercised"
fi
without_nss_first

# Inherited fds: 3 (jailkit left it open) and 9, to a host file.
FDFILE=$(canary_new fdcanary)
TAG2="fds-$T_TAG-$RANDOM"
message "$TAG2" | as_user "$U" env -i USER="$U" bash -c "exec 3<'$FDFILE' 9<'$FDFILE'; exec '$JK_PROCMAILWRAPPER'" >/dev/null 2>&1
assert_contains "(control) the second mail arrived" "body $TAG2" "$(cat "$J/home/$U/Mailbox" 2>/dev/null)"
# The recipe waits for its pipe (w); the listing is still given a moment:
# under load it failed once, empty, with the mail already in the mailbox.
for _ in $(seq 50); do
    fds=$(cat "$J/home/$U/fds.txt" 2>/dev/null)
    [[ $fds == *" 0 -> "* ]] && break
    sleep 0.1
done
assert_match "(control) the fd listing was written" " 0 -> " "$fds"
assert_not_contains "fds 3 and 9 of the caller do not reach procmail" "fdcanary" "$fds"
assert_not_contains "... nor any fd numbered 9" " 9 -> " "$fds"
canary_check "the host file behind the fds is untouched"

# argv passes through: -a sets $1 for the rcfile.
printf 'ARG=$1\n:0c\n| echo "arg=$ARG" > $HOME/arg.txt\n' >"$J/home/$U/.procmailrc.arg"
cat "$J/home/$U/.procmailrc" >>"$J/home/$U/.procmailrc.arg"
chown "$U:$U" "$J/home/$U/.procmailrc.arg"
message "argtest" | as_user "$U" env -i USER="$U" "$JK_PROCMAILWRAPPER" -a "hello-arg" "/home/$U/.procmailrc.arg" >/dev/null 2>&1
assert_eq "procmail's arguments pass through unchanged" "arg=hello-arg" "$(cat "$J/home/$U/arg.txt" 2>/dev/null)"

# ---------------------------------------------------------------- host delivery
TAGV="host-$T_TAG-$RANDOM"
deliver "$V" "$TAGV" -p LD_PRELOAD=/nonexistent/evil.so SENDER=bob@example.net
assert_rc "a host recipient's mail is delivered" 0
assert_contains "in the host home, by the host's procmail" "body $TAGV" "$(cat "$T_ROOT/plain/home/$V/Mailbox" 2>/dev/null)"
assert_owner "the mailbox belongs to the recipient" "$T_ROOT/plain/home/$V/Mailbox" "$V:$V"
env_txt=$(cat "$T_ROOT/plain/home/$V/env.txt" 2>/dev/null)
assert_match "host HOME is the passwd home" "HOME='?$T_ROOT/plain/home/$V'?" "$env_txt"
assert_match "SENDER passed on" "SENDER='?bob@example.net'?" "$env_txt"
assert_not_contains "LD_PRELOAD not passed on (host)" "LD_PRELOAD" "$env_txt"
syslog_has "the host delivery is logged (mail.info)" "^<22>.*delivering mail for user $V \([0-9]+\) with the host's procmail"

TAGD="dotted-$T_TAG-$RANDOM"
deliver "$D" "$TAGD"
assert_rc "home .../john.doe: delivered" 0
assert_contains "a '.' in the home is not a jail (jailkit's bug): host delivery" "body $TAGD" \
    "$(cat "$T_ROOT/homes/john.doe/Mailbox" 2>/dev/null)"

TAGM="varmail-$T_TAG-$RANDOM"
deliver "$M" "$TAGM"
assert_rc "no .procmailrc: delivered" 0
assert_contains "to /var/mail/USER through procmail's setgid bit" "body $TAGM" "$(cat "/var/mail/$M" 2>/dev/null)"
assert_owner "/var/mail/USER belongs to the recipient" "/var/mail/$M" "$M:mail"

# ---------------------------------------------------------------- refusals
REF="refused-$T_TAG-$RANDOM" REL="relaxed-$T_TAG-$RANDOM"
deliver "$U" "$REF" USER=root
assert_rc "\$USER naming another account: 13" 13
syslog_has "the refusal is logged (authpriv.err)" "^<83>.*jk_procmailwrapper.*USER names another account"
deliver "$U" "$REF" USER=no-such-user-jk
assert_rc "\$USER naming no account: 13" 13
run_cmd as_user "$U" env -i "$JK_PROCMAILWRAPPER" -v
assert_rc "no \$USER: the account of the uid (procmail -v)" 0
install -D -m 0755 "$JK_PROCMAILWRAPPER" "$T_ROOT/plain/jk_procmailwrapper"
run_cmd as_user "$U" env -i USER="$U" "$T_ROOT/plain/jk_procmailwrapper"
assert_rc "not setuid: 11" 11
run_cmd setpriv --reuid="$U" --regid="$(id -g "$V")" --clear-groups env -i USER="$U" "$JK_PROCMAILWRAPPER"
assert_rc "gid other than the passwd one: 15" 15

chmod g+w "$J"; deliver "$U" "$REF"; assert_rc "group-writable jail: 53" 53; chmod g-w "$J"
chmod o+w "$T_ROOT/jails"; deliver "$U" "$REF"; assert_rc "other-writable parent of the jail: 53" 53; chmod o-w "$T_ROOT/jails"
syslog_has "the unsafe jail is logged" "^<83>.*is not a safe jail"
chown "$V" "$J/home/$U"; deliver "$U" "$REF"; assert_rc "home owned by someone else: 53" 53; chown "$U" "$J/home/$U"
printf '[DEFAULT]\nrelax_home_group_permissions = 1\n' >"$T_CONF/jk_procmailwrapper.ini"
chmod g+w "$J/home/$U"; deliver "$U" "$REL"; assert_rc "relax_home_group_permissions in jk_procmailwrapper.ini" 0
rm "$T_CONF/jk_procmailwrapper.ini"; deliver "$U" "$REF"; assert_rc "group-writable home without it: 53" 53
chmod g-w "$J/home/$U"
chmod g+w "$J/usr/bin/procmail"; deliver "$U" "$REF"; assert_rc "group-writable procmail in the jail: 53" 53
chmod g-w "$J/usr/bin/procmail"
mv "$J/usr/bin/procmail" "$J/usr/bin/procmail.off"; deliver "$U" "$REF"
assert_rc "no procmail in the jail: 111" 111
mv "$J/usr/bin/procmail.off" "$J/usr/bin/procmail"
cp "$J/etc/passwd" "$T_ROOT/passwd.good"
sed -i "/^$U:/d" "$J/etc/passwd"; deliver "$U" "$REF"; assert_rc "recipient missing from the jail's passwd: 35" 35
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
sed -i "s#^$U:\(.*\):/home/$U:#$U:\1:/home/other:#" "$J/etc/passwd"; deliver "$U" "$REF"
assert_rc "jail passwd home differs: 39" 39
cp "$T_ROOT/passwd.good" "$J/etc/passwd"
usermod -d "/./home/$U" "$U"; deliver "$U" "$REF"; assert_rc "home '/./x' (no jail part): 17" 17
usermod -d "$T_ROOT/jails/missing/./home/$U" "$U"; deliver "$U" "$REF"; assert_rc "jail directory missing: 19" 19
ln -s "$J" "$T_ROOT/jails/link"; usermod -d "$T_ROOT/jails/link/./home/$U" "$U"
deliver "$U" "$REF"; assert_rc "jail path through a symlink: 21" 21
usermod -d "$J/./home/$U" "$U"
assert_contains "(control) the relaxed delivery arrived" "body $REL" "$(cat "$J/home/$U/Mailbox")"
assert_not_contains "no refused mail reached the mailbox" "$REF" "$(cat "$J/home/$U/Mailbox")"
assert_eq "no refused mail on the host" "" "$(host_hits "$REF")"

printf '[DEFAULT]\nprocmail = /usr/bin/nonexistent-procmail\n' >"$T_CONF/jk_procmailwrapper.ini"
deliver "$V" "$REF"; assert_rc "procmail = a missing file: 111" 111
printf '[DEFAULT]\nprocmail = procmail\n' >"$T_CONF/jk_procmailwrapper.ini"
deliver "$V" "$REF"; assert_rc "procmail = a relative path: 14" 14
printf '[DEFAULT]\n' >"$T_CONF/jk_procmailwrapper.ini"; chmod 0666 "$T_CONF/jk_procmailwrapper.ini"
deliver "$V" "$REF"; assert_rc "a world-writable ini: 14" 14
rm -f "$T_CONF/jk_procmailwrapper.ini"

run_cmd "$JK_PROCMAILWRAPPER" --version
assert_match "--version alone answers" "^jk_procmailwrapper [0-9]" "$R_OUT"
run_cmd "$JK_PROCMAILWRAPPER" --help
assert_contains "--help alone answers" "Usage: jk_procmailwrapper" "$R_OUT"

finish
