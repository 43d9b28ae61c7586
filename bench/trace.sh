#!/bin/bash
# Run (as root):  bash bench/trace.sh BUILDDIR        e.g. bash bench/trace.sh build
#
# Benchmark of jk_trace (issue 14 "Bench"): for each case, a jail holding
# only the program and its ELF closure (jk_cp), a user, /dev/null and
# /dev/urandom; jk_trace runs the case until nothing new turns up. Reported
# per case: rounds, seconds to converge, and the traced jail's size and
# file count (regular files and symlinks). Where a hand-written section of
# the repository's jk_init.ini serves the same program, jk_init builds that
# jail in the same run and the two are compared: file counts side by side,
# and every file or symlink the hand-written jail has that the traced one
# lacks is listed (the goal is none that the case needs; the hand-written
# sections copy whole directories, so most of the list is files the case
# never opened).
#
# Cases (python and php traced with --host: see trace_programs.sh):
#   python    python3 -c importing json, ssl, sqlite3, locale   [python3]
#   perl      perl -MPOSIX under LANG=C.UTF-8                    [perl]
#   git       git clone file:// of a repository in the jail     [git]
#   vim       vim -c 'normal Ahello' -c wq under a pty (tmux)    [editors]
#   php       php -r with mbstring and json                     [php]
#   composer  composer --version (--host)                       [composer]
#   npm       npm --version (--host; node through env)          [nodejs]
#   mariadb   mariadb --version                                 [mysql-client]
#   venv      python3 -m venv DIR (--host)                      [python3-venv]
#   tmux      tmux -V                                           [tmux]
#   screen    screen -v                                         [screen]
#   lighttpd  the daemon, --test-outside curl                   (none)
#
# Prints one line per case, e.g.
#   python    rounds 2  1.2s  traced: 102 files 9.8 MB | [python3]: 3402 files 61.0 MB, 0 the traced jail lacks
# Environment: JK_BENCH_CASES (a space-separated subset of the case names).

set -u
set -o pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bench_builddir "jk_trace jk_cp jk_init" "$@"
INI=$BUILDDIR/ini/jk_init.ini
[[ -f $INI ]] || { echo "no $INI (the configured jk_init.ini of the build)" >&2; exit 2; }
CASES=${JK_BENCH_CASES:-python perl git vim php composer npm mariadb venv tmux screen lighttpd}

# The programs run as a hosting user's would: a UTF-8 LANG (jk_trace passes
# LANG and TERM on), whatever the caller's.
export LANG=C.UTF-8 TERM=xterm-256color
unset LC_ALL
bench_root
mkdir -m 0755 "$BASE/etc" "$BASE/jails" "$BASE/w"
cp "$INI" "$BASE/etc/jk_init.ini"
# A user of the bench's own, removed on exit with the scratch root.
U=jkb$(printf '%s' "${BASE##*.}" | tr -c 'a-z0-9' x | tr 'A-Z' 'a-z' | cut -c1-8)
useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$U" || { echo "useradd $U failed" >&2; exit 1; }
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
TS=$BASE/tmux.sock
trap 'tmux -S "$TS" kill-server 2>/dev/null; userdel "$U" 2>/dev/null; groupdel "$U" 2>/dev/null; rm -rf --one-file-system "$BASE"' EXIT
# Where a case writes: the same path on the host (a --host round) and in the jail.
W=$BASE/w
chown "$UID_U:$GID_U" "$W"
PORT=$((20000 + RANDOM % 20000))

# base_jail NAME PROGRAM... : the program, its ELF closure, the user, devices.
base_jail() {
    local j=$BASE/jails/$1; shift
    mkdir -m 0755 "$j"
    "$BUILDDIR/jk_cp" -j "$j" "$@" >/dev/null 2>&1 || echo "WARNING: jk_cp $* failed" >&2
    install -d -m 0755 "$j/etc" "$j/dev"
    printf 'root:x:0:0::/root:/bin/sh\n%s:x:%s:%s::%s:/bin/sh\n' "$U" "$UID_U" "$GID_U" "$W" >>"$j/etc/passwd"
    printf 'root:x:0:\n%s:x:%s:\n' "$U" "$GID_U" >>"$j/etc/group"
    mknod -m 0666 "$j/dev/null" c 1 3
    mknod -m 0666 "$j/dev/urandom" c 1 9
    install -d -m 0755 "$j$BASE"
    install -d -m 0700 -o "$UID_U" -g "$GID_U" "$j$W"
    J=$j
}

