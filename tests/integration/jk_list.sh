#!/usr/bin/env bash
# jk_list (COMPAT.md 2.10, W17): real processes in real jails, started by
# chroot(8) and by a setuid jk_chrootsh login; the listing, -j/--jail,
# --summary, --json, -w, -v, and a run as an ordinary user for whom most of
# /proc/PID/root is unreadable (jailkit stopped at the first such entry).
source "$(dirname "$0")/../lib/common.sh"
skip_unless_root
need_tool JK_LIST
need_tool JK_CHROOTSH
need_tool JK_CHROOTLAUNCH
need_tool JK_INIT
need_cmd setpriv python3 pgrep
setup_root
install_setuid JK_CHROOTSH

A=$(make_jail a)
B=$(make_jail b)
for j in "$A" "$B"; do
    "$JK_INIT" -c "$JK_INIT_INI" -j "$j" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell in $j failed"
done

U=$(make_user)
X=$(make_user)
UID_U=$(id -u "$U") GID_U=$(id -g "$U") UID_X=$(id -u "$X") GID_X=$(id -g "$X")
# U logs in with jk_chrootsh: host home A/./home/U and a jail passwd entry.
usermod -d "$A/./home/$U" -s "$JK_CHROOTSH" "$U" || fatal "usermod $U"
install -d -m 0750 -o "$U" -g "$U" "$A/home/$U"
printf '%s:x:%s:%s::/home/%s:/bin/bash\n' "$U" "$UID_U" "$GID_U" "$U" >>"$A/etc/passwd"
printf '%s:x:%s:\n' "$U" "$GID_U" >>"$A/etc/group"

# Unique arguments find our processes among everyone else's.
M1="3000.$$1" M2="3000.$$2" M3="3000.$$3" M4="3000.$$4" M5="3000.$$5"
PIDS=()
stop_all() { local p; for p in $(pgrep -f "3000\.$$[0-9]"); do kill "$p"; done; }
on_exit stop_all

chroot --userspec="$UID_X:$GID_X" "$A" /bin/sh -c "exec sleep $M1" &
chroot --userspec="$UID_X:$GID_X" "$B" /bin/sh -c "exec sleep $M2" &
chroot --userspec="$UID_U:$GID_U" "$A" /bin/sh -c "exec sleep '$M3'" &
setpriv --reuid="$U" --regid="$GID_U" --init-groups env -i USER="$U" "$JK_CHROOTSH" -c "exec sleep $M4" </dev/null >/dev/null 2>&1 &
# A daemon started by jk_chrootlaunch (as X, in A).
"$JK_CHROOTLAUNCH" -j "$A" -u "$X" -x /usr/bin/dash -- -c "exec sleep $M5" </dev/null >/dev/null 2>&1 &

pid_of() {
    local p i
    for i in $(seq 100); do
        p=$(pgrep -fx "sleep $1") && [[ -n "$p" && "$(readlink "/proc/$p/root")" != / ]] && { echo "$p"; return; }
        sleep 0.05
    done
    fatal "no jailed process 'sleep $1'"
}
P1=$(pid_of "$M1") P2=$(pid_of "$M2") P3=$(pid_of "$M3") P4=$(pid_of "$M4") P5=$(pid_of "$M5")
SLEEP=$(readlink -f "$A/usr/bin/sleep")

# line_of OUTPUT PID : the table line of PID (leading blanks removed).
line_of() { sed -n "s/^ *$2 /$2 /p" <<<"$1"; }

# ---------------------------------------------------------------- the listing
run_cmd "$JK_LIST" -w
assert_rc "jk_list exits 0" 0
assert_match "the header" "^ *Pid +User +Jail +Command" "$(head -n1 <<<"$R_OUT")"
assert_match "chroot'ed process: pid, user, jail, exe and arguments" \
    "^$P1 +$X +$A +$A/usr/bin/sleep sleep $M1\$|^$P1 +$X +$A +$SLEEP sleep $M1\$" "$(line_of "$R_OUT" "$P1")"
