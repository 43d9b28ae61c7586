#!/usr/bin/env bash
# Isolated jails over real sshd logins (issue 12): the jails' policies in
# CONFDIR/jails.d, users moved in with jk_jailuser, entered by a setuid copy
# of our jk_chrootsh.
#   1. an sftp-only jail (jk_lsh): sftp, scp, rsync and git work under its
#      pid namespace, loopback-only network and syscall filter;
#   2. a bash jail: ps shows only the session, the jail's hostname, sshd's
#      own port out of reach, `exit 7` is 7, nothing of a session is left
#      after logout;
#   3. an interactive bash on a pty: job control, Ctrl-C and a window
#      resize reach the jailed shell.
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
need_cmd ssh sftp scp rsync git ssh-keygen ss usermod mount umount timeout python3 pgrep
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
export LC_ALL=C
unset LANG LANGUAGE

setup_root
private_confdir
capture_syslog
cd "$T_ROOT/cwd" || fatal "cd"
install_setuid JK_CHROOTSH

# policy JAIL LINE... : the jail's policy file.
policy() {
    local f
    f=$(jail_policy_file "$1"); shift
    printf '%s\n' "$@" | install -m 0644 -o 0 -g 0 /dev/stdin "$f"
}
# left_behind USER : the user's processes other than sshd's own session
# process (which ends a moment after the connection), after up to 5 s.
left_behind() {
    local i rest
    for ((i = 0; i < 50; i++)); do
        rest=$(ps -u "$1" -o pid=,comm= | grep -v ' sshd$' || true)
        [[ -z $rest ]] && return 0
        sleep 0.1
    done
    printf '%s\n' "$rest"
}
jailuser() {
    run_cmd "$JK_JAILUSER" -n -m -j "$1" -s "$3" --chrootsh="$JK_CHROOTSH" "$2"
    assert_rc "jk_jailuser -j ${1##*/} -s $3 $2" 0
}

sshd_start main
SSHD_P=${SSHD_PORT[main]}

# ---------------------------------------------------------------- 1. sftp jail
J1=$(make_jail isftp)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J1" jk_lsh sftp scp rsync uidbasics
assert_rc "jk_init jk_lsh sftp scp rsync uidbasics" 0
"$JK_CP" -j "$J1" "$JK_LSH" >/dev/null 2>&1 || fatal "jk_cp jk_lsh"
install -D -m 0755 -o 0 -g 0 "$JK_LSH" "$J1/usr/sbin/jk_lsh" || fatal "install jk_lsh"
install -d -m 0755 -o 0 -g 0 "$J1/etc/jailkit" "$J1/proc"
printf '%s\n' "[DEFAULT]" "paths = /usr/bin, /usr/lib/openssh" \
    "executables = /usr/lib/openssh/sftp-server, /usr/bin/scp, /usr/bin/rsync" "umask = 022" |
    install -m 0644 -o 0 -g 0 /dev/stdin "$J1/etc/jailkit/jk_lsh.ini"
