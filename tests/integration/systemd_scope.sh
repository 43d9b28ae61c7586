#!/usr/bin/env bash
# cgroup limits on a systemd host (issue 12): a jail's policy with [cgroup]
# limits and no delegate, on a host booted with systemd, has the entry ask
# systemd over the system bus for the slice's limits (SetUnitProperties) and
# a transient scope holding the login (StartTransientUnit), waiting for the
# scope's job, before it makes any namespace.
#
# This host runs no systemd. In a private mount namespace the test puts a
# tmpfs over /run/systemd holding system/ (what sd_booted(3) looks for) and
# binds the socket of a private dbus-daemon over /run/dbus/system_bus_socket,
# where tests/lib/mock_systemd.py owns org.freedesktop.systemd1. The mock
# records the calls and the caller's namespaces and answers as told; it
# moves no process and enforces no limit. Real enforcement by systemd is
# NOT exercised here, and the test says so.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHROOTSH
need_tool JK_EXEC
need_tool JK_INIT
need_tool JK_CHECK
need_cmd setpriv python3 dbus-daemon
# Debian's python3-dbus and python3-gi belong to Debian's python3, whatever
# else PATH finds first.
PY=/usr/bin/python3
"$PY" -c 'import dbus, dbus.service, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null ||
    fatal "the mock needs python3-dbus and python3-gi for $PY (.ci/deps.sh)"
setup_root
private_confdir
capture_syslog
twin_ref "$JK_CHROOTSH"
install_setuid JK_CHROOTSH

# ---------------------------------------------------------------- the systemd host
BUS=$T_ROOT/bus
install -d -m 0755 -o 0 -g 0 "$BUS"
cat >"$BUS/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$BUS/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$BUS/bus.conf" --nofork --nopidfile >"$BUS/daemon.log" 2>&1 &
on_exit kill $!
for _ in $(seq 100); do [[ -S $BUS/socket ]] && break; sleep 0.05; done
[[ -S $BUS/socket ]] || fatal "the private dbus-daemon did not start: $(cat "$BUS/daemon.log")"
RECORD=$BUS/calls.jsonl MODE=$BUS/mode
: >"$RECORD"
echo "done" >"$MODE"
"$PY" "$(dirname "$0")/../lib/mock_systemd.py" "unix:path=$BUS/socket" "$RECORD" "$MODE" "$BUS/ready" \
    >"$BUS/mock.log" 2>&1 &
on_exit kill $!
for _ in $(seq 200); do [[ -e $BUS/ready ]] && break; sleep 0.05; done
[[ -e $BUS/ready ]] || fatal "the mock systemd did not start: $(cat "$BUS/mock.log")"

# /run/systemd and /run/dbus of this namespace only: the host's stay as they are.
mount -t tmpfs -o mode=0755 jk-test-systemd /run/systemd || fatal "cannot mount a tmpfs on /run/systemd"
mkdir -m 0755 /run/systemd/system
mount -t tmpfs -o mode=0755 jk-test-dbus /run/dbus || fatal "cannot mount a tmpfs on /run/dbus"
bind_bus() { : >/run/dbus/system_bus_socket && mount --bind "$BUS/socket" /run/dbus/system_bus_socket; }
bind_bus || fatal "cannot bind the mock bus over /run/dbus/system_bus_socket"

# ---------------------------------------------------------------- the jail
J=$(make_jail sd)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
U=$(make_user)
usermod -d "$J/./home/$U" -s "$JK_CHROOTSH" "$U" || fatal "usermod $U"
install -d -m 0750 -o "$U" -g "$U" "$J/home/$U"
printf '%s:x:%s:%s::/home/%s:/bin/bash\n' "$U" "$(id -u "$U")" "$(id -g "$U")" "$U" >>"$J/etc/passwd"
printf '%s:x:%s:\n' "$U" "$(id -g "$U")" >>"$J/etc/group"

as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
login() { run_cmd as_user "$U" env -i "USER=$U" "$JK_CHROOTSH" "$@"; }

POLICY=$(jail_policy_file "$J")
policy() { printf '%s\n' "$@" >"$POLICY"; chown 0:0 "$POLICY"; chmod 0644 "$POLICY"; }
ESCAPED=$(basename "$POLICY" .ini)
SLICE=jk-$ESCAPED.slice

# calls N FIELD... : the Nth recorded call (1-based) as FIELD=value lines.
calls() { python3 - "$RECORD" "$@" <<'PY'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
if n == 0:
    print(len(rec)); sys.exit()
c = rec[n - 1]
for f in sys.argv[3:]:
    print("%s=%s" % (f, json.dumps(c.get(f), sort_keys=True)))
PY
}
ncalls() { calls 0; }