assert_match "process in jail B" "^$P2 +$X +$B +.*sleep sleep $M2\$" "$(line_of "$R_OUT" "$P2")"
assert_match "the jk_chrootsh login's command, as U in jail A" "^$P4 +$U +$A +.*sleep sleep $M4\$" "$(line_of "$R_OUT" "$P4")"
assert_match "U's chroot'ed process" "^$P3 +$U +$A +" "$(line_of "$R_OUT" "$P3")"
assert_match "the jk_chrootlaunch daemon, as X in jail A" "^$P5 +$X +$A +.*sleep sleep $M5\$" "$(line_of "$R_OUT" "$P5")"
assert_eq "jk_list itself is not listed" "" "$(line_of "$R_OUT" "$$")"

# Sorted by jail, then pid: A's lines (ours) come before B's.
ours=$(grep -E "sleep sleep 3000\.$$[0-9]$" <<<"$R_OUT" | awk '{print $3" "$1}')
assert_eq "sorted by jail, then pid" "$(sort -k1,1 -k2,2n <<<"$ours")" "$ours"

# ---------------------------------------------------------------- -j / --jail
run_cmd "$JK_LIST" -w -j "$A"
assert_rc "-j exits 0" 0
assert_contains "-j A shows A's processes" "sleep $M1" "$R_OUT"
assert_not_contains "-j A hides B's" "sleep $M2" "$R_OUT"
run_cmd "$JK_LIST" -w "--jail=$B/"
assert_contains "--jail=B/ (trailing slash) shows B's process" "sleep $M2" "$R_OUT"
assert_not_contains "--jail=B hides A's" "sleep $M1" "$R_OUT"
ln -s "$B" "$T_ROOT/blink"
run_cmd "$JK_LIST" -w -j "$T_ROOT/blink"
assert_contains "-j through a symlink names the same jail" "sleep $M2" "$R_OUT"
run_cmd "$JK_LIST" -w -j "$A" -j "$B"
assert_contains "-j twice: both jails (A)" "sleep $M1" "$R_OUT"
assert_contains "-j twice: both jails (B)" "sleep $M2" "$R_OUT"
EMPTY=$(make_jail empty)
run_cmd "$JK_LIST" -j "$EMPTY"
assert_eq "a jail with nothing running" "0:No jailed processes found" "$R_RC:$R_OUT"
run_cmd "$JK_LIST" -j
assert_rc "-j without a jail is a usage error (jailkit ignored it)" 1
run_cmd "$JK_LIST" -j relative/jail
assert_rc "a relative jail is a usage error" 1
run_cmd "$JK_LIST" "$A"
assert_rc "operands are refused" 1
run_cmd "$JK_LIST" --bogus
assert_rc "unknown option: 1" 1
assert_contains "... with a hint" "Try 'jk_list --help'" "$R_ERR"

# ---------------------------------------------------------------- --summary, --json
run_cmd "$JK_LIST" --summary -j "$A" -j "$B"
assert_rc "--summary exits 0" 0
n_a=$(grep -c "^ *[0-9]* sleep\| $A/" <<<"$("$JK_LIST" -w -j "$A")")
assert_match "--summary: header" "^Processes Kind +Jail" "$(head -n1 <<<"$R_OUT")"
assert_match "--summary: A's count matches the listing" "^ +$n_a copy +$A\$" "$(grep " $A\$" <<<"$R_OUT")"
assert_match "--summary: B has one process" "^ +1 copy +$B\$" "$(grep " $B\$" <<<"$R_OUT")"
run_cmd "$JK_LIST" -s -j "$EMPTY"
assert_eq "--summary with nothing running" "No jailed processes found" "$R_OUT"

run_cmd "$JK_LIST" --json
assert_rc "--json exits 0" 0
got=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
want = {int(p) for p in sys.argv[1:]}
seen = {}
for p in d["processes"]:
    assert set(p) >= {"pid", "uid", "user", "jail", "exe", "args", "command"}, p
    if p["pid"] in want:
        seen[p["pid"]] = "%s:%s:%s:%s" % (p["user"], p["uid"], p["jail"], " ".join(p["args"]))
