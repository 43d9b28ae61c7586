#!/usr/bin/env bash
# jk_exec (FreeBSD's jexec; issue 12 item 4): root runs a command inside a
# real jail built by jk_init, in the foreground, with the exit status passed
# through; as root by default (groups 0 alone), as a user of the jail's
# passwd (-u) or of the host's (-U); the command found inside the jail only;
# a clean environment; the jail's isolation policy applied exactly as for a
# login (hostname, its own /proc, the status through pid 1); and every
# refusal with its exit code (jk_exec(8)).
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_EXEC
need_tool JK_INIT
need_cmd setpriv python3
setup_root
private_confdir
capture_syslog

J=$(make_jail exec)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
# The host's /proc in the jail, as admins mount it for ps: a plain run sees
# every process through it; an isolated one gets its own over it.
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"
on_exit umount -l "$J/proc"

U=$(make_user)
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
EXTRA_GID=54321  # a group of the jail's only, listing the user
printf '%s:x:%s:%s::/home/%s:/bin/bash\n' "$U" "$UID_U" "$GID_U" "$U" >>"$J/etc/passwd"
printf '%s:x:%s:\njkxtra:x:%s:%s\n' "$U" "$GID_U" "$EXTRA_GID" "$U" >>"$J/etc/group"
install -d -m 0750 -o "$U" -g "$GID_U" "$J/home/$U"

jexec() { run_cmd "$JK_EXEC" "$@"; }

POLICY=$(jail_policy_file "$J")
policy() { printf '%s\n' "$@" >"$POLICY"; chown 0:0 "$POLICY"; chmod 0644 "$POLICY"; }

# ---------------------------------------------------------------- the status
jexec "$J" /bin/sh -c 'exit 7'
assert_rc "the command's exit status is jk_exec's" 7
jexec "$J" /bin/true
assert_rc "a command that succeeds exits 0" 0
jexec "$J" /bin/echo -u x --help -- -h
assert_rc "the command's options are its own" 0
assert_eq "... and reach it untouched" "-u x --help -- -h" "$R_OUT"
jexec -- "$J" /bin/echo ok
assert_eq "-- before the jail ends the options" "ok" "$R_OUT"
jexec "$J/" /bin/echo ok
assert_eq "one trailing / on the jail is fine" "ok" "$R_OUT"

# ---------------------------------------------------------------- as root
jexec "$J" id -u
assert_eq "without -u the command runs as root (a bare name found in the jail)" "0" "$R_OUT"
run_cmd setpriv --groups=4,27 "$JK_EXEC" "$J" /usr/bin/id -G
assert_eq "root's groups are 0 alone, none of the caller's 4,27" "0" "$R_OUT"
jexec "$J" /bin/pwd
assert_eq "without a /root in the jail, the working directory is /" "/" "$R_OUT"
install -d -m 0700 "$J/root"
jexec "$J" /bin/pwd
assert_eq "with one, it is /root" "/root" "$R_OUT"
run_cmd env -i LD_PRELOAD=/nonexistent/evil.so BASH_ENV=/x/rc PATH=/evil HOME=/nope TERM=xterm LANG=C.UTF-8 \
    "$JK_EXEC" "$J" /usr/bin/env
assert_rc "a caller with a poisoned environment still runs the command" 0
for v in LD_PRELOAD BASH_ENV; do
    assert_not_contains "$v passed in is not seen" "$v=" "$R_OUT"
done
assert_contains "PATH is the search path, not the caller's" "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" "$R_OUT"
assert_contains "HOME is root's" "HOME=/root" "$R_OUT"
assert_contains "TERM is kept" "TERM=xterm" "$R_OUT"
assert_contains "LANG is kept" "LANG=C.UTF-8" "$R_OUT"
run_cmd bash -c "exec 7</ 8>'$T_ROOT/host/fd8'; exec '$JK_EXEC' '$J' /bin/sh -c 'cd /proc/self/fd && echo *'"
assert_eq "inherited fds 7 and 8 (a directory, a host file) are closed (3 is the glob's own)" "0 1 2 3" "$R_OUT"
syslog_has "the run is logged (authpriv.info)" \
    "^<86>.*jk_exec\[[0-9]+\]: running id -u in jail $J as root \(0\) \(/usr/bin/id\)"

