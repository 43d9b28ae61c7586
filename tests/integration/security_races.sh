#!/usr/bin/env bash
# Symlink races (issue 6, DESIGN.md security invariants 4-8): while a root
# tool works on a jail, a background racer swaps directories (and files)
# inside the jail with symlinks to host directories, as fast as it can,
# with renameat2(RENAME_EXCHANGE): at every instant the jail path is either
# the real entry or a symlink out of the jail, never missing. Thousands of
# tool runs in total, time-bound per phase:
#   A  jk_cp -f / -k and jk_init (uidbasics, basicshell) with JAIL/usr/bin,
#      JAIL/usr/lib/x86_64-linux-gnu and JAIL/etc racing;
#   B  jk_update (replacing outdated files, removing deprecated ones) with
#      the jail copy's directories racing;
#   C  jk_jailuser -m (jail passwd/group written, the home moved in) with
#      JAIL/etc, the jail side of the home (JAIL/HOSTHOME/..), JAIL/etc/passwd and JAIL/etc/group racing.
# The symlinks lead to host "victim" directories holding files with the
# names the tools write (known content, mode 0600/0700, owned by a test
# user): after every phase each victim file and directory, the test root's
# host area and the real /usr/bin and library directory must be untouched
# (content, inode, mode, owner, link count, mtime, ctime; directory
# listings). No tool run may crash or hang. A control proves the racer wins
# real races: a naive check-then-copy as root writes through the symlink.
# This script swaps and rewrites paths as root: without its helpers (run
# from another directory) it must not take a single step.
source "$(dirname "$0")/../lib/common.sh" || { echo "Bail out! cannot load tests/lib/common.sh"; exit 1; }
skip_unless_root
need_tool JK_CP
need_tool JK_INIT
need_tool JK_UPDATE
need_tool JK_JAILUSER
[[ -n ${JK_INIT_INI:-} && -f $JK_INIT_INI ]] || fatal "JK_INIT_INI is not set to the ini file (meson passes it)"
need_cmd python3 timeout usermod sha256sum
setup_root
cd "$T_ROOT/cwd" || fatal "cd"

PHASE_SECS=${JK_RACE_SECS:-30}    # per phase; the whole test stays under ~2 minutes
LIBDIR=usr/lib/x86_64-linux-gnu
[[ -d /$LIBDIR ]] || fatal "/$LIBDIR is needed"

# ---------------------------------------------------------------- the racer
# racer.py A1 B1 [A2 B2 ...]: exchanges each pair again and again until
# SIGTERM, then swaps back whatever is swapped and prints the number of
# successful exchanges (after a first line "ready": the handler is set). It never creates or removes anything itself.
cat >"$T_ROOT/racer.py" <<'PY'
import ctypes, random, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
pairs = [(a.encode(), b.encode()) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]
swapped = [False] * len(pairs)
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
def xchg(i):
    a, b = pairs[i]
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0:
        swapped[i] = not swapped[i]
        return 1
    return 0
# Two modes in turn (0.3 s, 0.6 s): "tight" toggles every pair as fast as
# it can (each path is a symlink half of the time); "sparse" keeps the real
# entries in place and swaps one pair out for a moment at random times, so
# a tool's up-front safety check passes and the swap lands mid-operation.
n, sparse, until = 0, False, 0.0
while not stop:
    now = time.monotonic()
    if now > until:
        sparse = not sparse
        until = now + (0.6 if sparse else 0.3)
    if sparse:
        i = random.randrange(len(pairs))
        n += xchg(i)
        if random.random() < 0.5:
            time.sleep(random.random() * 0.0002)
        n += xchg(i)
        time.sleep(random.random() * 0.001)
    else:
        for i in range(len(pairs)):
            n += xchg(i)
for i in range(len(pairs)):
    if swapped[i]:
        xchg(i)
print(n, flush=True)
PY
RACER_PID="" RACER_OUT=""
RACES=0
# race_start PAIR... : the racer runs in the background.
race_start() {
    RACER_OUT=$(mktemp -p "$T_ROOT" racer.XXXXXX)
    python3 "$T_ROOT/racer.py" "$@" >"$RACER_OUT" 2>&1 &
    RACER_PID=$!
    on_exit kill "$RACER_PID"
    local k
    for k in $(seq 400); do [[ -s $RACER_OUT ]] && return 0; sleep 0.01; done
    fatal "the racer did not start: $(cat "$RACER_OUT")"
}
race_stop() {
    local n
    kill -TERM "$RACER_PID" 2>/dev/null
    wait "$RACER_PID" 2>/dev/null
    n=$(sed 1d "$RACER_OUT"); rm -f "$RACER_OUT"
    [[ "$n" =~ ^[0-9]+$ ]] || fatal "the racer failed: $n"
    RACES=$((RACES + n))
    LAST_RACES=$n
}

