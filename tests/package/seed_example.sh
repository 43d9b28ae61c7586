#!/usr/bin/env bash
# The jailkit overview's example (/work/shared/seeds, "EXAMPLE": an account
# permitted only sftp and scp), with the INSTALLED package's tools
# (/usr/sbin/jk_*, checked to belong to jailkit-ng), never a build tree:
#
#   mkdir JAIL; chown root:root JAIL; chmod 0755 JAIL
#   jk_init -j JAIL jk_lsh; jk_init -j JAIL sftp; jk_init -j JAIL scp
#   jk_jailuser -j JAIL -m USER          (-n: no prompt in CI)
#   edit JAIL/etc/jailkit/jk_lsh.ini     (allow sftp-server and scp)
#   sftp/scp USER@localhost               (a real sshd, tests/lib/sshd.sh)
#
# The jail lives under the test root (not /home/sftproot) so that it and the
# user are always removed; its jk_socketd.ini section is removed too.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=../lib/sshd.sh
source "$here/../lib/sshd.sh"
# shellcheck source=migration_lib.sh
source "$here/migration_lib.sh"

skip_unless_root
need_cmd ssh sftp scp ssh-keygen ss usermod cmp dpkg-query
export LC_ALL=C
unset LANG LANGUAGE

for t in /usr/sbin/jk_init /usr/sbin/jk_jailuser /usr/sbin/jk_chrootsh /usr/sbin/jk_lsh; do
    [[ $(dpkg-query -S "$t" 2>/dev/null) == "jailkit-ng: $t" ]] || fatal "$t is not installed by jailkit-ng"
done

setup_root
J=$T_ROOT/jails/sftproot
on_exit mig_socketd_unregister "$J"
on_exit mig_remove_homes

mkdir "$J" && chown root:root "$J" && chmod 0755 "$J" || fatal "cannot make $J"
for s in jk_lsh sftp scp; do
    run_cmd /usr/sbin/jk_init -j "$J" "$s"
    assert_rc "jk_init -j JAIL $s" 0
done
assert_same_content "the jail's jk_lsh is the installed one" /usr/sbin/jk_lsh "$J/usr/sbin/jk_lsh"
check "the jail has sftp-server" test -x "$J/usr/lib/openssh/sftp-server"
check "the jail has scp" test -x "$J/usr/bin/scp"

U=$(make_user)
install -d -m 0755 -o "$U" -g "$U" "/home/$U" || fatal "cannot create /home/$U"
usermod -d "/home/$U" "$U" >/dev/null || fatal "usermod -d $U"
run_cmd /usr/sbin/jk_jailuser -j "$J" -m -n "$U"
assert_rc "jk_jailuser -j JAIL -m -n USER" 0
assert_eq "the user's home is JAIL/./home/USER" "$J/./home/$U" "$(getent passwd "$U" | cut -d: -f6)"
assert_eq "the user's shell is /usr/sbin/jk_chrootsh" /usr/sbin/jk_chrootsh "$(getent passwd "$U" | cut -d: -f7)"
check "in the jail's passwd with jk_lsh" grep -q "^$U:.*:/home/$U:/usr/sbin/jk_lsh\$" "$J/etc/passwd"

# "Edit the jk_lsh configfile in the jail".
cat >"$J/etc/jailkit/jk_lsh.ini" <<EOT
[$U]
paths = /usr/bin, /usr/lib/openssh
executables = /usr/lib/openssh/sftp-server, /usr/bin/scp
umask = 022
EOT

ssh_authorize "$U"
sshd_start seed
src=$T_ROOT/src/payload.txt
head -c 5000 /dev/urandom | base64 >"$src"
printf 'put %s up.txt\nget up.txt %s\nls\n' "$src" "$T_ROOT/cwd/back.txt" >"$T_ROOT/batch"
run_cmd t_sftp seed "$U" -b "$T_ROOT/batch"
assert_rc "sftp USER@localhost: put + get" 0
assert_same_content "... upload in JAIL/home/USER" "$src" "$J/home/$U/up.txt"
assert_same_content "... download" "$src" "$T_ROOT/cwd/back.txt"
run_cmd t_scp seed "$U" "$src" @:scp.txt
assert_rc "scp upload (sftp protocol)" 0
assert_same_content "... content" "$src" "$J/home/$U/scp.txt"
run_cmd t_scp seed "$U" -O "$src" @:scp-O.txt
assert_rc "scp -O upload (scp -t through jk_lsh)" 0
assert_same_content "... content" "$src" "$J/home/$U/scp-O.txt"
run_cmd t_scp seed "$U" -O @:up.txt "$T_ROOT/cwd/scp-back.txt"
assert_rc "scp -O download" 0
assert_same_content "... content" "$src" "$T_ROOT/cwd/scp-back.txt"
run_cmd t_ssh seed "$U" -- 'cat /etc/shadow; id'
if ((R_RC != 0)) && [[ $R_OUT != *uid=* && $R_OUT != *root:* ]]; then ok "a shell command is refused"
else not_ok "a shell command is refused"; diag "rc $R_RC: $R_OUT"; fi
run_cmd t_ssh seed "$U" -tt
assert_ne "no interactive shell" 0 "$R_RC"

finish