# ---------------------------------------------------------------- -u: the jail's user
jexec -u "$U" "$J" /bin/sh -c 'id -u; id -g; id -G; pwd; echo "$HOME $USER $LOGNAME $SHELL"'
assert_rc "-u USER runs the command" 0
assert_eq "as the jail's user, its group, its jail groups, in its home" \
    "$(printf '%s\n%s\n%s %s\n/home/%s\n/home/%s %s %s /bin/bash' "$UID_U" "$GID_U" "$GID_U" "$EXTRA_GID" "$U" "$U" "$U" "$U")" \
    "$R_OUT"
jexec -u "$UID_U" "$J" id -un
assert_eq "-u UID finds the same user" "$U" "$R_OUT"
jexec -u "$U" "$J" /bin/sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status'
assert_eq "no effective capability, empty bounding set, no_new_privs" \
    "$(printf 'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1')" "$R_OUT"
syslog_has "the run as the user is logged" "jk_exec\[[0-9]+\]: running id -un in jail $J as $U \($UID_U\)"
chmod 0755 "$J/home/$U"
mv "$J/home/$U" "$J/home/$U.away"
jexec -u "$U" "$J" /bin/pwd
assert_eq "a home that is not in the jail leaves the working directory at /" "/" "$R_OUT"
mv "$J/home/$U.away" "$J/home/$U"

# -U: the host's user and the host's groups (its home, /nonexistent, is not in the jail).
jexec -U "$U" "$J" /bin/sh -c 'id -u; id -G; pwd'
assert_eq "-U USER runs as the host's user with the host's groups" \
    "$(printf '%s\n%s\n/' "$UID_U" "$(id -G "$U")")" "$R_OUT"

# ---------------------------------------------------------------- isolation
jexec "$J" /bin/bash -c 'echo "host=$HOSTNAME"; cd /proc && echo "pids=$(echo [0-9]*)"'
assert_contains "without a policy the hostname is the host's" "host=$(hostname)" "$R_OUT"
assert_match "without a policy /proc shows the host's processes" 'pids=1 .*[0-9]{3,}' "$R_OUT"

policy "[isolation]" "isolate = recommended" "hostname = x1"
jexec "$J" /bin/bash -c 'echo "host=$HOSTNAME"; echo "uts=$(cat /proc/sys/kernel/hostname)"; cd /proc && echo "pids=$(echo [0-9]*)"'
assert_rc "an isolated run works" 0
assert_contains "the command sees the jail's hostname" "host=x1" "$R_OUT"
assert_contains "... in its uts namespace" "uts=x1" "$R_OUT"
assert_match "/proc shows only the command's own processes" '^pids=1 [0-9]( [0-9])*$' "$(grep '^pids=' <<<"$R_OUT")"
syslog_has "the policy is logged with the run" \
    "jk_exec\[[0-9]+\]: running /bin/bash -c .* in jail $J as root \(0\) \(isolated: pid,ipc,uts\(x1\),mount"
jexec "$J" /bin/sh -c 'exit 7'
assert_rc "the exit status passes through the jail's pid 1" 7
jexec "$J" /bin/sh -c 'kill -TERM $$'
assert_rc "a death by signal passes through as 128+N" 143
jexec -u "$U" "$J" /bin/sh -c 'id -u; cat /proc/sys/kernel/hostname'
assert_eq "an isolated run as the user" "$(printf '%s\nx1' "$UID_U")" "$R_OUT"

policy "[isolation]" "isolate = recommended" "hostnme = typo"
jexec "$J" /bin/echo in
assert_rc "a malformed policy refuses the run (60)" 60
assert_not_contains "nothing ran" "in" "$R_OUT"
policy "[isolation]" "isolate = recommended"
chmod 0666 "$POLICY"
jexec "$J" /bin/echo in
assert_rc "a policy file others may write refuses the run (60)" 60
rm -f "$POLICY"

