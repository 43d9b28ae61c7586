#!/usr/bin/env bash
# jk_lsh runs only what it checked, and nothing the user planted (issue 11):
#  1. git-family programs are confined by Landlock to executing git's own
#     files: a repository's core.alternateRefsCommand (git-receive-pack) and
#     tar.<format>.command (git-upload-archive), and git-shell's
#     ~/git-shell-commands, must not run the user's program; each next to a
#     control that runs the same repository without jk_lsh and DOES run it.
#     Push (unpack-objects and index-pack), clone and tar/tgz archives still
#     work under the confinement.
#  2. an allowed program the user could replace (owned by them, writable by
#     them, in a directory they own or may write, reached through a symlink
#     into such a directory) is refused with exit 4 and a syslog line.
#  3. LD_PRELOAD in jk_lsh's environment reaches neither jk_lsh nor the
#     program it runs (control: the same library loads into a dynamic
#     program run directly).
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_LSH
need_tool JK_INIT
need_tool JK_CP
need_cmd chroot git cc readelf
setup_root
CHROOT=$(command -v chroot)
capture_syslog

make_lsh_jail lshexec uidbasics basicshell git -- /usr/bin/git-shell /usr/bin/id

lsh_ini "[$U]" "paths = /usr/bin" \
    "executables = /usr/bin/id, /usr/bin/git-upload-pack, /usr/bin/git-receive-pack, /usr/bin/git-upload-archive, /usr/bin/git-shell, /home/$U/bin/mine, /opt/userdir/id, /opt/groupw/id, /usr/local/bin/link"
lsh() { run_cmd env -i "USER=$U" "$@" "$CHROOT" --userspec="$U:$G" "$J" /usr/sbin/jk_lsh -c "$CMD"; }

# A program planted by the user: it leaves a canary when it runs.
# tar.<fmt>.command is fed the archive on stdin and drains it; an
# alternateRefsCommand inherits git's stdin, the client's connection, and
# must not read it (the push would wait forever).
planted() {  # NAME CANARY [drain]
    if [ -n "${3:-}" ]; then
        printf '#!/bin/sh\ntouch %s\ncat >/dev/null 2>&1\n' "$2" >"$H/$1"
    else
        printf '#!/bin/sh\ntouch %s\n' "$2" >"$H/$1"
    fi
    chmod 0755 "$H/$1"; chown "$U:$G" "$H/$1"
}

# The ssh stand-in git runs ("ssh.variant=simple": HOST COMMAND): through
# jk_lsh, or (control) the same command straight in the jail without it.
WRAP=$T_ROOT/lsh_wrap
cat >"$WRAP" <<EOW
#!/bin/sh
exec env -i USER=$U $CHROOT --userspec=$U:$G $J /usr/sbin/jk_lsh -c "\$2"
EOW
DIRECT=$T_ROOT/direct_wrap
cat >"$DIRECT" <<EOW
#!/bin/sh
exec env -i USER=$U HOME=/home/$U PATH=/usr/bin:/bin $CHROOT --userspec=$U:$G $J /bin/sh -c "\$2"
EOW
chmod 0755 "$WRAP" "$DIRECT"
gitc() {  # WRAPPER ARGS... : the real git client over the stand-in
    local w=$1; shift
    run_cmd env GIT_SSH_COMMAND="$w" git -c ssh.variant=simple -c protocol.version=2 "$@"
}

# ---------------------------------------------------------------- 1. git
as_u() { setpriv --reuid="$U" --regid="$G" --clear-groups "$@"; }
as_u git init -q --bare --initial-branch=main "$H/other.git" || fatal "git init other"
as_u git init -q --bare --initial-branch=main "$H/victim.git" || fatal "git init victim"
echo "/home/$U/other.git/objects" >"$H/victim.git/objects/info/alternates"
chown "$U:$G" "$H/victim.git/objects/info/alternates"
planted evil_alt "/home/$U/CANARY_alt"
planted evil_tar "/home/$U/CANARY_tar" drain
as_u git --git-dir="$H/victim.git" config core.alternateRefsCommand "/home/$U/evil_alt" || fatal "git config"
as_u git --git-dir="$H/victim.git" config tar.evil.command "/home/$U/evil_tar"
as_u git --git-dir="$H/victim.git" config tar.evil.remote true

