#!/usr/bin/env bash
# The setuid tools (jk_chrootsh, jk_uchroot, jk_procmailwrapper) against a
# hostile invoking user (issue 6; DESIGN.md invariants 1-3):
#   1. resource limits set by the caller before exec (RLIMIT_NOFILE 3..8,
#      RLIMIT_FSIZE 0/1, RLIMIT_NPROC 0/1, RLIMIT_AS small, RLIMIT_STACK
#      small): each run either works - and then the program inside runs as
#      the user, every id the user's, no capability, no_new_privs - or is
#      refused with an exit status below 128; never a crash signal (SIGXFSZ
#      included: the tools write no file), never a hang, never mail
#      delivered on the host;
#   2. SIGSTOP/SIGCONT, SIGTERM and SIGKILL sent by the user at random
#      moments of hundreds of logins: only the signals sent end a run,
#      and afterwards no process of the test is left (none as root);
#   3. ptrace and core dumps: under strace the kernel ignores the setuid
#      bit and the tools refuse (11) without running anything; a tool
#      caught after its privilege drop (the ensure_own_session() parent
#      waiting for the shell) is not dumpable: /proc/PID belongs to root,
#      PTRACE_ATTACH fails with EPERM, /proc/PID/environ is unreadable and
#      SIGSEGV/SIGABRT/SIGQUIT leave no core dump. A copy of sleep run by
#      the same user the same way is the control: attachable, /proc/PID the
#      user's, core dumped - so the checks do fail for a dumpable process.
# This script swaps and rewrites paths as root: without its helpers (run
# from another directory) it must not take a single step.
source "$(dirname "$0")/../lib/common.sh" || { echo "Bail out! cannot load tests/lib/common.sh"; exit 1; }
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHROOTSH
need_tool JK_UCHROOT
need_tool JK_PROCMAILWRAPPER
need_tool JK_INIT
need_tool JK_CP
need_cmd setpriv python3 strace procmail timeout
setup_root
private_confdir
capture_syslog
install_setuid JK_CHROOTSH
install_setuid JK_UCHROOT
install_setuid JK_PROCMAILWRAPPER

J=$(make_jail lim)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"
"$JK_CP" -j "$J" /usr/bin/procmail /usr/bin/sleep >/dev/null 2>&1 || fatal "jk_cp procmail failed"
install -d -m 0755 "$J/proc"
mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"
on_exit umount -l "$J/proc"

U=$(make_user)
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
usermod -d "$J/./home/$U" -s "$JK_CHROOTSH" "$U" || fatal "usermod $U"
install -d -m 0750 -o "$U" -g "$U" "$J/home/$U"
printf '%s:x:%s:%s::/home/%s:/bin/bash\n' "$U" "$UID_U" "$GID_U" "$U" >>"$J/etc/passwd"
printf '%s:x:%s:\n' "$U" "$GID_U" >>"$J/etc/group"
printf '[%s]\nallowed_jails = %s\n' "$U" "$J" >"$T_CONF/jk_uchroot.ini"
chmod 0644 "$T_CONF/jk_uchroot.ini"
printf 'DEFAULT=$HOME/Mailbox\n' | install -m 0644 -o "$U" -g "$U" /dev/stdin "$J/home/$U/.procmailrc"
# A directory the user may write (the control's cores land there).
install -d -m 0700 -o "$U" -g "$U" "$T_ROOT/work"
# In this shell, not in $(...): the record must stay in this shell's _CANARY.
canary_new secret >/dev/null; CANARY=$T_ROOT/host/secret
[[ -n ${_CANARY[$CANARY]:-} ]] || fatal "the canary $CANARY was not recorded"

as_user() { setpriv --reuid="$U" --regid="$GID_U" --init-groups "$@"; }

# The probe the program inside the jail runs: bash builtins only (external
# programs cannot even load under RLIMIT_NOFILE=3), /proc/self/status read
# through fd 0 (closed first, so no new fd number is needed).
PROBE='echo "R uid=$UID euid=$EUID"; exec 0<&-; exec 0</proc/self/status || exit 0
while read -r k v; do case $k in Uid:|Gid:|CapPrm:|CapEff:|CapBnd:|CapAmb:|NoNewPrivs:) echo "$k $v";; esac; done'
# expected status lines (tabs squeezed to spaces by read)
want_ids() {
    printf 'Uid: %s %s %s %s\nGid: %s %s %s %s\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nCapAmb: 0000000000000000\nNoNewPrivs: 1' \
        "$UID_U" "$UID_U" "$UID_U" "$UID_U" "$GID_U" "$GID_U" "$GID_U" "$GID_U"
}
WANT=$(printf 'R uid=%s euid=%s\n%s' "$UID_U" "$UID_U" "$(want_ids)")
# squeeze: the status file separates values with tabs
squeeze() { tr '\t' ' ' | tr -s ' '; }