LIMITS=("[cgroup]" "memory.max = 256M" "pids.max = 64" "cpu.max = 50000 100000" "cpu.weight = 50" "io.weight = 200")

# ---------------------------------------------------------------- a login
policy "[isolation]" "isolate = recommended" "${LIMITS[@]}"
: >"$RECORD"
login -c 'echo RAN-INSIDE'
assert_rc "a login with limits and no delegate works on the systemd host" 0
assert_contains "the program ran" "RAN-INSIDE" "$R_OUT"
assert_eq "two calls: the slice's limits, then the scope" 2 "$(ncalls)"
got=$(calls 1 call name runtime properties)
assert_contains "first SetUnitProperties" 'call="SetUnitProperties"' "$got"
assert_contains "on the jail's slice" "name=\"${SLICE//\\/\\\\}\"" "$got"
assert_contains "at run time (systemd keeps it below /run)" 'runtime=true' "$got"
assert_contains "with every limit, as systemd names it" \
    'properties=[["MemoryMax", 268435456], ["TasksMax", 64], ["CPUQuotaPerSecUSec", 500000], ["CPUQuotaPeriodUSec", 100000], ["CPUWeight", 50], ["IOWeight", 200]]' \
    "$got"
got=$(calls 2 call name mode properties aux caller_pid caller_uid)
pid=$(sed -n 's/^caller_pid=//p' <<<"$got")
assert_contains "then StartTransientUnit" 'call="StartTransientUnit"' "$got"
assert_contains "of the scope <slice>-<pid>.scope of the calling process" \
    "name=\"${SLICE%.slice}-$pid.scope\"" "${got//\\\\/\\}"
assert_contains "in mode fail" 'mode="fail"' "$got"
assert_contains "in the slice, described, holding exactly the caller, unloaded even when failed" \
    "properties=[[\"Slice\", \"${SLICE//\\/\\\\}\"], [\"Description\", \"jailkit login into $J\"], [\"PIDs\", [$pid]], [\"CollectMode\", \"inactive-or-failed\"]]" \
    "$got"
assert_contains "no auxiliary units" 'aux=[]' "$got"
assert_contains "asked as root (the bus's SO_PEERCRED)" 'caller_uid=0' "$got"
got=$(calls 2 same_pid_ns same_mnt_ns same_net_ns same_uts_ns same_cgroup_ns)
assert_eq "the scope is asked for before any namespace is made (pid, mount, net, uts, cgroup)" \
    "same_pid_ns=true same_mnt_ns=true same_net_ns=true same_uts_ns=true same_cgroup_ns=true" "${got//$'\n'/ }"
syslog_has "the login's log line names the slice" "jk_chrootsh\[[0-9]+\]: .*slice=${SLICE//\\/\\\\}"
# A static jk_chrootsh cannot load libsystemd: it hands such a login to its
# dynamically linked twin (jk/handover.hpp), which makes the calls above.
if [[ -n $T_TWIN_REF ]]; then
    syslog_has "the login was handed to the dynamic twin (the scope needs libsystemd)" \
        "^<87>.*jk_chrootsh\[[0-9]+\]: handing the login to /.*/jk_chrootsh-dynamic: the jail's slice is placed by systemd"
else
    assert_eq "no twin in this build: jk_chrootsh placed the login itself, nothing handed over" "" \
        "$(grep -E "handing the login" "$T_SYSLOG")"
    diag "NOTE: this build has no dynamically linked twin: the handover for a systemd scope was not exercised."
fi

# ---------------------------------------------------------------- jk_exec, limits only
policy "${LIMITS[@]}"
: >"$RECORD"
run_cmd "$JK_EXEC" "$J" /bin/sh -c 'echo RAN-INSIDE'
assert_rc "jk_exec with limits works on the systemd host" 0
assert_eq "jk_exec makes the same two calls" 2 "$(ncalls)"
assert_contains "jk_exec: the scope in the jail's slice" \
    "[\"Slice\", \"${SLICE//\\/\\\\}\"]" "$(calls 2 properties)"

# ---------------------------------------------------------------- a slice of its own, manager = systemd
policy "[cgroup]" "pids.max = max" "slice = jk-test-own.slice" "manager = systemd"
: >"$RECORD"
login -c 'echo RAN-INSIDE'
assert_rc "manager = systemd and a named slice: the login works" 0
assert_contains "the named slice gets pids.max = max as TasksMax = infinity" \
    'properties=[["TasksMax", 18446744073709551615]]' "$(calls 1 properties)"