# ---------------------------------------------------------------- refusals
install -d -m 0755 -o 0 -g 0 "$T_ROOT/bin"
install -m 0755 -o 0 -g 0 "$JK_EXEC" "$T_ROOT/bin/jk_exec"
run_cmd setpriv --reuid="$U" --regid="$GID_U" --init-groups "$T_ROOT/bin/jk_exec" "$J" /bin/true
assert_rc "a caller other than root is refused (2)" 2
assert_contains "... saying so" "must be run by root" "$R_ERR"
syslog_has "... and it is logged" "jk_exec\[[0-9]+\]: jk_exec must be run by root \(user ID $UID_U\)"

for bad in "$J/../exec" "$J/./" "${J%/*}//exec" "jails/exec" "$J//"; do
    jexec "$bad" /bin/true
    assert_rc "a jail written non-canonically is refused (3): $bad" 3
done
jexec "$T_ROOT/jails/none" /bin/true
assert_rc "a missing jail is refused (3)" 3
UNSAFE=$(make_jail unsafe)
chmod 0777 "$UNSAFE"
jexec "$UNSAFE" /bin/true
assert_rc "an unsafe jail is refused (4)" 4
ln -s "$J" "$T_ROOT/jails/link"
jexec "$T_ROOT/jails/link" /bin/true
assert_rc "a jail reached through a symbolic link is refused (4)" 4

HOSTONLY=$T_ROOT/host/hostonly
printf '#!/bin/sh\ntouch %s/host/ran\n' "$T_ROOT" >"$HOSTONLY"
chmod 0755 "$HOSTONLY"
jexec "$J" "$HOSTONLY"
assert_rc "a command that exists only on the host is not found in the jail (127)" 127
assert_missing "... and the host's file never ran" "$T_ROOT/host/ran"
[[ -x /usr/bin/python3 && ! -e "$J/usr/bin/python3" ]] || fatal "the host needs /usr/bin/python3, the jail none"
jexec "$J" python3 -c 'print(1)'
assert_rc "a bare name on the host's PATH but not in the jail is not found (127)" 127
jexec "$J" nosuchcommand
assert_rc "a name in none of the jail's directories (127)" 127
jexec "$J" bin/true
assert_rc "a relative path is refused (127)" 127
jexec "$J" /etc/passwd
assert_rc "a file that is not executable (126)" 126
jexec "$J" /usr/bin
assert_rc "a directory (126)" 126

# A program a jail user could have planted never runs as root.
install -m 0755 -o "$U" -g "$GID_U" /dev/null "$J/home/$U/prog"
printf '#!/bin/sh\necho "ran as $(id -u)"\n' >"$J/home/$U/prog"
jexec "$J" "/home/$U/prog"
assert_rc "a user's own program is refused to root (126)" 126
assert_contains "... saying why" "as root" "$R_ERR"
jexec -u "$U" "$J" "/home/$U/prog"
assert_eq "... and runs as that user" "ran as $UID_U" "$R_OUT"
install -d -m 0755 -o 0 -g 0 "$J/usr/local/bin"
install -m 0755 -o 0 -g 0 /dev/null "$J/usr/local/bin/jkgroupw"
chmod 0775 "$J/usr/local/bin/jkgroupw"
jexec "$J" jkgroupw
assert_rc "a root-owned program writable by its group is refused to root (126)" 126

jexec -u nosuchuserjk "$J" /bin/true
assert_rc "a user not in the jail's passwd (5)" 5
jexec -u 4242 "$J" /bin/true
assert_rc "a uid without an entry in the jail's passwd (5)" 5
jexec -U nosuchuserjk "$J" /bin/true
assert_rc "a user not in the host's database (5)" 5
chmod 0666 "$J/etc/passwd"
jexec -u "$U" "$J" /bin/true
assert_rc "a jail passwd others may write is not believed (4)" 4
chmod 0644 "$J/etc/passwd"

jexec "$J"
assert_rc "no command is a usage error (1)" 1
jexec -u "$U" -U "$U" "$J" /bin/true
assert_rc "-u with -U is a usage error (1)" 1
jexec --bogus "$J" /bin/true
assert_rc "an unknown option is a usage error (1)" 1

finish