# ---------------------------------------------------------------- controls
run_cmd as_user env -i USER="$U" "$JK_CHROOTSH" -c "$PROBE"
assert_eq "control: jk_chrootsh logs in and the probe sees the dropped ids" "0:$WANT" "$R_RC:$(squeeze <<<"$R_OUT")"
run_cmd as_user env -i USER="$U" "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c "$PROBE"
assert_eq "control: jk_uchroot runs the probe with the dropped ids" "0:$WANT" "$R_RC:$(squeeze <<<"$R_OUT")"

# ---------------------------------------------------------------- 1. limits
# piped CMD... : CMD with stdout and stderr on a pipe, never on a regular
# file: RLIMIT_FSIZE must only meet files the tools themselves write (the
# probe's output to a file would die of SIGXFSZ itself); pipefail keeps
# CMD's status.
piped() { "$@" 2>&1 | cat; }
# limited TOOL LIMIT... : one run as the user with the limits set by bash
# (`ulimit -S -H`, as the caller may) right before exec; records R_*.
limited() {
    local tool=$1; shift
    local lim="ulimit -S -H $*"
    case $tool in
        chrootsh) run_cmd piped timeout 30 setpriv --reuid="$U" --regid="$GID_U" --init-groups \
            env -i USER="$U" bash -c "$lim || exit 99; exec \"\$0\" -c \"\$1\"" "$JK_CHROOTSH" "$PROBE" ;;
        uchroot) run_cmd piped timeout 30 setpriv --reuid="$U" --regid="$GID_U" --init-groups \
            env -i USER="$U" bash -c "$lim || exit 99; exec \"\$0\" -j \"\$1\" -x /bin/bash -- -c \"\$2\"" "$JK_UCHROOT" "$J" "$PROBE" ;;
        procmail)
            local o e tag="mail-$RANDOM-$RANDOM"
            o=$(mktemp -p "$T_ROOT" out.XXXXXX) e=$(mktemp -p "$T_ROOT" err.XXXXXX)
            printf 'From: a@b\nTo: %s\nSubject: %s\n\nbody %s\n' "$U" "$tag" "$tag" \
                | timeout 30 setpriv --reuid="$U" --regid="$GID_U" --init-groups \
                    env -i USER="$U" bash -c "$lim || exit 99; exec \"\$0\"" "$JK_PROCMAILWRAPPER" 2>&1 | cat >"$o"
            R_RC=$? R_OUT=$(<"$o") R_ERR=$(<"$e"); rm -f "$o" "$e"
            R_TAG=$tag ;;
    esac
}

LIMITS=("-n 3" "-n 4" "-n 5" "-n 6" "-n 8" "-f 0" "-f 1" "-u 0" "-u 1"
        "-v 8192" "-v 16384" "-v 32768" "-v 65536" "-s 16" "-s 32" "-s 64" "-s 256" "-n 4 -f 0 -u 1")
declare -A OUTCOME=()
for tool in chrootsh uchroot procmail; do
    for l in "${LIMITS[@]}"; do
        limited "$tool" "$l"
        d="$tool with ulimit $l"
        if ((R_RC == 99)); then fatal "bash could not set ulimit $l"; fi
        # 124: timeout; >= 128: a signal. (127 is the loader's refusal when
        # RLIMIT_NOFILE leaves it no fd for a library: nothing ran.)
        if ((R_RC == 124 || R_RC >= 128)); then
            not_ok "$d: no crash signal, no hang (exit $R_RC)"; diag "output: $R_OUT"
            continue
        fi
        OUTCOME[$tool]+="${l// /}=$R_RC "
        if [[ $tool == procmail ]]; then
            if ((R_RC == 0)); then
                assert_contains "$d: exit 0 and the mail is in the jailed mailbox" "body $R_TAG" \
                    "$(cat "$J/home/$U/Mailbox" 2>/dev/null)"
            else
                ok "$d: refused with exit $R_RC (no signal)"
            fi
            assert_missing "$d: nothing delivered on the host (/var/mail/U)" "/var/mail/$U"
        else
            if ((R_RC == 0)); then
                assert_eq "$d: exit 0, and the program inside runs as the user with nothing left" \
                    "$WANT" "$(squeeze <<<"$R_OUT")"
            else
                assert_not_contains "$d: refused with exit $R_RC (no signal) and nothing privileged ran" \
                    "euid=0" "$R_OUT"
            fi
        fi
    done