# files J : regular files and symlinks below J, one relative path a line,
# without the jail's own bookkeeping (jk_cp's manifest, passwd, group) and
# what the cases wrote (the user's directory, the git repository).
files() {
    (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n') |
        grep -vE "^(etc/jailkit/|etc/passwd\$|etc/group\$|${W#/}/|srv/repo/)" | LC_ALL=C sort
}
size_mb() { du -sk --apparent-size "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

# traced NAME [jk_trace options] -- PROGRAM... : runs jk_trace on $J, sets
# ROUNDS and SECS (its output in $BASE/NAME.trace).
traced() {
    local name=$1; shift
    local t0 t1
    t0=$(now)
    "$BUILDDIR/jk_trace" -j "$J" -u "$U" --rounds 40 --timeout 20 "$@" >"$BASE/$name.trace" 2>&1 </dev/null
    RC=$?
    t1=$(now)
    SECS=$(elapsed "$t0" "$t1")
    ROUNDS=$(sed -n 's/.* added in \([0-9]*\) round(s).*/\1/p' "$BASE/$name.trace" | tail -n 1)
}

# traced_pty NAME [options] -- PROGRAM... : the same, jk_trace in a tmux pty.
traced_pty() {
    local name=$1; shift
    local t0 t1 i
    t0=$(now)
    rm -f "$BASE/$name.rc"
    tmux -S "$TS" -f /dev/null new-session -d -s "$name" -x 100 -y 30 \
        "$(printf '%q ' env TERM=xterm-256color "$BUILDDIR/jk_trace" -j "$J" -u "$U" --rounds 40 --timeout 5 "$@") \
2>$BASE/$name.trace; echo \$? >$BASE/$name.rc"
    for ((i = 0; i < 6000; i++)); do [[ -e $BASE/$name.rc ]] && break; sleep 0.1; done
    RC=$(cat "$BASE/$name.rc" 2>/dev/null || echo timeout)
    t1=$(now)
    SECS=$(elapsed "$t0" "$t1")
    ROUNDS=$(sed -n 's/.* added in \([0-9]*\) round(s).*/\1/p' "$BASE/$name.trace" | tail -n 1)
}

# report NAME SECTION : the line for the case, and the hand-written jail's
# files the traced one lacks.
report() {
    local name=$1 section=$2 hand lacks n_t n_h
    files "$J" >"$BASE/$name.files"
    n_t=$(wc -l <"$BASE/$name.files")
    printf '%-9s rc %s  rounds %-3s %7ss  traced: %5s files %7s MB' "$name" "$RC" "${ROUNDS:-?}" "$SECS" \
        "$n_t" "$(size_mb "$J")"
    if [[ -n $section ]]; then
        hand=$BASE/jails/$name-hand
        mkdir -m 0755 "$hand"
        "$BUILDDIR/jk_init" -c "$BASE/etc/jk_init.ini" -j "$hand" "$section" >/dev/null 2>&1 \
            || echo "WARNING: jk_init $section failed" >&2
        files "$hand" >"$BASE/$name.hand"
        n_h=$(wc -l <"$BASE/$name.hand")
        LC_ALL=C comm -23 "$BASE/$name.hand" "$BASE/$name.files" >"$BASE/$name.lacks"
        lacks=$(wc -l <"$BASE/$name.lacks")
        LC_ALL=C comm -13 "$BASE/$name.hand" "$BASE/$name.files" >"$BASE/$name.extra"
        printf ' | [%s]: %5s files %7s MB; hand-written has %s the traced lacks, traced has %s it lacks\n' \
            "$section" "$n_h" "$(size_mb "$hand")" "$lacks" "$(wc -l <"$BASE/$name.extra")"
        DETAILS+="--- $name: in [$section] and not in the traced jail ($lacks; by directory, then the first 15)"$'\n'
        DETAILS+=$(awk -F/ '{ d = $1; if (NF > 2) d = d "/" $2; if (NF > 3) d = d "/" $3; n[d]++ } END { for (d in n) printf "    %5d %s\n", n[d], d }' \
            "$BASE/$name.lacks" | sort -rn | head -n 12)$'\n'
        DETAILS+=$(head -n 15 "$BASE/$name.lacks" | sed 's/^/      /')$'\n'
        DETAILS+="--- $name: in the traced jail and not in [$section] ($(wc -l <"$BASE/$name.extra"))"$'\n'
        DETAILS+=$(head -n 25 "$BASE/$name.extra" | sed 's/^/      /')$'\n'
    else
        printf '\n'
    fi
}

DETAILS=""
PY='import json, ssl, sqlite3, locale
locale.setlocale(locale.LC_ALL, "C.UTF-8")
db = sqlite3.connect(":memory:")
print(json.dumps({"n": db.execute("select 6*7").fetchone()[0]}), ssl.OPENSSL_VERSION, locale.getlocale()[1])'

for c in $CASES; do
    case $c in
    python)
        base_jail python /usr/bin/python3
        traced python --host -- /usr/bin/python3 -c "$PY"
        report python python3 ;;
    perl)
        base_jail perl /usr/bin/perl
        LANG=C.UTF-8 traced perl -- /usr/bin/perl -MPOSIX -e 'print setlocale(LC_ALL, ""), POSIX::floor(2.5), "\n"'
        report perl perl ;;
    git)
        base_jail git /usr/bin/git
        r=$J/srv/repo
        git init -q -b main "$r" && printf 'x\n' >"$r/README" && git -C "$r" add README &&
            git -C "$r" -c user.name=b -c user.email=b@example.org commit -q -m one && chown -R "$UID_U:$GID_U" "$r"
        traced git -- /usr/bin/git clone -q file:///srv/repo "$W/clone"
        report git git ;;
    vim)
        base_jail vim /usr/bin/vim
        printf 'notes\n' >"$J$W/notes.txt" && chown "$UID_U:$GID_U" "$J$W/notes.txt"
        traced_pty vim -- /usr/bin/vim -n -i NONE -c 'normal Ahello' -c wq "$W/notes.txt"
        report vim editors ;;
    php)
        base_jail php /usr/bin/php
        traced php --host -- /usr/bin/php -r 'echo mb_strtoupper("abc"), json_encode([1]), "\n";'
        report php php ;;
    composer)
        base_jail composer /usr/bin/composer /usr/bin/php
        traced composer --host -- /usr/bin/composer --no-interaction --version
        report composer composer ;;
    npm)
        base_jail npm /usr/bin/node /usr/bin/env
        traced npm --host -- /usr/bin/npm --version
        report npm nodejs ;;
    mariadb)
        base_jail mariadb /usr/bin/mariadb
        traced mariadb -- /usr/bin/mariadb --version
        report mariadb mysql-client ;;
    venv)
        base_jail venv /usr/bin/python3
        traced venv --host -- /usr/bin/python3 -m venv "$W/venv"
        rm -rf "${W:?}/venv"
        report venv python3-venv ;;
    tmux)
        base_jail tmux /usr/bin/tmux
        traced tmux -- /usr/bin/tmux -V
        report tmux tmux ;;
    screen)
        base_jail screen /usr/bin/screen
        traced screen -- /usr/bin/screen -v
        report screen screen ;;
    lighttpd)
        base_jail lighttpd /usr/sbin/lighttpd
        install -d -m 0755 "$J/etc/lighttpd" "$J/srv/www"
        printf 'server.document-root = "/srv/www"\nserver.bind = "127.0.0.1"\nserver.port = %s\nserver.upload-dirs = ("%s")\nserver.modules += ("mod_dirlisting")\ndir-listing.activate = "enable"\n' \
            "$PORT" "$W" >"$J/etc/lighttpd/bench.conf"
        traced lighttpd --test-outside "curl -s --max-time 5 http://127.0.0.1:$PORT/" \
            -- /usr/sbin/lighttpd -D -f /etc/lighttpd/bench.conf
        report lighttpd "" ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
    esac
done
printf '\n%s' "$DETAILS"
