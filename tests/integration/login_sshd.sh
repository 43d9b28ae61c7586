#!/usr/bin/env bash
# End to end: real logins through OpenSSH's sshd into jails built with our
# jk_init, users moved in with our jk_jailuser, entered by a setuid copy of
# our jk_chrootsh, limited by our jk_lsh (COMPAT.md 2.3, 2.4, 2.8).
#
#   0. harness: a plain (non-jailed) /bin/sh user: ssh, sftp, scp, rsync work,
#      and an AcceptEnv variable reaches the login shell (the control for 5);
#   1. jailkit's sftp/scp example: jk_lsh + sftp + scp + rsync jail, sftp and
#      scp (SFTP and legacy -O) up/download, modes from jk_lsh's umask, only
#      the jail visible, every shell or non-allowed command refused;
#   2. a bash jail: commands work, the jail's /etc/shadow, no host processes,
#      no way up from /, all capabilities 0 and NoNewPrivs, a real pty;
#      an unsafe jail or home refuses the login;
#   3. rsync into the sftp jail, and the rsync/scp argument tricks
#      (COMPAT.md W6: `rsync -e sh evilhost:x`) refused with no side effect;
#      git push and clone into the same jail, its hooks never run, git's
#      argument tricks refused;
#   4. sshd ForceCommand running jk_lsh for a non-jailed user (host config);
#   5. hostile command strings and environment (AcceptEnv *) through ssh;
#   6. cleanup: sshd stopped, users gone, mounts gone with the namespace.
#
# Runs in its own mount namespace (enter_private_mounts): the private
# /etc/jailkit, the proc and devpts mounts in the bash jail, and the sshd
# processes that see them exist only there. Safe to run twice at once.
#
# By hand: JK_CP=... JK_INIT=... JK_INIT_INI=... JK_CHROOTSH=... JK_LSH=...
#   JK_JAILUSER=... JK_SYSCONFDIR=/etc/jailkit bash tests/integration/login_sshd.sh

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=../lib/sshd.sh
source "$here/../lib/sshd.sh"

skip_unless_root   # before unshare: a non-root run is a SKIP, not a failure
enter_private_mounts "$@"
need_tool JK_CP
need_tool JK_INIT
need_tool JK_CHROOTSH
need_tool JK_LSH
need_tool JK_JAILUSER
need_cmd ssh sftp scp rsync ssh-keygen ss usermod mount umount cmp diff timeout
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
[[ -f $JK_INIT_INI ]] || fatal "JK_INIT_INI=$JK_INIT_INI is not a file"
export LC_ALL=C
unset LANG LANGUAGE

setup_root
private_confdir
# The host's /dev/log, in this namespace only: jk_chrootsh's log lines (the
# sshd sessions run here too).
capture_syslog
cd "$T_ROOT/cwd" || fatal "cd"
install_setuid JK_CHROOTSH
# A plain root-owned copy for ForceCommand (4): the user runs it from the host.
install -m 0755 -o 0 -g 0 "$JK_LSH" "$T_ROOT/bin/jk_lsh" || fatal "cannot copy jk_lsh"

PLACEHOLDER=()
for t in JK_CHROOTSH JK_LSH JK_JAILUSER; do
    "${!t}" --version 2>&1 | grep -q 'not implemented yet' && PLACEHOLDER+=("$t")