policy "$J1" "[isolation]" "isolate = recommended" "hostname = sftp1"
U1=$(make_user)
install -d -m 0755 -o "$U1" -g "$U1" "$T_ROOT/h1" && usermod -d "$T_ROOT/h1" "$U1" >/dev/null
ssh_authorize "$U1"
jailuser "$J1" "$U1" /usr/sbin/jk_lsh
H1=$(getent passwd "$U1" | cut -d: -f6); H1=${H1/\/.\///}

printf 'payload %s\n' "$T_TAG" >"$T_ROOT/src/p.txt"
printf 'put %s up.txt\nget up.txt %s\n' "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back" >"$T_ROOT/p.batch"
run_cmd t_sftp main "$U1" -b "$T_ROOT/p.batch"
assert_rc "isolated sftp: put and get" 0
assert_same_content "isolated sftp: the file arrived in the jail" "$T_ROOT/src/p.txt" "$H1/up.txt"
assert_same_content "isolated sftp: and came back" "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back"
run_cmd t_scp main "$U1" -O "$T_ROOT/src/p.txt" @:scp.txt
assert_rc "isolated scp -O upload" 0
assert_same_content "isolated scp: content" "$T_ROOT/src/p.txt" "$H1/scp.txt"
run_cmd t_rsync main "$U1" -a "$T_ROOT/src/" @:rs/
assert_rc "isolated rsync upload" 0
assert_same_content "isolated rsync: content" "$T_ROOT/src/p.txt" "$H1/rs/p.txt"
# git over ssh into the same isolated jail: a push and a clone through jk_lsh.
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J1" git
assert_rc "jk_init git (into the isolated sftp jail)" 0
sed -i 's#^executables = .*#&, /usr/bin/git-upload-pack, /usr/bin/git-receive-pack#' "$J1/etc/jailkit/jk_lsh.ini"
git init -q --bare --initial-branch=main "$H1/repo.git" || fatal "git init --bare"
chown -R "$U1:$U1" "$H1/repo.git"
GW=$T_ROOT/cwd/gitwork
git init -q --initial-branch=main "$GW" || fatal "git init"
git -C "$GW" -c user.name=jk-test -c user.email=jk-test@invalid commit -q --allow-empty -m "isolated $T_TAG" ||
    fatal "git commit"
run_cmd t_git main "$U1" -C "$GW" push -q @:repo.git main
assert_rc "isolated git push over ssh" 0
assert_eq "isolated git: the commit is in the jailed repository" "isolated $T_TAG" \
    "$(git --git-dir="$H1/repo.git" log -1 --format=%s main 2>&1)"
run_cmd t_git main "$U1" clone -q @:repo.git "$T_ROOT/cwd/gitclone"
assert_rc "isolated git clone over ssh" 0
syslog_has "the sftp login is isolated" "jk_chrootsh\[[0-9]+\]: now entering jail $J1 for user $U1 .*isolated: pid,ipc,uts\(sftp1\),mount"
assert_eq "no process of the sftp user is left" "" "$(left_behind "$U1")"

# ---------------------------------------------------------------- 2. bash jail
J2=$(make_jail ishell)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J2" basicshell extendedshell
assert_rc "jk_init basicshell extendedshell" 0
"$JK_CP" -j "$J2" /usr/bin/ps /usr/bin/sleep /usr/bin/stty >/dev/null 2>&1 || fatal "jk_cp ps sleep stty"
cc -static -O -o "$T_ROOT/jkprobe" "$here/../lib/jkprobe.c" || fatal "cannot build jkprobe"
install -m 0755 -o 0 -g 0 "$T_ROOT/jkprobe" "$J2/usr/bin/jkprobe"
# The host's devpts, for the pty sshd allocated before the login.
install -d -m 0555 -o 0 -g 0 "$J2/proc"
install -d -m 0755 -o 0 -g 0 "$J2/dev/pts"
mount --bind /dev/pts "$J2/dev/pts" || fatal "bind /dev/pts into $J2"
on_exit umount -l "$J2/dev/pts"
policy "$J2" "[isolation]" "isolate = recommended" "hostname = shell1"
U2=$(make_user)
install -d -m 0755 -o "$U2" -g "$U2" "$T_ROOT/h2" && usermod -d "$T_ROOT/h2" "$U2" >/dev/null
ssh_authorize "$U2"
jailuser "$J2" "$U2" /bin/bash

run_cmd t_ssh main "$U2" -- 'ps -e -o pid=,comm=; echo "host=$HOSTNAME"; echo "connect=$(jkprobe connect '"$SSHD_P"')"'
assert_rc "isolated bash: ssh runs a command" 0
assert_eq "isolated bash: ps shows only the session's processes" "1 jk_chrootsh|2 bash|3 ps" \
    "$(grep -v '=' <<<"$R_OUT" | sed 's/^ *//' | paste -sd'|')"
assert_contains "isolated bash: the jail's hostname" "host=shell1" "$R_OUT"
assert_contains "isolated bash: sshd's own port is out of reach" "connect=errno" "$R_OUT"
run_cmd t_ssh main "$U2" -- 'exit 7'
assert_rc "isolated bash: ssh 'exit 7' is 7" 7
run_cmd t_ssh main "$U2" -- 'sleep 300 & sleep 301 & disown -a; echo left'
assert_contains "isolated bash: a session leaves processes behind" "left" "$R_OUT"
assert_eq "isolated bash: after logout none is left" "" "$(left_behind "$U2")"

# ---------------------------------------------------------------- 3. a pty
mapfile -t SSH_OPTS < <(ssh_opts main "$U2")
run_cmd python3 "$here/../lib/pty_session.py" until:'$ ' \
    send:'stty size\n' wait:1 size:30x100 wait:0.5 send:'stty size\n' wait:1 \
    send:'sleep 100 &\n' wait:0.5 send:'jobs\n' wait:0.5 send:'kill %1; wait %1; echo "bg=$?"\n' until:'bg=' \
    send:'sleep 100\n' wait:1 send:'\x03' wait:0.5 send:'echo "fg=$?"\n' until:'fg=' \
    send:'exit 5\n' -- \
    timeout 60 ssh "${SSH_OPTS[@]}" -tt -p "$SSHD_P" -l "$U2" 127.0.0.1 "PS1='$ ' exec bash --norc -i"
assert_rc "isolated pty: the shell's exit status" 5
assert_contains "isolated pty: the terminal's size" "24 80" "$R_OUT"
assert_contains "isolated pty: a window resize reaches the shell" "30 100" "$R_OUT"
assert_match "isolated pty: job control lists the background job" '\[1\]\+ +Running +sleep 100' "$R_OUT"
assert_contains "isolated pty: a killed job's status" "bg=143" "$R_OUT"
assert_contains "isolated pty: Ctrl-C interrupts the foreground command" "fg=130" "$R_OUT"
assert_eq "isolated pty: after logout none is left" "" "$(left_behind "$U2")"

finish