done
for tool in chrootsh uchroot procmail; do diag "exit statuses, $tool: ${OUTCOME[$tool]:-}"; done
# The smallest stack, many times over: the kernel's random stack offset
# (up to 8 KiB) decides how much of 16 KiB is left, so one run proves
# little. An exception unwound on the normal path (an ENOENT taken for
# "no such ini") crashed about one run in twenty here.
for tool in chrootsh uchroot procmail; do
    crashes=0 runs=25
    for ((i = 0; i < runs; i++)); do
        limited "$tool" "-s 16"
        ((R_RC == 124 || R_RC >= 128)) && crashes=$((crashes + 1))
    done
    assert_eq "$tool with ulimit -s 16, $runs runs: none crashed or hung" 0 "$crashes"
done

assert_eq "no file in the jailed home belongs to root" "" "$(find "$J/home/$U" -user 0 2>/dev/null)"

# ---------------------------------------------------------------- probe.py
# Run as the user: the ptrace/core checks and the signal storm.
cat >"$T_ROOT/probe.py" <<'PY'
import ctypes, errno, os, random, resource, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long

def spawn(argv, leader):
    pid = os.fork()
    if pid == 0:
        try:
            if leader:
                os.setpgid(0, 0)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid

def status(pid):
    f = {}
    try:
        with open(f"/proc/{pid}/status") as s:
            for line in s:
                k, _, v = line.partition(":")
                f[k] = v.split()
    except OSError:
        pass
    return f

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as c:
            return [int(x) for x in c.read().split()]
    except OSError:
        return []

