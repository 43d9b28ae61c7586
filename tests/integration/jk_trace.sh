#!/usr/bin/env bash
# jk_trace (issue 14): a jail holding only a program that fails is traced
# until the program works; --host takes what the program opened on the host;
# --write-section gives jk_init a section that builds a working jail at once;
# --dry-run copies nothing; and the hostile cases: a traced program asking
# for /etc/shadow, /root, a home, or through a user's symlink gets none of
# it; a fork bomb and a program that never exits are bounded; uid 0 and an
# unsafe jail are refused (jk_trace(8)).
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_TRACE
need_tool JK_INIT
need_tool JK_CP
need_cmd python3 chroot cc script setpriv
setup_root
private_confdir
capture_syslog

U=$(make_user)
# The traced program and the checks below get the same environment: the
# program's needs depend on it (LC_ALL=C python wants its ascii codec).
trace() { run_cmd timeout 120 env -u LC_ALL LANG=C.UTF-8 "$JK_TRACE" -u "$U" "$@"; }
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
# Numeric: the jail has no passwd of its own.
CHROOT=$(command -v chroot)
in_jail() { run_cmd timeout 60 env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$CHROOT" --userspec="$UID_U:$GID_U" --groups="$GID_U" "$@"; }

script() {  # JAIL PATH TEXT: a root-owned script inside the jail
    install -d -m 0755 "$1$(dirname "$2")"
    printf '%s\n' "$3" >"$1$2"
    chmod 0755 "$1$2"
}

# ---------------------------------------------------------------- the loop
J=$(make_jail loop)
script "$J" /opt/jkt/run.sh '#!/usr/bin/env sh
exec cat /etc/debian_version'
in_jail "$J" /opt/jkt/run.sh
assert_ne "before the trace the script fails in the jail" 0 "$R_RC"
trace -j "$J" --rounds 8 -- /opt/jkt/run.sh
assert_rc "jk_trace converges" 0
assert_contains "the #! interpreter was wanted" "added /usr/bin/env (execve (#! of /opt/jkt/run.sh)" "$R_ERR"
assert_contains "the data file was wanted by cat" "added /etc/debian_version (openat by" "$R_ERR"
assert_contains "more than one round ran" "round 3:" "$R_ERR"
in_jail "$J" /opt/jkt/run.sh
assert_rc "after the trace the script runs in the jail" 0
assert_eq "... and reads its file" "$(cat /etc/debian_version)" "$R_OUT"
syslog_has "the run is logged" "jk_trace.*traced /opt/jkt/run.sh"

# ---------------------------------------------------------------- --dry-run
J=$(make_jail dry)
script "$J" /opt/jkt/run.sh '#!/usr/bin/env sh
exec cat /etc/debian_version'
before=$(jail_entries "$J")
trace -j "$J" --dry-run -- /opt/jkt/run.sh
assert_rc "a dry run that finds something exits 4" 4
assert_contains "it says what it would add" "would add /usr/bin/env" "$R_ERR"
assert_eq "a dry run copies nothing" "$before" "$(jail_entries "$J")"

# ---------------------------------------------------------------- --host and --write-section
J=$(make_jail py)
"$JK_CP" -j "$J" /usr/bin/python3 >/dev/null 2>&1 || fatal "jk_cp python3 failed"
in_jail "$J" /usr/bin/python3 -c 'import json; print(json.dumps([1, 2]))'
assert_ne "python3 with its ELF closure alone fails" 0 "$R_RC"
SEC="$T_ROOT/trace.ini"
printf '# kept\n[other]\ncomment = kept too\npaths = /etc/hostname\n' >"$SEC"
trace -j "$J" --host --write-section "jktpy:$SEC" -- /usr/bin/python3 -c 'import json; print(json.dumps([1, 2]))'
assert_rc "--host then the jail rounds converge" 0
assert_contains "the first round ran on the host" "round 1 (on the host)" "$R_ERR"
in_jail "$J" /usr/bin/python3 -c 'import json; print(json.dumps([1, 2]))'
assert_eq "python3 imports json in the traced jail" "[1, 2]" "$R_OUT"; [[ "$R_OUT" == "[1, 2]" ]] || diag "$R_ERR"
assert_contains "the section file keeps its other section" "[other]" "$(cat "$SEC")"
assert_contains "... and its comment" "# kept" "$(cat "$SEC")"
assert_contains "the section lists the program" "/usr/bin/python3" "$(sed -n '/^\[jktpy\]/,$p' "$SEC")"
J2=$(make_jail py2)
run_cmd "$JK_INIT" -c "$SEC" -j "$J2" jktpy
assert_rc "jk_init builds a jail from the written section" 0
in_jail "$J2" /usr/bin/python3 -c 'import json; print(json.dumps([1, 2]))'
assert_eq "python3 imports json in the jail jk_init built" "[1, 2]" "$R_OUT"
trace -j "$J" --write-section jktpy -- /usr/bin/python3 -c 'import json'
assert_rc "a second trace adds nothing" 0
assert_contains "without FILE the section goes to stdout" "[jktpy]" "$R_OUT"

# ---------------------------------------------------------------- sockets
trace -j "$J" --host -- /usr/bin/python3 -c 'import socket
try:
    socket.socket(socket.AF_UNIX).connect("/run/jkt-none.sock")
except OSError:
    pass'
assert_rc "a program connecting to a missing unix socket converges" 0
assert_contains "the socket is reported" "needs socket /run/jkt-none.sock (connect by /usr/bin/python3" "$R_ERR"
assert_missing "... and never created or copied" "$J/run/jkt-none.sock"

# ---------------------------------------------------------------- hostile
J=$(make_jail hostile)
install -d -m 1777 "$J/tmp"
install -d -m 0755 -o "$U" "$J/home/$U"
ln -s /etc/hostname "$J/home/$U/link"
ln -s /etc/hostname "$J/tmp/x" && chown -h "$U" "$J/tmp/x"
script "$J" /opt/jkt/evil.sh "#!/bin/sh
cat /etc/shadow /etc/gshadow /root/x /home/$U/link /tmp/x /etc/ssl/private/x /etc/ssh/ssh_host_rsa_key
ls /root /home/nobody-else
exit 0"
# Another jail under an allowed root: its files are its users', never copied.
# A tmpfs over /opt in this test's private mount namespace: nothing of the
# host's is written.
mount -t tmpfs -o mode=0755 jkt-opt /opt || fatal "cannot mount a tmpfs on /opt"
on_exit umount -l /opt
OJ=/opt/jkt-other
install -d -m 0755 "$OJ/etc/jailkit"
: >"$OJ/etc/jailkit/jk_manifest"
printf 'secret\n' >"$OJ/etc/secret" && chmod 0644 "$OJ/etc/secret"
sed -i "\$i cat $OJ/etc/secret" "$J/opt/jkt/evil.sh"
trace -j "$J" --rounds 8 -- /opt/jkt/evil.sh
assert_rc "the hostile script is traced to the end" 0
for p in /etc/shadow /etc/gshadow /root /etc/hostname /etc/ssl/private /etc/ssh /home/nobody-else; do
    assert_missing "$p is not copied" "$J$p"
done
assert_contains "/etc/shadow is refused" "refused /etc/shadow" "$R_ERR"
assert_missing "another jail's file is not copied" "$J$OJ/etc/secret"
assert_contains "... and says why" "is inside the jail $OJ" "$R_ERR"
assert_contains "the user's symlink in the home is not followed" "refused /home/$U/link" "$R_ERR"
assert_contains "the user's symlink in /tmp is not followed" "refused /tmp/x" "$R_ERR"

# ---------------------------------------------------------------- bounds
J=$(make_jail bounds)
"$JK_CP" -j "$J" /bin/sh /usr/bin/sleep >/dev/null 2>&1 || fatal "jk_cp sh sleep failed"
start=$SECONDS
trace -j "$J" --timeout 2 --rounds 6 -- /usr/bin/sleep 1000
assert_rc "a program that never exits ends its round at the timeout" 0
assert_contains "... and says so" "--timeout" "$R_ERR"
(( SECONDS - start < 30 )) && ok "... in time" || not_ok "... in time"
# dash gives a background job /dev/null as its input: the bomb needs one.
install -d -m 0755 "$J/dev" && mknod -m 0666 "$J/dev/null" c 1 3
script "$J" /opt/jkt/bomb.sh '#!/bin/sh
b() { b | b & }
b'
start=$SECONDS
trace -j "$J" --max-procs 30 --timeout 20 --rounds 1 -- /opt/jkt/bomb.sh
assert_contains "a fork bomb is stopped at --max-procs" "--max-procs" "$R_ERR"
(( SECONDS - start < 60 )) && ok "... in time" || not_ok "... in time"
# Killed tracees whose parents died too are reaped by init: zombies go soon.
for _ in $(seq 50); do run_cmd pgrep -u "$U" -r RSDT; [[ -z "$R_OUT" ]] && break; sleep 0.1; done
assert_eq "nothing of the user's is left running" "" "$R_OUT"

# ---------------------------------------------------------------- a daemon and its tests
J=$(make_jail daemon)
"$JK_CP" -j "$J" /bin/sh /usr/bin/sleep >/dev/null 2>&1 || fatal "jk_cp sh sleep failed"
script "$J" /opt/jkt/daemon.sh '#!/bin/sh
while :; do sleep 1; done'
start=$SECONDS
trace -j "$J" --wait 1 --rounds 4 --test "/usr/bin/cat /etc/debian_version" --test-outside 'echo "outside as $(id -u)" >&2' \
    -- /opt/jkt/daemon.sh
assert_rc "a daemon round ends after its tests and converges" 0
assert_contains "the test inside the jail was traced: its program was wanted" "added /usr/bin/cat" "$R_ERR"
assert_contains "... and what it opened" "added /etc/debian_version (openat by /usr/bin/cat)" "$R_ERR"
assert_contains "the test outside ran on the host as the user" "outside as $UID_U" "$R_ERR"
(( SECONDS - start < 60 )) && ok "the daemon is stopped at the end of each round" || not_ok "the daemon is stopped at the end of each round"
for _ in $(seq 50); do run_cmd pgrep -u "$U" -r RSDT; [[ -z "$R_OUT" ]] && break; sleep 0.1; done
assert_eq "nothing of the daemon is left running" "" "$R_OUT"

# ---------------------------------------------------------------- refusals
run_cmd "$JK_TRACE" -j "$J" -u root -- /usr/bin/sleep 1
assert_rc "uid 0 is refused" 6
run_cmd "$JK_TRACE" -j "$J" -u 0 -- /usr/bin/sleep 1
assert_rc "uid 0 by number is refused" 6
JU=$(make_jail unsafe)
chmod 0777 "$JU"
run_cmd "$JK_TRACE" -j "$JU" -u "$U" -- /usr/bin/sleep 1
assert_rc "an unsafe jail is refused" 3
run_cmd "$JK_TRACE" -j "$J" -u "$U"
assert_rc "no program is a usage error" 1
run_cmd setpriv --reuid=65534 --regid=65534 --clear-groups "$JK_TRACE" -j "$J" -- /usr/bin/sleep 1
assert_rc "not root: refused" 2

# ---------------------------------------------------------------- the terminal
# A traced program keeps the caller's terminal as its input, never as its
# controlling one: TIOCSTI (pushing input into root's shell) is refused.
J=$(make_jail terminal)
printf '%s\n' '#include <errno.h>' '#include <stdio.h>' '#include <string.h>' '#include <sys/ioctl.h>' \
    'int main(void) { char c = 0x0a; if (ioctl(0, TIOCSTI, &c) == 0) puts("sti:injected");' \
    '  else printf("sti:refused %s\\n", strerror(errno)); return 0; }' >"$T_ROOT/host/sti.c"
cc -o "$T_ROOT/host/sti" "$T_ROOT/host/sti.c" || fatal "cannot compile sti.c"
install -d -m 0755 "$J/usr/local/bin" && install -m 0755 "$T_ROOT/host/sti" "$J/usr/local/bin/sti"
"$JK_CP" -j "$J" "$T_ROOT/host/sti" >/dev/null 2>&1 || fatal "jk_cp sti failed"
SCRIPT=$(command -v script)
run_cmd timeout 60 "$SCRIPT" -qec "setpriv --reuid=$UID_U --regid=$GID_U --clear-groups $T_ROOT/host/sti" /dev/null
if [[ $R_OUT == *sti:injected* ]]; then
    ok "(control) this kernel lets a user push input into its controlling terminal"
else
    diag "this kernel refuses TIOCSTI to users anyway (dev.tty.legacy_tiocsti=0): the check below is weaker here"
fi
run_cmd timeout 120 "$SCRIPT" -qec "env -u LC_ALL LANG=C.UTF-8 $JK_TRACE -u $U -j $J -- /usr/local/bin/sti" /dev/null
assert_contains "a traced program cannot push input into the caller's terminal" "sti:refused" "$R_OUT"
run_cmd timeout 120 "$SCRIPT" -qec "env -u LC_ALL LANG=C.UTF-8 $JK_TRACE --host -u $U -j $J -- $T_ROOT/host/sti" /dev/null
assert_contains "... nor with --host, on the host" "sti:refused" "$R_OUT"

finish