# ---------------------------------------------------------------- victims
U=$(make_user)
# victim DIR FILE... : a host directory (0700, owned by U) with canary files
# (0600, owned by U) of the given names; every entry and the directory itself
# are recorded. Called in this shell, never in $(...): the records live in
# this shell's _CANARY array (tests/lib/common.sh).
victim() {
    local d=$1 f p; shift
    install -d -m 0700 -o "$U" -g "$U" "$T_ROOT/host/$d"
    for f in "$@"; do
        p="$T_ROOT/host/$d/$f"
        head -c 64 /dev/urandom | base64 >"$p"
        chown "$U:$U" "$p"; chmod 0600 "$p"
        touch -d '2001-02-03 04:05:06' "$p"
        _CANARY[$p]=$(_canary_state "$p")
    done
    touch -d '2001-02-03 04:05:06' "$T_ROOT/host/$d"
    _CANARY[$T_ROOT/host/$d]=$(_canary_state "$T_ROOT/host/$d")
}

J=$(make_jail race)
[[ -n $T_ROOT && $J == "$T_ROOT"/jails/race ]] || fatal "no jail under the test root"
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >"$T_ROOT/init.out" 2>&1 \
    || fatal "jk_init failed: $(cat "$T_ROOT/init.out")"
[[ -d $J/usr/bin && ! -L $J/usr/bin && -d $J/$LIBDIR && ! -L $J/$LIBDIR && -f $J/etc/passwd ]] \
    || fatal "unexpected jail layout after jk_init"

victim vbin true ls bash sh cat env id; VBIN=$T_ROOT/host/vbin
victim vlib libc.so.6 libtinfo.so.6 ld-linux-x86-64.so.2 libselinux.so.1 libpcre2-8.so.0; VLIB=$T_ROOT/host/vlib
victim vetc passwd group ld.so.cache bash.bashrc profile nsswitch.conf; VETC=$T_ROOT/host/vetc
victim vupd a b gone; VUPD=$T_ROOT/host/vupd
victim vhome "$U" file; VHOME=$T_ROOT/host/vhome
victim vpw passwd group; VPW=$T_ROOT/host/vpw
# The canary check itself must see a change: a recorded file is written and
# must differ from its record (then it is dropped).
victim selftest probe
echo changed >>"$T_ROOT/host/selftest/probe"
assert_ne "self-test: the canary records exist and see a write" \
    "$(_canary_state "$T_ROOT/host/selftest/probe")" "${_CANARY[$T_ROOT/host/selftest/probe]:-$(_canary_state "$T_ROOT/host/selftest/probe")}"
assert_eq "self-test: all 33 victim files and directories are recorded" 33 "${#_CANARY[@]}"
host_unwatch "$T_ROOT/host/selftest/probe" "$T_ROOT/host/selftest"
host_watch "$T_ROOT/host" /usr/bin "/$LIBDIR" /usr/bin/true /usr/bin/ls "$(realpath "/$LIBDIR/libc.so.6")"

# rel FROM TO : the relative path from directory FROM to TO ("../.." up
# through the jail's parents: a link following it escapes the jail).
rel() { realpath -s -m --relative-to="$1" "$2"; }
# Swap partners live at the jail's top level, outside the trees the tools
# walk; absolute and relative links (a relative one escapes through "..").
ln -s "$VBIN" "$J/.r-bin"
ln -s "$(rel "$J/usr/lib" "$VLIB")" "$J/.r-lib"   # "../../../../host/vlib", seen from JAIL/usr/lib
ln -s "$VETC" "$J/.r-etc"

# ---------------------------------------------------------------- control
# The same racer against a naive root "check, then copy": it must lose,
# i.e. the victim must be written within a few seconds. Proves the racer
# really opens the window the tools have to close.
JC=$(make_jail control)
[[ $JC == "$T_ROOT"/jails/control ]] || fatal "no control jail under the test root"
mkdir -p "$JC/usr/bin"
install -d -m 0700 "$T_ROOT/ctl" && echo original >"$T_ROOT/ctl/true"
ln -s "$T_ROOT/ctl" "$JC/.r-bin"
race_start "$JC/usr/bin" "$JC/.r-bin"
end=$((SECONDS + 10)) won=0
while ((SECONDS < end)); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [[ -L $JC/usr/bin ]] || cp /usr/bin/true "$JC/usr/bin/true" 2>/dev/null
    done
    cmp -s /usr/bin/true "$T_ROOT/ctl/true" && { won=1; break; }