GW=$T_ROOT/gitwork
git init -q --initial-branch=main "$GW" || fatal "git init work"
for i in $(seq 1 150); do echo "$i $T_TAG" >"$GW/f$i"; done
git -C "$GW" add . && git -C "$GW" -c user.name=t -c user.email=t@invalid commit -q -m one || fatal "commit"

gitc "$WRAP" -C "$GW" push -q "x:/home/$U/victim.git" main
assert_rc "git push through jk_lsh works (index-pack) under the exec confinement" 0
assert_missing "core.alternateRefsCommand did not run through jk_lsh" "$H/CANARY_alt"
echo more >"$GW/more"; git -C "$GW" add more && git -C "$GW" -c user.name=t -c user.email=t@invalid commit -q -m two
gitc "$WRAP" -C "$GW" push -q "x:/home/$U/victim.git" main
assert_rc "a small push (unpack-objects) works too" 0
assert_eq "the pushed commit is there" "two" "$(git --git-dir="$H/victim.git" log -1 --format=%s main 2>/dev/null)"
assert_missing "core.alternateRefsCommand still did not run" "$H/CANARY_alt"
syslog_has "the push is logged" "jk_lsh.*executing command 'git-receive-pack '/home/$U/victim.git'' for user $U"

gitc "$WRAP" clone -q -b main "x:/home/$U/victim.git" "$T_ROOT/clone"
assert_rc "git clone through jk_lsh works" 0
assert_exists "the clone has the files" "$T_ROOT/clone/f150"

for fmt in tar tgz; do
    run_cmd sh -c "GIT_SSH_COMMAND='$WRAP' git -c ssh.variant=simple archive --remote='x:/home/$U/victim.git' --format=$fmt main >'$T_ROOT/a.$fmt'"
    assert_rc "git archive --remote --format=$fmt through jk_lsh works" 0
done
assert_eq "the tar archive holds the files" 151 "$(tar tf "$T_ROOT/a.tar" | wc -l)"
assert_eq "the tgz archive holds the files" 151 "$(tar tzf "$T_ROOT/a.tgz" | wc -l)"
run_cmd sh -c "GIT_SSH_COMMAND='$WRAP' git -c ssh.variant=simple archive --remote='x:/home/$U/victim.git' --format=evil main >/dev/null"
check "git archive --format=evil through jk_lsh fails" test "$R_RC" -ne 0
assert_missing "tar.evil.command did not run through jk_lsh" "$H/CANARY_tar"

# Controls: the same repository, the same jail, without jk_lsh: git runs
# both planted programs, so the checks above can fail.
echo ctl >"$GW/ctl"; git -C "$GW" add ctl && git -C "$GW" -c user.name=t -c user.email=t@invalid commit -q -m three
gitc "$DIRECT" -C "$GW" push -q "x:/home/$U/victim.git" main
assert_exists "control: without jk_lsh the push runs core.alternateRefsCommand" "$H/CANARY_alt"
run_cmd sh -c "GIT_SSH_COMMAND='$DIRECT' git -c ssh.variant=simple archive --remote='x:/home/$U/victim.git' --format=evil main >/dev/null"
assert_exists "control: without jk_lsh the archive runs tar.evil.command" "$H/CANARY_tar"

# git-shell runs ~/git-shell-commands/NAME for an unknown command.
install -d -m 0755 -o "$U" -g "$G" "$H/git-shell-commands"
printf '#!/bin/sh\ntouch /home/%s/CANARY_gs\n' "$U" >"$H/git-shell-commands/evil"
chmod 0755 "$H/git-shell-commands/evil"; chown "$U:$G" "$H/git-shell-commands/evil"
CMD="git-shell -c evil" lsh
check "git-shell -c evil through jk_lsh fails" test "$R_RC" -ne 0
assert_missing "git-shell did not run the user's ~/git-shell-commands program" "$H/CANARY_gs"
CMD="git-shell -c \"git-upload-pack '/home/$U/victim.git'\"" lsh
assert_contains "git-shell's own git-upload-pack runs under the confinement" "refs/heads/main" "$R_OUT"
run_cmd env -i "USER=$U" HOME="/home/$U" "$CHROOT" --userspec="$U:$G" "$J" /usr/bin/git-shell -c evil
assert_exists "control: git-shell without jk_lsh runs it" "$H/CANARY_gs"

