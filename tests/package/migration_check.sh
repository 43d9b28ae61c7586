#!/usr/bin/env bash
# Migration from Debian's jailkit 2.23, part 2 (after jailkit-ng is
# installed over it; run by .ci/package.sh after migration_setup.sh).
#
#   1. the administrator's /etc/jailkit files are byte-identical, the
#      host's jk_* are jailkit-ng's, the jail still holds jailkit's jk_lsh;
#   2. the same users log in unchanged: sftp put/get, scp, refused commands
#      for the sftp user, commands for the bash user, through our setuid
#      /usr/sbin/jk_chrootsh and jailkit 2.23's jk_lsh inside the jail;
#   3. the documented upgrade of a jail (README.Debian): `jk_update -j JAIL`
#      replaces the jail's jk_lsh (and its libraries) by ours and keeps the
#      jail's edited jk_lsh.ini; the logins work again, now with jailkit-ng
#      throughout; jk_check finds nothing to report on the jail.
# Removes the users, the jail and the jail's jk_socketd.ini section at exit.
#
#   JK_MIGRATION_STATE=/path/state.sh bash tests/package/migration_check.sh
#   ... --cleanup : only the removal (after a failed run)

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=../lib/sshd.sh
source "$here/../lib/sshd.sh"
# shellcheck source=migration_lib.sh
source "$here/migration_lib.sh"

skip_unless_root
need_cmd ssh sftp scp ssh-keygen ss cmp sha256sum dpkg-query
export LC_ALL=C
unset LANG LANGUAGE
mig_load_state
[[ ${1:-} == --cleanup ]] && exit 0

# ---------------------------------------------------------------- 1. what the upgrade kept

for t in jk_init jk_jailuser jk_chrootsh jk_lsh jk_update jk_check; do
    assert_eq "/usr/sbin/$t belongs to jailkit-ng" "jailkit-ng: /usr/sbin/$t" "$(dpkg-query -S "/usr/sbin/$t" 2>&1)"
done
check "/usr/sbin/jk_chrootsh is jailkit-ng's (--version)" \
    bash -c '/usr/sbin/jk_chrootsh --version 2>&1 | grep -q "^jk_chrootsh [0-9]"'
run_cmd bash -c "cd /etc/jailkit && sha256sum -c '$T_ROOT/etc-jailkit.sha256'"
assert_rc "the administrator's jk_chrootsh.ini, jk_lsh.ini, jk_socketd.ini are byte-identical" 0
run_cmd sha256sum -c "$T_ROOT/jail-files.sha256"
assert_rc "the jail still holds jailkit 2.23's jk_lsh and the edited jk_lsh.ini" 0
check "the jail's jk_lsh differs from the installed one (jailkit's, not ours)" \
    bash -c "! cmp -s /usr/sbin/jk_lsh '$J/usr/sbin/jk_lsh'"

# ---------------------------------------------------------------- 2. the same logins

sshd_start mig
mig_logins "jailkit-ng jk_chrootsh + jailkit 2.23 jk_lsh"

# ---------------------------------------------------------------- 3. the documented jail upgrade

run_cmd /usr/sbin/jk_update -j "$J"
assert_rc "jk_update -j JAIL (README.Debian: after installing jailkit-ng)" 0
diag "jk_update: $(head -c 1500 <<<"$R_OUT")"
assert_contains "jk_update reports replacing the jail's jk_lsh" "$J/usr/sbin/jk_lsh" "$R_OUT"
assert_same_content "the jail's jk_lsh is now jailkit-ng's" /usr/sbin/jk_lsh "$J/usr/sbin/jk_lsh"
assert_mode "... mode 755" "$J/usr/sbin/jk_lsh" 755
assert_owner "... owned by root" "$J/usr/sbin/jk_lsh" root:root
run_cmd chroot "$J" /usr/sbin/jk_lsh --version
assert_match "... and it runs inside the jail (its libraries are there)" "^jk_lsh [0-9]" "$R_OUT"
run_cmd bash -c "sha256sum -c '$T_ROOT/jail-files.sha256' | grep jk_lsh.ini"
assert_eq "the jail's edited jk_lsh.ini is untouched" "$J/etc/jailkit/jk_lsh.ini: OK" "$R_OUT"
run_cmd /usr/sbin/jk_update -j "$J"
assert_rc "a second jk_update -j JAIL" 0
assert_not_contains "... has nothing left to replace" "$J/usr/sbin/jk_lsh" "$R_OUT"

mig_logins "jailkit-ng throughout (after jk_update)"

# The jail's jk_lsh.ini differs from the host's on purpose: an administrator
# says so in jk_check.ini (jailkit's own example ignores JAIL/etc), since
# jk_check, unlike jailkit's, exits non-zero on findings (README.Debian).
printf '[%s]\nignorepathoncompare = %s/etc, %s/home\n' "$J" "$J" "$J" >"$T_ROOT/jk_check.ini"
run_cmd /usr/sbin/jk_check -c "$T_ROOT/jk_check.ini" "$J"
diag "jk_check JAIL: rc $R_RC: $(head -c 1500 <<<"$R_OUT$R_ERR")"
assert_rc "jk_check JAIL (JAIL/etc, JAIL/home not compared) finds nothing after the upgrade" 0

finish