done
((${#PLACEHOLDER[@]} == 0)) || diag "still placeholders: ${PLACEHOLDER[*]} (their parts fail)"

# ---------------------------------------------------------------- helpers

# run_in INPUT CMD... : run_cmd with INPUT on stdin.
run_in() {
    local input=$1 o e; shift
    o=$(mktemp -p "$T_ROOT" out.XXXXXX) e=$(mktemp -p "$T_ROOT" err.XXXXXX)
    printf '%s' "$input" | "$@" >"$o" 2>"$e"
    R_RC=$?
    R_OUT=$(<"$o") R_ERR=$(<"$e")
    rm -f "$o" "$e"
}

# refused DESC : the last command failed and printed nothing of `id`.
refused() {
    if ((R_RC != 0)) && [[ "$R_OUT$R_ERR" != *uid=* ]]; then ok "$1"
    else
        not_ok "$1"; diag "exit $R_RC (expected non-zero, no id output)"
        diag "stdout: $(head -c 1500 <<<"$R_OUT")"; diag "stderr: $(head -c 1500 <<<"$R_ERR")"
    fi
}

# no_pwned DESC : the uploaded evilhost script left no pwned.* file in the
# sftp user's home (removed after each check: every trick counts alone).
no_pwned() {
    local p
    p=$(cd "$H1" && ls -1 pwned.* 2>/dev/null)
    if [[ -z $p ]]; then ok "$1"
    else not_ok "$1"; diag "the script ran: $p: $(cat "$H1"/pwned.* 2>/dev/null | head -n 3)"; rm -f "$H1"/pwned.*; fi
}

# ls_top DIR : the names in DIR, sorted, one a line (no . and ..).
ls_top() { (cd "$1" && LC_ALL=C ls -1A | LC_ALL=C sort); }

# jailuser J USER SHELL : jk_jailuser -n -m, exit 0.
jailuser() {
    run_cmd "$JK_JAILUSER" -n -m -j "$1" -s "$3" --chrootsh="$JK_CHROOTSH" "$2"
    assert_rc "jk_jailuser -n -m -j ${1##*/} -s $3 (user $2)" 0
}

uid_of() { id -u "$1"; }

# ---------------------------------------------------------------- 0. harness

P=$(make_user)   # plain user, shell /bin/sh, not jailed
install -d -m 0755 -o "$P" -g "$P" "$T_ROOT/home-$P"
usermod -s /bin/sh -d "$T_ROOT/home-$P" "$P" >/dev/null || fatal "usermod $P"
ssh_authorize "$P"

sshd_start main
sshd_start env "AcceptEnv *"

run_cmd t_ssh main "$P" -- 'echo hi; id -un'
assert_rc "harness: ssh to a plain /bin/sh user" 0
assert_eq "harness: its output" "hi"$'\n'"$P" "$R_OUT"
printf 'payload %s\n' "$T_TAG" >"$T_ROOT/src/p.txt"
printf 'put %s up.txt\nget up.txt %s\n' "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back" >"$T_ROOT/p.batch"
run_cmd t_sftp main "$P" -b "$T_ROOT/p.batch"
assert_rc "harness: sftp put+get" 0
assert_same_content "harness: sftp round trip" "$T_ROOT/src/p.txt" "$T_ROOT/cwd/p.back"
run_cmd t_scp main "$P" -O "$T_ROOT/src/p.txt" @:scp-O.txt
assert_rc "harness: scp -O upload" 0
run_cmd t_rsync main "$P" -a "$T_ROOT/src/" @:rs/
assert_rc "harness: rsync upload" 0
assert_same_content "harness: rsync content" "$T_ROOT/src/p.txt" "$T_ROOT/home-$P/rs/p.txt"
# Controls for 3: the argument tricks below do run code for a user with a
# real shell, so their failure behind jk_lsh is jk_lsh's doing.
printf '#!/bin/sh\nid >"$HOME/pwned.$$"\n' >"$T_ROOT/src/evilhost"
chmod 0755 "$T_ROOT/src/evilhost"
install -m 0755 -o "$P" -g "$P" "$T_ROOT/src/evilhost" "$T_ROOT/home-$P/evilhost"
printf 'use chroot = no\n[m]\npath = %s\npre-xfer exec = %s/evilhost\n' "$T_ROOT/home-$P" "$T_ROOT/home-$P" \
    >"$T_ROOT/home-$P/rsyncd.conf"
chown "$P:$P" "$T_ROOT/home-$P/rsyncd.conf"
run_cmd t_ssh main "$P" -- 'rsync -e sh evilhost:x /tmp/'
run_cmd t_rsync main "$P" -a @::m/up.txt "$T_ROOT/cwd/daemon.txt"
assert_eq "control: rsync -e sh evilhost:x and rsync host::m (pre-xfer exec) run code for a plain user" 2 \
    "$(find "$T_ROOT/home-$P" -name 'pwned.*' | wc -l)"

# The control for 5: with AcceptEnv * a client variable does reach the login
# shell, so its absence behind jk_chrootsh below means jk_chrootsh dropped it.
run_cmd t_ssh env "$P" -o SetEnv=JK_PROBE=reached -- 'echo "probe=$JK_PROBE"'
assert_eq "harness: AcceptEnv * passes a client variable to a plain user" "probe=reached" "$R_OUT"
run_cmd t_ssh main "$P" -o SetEnv=JK_PROBE=reached -- 'echo "probe=$JK_PROBE"'
assert_eq "harness: without AcceptEnv sshd drops it (the default)" "probe=" "$R_OUT"

# ---------------------------------------------------------------- configs

# Host side jk_chrootsh.ini (seen as /etc/jailkit/jk_chrootsh.ini here only).
# JK_KEEP is the one client variable allowed through (env =).
cat >"$T_CONF/jk_chrootsh.ini" <<'EOF'
[DEFAULT]
env = JK_KEEP, TERM
EOF
chmod 0644 "$T_CONF/jk_chrootsh.ini"

# ---------------------------------------------------------------- 1. sftp/scp jail

J1=$(make_jail sftp)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J1" jk_lsh sftp scp rsync uidbasics
assert_rc "jk_init jk_lsh sftp scp rsync uidbasics" 0
# The jk_lsh section copied the host's /usr/sbin/jk_lsh (Debian's jailkit):
# ours replaces it, with its libraries.
run_cmd "$JK_CP" -j "$J1" "$JK_LSH"
assert_rc "jk_cp our jk_lsh and its libraries" 0
install -D -m 0755 -o 0 -g 0 "$JK_LSH" "$J1/usr/sbin/jk_lsh" || fatal "install jk_lsh"
assert_same_content "the jail's /usr/sbin/jk_lsh is ours" "$JK_LSH" "$J1/usr/sbin/jk_lsh"
# A shell and id in the jail: if jk_lsh ever ran a refused command, `uid=`
# would show and a planted script would leave a file.
run_cmd "$JK_CP" -j "$J1" /bin/sh /usr/bin/id
assert_rc "jk_cp /bin/sh /usr/bin/id (bait)" 0
install -d -m 0755 -o 0 -g 0 "$J1/etc/jailkit"
cat >"$J1/etc/jailkit/jk_lsh.ini" <<'EOF'
[DEFAULT]
paths = /usr/bin, /usr/lib/openssh
executables = /usr/lib/openssh/sftp-server, /usr/bin/scp, /usr/bin/rsync
umask = 022
EOF
chown 0:0 "$J1/etc/jailkit/jk_lsh.ini" && chmod 0644 "$J1/etc/jailkit/jk_lsh.ini"

# jk_lsh logs to the jail's /dev/log, which jk_socketd would relay to the
# host; here a receiver keeps what arrives there.
J1LOG=$T_ROOT/j1-syslog.txt
install -d -m 0755 -o 0 -g 0 "$J1/dev"
python3 "$here/../lib/syslog_receiver.py" "$J1/dev/log" "$J1LOG" &
on_exit kill "$!"
for _ in $(seq 100); do [[ -S $J1/dev/log ]] && break; sleep 0.05; done
[[ -S $J1/dev/log ]] || fatal "the jail's syslog receiver did not start"

U1=$(make_user)
U1ID=$(uid_of "$U1")
# The seed example's user has /home/test: a home on the host, with a file.
[[ -e /home/$U1 ]] && fatal "/home/$U1 exists already"
install -d -m 0755 -o "$U1" -g "$U1" "/home/$U1"
on_exit rm -rf --one-file-system "/home/$U1"
printf 'before the move %s\n' "$T_TAG" >"/home/$U1/hello.txt"
chown "$U1:$U1" "/home/$U1/hello.txt"
usermod -d "/home/$U1" "$U1" >/dev/null || fatal "usermod -d"
ssh_authorize "$U1"
jailuser "$J1" "$U1" /usr/sbin/jk_lsh
H1=$J1/home/$U1
assert_eq "host passwd: home is JAIL/./home/U, shell the jk_chrootsh copy" \
    "$J1/./home/$U1:$JK_CHROOTSH" "$(getent passwd "$U1" | cut -d: -f6,7)"
assert_match "jail passwd: U with /home/U and jk_lsh" "^$U1:x:$U1ID:[0-9]+:[^:]*:/home/$U1:/usr/sbin/jk_lsh\$" \
    "$(grep "^$U1:" "$J1/etc/passwd")"
assert_exists "the home moved into the jail with its file" "$H1/hello.txt"
assert_missing "the old host home is gone" "/home/$U1"

# sftp: upload a 0666 file (the mode lands through jk_lsh's umask 022),
# download the moved file, list /.
printf 'uploaded by sftp %s\n' "$T_TAG" >"$T_ROOT/src/up.txt"
chmod 0666 "$T_ROOT/src/up.txt"
cat >"$T_ROOT/b1" <<EOF
put $T_ROOT/src/up.txt sftp-up.txt
get hello.txt $T_ROOT/cwd/hello.back
pwd
ls -1 /
EOF
run_cmd t_sftp main "$U1" -b "$T_ROOT/b1"
assert_rc "sftp -b: put, get, pwd, ls / as the jailed user" 0
assert_same_content "sftp put: the file is in JAIL/home/U" "$T_ROOT/src/up.txt" "$H1/sftp-up.txt"
assert_owner "sftp put: owned by the user" "$H1/sftp-up.txt" "$U1:$U1"
assert_mode "sftp put: 0666 source -> 0644 (jk_lsh umask 022)" "$H1/sftp-up.txt" 644
assert_same_content "sftp get: the file moved by jk_jailuser" "$H1/hello.txt" "$T_ROOT/cwd/hello.back"
assert_contains "sftp pwd: /home/U inside the jail" "Remote working directory: /home/$U1" "$R_OUT"
sftp_root=$(sed -n '/^sftp> ls -1 \//,$p' <<<"$R_OUT" | sed '1d' | sed 's#^/##' | LC_ALL=C sort)
assert_eq "sftp ls /: exactly the jail's top-level entries" "$(ls_top "$J1")" "$sftp_root"
run_in "ls $T_ROOT"$'\n' t_sftp main "$U1" -b -
assert_ne "sftp: the test root's host path does not exist in the jail" 0 "$R_RC"

# scp in SFTP mode (OpenSSH 9 default) and legacy mode (scp -t / -f via jk_lsh).
run_cmd t_scp main "$U1" "$T_ROOT/src/up.txt" @:scp-sftp.txt
assert_rc "scp (SFTP protocol) upload" 0
assert_same_content "scp (SFTP): content" "$T_ROOT/src/up.txt" "$H1/scp-sftp.txt"
assert_mode "scp (SFTP): 0644" "$H1/scp-sftp.txt" 644
run_cmd t_scp main "$U1" -O "$T_ROOT/src/up.txt" @:scp-legacy.txt
assert_rc "scp -O upload (scp -t through jk_lsh)" 0
assert_same_content "scp -O: content" "$T_ROOT/src/up.txt" "$H1/scp-legacy.txt"
assert_owner "scp -O: owned by the user" "$H1/scp-legacy.txt" "$U1:$U1"
assert_mode "scp -O: 0666 source -> 0644" "$H1/scp-legacy.txt" 644
run_cmd t_scp main "$U1" -O @:hello.txt "$T_ROOT/cwd/hello.scp-O"
assert_rc "scp -O download (scp -f through jk_lsh)" 0
assert_same_content "scp -O download: content" "$H1/hello.txt" "$T_ROOT/cwd/hello.scp-O"
run_cmd t_scp main "$U1" @:hello.txt "$T_ROOT/cwd/hello.scp"
assert_rc "scp (SFTP) download" 0
assert_same_content "scp (SFTP) download: content" "$H1/hello.txt" "$T_ROOT/cwd/hello.scp"

# No shell, no other command, no interactive session.
run_in $'id\n' t_ssh main "$U1" -- /bin/sh
refused "jk_lsh user: ssh host /bin/sh refused"
run_cmd t_ssh main "$U1" -- id
refused "jk_lsh user: ssh host id refused"
run_in $'id\nexit\n' t_ssh main "$U1" -tt
refused "jk_lsh user: interactive ssh -tt refused"
run_in $'id\n' t_ssh main "$U1" -T
refused "jk_lsh user: interactive ssh -T (no pty) refused"
run_cmd t_ssh main "$U1" -- 'sftp-server; id'
refused "jk_lsh user: 'sftp-server; id' refused"

# A directory both ways in legacy mode (scp -r -t / -r -f).
mkdir -p "$T_ROOT/src/sdir/deeper"
printf 'deep %s\n' "$T_TAG" >"$T_ROOT/src/sdir/deeper/d.txt"
run_cmd t_scp main "$U1" -O -r "$T_ROOT/src/sdir" @:sdir
assert_rc "scp -O -r upload of a directory" 0
assert_same_content "scp -O -r: nested file arrived" "$T_ROOT/src/sdir/deeper/d.txt" "$H1/sdir/deeper/d.txt"
run_cmd t_scp main "$U1" -O -r @:sdir "$T_ROOT/cwd/sdir-back"
assert_rc "scp -O -r download of a directory" 0
assert_same_content "scp -O -r download: nested file" "$T_ROOT/src/sdir/deeper/d.txt" "$T_ROOT/cwd/sdir-back/deeper/d.txt"

# Any length (DESIGN.md invariant 8): a 100 kB command is refused cleanly.
long=$(head -c 100000 /dev/zero | tr '\0' x)
run_cmd t_ssh main "$U1" -- "rsync --server $long"
refused "jk_lsh user: a 100 kB command line refused"
assert_no_crash "jk_lsh user: ... without a crash"

# ---------------------------------------------------------------- 3. rsync

mkdir -p "$T_ROOT/src/tree/sub"
head -c 200000 /dev/urandom >"$T_ROOT/src/tree/bin.dat"
printf 'text %s\n' "$T_TAG" >"$T_ROOT/src/tree/sub/a.txt"
ln -s sub/a.txt "$T_ROOT/src/tree/link"
run_cmd t_rsync main "$U1" -a "$T_ROOT/src/tree/" @:dest/
assert_rc "rsync -a -e ssh into the jail (rsync --server through jk_lsh)" 0
run_cmd diff -r --no-dereference "$T_ROOT/src/tree" "$H1/dest"
assert_rc "rsync: the tree arrived intact" 0
assert_link "rsync: the symlink arrived as a symlink" "$H1/dest/link" "sub/a.txt"
assert_owner "rsync: files owned by the user" "$H1/dest/bin.dat" "$U1:$U1"
run_cmd t_rsync main "$U1" -a @:dest/sub/ "$T_ROOT/cwd/rsync-back/"
assert_rc "rsync download (--server --sender)" 0
assert_same_content "rsync download: content" "$T_ROOT/src/tree/sub/a.txt" "$T_ROOT/cwd/rsync-back/a.txt"

# COMPAT.md W6: a script uploaded as "evilhost", then an rsync or scp whose
# arguments make it run (rsync -e sh evilhost:x runs `sh evilhost ...`).
printf '#!/bin/sh\nid >/home/%s/pwned.$$\n' "$U1" >"$T_ROOT/src/evilhost"
chmod 0755 "$T_ROOT/src/evilhost"
run_cmd t_scp main "$U1" "$T_ROOT/src/evilhost" @:evilhost
assert_rc "upload the evilhost script" 0
for trick in "rsync -e sh evilhost:x /home/$U1/" "rsync --rsh=sh evilhost:x ." "rsync --rsh sh evilhost:x ." \
    "rsync evilhost:x ." "rsync --server -e sh --sender . evilhost:x" \
    "scp -S /home/$U1/evilhost x:y ." "scp -o ProxyCommand=/home/$U1/evilhost x:y ." \
    "scp -oProxyCommand=sh\${IFS}evilhost x:y ." "rsync --daemon" "rsync --server --daemon ."; do
    run_cmd t_ssh main "$U1" -- "$trick"
    refused "argument trick refused: $trick"
    no_pwned "argument trick ran nothing: $trick"
done
# rsync's daemon over ssh (`host::module`) runs `rsync --server --daemon .`,
# which as a non-root user reads rsyncd.conf from the current directory - the
# user's home: a "pre-xfer exec" there is code execution.
printf 'use chroot = no\n[m]\npath = /home/%s\npre-xfer exec = /home/%s/evilhost\n' "$U1" "$U1" >"$T_ROOT/src/rsyncd.conf"
run_cmd t_scp main "$U1" "$T_ROOT/src/rsyncd.conf" @:rsyncd.conf
assert_rc "upload an rsyncd.conf with pre-xfer exec" 0
run_cmd t_rsync main "$U1" -a @::m/hello.txt "$T_ROOT/cwd/daemon.txt"
refused "rsync daemon over ssh (host::module) refused"
no_pwned "rsync daemon over ssh: its pre-xfer exec did not run"

# ---------------------------------------------------------------- 3b. git over ssh

# The git section into the same jail, git-upload-pack and git-receive-pack
# allowed: a push and a clone through jk_lsh, with hooks planted in the
# user's repository that must not run (jk_lsh disables hooks for git).
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J1" git
assert_rc "jk_init git (into the sftp jail)" 0
sed -i 's#^executables = .*#&, /usr/bin/git-upload-pack, /usr/bin/git-receive-pack#' "$J1/etc/jailkit/jk_lsh.ini"
git init -q --bare --initial-branch=main "$H1/repo.git" || fatal "git init --bare"
for hook in pre-receive update post-receive post-update; do
    printf '#!/bin/sh
id >/home/%s/pwned.%s
' "$U1" "$hook" >"$H1/repo.git/hooks/$hook"
    chmod 0755 "$H1/repo.git/hooks/$hook"
done
chown -R "$U1:$U1" "$H1/repo.git"
GW=$T_ROOT/cwd/gitwork
git init -q --initial-branch=main "$GW" || fatal "git init"
printf 'pushed through jk_lsh %s
' "$T_TAG" >"$GW/file.txt"
git -C "$GW" add file.txt && git -C "$GW" -c user.name=jk-test -c user.email=jk-test@invalid commit -q -m "jk-test $T_TAG" ||
    fatal "git commit"
run_cmd t_git main "$U1" -C "$GW" push -q @:repo.git main
assert_rc "git push over ssh (git-receive-pack through jk_lsh)" 0
assert_eq "the commit is in the jailed repository" "jk-test $T_TAG" \
    "$(git --git-dir="$H1/repo.git" log -1 --format=%s main 2>&1)"
assert_owner "the pushed objects belong to the user" "$H1/repo.git/refs/heads/main" "$U1:$U1"
no_pwned "git push: the repository's own hooks did not run"
run_cmd t_git main "$U1" clone -q @:repo.git "$T_ROOT/cwd/gitclone"
assert_rc "git clone over ssh (git-upload-pack through jk_lsh)" 0
assert_same_content "git clone: the pushed file" "$GW/file.txt" "$T_ROOT/cwd/gitclone/file.txt"
for trick in "git-upload-pack --upload-pack=evilhost repo.git" "git -c core.sshCommand=sh upload-pack repo.git" \
    "git-receive-pack repo.git; sh evilhost"; do
    run_cmd t_ssh main "$U1" -- "$trick"
    refused "git trick refused: $trick"
    no_pwned "git trick ran nothing: $trick"
done

# ---------------------------------------------------------------- 5. hostile command strings (jk_lsh)

for cmd in 'id; sh' 'sh' '/bin/sh' '$(sh)' '`sh`' '/usr/bin/../../bin/sh' '/usr/bin/../bin/id' \
    'scp -t . ; sh' 'rsync --server . ; id' $'/usr/lib/openssh/sftp-server\nid' 'sftp-server && id' \
    '../../bin/sh' '/usr/sbin/jk_lsh -c id' 'PATH=/bin id' 'exec id' 'id #'; do
    run_in $'id\n' t_ssh main "$U1" -- "$cmd"
    refused "jk_lsh user: hostile command refused: $(printf '%q' "$cmd")"
done

# Environment through AcceptEnv *: LD_PRELOAD of a missing object makes every
# dynamic program print "cannot be preloaded" if it reaches it.
cat >"$T_ROOT/b2" <<EOF
put $T_ROOT/src/up.txt env-up.txt
EOF
run_cmd t_sftp env "$U1" -o SetEnv="LD_PRELOAD=/nonexistent-jk-$T_TAG.so LD_LIBRARY_PATH=/home/$U1 JK_KEEP=1" -b "$T_ROOT/b2"
assert_rc "sftp with LD_PRELOAD/LD_LIBRARY_PATH sent (AcceptEnv *) still works" 0
assert_not_contains "LD_PRELOAD never reached sftp-server" "preloaded" "$R_OUT$R_ERR"
assert_same_content "sftp (AcceptEnv *): file arrived" "$T_ROOT/src/up.txt" "$H1/env-up.txt"

# ---------------------------------------------------------------- 2. bash jail

J2=$(make_jail shell)
run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$J2" basicshell extendedshell
assert_rc "jk_init basicshell extendedshell" 0
run_cmd "$JK_CP" -j "$J2" /usr/bin/tty /usr/bin/ps /usr/bin/grep
assert_rc "jk_cp tty ps grep" 0
# A jail shadow file anyone may read, with a marker: `cat /etc/shadow` in the
# jail must print it, never the host's (which names the user).
printf 'root:*:19000:0:99999:7:::\njail-shadow-marker-%s\n' "$T_TAG" >"$J2/etc/shadow"
chmod 0644 "$J2/etc/shadow"
U2=$(make_user)
U2ID=$(uid_of "$U2")
# A home given as OTHER/./X: jk_jailuser maps it to X in the jail.
install -d -m 0755 -o 0 -g 0 "$T_ROOT/old" "$T_ROOT/old/home"
install -d -m 0755 -o "$U2" -g "$U2" "$T_ROOT/old/home/$U2"
usermod -d "$T_ROOT/old/./home/$U2" "$U2" >/dev/null || fatal "usermod -d"
ssh_authorize "$U2"
jailuser "$J2" "$U2" /bin/bash
H2=$J2/home/$U2
assert_eq "shell user: host home JAIL/./home/U" "$J2/./home/$U2" "$(getent passwd "$U2" | cut -d: -f6)"
assert_exists "shell user: home moved into the jail" "$H2"

run_cmd t_ssh main "$U2" -- 'echo hi; id -un'
assert_rc "bash jail: ssh 'echo hi; id -un'" 0
assert_eq "bash jail: output" "hi"$'\n'"$U2" "$R_OUT"
run_cmd t_ssh main "$U2" -- 'pwd; echo "$HOME|$USER|$LOGNAME|$SHELL"'
assert_eq "bash jail: cwd and environment" "/home/$U2"$'\n'"/home/$U2|$U2|$U2|/bin/bash" "$R_OUT"
run_cmd t_ssh main "$U2" -- 'cat /etc/shadow'
assert_contains "bash jail: cat /etc/shadow shows the jail's file" "jail-shadow-marker-$T_TAG" "$R_OUT"
assert_not_contains "bash jail: never the host's /etc/shadow" "$U2:" "$R_OUT"
run_cmd t_ssh main "$U2" -- 'cd / && cd .. && cd .. && pwd && ls -A'
assert_rc "bash jail: cd / && cd .. && pwd && ls" 0
assert_eq "bash jail: / is the jail's root, .. of / is /" "/"$'\n'"$(ls_top "$J2")" "$R_OUT"
run_cmd t_ssh main "$U2" -- "ls -d '$T_ROOT' /work /srv/$(basename "$T_ROOT") 2>&1; echo rc=\$?"
assert_not_contains "bash jail: host paths do not exist" "rc=0" "$R_OUT"

# No /proc in the jail: no host processes to see.
assert_missing "bash jail: no /proc directory from jk_init" "$J2/proc/1"
run_cmd t_ssh main "$U2" -- 'ls /proc 2>/dev/null | head -n 5; ps -e 2>&1 | head -n 3; true'
assert_not_contains "bash jail without /proc: ps/ls show no host pid 1" " 1 " " $R_OUT "
assert_not_contains "bash jail without /proc: no host init/sshd in ps" "sshd" "$R_OUT"

# /proc for the status check, private to this namespace: hidepid=invisible
# (per mount since Linux 5.8) shows only the user's own processes, so the
# jail still sees no host process. /dev/pts: sshd allocates the pty from the
# host's devpts before the shell runs, so `tty` in the jail can only name it
# if the jail holds that same devpts (a new devpts instance would not have
# it); bound read as is, /dev/ptmx not needed (no pty is allocated inside).
install -d -m 0555 -o 0 -g 0 "$J2/proc"
install -d -m 0755 -o 0 -g 0 "$J2/dev/pts"
mount -t proc -o hidepid=invisible,nosuid,nodev,noexec proc "$J2/proc" || fatal "mount proc in $J2"
on_exit umount -l "$J2/proc"
mount --bind /dev/pts "$J2/dev/pts" || fatal "bind /dev/pts into $J2"
on_exit umount -l "$J2/dev/pts"

run_cmd t_ssh main "$U2" -- 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Uid|Gid)" /proc/self/status'
assert_rc "bash jail: /proc/self/status readable" 0
nl=$'\n'
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_match "bash jail: $f all zero" "(^|$nl)$f:[[:space:]]+0{16}(\$|$nl)" "$R_OUT"
done
assert_match "bash jail: NoNewPrivs 1" "NoNewPrivs:[[:space:]]+1" "$R_OUT"
assert_match "bash jail: real/effective/saved/fs uid all the user's" "Uid:[[:space:]]+${U2ID}[[:space:]]+${U2ID}[[:space:]]+${U2ID}[[:space:]]+$U2ID" "$R_OUT"
run_cmd t_ssh main "$U2" -- 'ps -eo pid=,uid= ; echo sid=$(ps -o sid= -p $$) pid=$$'
assert_rc "bash jail: ps with the hidepid proc" 0
others=$(awk -v u="$U2ID" '$1 ~ /^[0-9]+$/ && NF == 2 && $2 != u' <<<"$R_OUT")
assert_eq "bash jail: ps shows only the user's own processes" "" "$others"
assert_match "bash jail: the shell leads its own session" "sid= *([0-9]+) pid=\\1\$" "$(tail -n 1 <<<"$R_OUT")"

run_in $'tty; echo "shell=$$ $0"; exit\n' t_ssh main "$U2" -tt
assert_rc "bash jail: interactive ssh -tt session" 0
# The pty echoes the input and bash adds terminal escapes: strip those, then
# look for the answers on lines of their own.
tty_out=$(tr -d '\r' <<<"$R_OUT" | sed $'s/\x1b\\[[0-9;?]*[a-zA-Z]//g; s/\x1b[]][^\x07]*\x07//g')
assert_match "bash jail: tty is a /dev/pts device" $'(^|\n)/dev/pts/[0-9]+($|\n)' "$tty_out"
assert_match "bash jail: the interactive shell is the jail's bash" $'(^|\n)shell=[0-9]+ (/usr)?/bin/bash($|\n)' "$tty_out"

# Environment via AcceptEnv *: only env = keys survive, PATH is the default.
run_cmd t_ssh env "$U2" -o SetEnv="LD_PRELOAD=/nonexistent-jk-$T_TAG.so BASH_ENV=/home/$U2/evil ENV=/x PATH=/evil JK_KEEP=kept JK_DROP=x" \
    -- 'env | sort; echo END'
assert_rc "bash jail (AcceptEnv *): command runs" 0
assert_not_contains "bash jail: LD_PRELOAD dropped (no preload error)" "preloaded" "$R_OUT$R_ERR"
assert_not_contains "bash jail: LD_PRELOAD not in env" "LD_PRELOAD" "$R_OUT"
assert_not_contains "bash jail: BASH_ENV not in env" "BASH_ENV" "$R_OUT"
assert_not_contains "bash jail: JK_DROP (not in env =) dropped" "JK_DROP" "$R_OUT"
assert_contains "bash jail: JK_KEEP (env = JK_KEEP) kept" "JK_KEEP=kept" "$R_OUT"
assert_not_contains "bash jail: client PATH dropped" "/evil" "$R_OUT"
assert_not_contains "bash jail: no SSH_ variables (environment cleared)" "SSH_CONNECTION" "$R_OUT"

# A setuid-root program planted in the jail (jk_cp would strip the bit; an
# admin mistake or a jail on a filesystem without nosuid): with no_new_privs
# (allow_setuid off by default) it runs with the user's ids. The control
# shows the bit works on this filesystem for the same user outside the jail.
install -D -m 4755 -o 0 -g 0 /usr/bin/id "$J2/usr/local/bin/suid-id"
run_cmd setpriv --reuid="$U2ID" --regid="$(id -g "$U2")" --init-groups "$J2/usr/local/bin/suid-id"
assert_contains "control: the setuid-root copy gives euid=0 outside the jail" "euid=0" "$R_OUT"
run_cmd t_ssh main "$U2" -- '/usr/local/bin/suid-id'
assert_rc "bash jail: the planted setuid program runs" 0
assert_not_contains "bash jail: ... without gaining euid 0 (no_new_privs)" "euid=0" "$R_OUT"
rm -f "$J2/usr/local/bin/suid-id"

# An unsafe jail or home refuses the login (COMPAT.md 2.3 step 9: exit 53).
chmod 0775 "$J2"
run_cmd t_ssh main "$U2" -- 'id'
chmod 0755 "$J2"
refused "bash jail: group-writable jail refuses the login"
assert_eq "bash jail: group-writable jail: exit 53" 53 "$R_RC"
assert_match "bash jail: the client is told why (jk_chrootsh names the jail)" "jk_chrootsh: .*$J2" "$R_ERR"
chmod 0775 "$H2"
run_cmd t_ssh main "$U2" -- 'id'
chmod 0755 "$H2"
refused "bash jail: group-writable home refuses the login"
assert_eq "bash jail: group-writable home: exit 53" 53 "$R_RC"
assert_match "bash jail: the client is told why (jk_chrootsh names the home)" "jk_chrootsh: .*home" "$R_ERR"
# The jail's passwd must agree with the host's (COMPAT.md 2.3 step 12).
cp -p "$J2/etc/passwd" "$T_ROOT/j2-passwd"
sed -i "s#^$U2:\(.*\):/home/$U2:#$U2:\1:/home/elsewhere:#" "$J2/etc/passwd"
run_cmd t_ssh main "$U2" -- 'id'
refused "bash jail: jail passwd home differs from the part after /./: refused"
assert_eq "bash jail: ... exit 39" 39 "$R_RC"
grep -v "^$U2:" "$T_ROOT/j2-passwd" >"$J2/etc/passwd"
run_cmd t_ssh main "$U2" -- 'id'
refused "bash jail: user missing from the jail passwd: refused"
cp -p "$T_ROOT/j2-passwd" "$J2/etc/passwd"
run_cmd t_ssh main "$U2" -- 'id -u'
assert_eq "bash jail: login works again once fixed" "$U2ID" "$R_OUT"

# A 100 kB argument passes through sshd and jk_chrootsh whole.
run_cmd t_ssh main "$U2" -- "echo $long | wc -c"
assert_eq "bash jail: a 100 kB argument arrives whole" 100001 "$R_OUT"

# Twelve logins at once, each through the whole chain.
pids=()
for i in $(seq 1 12); do t_ssh main "$U2" -- 'id -u' >"$T_ROOT/par.$i" 2>&1 & pids+=("$!"); done
wait "${pids[@]}"   # only these: sshd and the log listener are children too
bad=0
for i in $(seq 1 12); do [[ $(cat "$T_ROOT/par.$i") == "$U2ID" ]] || { bad=1; diag "login $i: $(head -c 300 "$T_ROOT/par.$i")"; }; done
assert_eq "bash jail: 12 simultaneous logins all work" 0 "$bad"

# ---------------------------------------------------------------- 4. ForceCommand jk_lsh

U4=$(make_user)
install -d -m 0755 -o "$U4" -g "$U4" "$T_ROOT/home-$U4"
usermod -s /bin/sh -d "$T_ROOT/home-$U4" "$U4" >/dev/null || fatal "usermod $U4"
ssh_authorize "$U4"
# jk_lsh outside a jail reads the host's /etc/jailkit/jk_lsh.ini: here $T_CONF.
cat >"$T_CONF/jk_lsh.ini" <<'EOF'
[DEFAULT]
paths = /usr/bin, /usr/lib/openssh
executables = /usr/lib/openssh/sftp-server, /usr/bin/whoami, /usr/bin/rsync
umask = 022
EOF
chmod 0644 "$T_CONF/jk_lsh.ini"
# sshd runs `/bin/sh -c '<ForceCommand>'` with SSH_ORIGINAL_COMMAND set (for
# a subsystem: its command). The quoting hands jk_lsh the client's string as
# one argument, unexpanded.
sshd_start force "Match User $U4" "    ForceCommand $T_ROOT/bin/jk_lsh -c \"\$SSH_ORIGINAL_COMMAND\""
run_cmd t_ssh force "$U4" -- whoami
assert_rc "ForceCommand jk_lsh: allowed whoami" 0
assert_eq "ForceCommand jk_lsh: whoami output" "$U4" "$R_OUT"
for cmd in id 'whoami; id' '$(id)' '/bin/sh' 'whoami `id`' 'rsync -e sh x:y .'; do
    run_in $'id\n' t_ssh force "$U4" -- "$cmd"
    refused "ForceCommand jk_lsh: refused: $cmd"
done
run_in $'id\n' t_ssh force "$U4" -tt
refused "ForceCommand jk_lsh: interactive refused"
printf 'put %s fc.txt\n' "$T_ROOT/src/up.txt" >"$T_ROOT/b4"
run_cmd t_sftp force "$U4" -b "$T_ROOT/b4"
assert_rc "ForceCommand jk_lsh: sftp (the subsystem command through jk_lsh)" 0
assert_same_content "ForceCommand jk_lsh: sftp upload arrived" "$T_ROOT/src/up.txt" "$T_ROOT/home-$U4/fc.txt"
assert_mode "ForceCommand jk_lsh: host ini umask 022 -> 0644" "$T_ROOT/home-$U4/fc.txt" 644
run_cmd t_rsync force "$U4" -a "$T_ROOT/src/tree/" @:fdest/
assert_rc "ForceCommand jk_lsh: rsync upload" 0
run_cmd diff -r --no-dereference "$T_ROOT/src/tree" "$T_ROOT/home-$U4/fdest"
assert_rc "ForceCommand jk_lsh: rsync tree intact" 0

# ---------------------------------------------------------------- 5. logs

log=$(cat "${SSHD_LOG[main]}")
assert_contains "sshd log: the jailed sftp user's subsystem session" "Starting session: subsystem 'sftp' for $U1 " "$log"
assert_match "sshd log: publickey logins of the jailed users" "Accepted publickey for $U1 .*Accepted publickey for $U2|Accepted publickey for $U2 .*Accepted publickey for $U1" "$(tr '\n' ' ' <<<"$log")"
assert_contains "jail syslog: jk_lsh logs the allowed sftp-server" \
    "executing command '/usr/lib/openssh/sftp-server' for user $U1 ($U1ID)" "$(cat "$J1LOG")"
assert_contains "jail syslog: jk_lsh logs the refused /bin/sh" "user $U1 ($U1ID) tried to run '/bin/sh'" "$(cat "$J1LOG")"
assert_contains "jail syslog: jk_lsh logs the refused rsync argument trick" "rsync -e sh evilhost:x" "$(cat "$J1LOG")"
syslog_has "host syslog: jk_chrootsh logs each login (authpriv.info)" \
    "^<86>.*jk_chrootsh\[[0-9]+\]: now entering jail $J1 for user $U1 \($U1ID\)"
syslog_has "host syslog: jk_chrootsh logs the group-writable jail it refused (authpriv.err)" \
    "^<83>.*jk_chrootsh\[[0-9]+\]: .*$J2.* is not a safe jail"

# ---------------------------------------------------------------- 6. cleanup (checked from here: the rest is _cleanup)

check "all three sshd still running at the end (none crashed)" sshd_running main
check "sshd env still running" sshd_running env
check "sshd force still running" sshd_running force
# The stop used by on_exit: the listener goes and its port closes.
fpid=$(cat "${SSHD_DIR[force]}/sshd.pid")
_sshd_stop "$fpid"
if kill -0 "$fpid" 2>/dev/null || ss -Htln "sport = :${SSHD_PORT[force]}" | grep -q .; then
    not_ok "sshd stop: process $fpid gone, port ${SSHD_PORT[force]} closed"
else ok "sshd stop: process gone, port closed"; fi

finish