# ---------------------------------------------------------------- 2. replaceable programs
install -d -m 0755 -o "$U" -g "$G" "$H/bin"
cp "$J/usr/bin/id" "$H/bin/mine"; chown "$U:$G" "$H/bin/mine"
CMD="/home/$U/bin/mine -un" lsh
assert_rc "a program the user owns: exit 4" 4
assert_contains "stderr says why" "'/home/$U' is a directory owned by the user" "$R_ERR"
syslog_has "the refusal is logged" "jk_lsh.*WARNING: user $U \($UID_U\) may not run '/home/$U/bin/mine'"

install -d -m 0755 -o "$U" -g "$G" "$J/opt/userdir"
install -m 0755 -o 0 -g 0 "$J/usr/bin/id" "$J/opt/userdir/id"
CMD="/opt/userdir/id -un" lsh
assert_rc "a root-owned program in a directory the user owns: exit 4" 4
assert_contains "stderr names the directory" "'/opt/userdir' is a directory owned by the user" "$R_ERR"

install -d -m 0775 -o 0 -g "$G" "$J/opt/groupw"
install -m 0755 -o 0 -g 0 "$J/usr/bin/id" "$J/opt/groupw/id"
CMD="/opt/groupw/id -un" lsh
assert_rc "a program in a directory the user's group may write: exit 4" 4
assert_contains "stderr says writable" "writable by the user" "$R_ERR"
chmod 0755 "$J/opt/groupw"; install -m 0775 -o 0 -g "$G" "$J/usr/bin/id" "$J/opt/groupw/id"
CMD="/opt/groupw/id -un" lsh
assert_rc "a program file the user's group may write: exit 4" 4

install -d -m 0755 "$J/usr/local/bin"
ln -sfn "/home/$U/bin/mine" "$J/usr/local/bin/link"
CMD="/usr/local/bin/link -un" lsh
assert_rc "a root symlink into the user's directory: exit 4" 4

CMD="id -un" lsh
assert_rc "control: a root-owned program in root-owned directories runs" 0
assert_eq "as the user" "$U" "$R_OUT"

# ---------------------------------------------------------------- 3. LD_PRELOAD
install -d -m 0777 "$J/canary"
cat >"$T_ROOT/pre.c" <<'EOC'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void) {
    char p[64];
    snprintf(p, sizeof p, "/canary/%d", (int)getpid());
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
}
EOC
cc -shared -fPIC -o "$J/lib/pre.so" "$T_ROOT/pre.c" || fatal "cannot build the preload library"
chmod 0755 "$J/lib/pre.so"
if readelf -lW "$JK_LSH" | grep 'Requesting program interpreter' >/dev/null; then
    # The ASan+UBSan build (.ci/sanitize.sh) links jk_lsh dynamically, as
    # sanitizers require: the loader, and so LD_PRELOAD, reaches jk_lsh
    # itself there. The plain build (the test suite stage) is static and
    # runs the two checks below.
    diag "jk_lsh is dynamically linked (sanitizer build): the LD_PRELOAD checks of jk_lsh itself are for the static build"
    [ -n "${JK_TEST_SANITIZED:-}" ] || not_ok "jk_lsh is dynamically linked outside the sanitizer build"
else
    CMD="id -un" lsh LD_PRELOAD=/lib/pre.so LD_AUDIT=/lib/pre.so LD_LIBRARY_PATH=/canary
    assert_rc "with LD_PRELOAD set, jk_lsh still runs the command" 0
    assert_eq "no process loaded the preload library through jk_lsh" "" "$(ls "$J/canary")"
fi
run_cmd env -i LD_PRELOAD=/lib/pre.so "$CHROOT" --userspec="$U:$G" "$J" /usr/bin/id -un
check "control: the library loads into id run directly" test -n "$(ls "$J/canary")"

finish