def dumpcheck(argv, sig, comm):
    """Start argv as a process-group leader; once it runs as the user with
    comm COMM (for the tools: dropped, waiting for the shell it forked),
    report /proc ownership, PTRACE_ATTACH, environ readability, then kill
    it with SIG and report whether a core was dumped."""
    me = os.getuid()
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    pid = spawn(argv, True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = status(pid)
        # For a tool: once its child is the jailed sleep. Before that the
        # child may be bash starting up, which ignores SIGQUIT until it
        # execs, and the forwarded signal would be lost there, not here.
        if st.get("Name", [""])[0] == comm and st.get("Uid") == [str(me)] * 4 and \
                (comm == "sleep" or any(status(c).get("Name", [""])[0] == "sleep" for c in children(pid))):
            break
        time.sleep(0.002)
    else:
        print("state=never-reached", status(pid).get("Name"), status(pid).get("Uid"))
        os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
        return
    grandchildren = children(pid)
    print("state=reached")
    # /proc/PID itself shows the euid; its private files (environ 0400)
    # belong to root while the process is not dumpable (task_dump_owner).
    print("owner=%d" % os.stat(f"/proc/{pid}/environ").st_uid)
    r = libc.ptrace(PTRACE_ATTACH, pid, None, None)
    if r == 0:
        print("attach=ok")
        os.waitpid(pid, 0)
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    else:
        print("attach=" + errno.errorcode.get(ctypes.get_errno(), "?"))
    try:
        with open(f"/proc/{pid}/environ", "rb") as e:
            e.read()
        print("environ=readable")
    except OSError as e:
        print("environ=" + errno.errorcode.get(e.errno, "?"))
    os.kill(pid, sig)
    _, st = os.waitpid(pid, 0)
    print("signaled=%d core=%d" % (os.WTERMSIG(st) if os.WIFSIGNALED(st) else -1, 1 if os.WCOREDUMP(st) else 0))
    for g in grandchildren:
        try:
            os.kill(g, signal.SIGKILL)
        except OSError:
            pass

def storm(n, argv):
    tool = os.path.basename(argv[0])[:15]
    """N runs of argv; at a random moment each gets SIGSTOP (then SIGCONT),
    SIGTERM, SIGSTOP+SIGTERM+SIGCONT, or SIGKILL. A run stopped while still
    the tool must refuse PTRACE_ATTACH (EPERM). Prints one line per
    unexpected outcome and a summary."""
    me = os.getuid()
    stats = {}
    seen_states = {}
    bad = 0
    for i in range(n):
        pid = spawn(argv, i % 2 == 0)
        time.sleep(random.random() * 0.006)
        action = random.choice(["stopcont", "term", "stopterm", "kill", "none"])
        sent = None
        try:
            if action in ("stopcont", "stopterm"):
                os.kill(pid, signal.SIGSTOP)
                for _ in range(50):
                    st = status(pid)
                    if st.get("State", ["T"])[0] in ("T", "Z"):
                        break
                    time.sleep(0.001)
                u = st.get("Uid", [])
                name = st.get("Name", [""])[0]
                if not u:
                    state = "gone"
                elif name != tool:
                    state = "exec'd"   # the user's own program now
                else:
                    state = "tool-euid0" if u[1] == "0" else "tool-dropped"
                    # Stopped inside the tool: attaching must fail, before
                    # the drop (other ids) and after it (not dumpable).
                    r = libc.ptrace(PTRACE_ATTACH, pid, None, None)
                    if r == 0:
                        print("ATTACHED to the stopped tool: run %d (%s)" % (i, state)); bad += 1
                        libc.ptrace(PTRACE_DETACH, pid, None, None)
                    elif ctypes.get_errno() != errno.EPERM:
                        print("attach: unexpected errno %d: run %d" % (ctypes.get_errno(), i)); bad += 1
                seen_states[state] = seen_states.get(state, 0) + 1
                if action == "stopterm":
                    os.kill(pid, signal.SIGTERM); sent = signal.SIGTERM
                os.kill(pid, signal.SIGCONT)
            elif action == "term":
                os.kill(pid, signal.SIGTERM); sent = signal.SIGTERM
            elif action == "kill":
                os.kill(pid, signal.SIGKILL); sent = signal.SIGKILL
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while True:
            w, st = os.waitpid(pid, os.WNOHANG)
            if w:
                break
            if time.monotonic() > deadline:
                print("hang: run %d (%s)" % (i, action)); bad += 1
                os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0); st = None
                break
            time.sleep(0.002)
        if st is None:
            continue
        if os.WIFSIGNALED(st):
            s = os.WTERMSIG(st)
            key = "sig%d" % s
            # SIGTERM reaching the shell or the tool, SIGKILL: what was sent.
            if s not in (signal.SIGTERM, signal.SIGKILL) or (sent is None and s != signal.SIGTERM):
                print("unexpected signal %d: run %d (%s)" % (s, i, action)); bad += 1
        else:
            key = "exit%d" % os.WEXITSTATUS(st)
            if os.WEXITSTATUS(st) >= 128 and os.WEXITSTATUS(st) != 128 + signal.SIGTERM:
                print("exit %d: run %d (%s)" % (os.WEXITSTATUS(st), i, action)); bad += 1
        stats[key] = stats.get(key, 0) + 1
    print("outcomes", " ".join("%s:%d" % kv for kv in sorted(stats.items())))
    print("stopped-in", " ".join("%s:%d" % kv for kv in sorted(seen_states.items())))
    print("bad=%d" % bad)

if sys.argv[1] == "dump":
    dumpcheck(sys.argv[4:], int(sys.argv[2]), sys.argv[3])
elif sys.argv[1] == "storm":
    storm(int(sys.argv[2]), sys.argv[3:])
PY
chmod 0644 "$T_ROOT/probe.py"
probe() { run_cmd timeout 120 setpriv --reuid="$U" --regid="$GID_U" --init-groups env -i USER="$U" \
    bash -c 'cd "$0" && exec python3 "$@"' "$T_ROOT/work" "$T_ROOT/probe.py" "$@"; }
PY3=$(command -v python3)

# ---------------------------------------------------------------- 2. signals
for tool in chrootsh uchroot; do
    if [[ $tool == chrootsh ]]; then argv=("$JK_CHROOTSH" -c 'sleep 0.0$((RANDOM % 5))')
    else argv=("$JK_UCHROOT" -j "$J" -x /bin/bash -- -c 'sleep 0.0$((RANDOM % 5))'); fi
    probe storm 150 "${argv[@]}"
    diag "$tool signal storm: $(grep -E '^(outcomes|stopped-in)' <<<"$R_OUT")"
    assert_eq "$tool signal storm: the probe ran" 0 "$R_RC"
    assert_eq "$tool signal storm: only the signals sent end a run, no hang, no exit >= 128, no attach to a stopped tool" "bad=0" \
        "$(grep -E '^(bad=|unexpected|hang|exit|ATTACHED|attach)' <<<"$R_OUT" | sort | tr '\n' ' ' | sed 's/ $//')"
    assert_match "$tool signal storm: some runs were stopped inside the tool (and refused the attach)" \
        "tool-(euid0|dropped):[0-9]+" "$R_OUT"
    assert_match "$tool signal storm: some logins completed" "exit0:[0-9]+" "$R_OUT"