assert isinstance(d["unreadable"], int) and isinstance(d["vanished"], int)
assert all(set(j) == {"jail", "processes", "policy", "kind"} for j in d["jails"])
for pid in sorted(want):
    print(seen.get(pid, "missing"))
' "$P1" "$P2" 2>&1 <<<"$R_OUT")
assert_eq "--json parses and has every field" \
    "$(printf '%s\n%s' "$X:$UID_X:$A:sleep $M1" "$X:$UID_X:$B:sleep $M2")" "$got"

# ---------------------------------------------------------------- width
M5="3000.$$5" M6="3000.$$6"
zeros=$(printf ' 0%.0s' $(seq 150))
chroot --userspec="$UID_X:$GID_X" "$B" /bin/sh -c "exec sleep $M5$zeros" &
P5=$(pid_of "$M5$zeros")
run_cmd "$JK_LIST" -j "$B"
assert_match "without -w the long line is there, cut" "^$P5 +$X +$B " "$(line_of "$R_OUT" "$P5")"
maxlen=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' <<<"$R_OUT")
check "without -w a line is cut to 80 columns (not a terminal)" test "$maxlen" -le 80
run_cmd "$JK_LIST" -w -j "$B"
assert_contains "with -w nothing is cut" "sleep $M5$zeros" "$R_OUT"

# ---------------------------------------------------------------- control characters
chroot --userspec="$UID_X:$GID_X" "$B" /bin/bash -c "exec -a \$'sl\\033[2Jeep' sleep $M6" &
for _ in $(seq 100); do pgrep -f "eep $M6\$" >/dev/null && break; sleep 0.05; done
run_cmd "$JK_LIST" -w -j "$B"
assert_contains "argv[0] with an escape sequence is shown escaped" 'sl\x1b[2Jeep' "$R_OUT"
assert_not_contains "no raw escape byte reaches the terminal" $'\033' "$R_OUT"

# ---------------------------------------------------------------- as an ordinary user (W17)
run_cmd setpriv --reuid="$X" --regid="$GID_X" --init-groups "$JK_LIST" -w -v
assert_rc "as a user: exit 0 although most of /proc is unreadable" 0
assert_contains "as a user: X's own jailed process is listed" "sleep $M1" "$R_OUT"
assert_not_contains "as a user: U's process cannot be read, so is not listed" "sleep $M4" "$R_OUT"
assert_match "-v: says how many could not be read" "[1-9][0-9]* could not be read" "$R_ERR"
assert_contains "-v: names them" "could not be read:" "$R_ERR"
run_cmd setpriv --reuid="$X" --regid="$GID_X" --init-groups "$JK_LIST" -w
assert_eq "without -v nothing on stderr" "" "$R_ERR"

# /proc itself unreadable (a private mount of a root-only 0711 tmpfs over it): 2.
# The process's own /proc/self stays reachable through it (a bind mount of
# the real /proc/PID, PID being the shell that execs jk_list): it is not what
# jk_list reads, but ASan finds its stack through /proc/self/maps, and without
# it reports false stack overflows after any exception (google/sanitizers#189).
mkdir -p "$T_ROOT/realproc"
run_cmd unshare --mount --propagation private bash -c \
    "mount --bind /proc '$T_ROOT/realproc' && mount -t tmpfs -o mode=0711 none /proc &&
     ln -s \$\$ /proc/self && mkdir /proc/\$\$ && mount --bind '$T_ROOT/realproc/'\$\$ /proc/\$\$ &&
     exec setpriv --reuid='$X' --regid='$GID_X' --init-groups '$JK_LIST'"
assert_rc "/proc cannot be read: exit 2" 2
assert_contains "... saying why" "cannot open '/proc'" "$R_ERR"

run_cmd "$JK_LIST" --version
assert_match "--version" "^jk_list [0-9]" "$R_OUT"
run_cmd "$JK_LIST" --help
assert_contains "--help" "--jail=JAIL" "$R_OUT"

finish