done
race_stop
# Relative links climb through the jails' parent: nothing may appear there.
host_watch "$T_ROOT/jails"
assert_eq "control: the racer beats a naive check-then-copy as root (the window is real)" 1 "$won"
assert_ne "control: the racer swapped" 0 "$LAST_RACES"

# ---------------------------------------------------------------- helpers
declare -A RUNS=() FAILS=()
CRASHES=""
# tool NAME CMD... : one time-bound run; a signal or a timeout is recorded.
tool() {
    local name=$1 rc; shift
    timeout 60 "$@" >/dev/null 2>>"$T_ROOT/$name.err" </dev/null
    rc=$?
    RUNS[$name]=$(( ${RUNS[$name]:-0} + 1 ))
    ((rc != 0)) && FAILS[$name]=$(( ${FAILS[$name]:-0} + 1 ))
    ((rc >= 124)) && CRASHES+="$name exit $rc: $*"$'\n'
    return 0
}
collect() {  # NAME : adds a background loop's counts
    local name=$1 r f c
    read -r r f c <"$T_ROOT/$name.count" || fatal "no counts for $name"
    RUNS[$name]=$r FAILS[$name]=$f
    [[ -n "$c" ]] && CRASHES+="$c"$'\n'
}
report_phase() {  # PHASE MIN_RUNS NAME...
    local p=$1 min=$2 n; shift 2
    for n in "$@"; do
        diag "$p: $n ran ${RUNS[$n]:-0} times (${FAILS[$n]:-0} refused or failed); most frequent messages:"
        [[ -f $T_ROOT/$n.err ]] && diag "$(sed "s#$T_ROOT#T#g" "$T_ROOT/$n.err" | sort | uniq -c | sort -rn | head -4)"
        rm -f "$T_ROOT/$n.err"
        assert_ne "$p: $n really ran many times under the race" 0 "$(( ${RUNS[$n]:-0} >= min ))"
    done
    diag "$p: $LAST_RACES exchanges"
    assert_ne "$p: the racer exchanged many times" 0 "$(( LAST_RACES >= 1000 ))"
    assert_eq "$p: no tool run crashed or hung" "" "$CRASHES"
    canary_check "$p: nothing outside the jail was created, written, chmod'ed, chown'ed or unlinked"
}

# ---------------------------------------------------------------- phase A
# jk_cp and jk_init write JAIL/usr/bin, the library directory and JAIL/etc
# (passwd, group, ld.so.cache) while all three race.
race_start "$J/usr/bin" "$J/.r-bin" "$J/$LIBDIR" "$J/.r-lib" "$J/etc" "$J/.r-etc"
end=$((SECONDS + PHASE_SECS))
( i=0; while ((SECONDS < end)); do
      i=$((i + 1))
      if ((i % 4 == 0)); then tool jk_cp "$JK_CP" -k -f -j "$J" /usr/bin/true
      else tool jk_cp "$JK_CP" -f -j "$J" /usr/bin/true /usr/bin/id
      fi
  done
  printf '%s %s %s\n' "${RUNS[jk_cp]:-0}" "${FAILS[jk_cp]:-0}" "${CRASHES//$'\n'/ | }" >"$T_ROOT/jk_cp.count" ) &
cp_loop=$!
( i=0; while ((SECONDS < end)); do
      i=$((i + 1))
      if ((i % 10 == 0)); then tool jk_init "$JK_INIT" -f -c "$JK_INIT_INI" -j "$J" basicshell
      else tool jk_init "$JK_INIT" -f -c "$JK_INIT_INI" -j "$J" uidbasics
      fi
  done
  printf '%s %s %s\n' "${RUNS[jk_init]:-0}" "${FAILS[jk_init]:-0}" "${CRASHES//$'\n'/ | }" >"$T_ROOT/jk_init.count" ) &
init_loop=$!
wait "$cp_loop" "$init_loop"
race_stop
collect jk_cp; collect jk_init
report_phase "A (jk_cp, jk_init)" 50 jk_cp jk_init
assert_ne "A: jk_cp succeeded at least sometimes (it was not just refusing everything)" \
    0 "$(( ${RUNS[jk_cp]} > ${FAILS[jk_cp]:-0} ))"