assert_match "the scope is named after the named slice" '^name="jk-test-own-[0-9]+\.scope"$' "$(calls 2 name)"

# ---------------------------------------------------------------- no limits, no call
policy "[isolation]" "isolate = recommended"
: >"$RECORD"
login -c 'echo RAN-INSIDE'
assert_rc "a policy without cgroup limits works" 0
assert_eq "... and asks systemd nothing" 0 "$(ncalls)"
rm -f "$POLICY"
login -c 'echo RAN-INSIDE'
assert_rc "a jail without a policy works" 0
assert_eq "... and asks systemd nothing" 0 "$(ncalls)"

# ---------------------------------------------------------------- refusals
policy "${LIMITS[@]}"
for mode in refuse failed refuse-slice; do
    echo "$mode" >"$MODE"
    : >"$RECORD"
    login -c 'echo RAN-INSIDE'
    assert_rc "systemd answering '$mode' refuses the login" 60
    assert_not_contains "... and nothing ran" "RAN-INSIDE" "$R_OUT"
done
syslog_has "an error reply is named in the refusal" "jk_chrootsh\[[0-9]+\]: .*systemd refused the scope .*Unit .* already exists"
syslog_has "a failed job is named in the refusal" "jk_chrootsh\[[0-9]+\]: .*systemd could not start the scope .*: failed"
syslog_has "a refused slice is named in the refusal" "jk_chrootsh\[[0-9]+\]: .*systemd refused the limits of .*refusing the slice"
echo refuse >"$MODE"
run_cmd "$JK_EXEC" "$J" /bin/sh -c 'echo RAN-INSIDE'
assert_rc "jk_exec: systemd's refusal refuses the command" 60
assert_not_contains "... and nothing ran" "RAN-INSIDE" "$R_OUT"
echo "done" >"$MODE"

# The bus socket must be root's, at the compiled-in path, reached without a symlink.
umount /run/dbus/system_bus_socket && rm -f /run/dbus/system_bus_socket
ln -s "$BUS/socket" /run/dbus/system_bus_socket
: >"$RECORD"
login -c 'echo RAN-INSIDE'
assert_rc "a symlink at /run/dbus/system_bus_socket refuses the login" 60
assert_eq "... without a call" 0 "$(ncalls)"
run_cmd "$JK_CHECK" -v "$J"
assert_contains "jk_check: the bus cannot be reached" "cannot be placed in a systemd scope: the system bus cannot be reached" "$R_OUT"
rm -f /run/dbus/system_bus_socket
bind_bus || fatal "cannot bind the mock bus again"
chown nobody "$BUS/socket"
login -c 'echo RAN-INSIDE'
assert_rc "a bus socket not owned by root refuses the login" 60
chown 0 "$BUS/socket"
: >"$RECORD"
run_cmd as_user "$U" env -i "DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T_ROOT/no-bus" "USER=$U" "$JK_CHROOTSH" -c 'echo RAN-INSIDE'
assert_rc "DBUS_SYSTEM_BUS_ADDRESS in the caller's environment is not used" 0
assert_eq "... the calls went to the bus at the compiled-in path" 2 "$(ncalls)"

# Not a systemd host: auto refuses with the delegate advice, manager = systemd says why.
rmdir /run/systemd/system
: >"$RECORD"
login -c 'echo RAN-INSIDE'
assert_rc "limits without a delegate on a host without systemd are refused" 60
syslog_has "... saying to set a delegate" "jk_chrootsh\[[0-9]+\]: .*names no delegated cgroup: .*set delegate = "
policy "[cgroup]" "pids.max = 64" "manager = systemd"
login -c 'echo RAN-INSIDE'
assert_rc "manager = systemd on a host without systemd is refused" 60
syslog_has "... saying the host was not booted with systemd" "jk_chrootsh\[[0-9]+\]: .*sets manager = systemd .*not booted with systemd"
assert_eq "... without a call" 0 "$(ncalls)"
mkdir -m 0755 /run/systemd/system

# ---------------------------------------------------------------- jk_check
policy "${LIMITS[@]}"
run_cmd "$JK_CHECK" -v "$J"
assert_contains "jk_check says where the logins go" \
    "each login is placed in a systemd transient scope in ${SLICE//\\/\\\\}, its limits set on the slice" "$R_OUT"
assert_not_contains "jk_check: a reachable systemd is no finding" "cannot isolate" "$R_OUT"

diag "NOTE: systemd itself was not exercised: a mock answered on a private bus; no scope was made, no process"
diag "NOTE: moved and no limit enforced by systemd here. Only the calls the entry makes were checked."
finish
