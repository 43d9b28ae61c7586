#!/bin/bash
# Run (as root):  bash bench/init.sh BUILDDIR        e.g. bash bench/init.sh /work/build
#
# Benchmark of jk_init (issue 3, DESIGN.md "Performance"): jk_init of the
# sections `jk_lsh sftp scp basicshell extendedshell editors git perl` from
# the repository's ini/jk_init.ini into an empty jail, against the floor: a
# `tar -C / -cf - LIST | tar -C J2 -xpf -` copy of exactly the file list
# jk_init produced (same files, read from the host). Each is run 3 times into
# a fresh jail and the median is taken; the page cache is warmed first by a
# throwaway tar of the same list. Also timed: the re-run of jk_init on the
# complete jail (nothing to do), and, where Debian's jailkit is installed
# (/usr/sbin/jk_init, a Python script), jailkit 2.23's jk_init with ITS OWN
# /etc/jailkit/jk_init.ini (one run, capped at 10 minutes), plus its re-run.
#
# Neither tool may touch /etc/jailkit/jk_socketd.ini: ours gets a copy of the
# repo ini in a scratch config dir (need_logsocket writes beside it); jailkit's
# ini is copied with its need_logsocket lines removed (its jk_init always
# writes /etc/jailkit/jk_socketd.ini).
#
# Prints e.g.   jk_init: 0.80s  tar|tar: 0.60s  ratio: 1.33
# Target (issue 3): ratio within 1.5; a re-run in milliseconds.
# Environment: JK_BENCH_RUNS (default 3).

set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_init" "$@"
JK="$BUILDDIR/jk_init"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_INI="$HERE/../ini/jk_init.ini"
[[ -f "$REPO_INI" ]] || { echo "no $REPO_INI" >&2; exit 2; }
RUNS=${JK_BENCH_RUNS:-3}
SECTIONS=(jk_lsh sftp scp basicshell extendedshell editors git perl)
JAILKIT=/usr/sbin/jk_init
JAILKIT_INI=/etc/jailkit/jk_init.ini
JAILKIT_CAP=600

bench_root
mkdir -m 0755 "$BASE/etc"
CFG="$BASE/etc/jk_init.ini"
cp "$REPO_INI" "$CFG"
fresh_jail() { rm -rf "${BASE:?}/${1:?}"; mkdir -m 0755 "$BASE/$1"; sync; echo "$BASE/$1"; }

run_jk() {  # JAIL -> prints seconds
    local j=$1 t0 t1 rc
    t0=$(now)
    "$JK" -c "$CFG" -j "$j" "${SECTIONS[@]}" >"$BASE/jk.out" 2>"$BASE/jk.err"
    rc=$?
    t1=$(now)
    if ((rc != 0)); then
        echo "WARNING: jk_init exited $rc; stderr:" >&2
        head -n 20 "$BASE/jk.err" >&2
    fi
    elapsed "$t0" "$t1"
}

echo "sections: ${SECTIONS[*]}"
# ---- a first run gives the file list
J1=$(fresh_jail j1)
run_jk "$J1" >/dev/null
LIST="$BASE/list"
# Everything in the jail that exists on the host (ld.so.cache, the manifest
# and the passwd/group files are generated, not copied), dirs first.
(cd "$J1" && find . -mindepth 1 -printf '%P\n') | while IFS= read -r p; do
    case "$p" in etc/ld.so.cache|etc/passwd|etc/group|etc/jailkit/jk_manifest) continue ;; esac
    [[ -e "/$p" || -L "/$p" ]] && printf '%s\n' "$p"
done >"$LIST"
nfiles=$(wc -l <"$LIST")
bytes=$(cd "$J1" && du -sb --apparent-size . | cut -f1)
echo "jail content: $nfiles entries, $((bytes / 1024 / 1024)) MiB"

tar -C / --no-recursion -cf - -T "$LIST" | cat >/dev/null

# jk_init and tar|tar runs alternate, so that a slow spell of the disk (a
# discard-mounted file system trimming an earlier run's deleted jails) costs
# both the same.
jk_times=() tar_times=()
for i in $(seq 1 "$RUNS"); do
    j=$(fresh_jail "jk$i")
    jk_times+=("$(run_jk "$j")")
    j=$(fresh_jail "tar$i")
    t0=$(now)
    tar -C / --no-recursion -cf - -T "$LIST" | tar -C "$j" -xpf -
    t1=$(now)
    tar_times+=("$(elapsed "$t0" "$t1")")
done
t_jk=$(median "${jk_times[@]}")

rerun_times=()
for i in $(seq 1 "$RUNS"); do rerun_times+=("$(run_jk "$BASE/jk1")"); done
t_rerun=$(median "${rerun_times[@]}")
t_tar=$(median "${tar_times[@]}")

echo "runs: jk_init ${jk_times[*]}  tar|tar ${tar_times[*]}  (median of $RUNS)"
echo "jk_init re-run on the complete jail: ${t_rerun}s (runs: ${rerun_times[*]})"
echo "jk_init: ${t_jk}s  tar|tar: ${t_tar}s  ratio: $(ratio "$t_jk" "$t_tar")"

# ---- jailkit 2.23 (Python) with its own ini, if installed
if [[ -f $JAILKIT && -f $JAILKIT_INI ]] && head -n 1 "$JAILKIT" | grep -q python; then
    sed '/^[[:space:]]*need_logsocket/d' "$JAILKIT_INI" >"$BASE/etc/jailkit.ini"
    j=$(fresh_jail jailkit)
    t0=$(now)
    timeout "$JAILKIT_CAP" "$JAILKIT" -c "$BASE/etc/jailkit.ini" -j "$j" "${SECTIONS[@]}" >/dev/null 2>&1
    rc=$?
    t1=$(now)
    if ((rc == 124)); then
        echo "jailkit 2.23 jk_init: more than ${JAILKIT_CAP}s (stopped)"
    else
        t_jkit=$(elapsed "$t0" "$t1")
        jn=$(cd "$j" && find . -mindepth 1 | wc -l)
        echo "jailkit 2.23 jk_init (its own ini, $jn entries): ${t_jkit}s (exit $rc)" \
             " ratio to tar|tar: $(ratio "$t_jkit" "$t_tar")  jailkit/jk_init: $(ratio "$t_jkit" "$t_jk")"
        t0=$(now)
        timeout "$JAILKIT_CAP" "$JAILKIT" -c "$BASE/etc/jailkit.ini" -j "$j" "${SECTIONS[@]}" >/dev/null 2>&1
        t1=$(now)
        t_jkit_rerun=$(elapsed "$t0" "$t1")
        echo "jailkit 2.23 jk_init re-run: ${t_jkit_rerun}s  jailkit/jk_init re-run: $(ratio "$t_jkit_rerun" "$t_rerun")"
    fi
else
    echo "jailkit 2.23 jk_init: not installed ($JAILKIT with $JAILKIT_INI), not measured"
fi
