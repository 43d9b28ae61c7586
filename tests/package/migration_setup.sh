#!/usr/bin/env bash
# Migration from Debian's jailkit 2.23, part 1 (before jailkit-ng is
# installed; run by .ci/package.sh). With jailkit 2.23's own tools at
# /usr/sbin/jk_*, the way its documentation and the hosting panels do it:
#
#   - one jail (jk_init -j JAIL jk_lsh sftp scp basicshell): its log socket
#     lands as a section in /etc/jailkit/jk_socketd.ini;
#   - an sftp/scp-only user (jk_jailuser -m -n -j JAIL, shell jk_lsh in the
#     jail) and a bash user (jk_jailuser -m -n -j JAIL -s /bin/bash);
#   - the administrator's edits: the jail's etc/jailkit/jk_lsh.ini (what the
#     sftp user may run), a section for the bash user in the host's
#     /etc/jailkit/jk_chrootsh.ini (env = SSH_CONNECTION: proves later that
#     the kept file is the one our jk_chrootsh reads), a comment and a section
#     added to the host's /etc/jailkit/jk_lsh.ini;
#   - both users log in through a real sshd (sftp put/get, scp, commands).
#
# Leaves the users, the jail and the edited /etc/jailkit files in place for
# migration_check.sh and writes what it made to $JK_MIGRATION_STATE (a
# shell fragment). On failure it removes everything it made itself.
#
#   JK_MIGRATION_STATE=/path/state.sh bash tests/package/migration_setup.sh

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=../lib/sshd.sh
source "$here/../lib/sshd.sh"
# shellcheck source=migration_lib.sh
source "$here/migration_lib.sh"

skip_unless_root
need_cmd ssh sftp scp ssh-keygen ss usermod cmp sha256sum dpkg-query
[[ -n ${JK_MIGRATION_STATE:-} ]] || fatal "JK_MIGRATION_STATE is not set (the state file for migration_check.sh)"
export LC_ALL=C
unset LANG LANGUAGE

# The tools of Debian's jailkit 2.23, as an administrator types them.
for t in jk_init jk_jailuser jk_chrootsh jk_lsh; do
    [[ $(dpkg-query -S "/usr/sbin/$t" 2>/dev/null) == "jailkit: /usr/sbin/$t" ]] \
        || fatal "/usr/sbin/$t is not Debian's jailkit (install it first: apt-get install jailkit)"
done

setup_root
# Keep the users and the jail for migration_check.sh on success; stop sshd
# either way; on failure remove everything (users, jail, homes).
_setup_exit() {
    local rc=$? c
    for c in "${T_ON_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
    T_ON_EXIT=()
    if ((rc != 0)); then
        mig_socketd_unregister
        mig_remove_homes
        rm -f "$JK_MIGRATION_STATE"
        (exit "$rc"); _cleanup
    fi
    exit "$rc"
}
trap _setup_exit EXIT

J=$T_ROOT/jails/j
mkdir -p "$J" && chown 0:0 "$J" && chmod 0755 "$J" || fatal "cannot make $J"
US=$(make_user)   # sftp/scp only
UB=$(make_user)   # bash
# Written first: a failing step below still leaves enough to clean up.
mig_write_state

# ---------------------------------------------------------------- the jail, jailkit's way

run_cmd /usr/sbin/jk_init -j "$J" jk_lsh sftp scp basicshell
assert_rc "jailkit 2.23: jk_init -j JAIL jk_lsh sftp scp basicshell" 0
assert_type "jailkit 2.23: the jail holds jailkit's jk_lsh" "$J/usr/sbin/jk_lsh" "regular file"
assert_same_content "jailkit 2.23: ... copied from /usr/sbin/jk_lsh" /usr/sbin/jk_lsh "$J/usr/sbin/jk_lsh"
assert_contains "jailkit 2.23: jk_init registered the jail's log socket in jk_socketd.ini" \
    "[$J/dev/log]" "$(cat /etc/jailkit/jk_socketd.ini)"

# The administrator edits the jail's jk_lsh.ini (jailkit's is all comments).
cat >"$J/etc/jailkit/jk_lsh.ini" <<EOF
# edited by the administrator for the sftp/scp user
[group $US]
paths = /usr/bin, /usr/lib/openssh
executables = /usr/lib/openssh/sftp-server, /usr/bin/scp
umask = 022
EOF

# Each user gets a host home first, as accounts do before they are jailed;
# jk_jailuser -m moves it into the jail.
for u in "$US" "$UB"; do
    install -d -m 0755 -o "$u" -g "$u" "/home/$u" || fatal "cannot create /home/$u"
    printf 'hello from %s\n' "$u" >"/home/$u/before.txt"; chown "$u:$u" "/home/$u/before.txt"
    usermod -d "/home/$u" "$u" >/dev/null || fatal "usermod -d $u"
done
run_cmd /usr/sbin/jk_jailuser -m -n -j "$J" "$US"
assert_rc "jailkit 2.23: jk_jailuser -m -n -j JAIL (sftp user, shell jk_lsh)" 0
run_cmd /usr/sbin/jk_jailuser -m -n -j "$J" -s /bin/bash "$UB"
assert_rc "jailkit 2.23: jk_jailuser -m -n -j JAIL -s /bin/bash (shell user)" 0
for u in "$US" "$UB"; do
    IFS=: read -r _ _ _ _ _ home shell < <(getent passwd "$u")
    assert_eq "jailkit 2.23: $u's host home is JAIL/./home/$u" "$J/./home/$u" "$home"
    assert_eq "jailkit 2.23: $u's host shell is /usr/sbin/jk_chrootsh" /usr/sbin/jk_chrootsh "$shell"
    assert_exists "jailkit 2.23: $u's home moved into the jail" "$J/home/$u/before.txt"
    assert_missing "jailkit 2.23: ... and gone from /home" "/home/$u"
done
check "jailkit 2.23: the jail's passwd gives the sftp user jk_lsh" \
    grep -Eq "^$US:x:[0-9]+:[0-9]+:[^:]*:/home/$US:/usr/sbin/jk_lsh\$" "$J/etc/passwd"

# ---------------------------------------------------------------- the administrator's host edits

cat >>/etc/jailkit/jk_chrootsh.ini <<EOF

# added by the administrator: the bash user keeps the ssh connection variable
[$UB]
env = SSH_CONNECTION, TERM
EOF
cat >>/etc/jailkit/jk_lsh.ini <<EOF

# added by the administrator (a host-side jk_lsh for rsync backups)
[group jkmigrationbackup]
executables = /usr/bin/rsync
paths = /usr/bin
EOF
for f in jk_chrootsh.ini jk_lsh.ini jk_socketd.ini; do
    assert_ne "the administrator's /etc/jailkit/$f differs from jailkit's (a modified conffile)" \
        "$(mig_conffile_md5 jailkit "/etc/jailkit/$f")" "$(md5sum </etc/jailkit/$f | cut -d' ' -f1)"
done
# What the package upgrade must keep byte for byte, and jailkit's jk_lsh in
# the jail (migration_check.sh proves it is still there, then replaced).
(cd /etc/jailkit && sha256sum jk_chrootsh.ini jk_lsh.ini jk_socketd.ini) >"$T_ROOT/etc-jailkit.sha256"
sha256sum "$J/usr/sbin/jk_lsh" "$J/etc/jailkit/jk_lsh.ini" >"$T_ROOT/jail-files.sha256"

# ---------------------------------------------------------------- logins with jailkit 2.23

for u in "$US" "$UB"; do ssh_authorize "$u"; done
sshd_start mig
mig_logins "jailkit 2.23"

finish