done
sleep 0.5
# (zombies are not running: an orphaned jailed sleep waits there for init)
left=$(ps -e -o pid=,uid=,euid=,stat=,args= | awk -v u="$UID_U" -v b="$T_ROOT/bin/" '$4 !~ /^Z/ && ($2 == u || $3 == u || index($0, b))' \
    | grep -v -F -e " awk " -e "syslog_receiver" || true)
assert_eq "after the storms no process of the user or of the setuid copies is left (none as root)" "" "$left"

# ---------------------------------------------------------------- 3. ptrace
run_cmd as_user env -i USER="$U" strace -f -o /dev/null "$JK_CHROOTSH" -c 'echo RAN; id -u'
assert_eq "jk_chrootsh under strace (setuid bit ignored): refused with 11, nothing ran" "11:" "$R_RC:$R_OUT"
run_cmd as_user env -i USER="$U" strace -f -o /dev/null "$JK_UCHROOT" -j "$J" -x /bin/bash -- -c 'echo RAN'
assert_eq "jk_uchroot under strace: refused with 11, nothing ran" "11:" "$R_RC:$R_OUT"
run_cmd bash -c 'printf "From: a@b\n\nx\n" | setpriv --reuid="$0" --regid="$1" --init-groups env -i USER="$0" strace -f -o /dev/null "$2"' \
    "$U" "$GID_U" "$JK_PROCMAILWRAPPER"
assert_rc "jk_procmailwrapper under strace: refused with 11" 11

install -m 0755 "$(command -v sleep)" "$T_ROOT/bin/sleep"
CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
diag "core_pattern: $CORE_PATTERN; suid_dumpable: $(cat /proc/sys/fs/suid_dumpable)"
for sig in 11 6 3; do
    probe dump "$sig" sleep "$T_ROOT/bin/sleep" 30
    if [[ "$R_OUT" == *state=reached* ]]; then
        assert_eq "control (sleep copy, signal $sig): /proc/PID is the user's, attachable, environ readable, core dumped" \
            "owner=$UID_U attach=ok environ=readable signaled=$sig core=1" \
            "$(grep -E '^(owner|attach|environ|signaled)' <<<"$R_OUT" | tr '\n' ' ' | sed 's/ $//')"
    else
        not_ok "control (sleep copy): reached"; diag "$R_OUT $R_ERR"
    fi
    rm -f "$T_ROOT"/work/core*
    for tool in chrootsh uchroot; do
        if [[ $tool == chrootsh ]]; then argv=("$JK_CHROOTSH" -c 'sleep 30')
        else argv=("$JK_UCHROOT" -j "$J" -x /bin/bash -- -c 'sleep 30'); fi
        probe dump "$sig" "jk_$tool" "${argv[@]}"
        if [[ "$R_OUT" == *state=reached* ]]; then
            assert_eq "jk_$tool after its drop (signal $sig): /proc/PID root's, PTRACE_ATTACH EPERM, environ EACCES, no core" \
                "owner=0 attach=EPERM environ=EACCES signaled=$sig core=0" \
                "$(grep -E '^(owner|attach|environ|signaled)' <<<"$R_OUT" | tr '\n' ' ' | sed 's/ $//')"
        else
            not_ok "jk_$tool: caught after its privilege drop"; diag "$R_OUT $R_ERR"
        fi
    done
    # SIGQUIT is forwarded to the shell by the waiting parent
    # (ensure_own_session) and the jailed sleep - the user's own dumpable
    # program - may dump its core in the home: owned by the user, fine.
    # Anything else is a core of a tool.
    if ((sig == 3)); then notmine=(! -user "$U"); else notmine=(); fi
    cores=$(find "$T_ROOT/work" "$J" -maxdepth 1 -name 'core*'; find "$J/home/$U" -maxdepth 1 -name 'core*' "${notmine[@]}")
    assert_eq "no core file of a tool anywhere (signal $sig)" "" "$cores"
    rm -f "$J/home/$U"/core*
done

canary_check "no host canary changed"
finish
