#!/usr/bin/env bash
# jk_chrootlaunch (COMPAT.md 2.7; W8, W9, W11): root starts a "daemon" in a
# real jail built by jk_init. The daemon reports what it got: ids, groups
# (only the target user's, W8), capabilities, session (W9), environment
# (W11), fds; the pidfile names it and never follows a planted symlink;
# every exit code of jailkit's sequence.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHROOTLAUNCH
need_tool JK_INIT
need_cmd setpriv setsid python3
setup_root
capture_syslog

J=$(make_jail launch)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"
on_exit umount -l "$J/proc"
install -d -m 1777 "$J/out"
install -d -m 0755 "$T_ROOT/run"
BASH_IN=/usr/bin/bash
[[ -f "$J$BASH_IN" && ! -L "$J$BASH_IN" ]] || BASH_IN=/bin/bash
[[ -f "$J$BASH_IN" && ! -L "$J$BASH_IN" ]] || fatal "no regular bash in the jail"
CANARY=$(canary_new secret)
NOBODY_GROUPS=$(id -G nobody)
NOBODY_GID=$(id -g nobody)

# The daemon: writes what it is into /out, then exits (or sleeps: $1).
REPORT='echo $$ > /out/pid; id -u > /out/uid; id -g > /out/gid; id -G > /out/groups; env > /out/env
grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status > /out/caps
read -r -a f < /proc/self/stat; echo "${f[0]} ${f[5]}" > /out/sid
ls /proc/self/fd > /out/fds; pwd > /out/pwd'
clean_out() { rm -f "$J"/out/*; }
out() { cat "$J/out/$1" 2>/dev/null; }
launch() { run_cmd "$JK_CHROOTLAUNCH" "$@"; }

# ---------------------------------------------------------------- the launch
clean_out
run_cmd setpriv --groups=4,27 env -i LD_PRELOAD=/nonexistent/evil.so IFS=/ GCONV_PATH=/x BASH_ENV=/x/rc \
    TERM=xterm LANG=C.UTF-8 PATH=/evil /bin/bash -c "exec 7</ 8>$T_ROOT/host/fd8; exec '$JK_CHROOTLAUNCH' -j '$J' -u nobody -p '$T_ROOT/run/d.pid' -x '$BASH_IN' -- -c '$REPORT'"
assert_rc "a daemon is started as nobody from a root shell with groups 4,27" 0
assert_eq "it runs as nobody" "65534" "$(out uid)"
assert_eq "its gid is nobody's primary group (-g absent; jailkit kept 0)" "$NOBODY_GID" "$(out gid)"
assert_eq "its groups are exactly nobody's (id -G nobody), none of the caller's 4,27 (W8)" "$NOBODY_GROUPS" "$(out groups)"
assert_eq "no effective capability, empty bounding set, no_new_privs" \
    "$(printf 'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1')" "$(out caps)"
read -r dpid dsid <<<"$(out sid)"
assert_match "the daemon reported its pid" "^[0-9]+$" "${dpid:-}"
assert_eq "it leads a session of its own (sid == pid, W9)" "$dpid" "$dsid"
assert_eq "the pidfile holds the daemon's pid" "$(out pid)" "$(cat "$T_ROOT/run/d.pid" 2>/dev/null)"
assert_eq "... which is the pid /proc saw" "$dpid" "$(cat "$T_ROOT/run/d.pid" 2>/dev/null)"
assert_mode "the pidfile is 0644" "$T_ROOT/run/d.pid" 644
assert_owner "the pidfile is root's" "$T_ROOT/run/d.pid" root:root
assert_eq "its / is the jail, cwd /" "/" "$(out pwd)"
assert_eq "inherited fds (a directory fd, a host file) are closed" "$(printf '0\n1\n2\n3')" "$(out fds)"
env_out=$(out env)
for v in LD_PRELOAD GCONV_PATH IFS BASH_ENV; do
    assert_not_contains "$v passed in is not seen (W11)" "$v=" "$env_out"
done
assert_contains "PATH is the default, not the caller's" "PATH=/usr/local/bin:/usr/bin:/bin" "$env_out"
assert_contains "TERM is kept" "TERM=xterm" "$env_out"
assert_contains "LANG is kept" "LANG=C.UTF-8" "$env_out"
assert_contains "USER is the target user" "USER=nobody" "$env_out"
assert_contains "LOGNAME is the target user" "LOGNAME=nobody" "$env_out"
assert_contains "HOME is the target user's" "HOME=$(getent passwd nobody | cut -d: -f6)" "$env_out"
syslog_has "the start is logged (daemon.info)" "^<30>.*jk_chrootlaunch\[[0-9]+\]: starting $BASH_IN in jail $J as nobody \(65534\) group $NOBODY_GID"

# A process-group leader (job control) cannot setsid in place: it forks, and
# the pidfile must name the forked process that execs the daemon.
clean_out; rm -f "$T_ROOT/run/d.pid"
run_cmd bash -c "set -m; '$JK_CHROOTLAUNCH' -j '$J' -u nobody -p '$T_ROOT/run/d.pid' -x '$BASH_IN' -- -c '$REPORT; exit 7'; echo rc=\$?"
assert_eq "started as a process group leader: the exit status is passed on" "rc=7" "$R_OUT"
read -r dpid dsid <<<"$(out sid)"
assert_match "... the daemon reported its pid" "^[0-9]+$" "${dpid:-}"
assert_eq "... the daemon leads its own session" "$dpid" "$dsid"
assert_eq "... and the pidfile names it (the pid after the fork)" "$dpid" "$(cat "$T_ROOT/run/d.pid" 2>/dev/null)"

# Root runs it as a terminal's session leader (what `ssh -t root@host
# jk_chrootlaunch ...` does): the daemon must not keep that terminal, or it
# could push keystrokes into it with TIOCSTI.
clean_out; rm -f "$T_ROOT/run/d.pid"
run_cmd python3 -c 'import os, pty, sys
sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' \
    "$JK_CHROOTLAUNCH" -j "$J" -u nobody -p "$T_ROOT/run/d.pid" -x "$BASH_IN" -- \
    -c "$REPORT; read -r -a f < /proc/self/stat; echo \${f[6]} > /out/tty; exit 5" </dev/null
assert_eq "started as a terminal's session leader: the exit status is passed on" 5 "$R_RC"
assert_eq "... the daemon has no controlling terminal (tty_nr 0)" 0 "$(out tty)"
read -r dpid dsid <<<"$(out sid)"
assert_eq "... it leads a new session" "$dpid" "$dsid"
assert_eq "... and the pidfile names it" "$dpid" "$(cat "$T_ROOT/run/d.pid" 2>/dev/null)"

# A long-running daemon: the pidfile names a live process in the jail.
clean_out; rm -f "$T_ROOT/run/d.pid"
setsid "$JK_CHROOTLAUNCH" -j "$J" -u nobody -p "$T_ROOT/run/d.pid" -x "$BASH_IN" -- -c 'echo $$ > /out/pid; exec sleep 30' </dev/null >/dev/null 2>&1 &
for _ in $(seq 100); do [[ -s "$J/out/pid" && -s "$T_ROOT/run/d.pid" ]] && break; sleep 0.05; done
lpid=$(cat "$T_ROOT/run/d.pid" 2>/dev/null)
on_exit kill "${lpid:-0}"
assert_eq "a running daemon: the pidfile names it" "$(out pid)" "$lpid"
assert_eq "... and that process is rooted in the jail" "$J" "$(readlink "/proc/$lpid/root" 2>/dev/null)"
assert_eq "... and runs as nobody" "65534" "$(stat -c %u "/proc/$lpid" 2>/dev/null)"
kill "${lpid:-0}" 2>/dev/null

# ---------------------------------------------------------------- identities
clean_out
launch -j "$J" -u nobody -g 4 -x "$BASH_IN" -- -c "$REPORT"
assert_eq "-g GID sets the gid" "0:4" "$R_RC:$(out gid)"
assert_eq "... and the groups are nobody's for that gid (getgrouplist, as initgroups)" \
    "$(python3 -c 'import os; print(*sorted(set(os.getgrouplist("nobody", 4))))')" \
    "$(out groups | tr ' ' '\n' | sort -un | tr '\n' ' ' | sed 's/ $//')"
clean_out
launch -j "$J" -u 65534 -g nogroup -x "$BASH_IN" -- -c "$REPORT"
assert_eq "numeric -u and a group name" "0:65534:$NOBODY_GID" "$R_RC:$(out uid):$(out gid)"
clean_out
launch -j "$J" -u 4242420 -g 4242420 -x "$BASH_IN" -- -c "$REPORT"
assert_eq "a uid without a passwd entry with -g: that group alone" "0:4242420:4242420:4242420" \
    "$R_RC:$(out uid):$(out gid):$(out groups)"
launch -j "$J" -u 4242420 -x "$BASH_IN" -- -c true
assert_rc "a uid without a passwd entry and no -g: 1" 1
clean_out
run_cmd setpriv --groups=4,27 "$JK_CHROOTLAUNCH" -j "$J" -x "$BASH_IN" -- -c "$REPORT"
assert_eq "without -u it runs as root in the jail (as jailkit)" "0:0:0" "$R_RC:$(out uid):$(out gid)"
assert_eq "... with root's groups, not the caller's 4,27" "$(id -G root)" "$(out groups)"
assert_match "... and keeps root's capabilities (documented)" $'CapEff:\t0*[1-9a-f]' "$(out caps)"
syslog_has "running as root is warned about" "^<28>.*jk_chrootlaunch.*runs as root"

# ---------------------------------------------------------------- -x forms
for x in "$J$BASH_IN" "${BASH_IN#/}" "$BASH_IN" "$J/.$BASH_IN"; do
    launch -j "$J" -u nobody -x "$x" -- -c 'echo in'
    assert_eq "-x '$x' runs the jail's bash" "0:in" "$R_RC:$R_OUT"
done
launch -j "$J/" -u nobody -x "$J$BASH_IN" -- -c 'echo in'
assert_eq "-j with a trailing slash and -x with the jail prefix" "0:in" "$R_RC:$R_OUT"

# ---------------------------------------------------------------- pidfile safety
ln -s "$CANARY" "$T_ROOT/run/evil.pid"
clean_out
launch -j "$J" -u nobody -p "$T_ROOT/run/evil.pid" -x "$BASH_IN" -- -c "$REPORT"
assert_rc "a pidfile planted as a symlink to a host file: refused with 1" 1
assert_contains "... saying it is a symbolic link" "symbolic link" "$R_ERR"
assert_eq "... and the daemon was not started" "" "$(out uid)"
canary_check "... the host file behind the symlink is untouched"
assert_link "... the symlink itself is left alone" "$T_ROOT/run/evil.pid" "$CANARY"
install -d -m 1777 "$T_ROOT/run/tmp"
launch -j "$J" -u nobody -p "$T_ROOT/run/tmp/d.pid" -x "$BASH_IN" -- -c true
assert_rc "a pidfile in a directory writable by others: 1" 1
assert_missing "... nothing was written there" "$T_ROOT/run/tmp/d.pid"
mkfifo "$T_ROOT/run/fifo.pid"
launch -j "$J" -u nobody -p "$T_ROOT/run/fifo.pid" -x "$BASH_IN" -- -c true
assert_rc "a FIFO as pidfile: 1, without blocking" 1
echo 99999999 >"$T_ROOT/run/old.pid"; ln "$T_ROOT/run/old.pid" "$T_ROOT/run/hard.pid"
launch -j "$J" -u nobody -p "$T_ROOT/run/hard.pid" -x "$BASH_IN" -- -c true
assert_rc "a pidfile with a second hard link: 1" 1
rm -f "$T_ROOT/run/hard.pid"
launch -j "$J" -u nobody -p "$T_ROOT/run/old.pid" -x "$BASH_IN" -- -c 'echo $$'
assert_eq "a stale pidfile is overwritten whole" "$R_OUT" "$(cat "$T_ROOT/run/old.pid")"

# ---------------------------------------------------------------- exit codes
launch -u nobody -x "$BASH_IN"; assert_rc "no -j: 21" 21
launch -j "$J" -u nobody; assert_rc "no -x: 23" 23
launch -j "${J#/}" -u nobody -x "$BASH_IN"; assert_rc "a relative jail: 27" 27
launch -j "$T_ROOT/jails/missing" -u nobody -x "$BASH_IN"; assert_rc "a missing jail: 33" 33
chmod g+w "$J"; launch -j "$J" -u nobody -x "$BASH_IN" -- -c true; assert_rc "a group-writable jail: 25" 25; chmod g-w "$J"
chmod o+w "$T_ROOT/jails"; launch -j "$J" -u nobody -x "$BASH_IN" -- -c true; assert_rc "an other-writable parent of the jail: 25" 25; chmod o-w "$T_ROOT/jails"
chown nobody "$J/etc"; launch -j "$J" -u nobody -x "$BASH_IN" -- -c true; assert_rc "JAIL/etc owned by nobody: 25" 25; chown 0 "$J/etc"
ln -s "$T_ROOT/jails" "$T_ROOT/jlink"
launch -j "$T_ROOT/jlink/launch" -u nobody -x "$BASH_IN" -- -c true; assert_rc "a jail path through a symlink: 25" 25
syslog_has "unsafe jails are logged (daemon.err)" "^<27>.*jk_chrootlaunch.*is not a safe jail"

launch -j "$J" -u nobody -x /usr/bin/nosuchprogram; assert_rc "a missing executable: 29" 29
ln -s bash "$J/usr/bin/linked"
launch -j "$J" -u nobody -x /usr/bin/linked -- -c true; assert_rc "an executable that is a symlink: 29" 29
ln -s "$CANARY" "$J/usr/bin/hostlink"
launch -j "$J" -u nobody -x /usr/bin/hostlink; assert_rc "an executable symlinked to a host file: 29" 29
ln -s /usr/bin/id "$J/usr/bin/hostid"
launch -j "$J" -u nobody -x /usr/bin/hostid; assert_rc "an executable symlinked to a host path: 29, never run" 29
cp "$J$BASH_IN" "$J/usr/bin/suid"; chmod 4755 "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c true; assert_rc "a setuid executable: 29" 29
chmod 2755 "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c true; assert_rc "a setgid executable: 29" 29
chmod 0775 "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c true; assert_rc "a group-writable executable: 29" 29
chmod 0755 "$J/usr/bin/suid"; chown nobody "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c true; assert_rc "an executable owned by nobody: 29" 29
chown root:nogroup "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c true; assert_rc "an executable not of group root: 29" 29
chown root:root "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid -- -c 'echo ok'; assert_eq "(control) the same file root:root 0755 runs" "0:ok" "$R_RC:$R_OUT"
launch -j "$J" -u nobody -x /usr/bin; assert_rc "a directory as executable: 29" 29
launch -j "$J" -u nobody -x "$J"; assert_rc "the jail itself as executable: 29" 29
chmod 0644 "$J/usr/bin/suid"
launch -j "$J" -u nobody -x /usr/bin/suid; assert_rc "an executable without x bits: exec fails, 31" 31
install -d -m 0700 "$J/secret"; cp "$J$BASH_IN" "$J/secret/prog"
launch -j "$J" -u nobody -x /secret/prog -- -c true; assert_rc "an executable in a directory nobody cannot search: 31" 31
launch -j "$J" -x /secret/prog -- -c 'echo root'; assert_eq "(control) root can run it" "0:root" "$R_RC:$R_OUT"
rm -rf "$J/secret"
rm -f "$J/usr/bin/suid" "$J/usr/bin/linked" "$J/usr/bin/hostlink" "$J/usr/bin/hostid"
printf '#!%s\necho script "$@"\n' "$BASH_IN" >"$J/usr/bin/script"; chmod 0755 "$J/usr/bin/script"
launch -j "$J" -u nobody -x /usr/bin/script -- a b
assert_eq "a #! script in the jail runs" "0:script a b" "$R_RC:$R_OUT"
rm -f "$J/usr/bin/script"

launch -j "$J" -u nosuchuser-jk -x "$BASH_IN"; assert_rc "an unknown user: 1" 1
launch -j "$J" -u -5 -x "$BASH_IN"; assert_rc "a negative uid: 1" 1
launch -j "$J" -u nobody -g nosuchgroup-jk -x "$BASH_IN"; assert_rc "an unknown group: 1" 1
launch -j "$J" -u nobody -g -7 -x "$BASH_IN"; assert_rc "a negative gid: 1" 1
launch -j "$J" -u nobody --bogus -x "$BASH_IN"; assert_rc "an unknown option: 1" 1
run_cmd setpriv --reuid=nobody --regid=nogroup --clear-groups "$JK_CHROOTLAUNCH" -j "$J" -u nobody -x "$BASH_IN" -- -c true
assert_rc "run by a user other than root: 1" 1
assert_contains "... saying it must be run by root" "must be run by root" "$R_ERR"
launch --help; assert_eq "--help prints the usage, exit 0" "0:Usage: jk_chrootlaunch" "$R_RC:${R_OUT%% -j*}"
launch --version; assert_match "--version answers 'jk_chrootlaunch VERSION'" "^jk_chrootlaunch [0-9]" "$R_OUT"

canary_check "nothing outside the jail was changed"
finish