# ---------------------------------------------------------------- phase B
# jk_update on a host tree mirrored in the jail: each round the host's "a"
# changes (jail copy outdated: replaced) and "gone" comes and goes (jail
# copy deprecated: removed; re-copied by jk_cp).
SRC=$T_ROOT/src/app
mkdir -p "$SRC/lib" "$SRC/bin"
echo a0 >"$SRC/lib/a"; echo b >"$SRC/lib/b"; echo gone >"$SRC/lib/gone"; echo b >"$SRC/bin/b"
"$JK_CP" -j "$J" "$SRC" >/dev/null 2>&1 || fatal "jk_cp $SRC failed"
[[ -f $J$SRC/lib/gone ]] || fatal "jk_cp did not copy $SRC"
ln -s "$VUPD" "$J/.r-upd"
ln -s "$(rel "$J$SRC" "$VUPD")" "$J/.r-upd2"   # seen from JAIL/$SRC
race_start "$J$SRC/lib" "$J/.r-upd" "$J$SRC/bin" "$J/.r-upd2"
end=$((SECONDS + PHASE_SECS))
i=0
while ((SECONDS < end)); do
    i=$((i + 1))
    echo "a$i $RANDOM" >"$SRC/lib/a"; echo "b$i" >"$SRC/bin/b"
    touch -d "@$((1600000000 + i))" "$SRC/lib/a" "$SRC/bin/b"
    if ((i % 2)); then
        rm -f "$SRC/lib/gone"
        tool jk_update "$JK_UPDATE" -j "$J" "$SRC"
    else
        echo gone >"$SRC/lib/gone"
        tool jk_update "$JK_UPDATE" -j "$J" "$SRC"
        tool jk_cp "$JK_CP" -f -j "$J" "$SRC/lib/gone"
    fi
done
race_stop
report_phase "B (jk_update)" 20 jk_update

# ---------------------------------------------------------------- phase C
# jk_jailuser -m: a user's host home is moved into JAIL/HOSTHOME and the jail's
# passwd and group get its lines, while JAIL/etc and the jail's directory
# of homes race (even
# rounds) or JAIL/etc/passwd and JAIL/etc/group themselves (odd rounds).
# The jail home mirrors the host home's path: JAIL/T_ROOT/homes/USER.
install -d -m 0755 "$T_ROOT/homes" "$J$T_ROOT/homes"
JH=$J$T_ROOT/homes
ln -s "$VHOME" "$J/.r-home"
ln -s "$VPW/passwd" "$J/etc/.r-passwd"
ln -s "$(rel "$J/etc" "$VPW/group")" "$J/etc/.r-group"   # seen from JAIL/etc
UJ=$(make_user)
cp "$J/etc/passwd" "$T_ROOT/jpasswd.good"; cp "$J/etc/group" "$T_ROOT/jgroup.good"
end=$((SECONDS + PHASE_SECS))
i=0 moved=0
while ((SECONDS < end)); do
    i=$((i + 1))
    # Reset (no racer running): the user's home back on the host, the
    # jail's passwd and group without it. The racer has swapped everything
    # back; if a tool replaced a swapped-in link the reset must still not
    # write through one.
    [[ -L $J/etc || -L $JH ]] && fatal "round $i: JAIL/etc or the jail's homes directory is a symlink after the racer stopped"
    rm -f "$J/etc/passwd" "$J/etc/group"
    rm -rf --one-file-system "$JH/$UJ" "$T_ROOT/homes/$UJ"
    install -d -m 0750 -o "$UJ" -g "$UJ" "$T_ROOT/homes/$UJ"
    echo "round $i" >"$T_ROOT/homes/$UJ/file"
    cp "$T_ROOT/jpasswd.good" "$J/etc/passwd"; cp "$T_ROOT/jgroup.good" "$J/etc/group"
    usermod -d "$T_ROOT/homes/$UJ" "$UJ" >/dev/null 2>&1 || _retry usermod -d "$T_ROOT/homes/$UJ" "$UJ" >/dev/null 2>&1
    if ((i % 2)); then race_start "$J/etc/passwd" "$J/etc/.r-passwd" "$J/etc/group" "$J/etc/.r-group"
    else race_start "$J/etc" "$J/.r-etc" "$JH" "$J/.r-home"
    fi
    tool jk_jailuser "$JK_JAILUSER" -m -n -s /bin/sh --chrootsh=/usr/sbin/nologin -j "$J" "$UJ"
    race_stop
    C_RACES=$(( ${C_RACES:-0} + LAST_RACES ))
    [[ -f $JH/$UJ/file ]] && moved=$((moved + 1))
done
LAST_RACES=$C_RACES
report_phase "C (jk_jailuser -m)" 5 jk_jailuser
diag "C: the home was moved into the jail in $moved of $i rounds"
assert_ne "C: jk_jailuser did move the home at least sometimes" 0 "$moved"

total=0
for n in "${!RUNS[@]}"; do total=$((total + RUNS[$n])); done
diag "total: $total tool runs, $RACES exchanges"
# About 1500 on an idle 2-CPU VM, about 460 in the ASan+UBSan build
# (.ci/sanitize.sh); the floor leaves room for that and a loaded machine,
# and each phase checks its own tool ran many times.
assert_ne "hundreds to thousands of tool runs in total" 0 "$(( total >= 300 ))"
finish
