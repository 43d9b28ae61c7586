#!/usr/bin/env bash
# jk_trace on real programs (issue 14 "Tests"): every case starts from a jail
# holding only the program (and the few tools its command line needs) with
# their ELF closure, copied by jk_cp, plus the jailed user in the jail's
# passwd and group, its home, and /dev/null (jk_trace copies files, never
# device nodes). The case must FAIL there; then jk_trace runs it, round after
# round, until nothing new turns up; then the case must WORK, run inside the
# jail as the user with chroot --userspec and a clean environment:
#   python3  a script importing json, ssl, sqlite3 and locale;
#   perl     -MPOSIX under LANG=C.UTF-8 (POSIX.so, the locale's data);
#   git      git clone over file:// of a repository in the jail (the shell
#            and git-upload-pack are for jk_trace to find);
#   vim      opening a file under a pty (tmux, TERM=xterm-256color), the file
#            on screen, a change typed and saved;
#   nano     the same with nano's keystrokes;
#   php      php -r using mbstring and json (Debian's php-cli, php-mbstring);
#   lighttpd a daemon: traced with --test-outside curl on a port of this
#            test's own, then started in the jail with jk_exec -u and
#            serving a page and a listing to curl on 127.0.0.1 from the host.
# python and php are traced with --host (their first round on the host):
# both list a directory and then open only what the listing holds, which no
# failed lookup inside the jail can reveal. The others are traced in the
# jail alone. For python, perl, git, php and lighttpd, jk_trace --write-section
# NAME:FILE is fed to jk_init -c FILE NAME: the second jail works at once.
#
#   JK_CP=... JK_INIT=... JK_TRACE=/abs/path/jk_trace bash tests/integration/trace_programs.sh
#
# The packages are .ci/deps.sh's; a missing one fails the run (need_cmd).
source "$(dirname "$0")/../lib/common.sh"
skip_unless_root
need_tool JK_CP
need_tool JK_INIT
need_tool JK_TRACE
need_tool JK_EXEC
need_cmd chroot setpriv tmux curl git timeout
for p in /usr/bin/python3 /usr/bin/perl /usr/bin/git /usr/bin/vim /usr/bin/nano /usr/bin/php /usr/sbin/lighttpd; do
    [[ -x $p ]] || fatal "$p is not installed (.ci/deps.sh installs it)"
done
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
CHROOT=$(command -v chroot)  # called from under env -i: by its path
export LC_ALL=C
unset LANG LANGUAGE

U=$(make_user)
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
HOME_U=/home/$U

# One tmux server of this test's own (never the caller's), ended on exit.
TS=$T_ROOT/tmux.sock
on_exit tmux -S "$TS" kill-server

# Bounds for every traced run: a program that hangs (an editor waiting for
# keys that never come) ends with the round.
TRACE_OPTS=(--rounds 40 --timeout 20)

# ---------------------------------------------------------------- helpers

# base_jail NAME PROGRAM... : a jail with the PROGRAMs and their ELF closure
# (jk_cp), the user (passwd, group, a home of its own), /dev/null and
# /dev/urandom (jk_trace never copies from /dev: devices are the admin's).
base_jail() {
    local name=$1; shift
    local j
    j=$(make_jail "$name")
    "$JK_CP" -j "$j" "$@" >"$T_ROOT/jk_cp-$name.log" 2>&1 || fatal "jk_cp -j $j $* failed: $(cat "$T_ROOT/jk_cp-$name.log")"
    add_user "$j"
    printf '%s\n' "$j"
}

# add_user J : the user, root, /dev/null, /dev/urandom and the home in J.
add_user() {
    local j=$1
    install -d -m 0755 "$j/etc" "$j/dev" "$j/home"
    printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%s:%s::%s:/bin/sh\n' "$U" "$UID_U" "$GID_U" "$HOME_U" >>"$j/etc/passwd"
    printf 'root:x:0:\n%s:x:%s:\n' "$U" "$GID_U" >>"$j/etc/group"
    [[ -e $j/dev/null ]] || mknod -m 0666 "$j/dev/null" c 1 3 || fatal "mknod $j/dev/null"
    [[ -e $j/dev/urandom ]] || mknod -m 0666 "$j/dev/urandom" c 1 9 || fatal "mknod $j/dev/urandom"
    install -d -m 0700 -o "$UID_U" -g "$GID_U" "$j$HOME_U"
}

# jrun J CMD... : CMD in J as the user, a clean environment (TERM, and LANG
# from $JLANG), stdin /dev/null.
JLANG=C
jrun() {
    local j=$1; shift
    run_cmd timeout 60 env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME_U" USER="$U" TERM=xterm-256color LANG="$JLANG" \
        "$CHROOT" --userspec="$UID_U:$GID_U" "$j" "$@"
}

# trace NAME J [OPTIONS] -- PROGRAM... : jk_trace as the user; its exit
# status, its summary in the test log.
trace() {
    local name=$1 j=$2; shift 2
    local t0=$SECONDS
    run_cmd timeout 900 "$JK_TRACE" -j "$j" -u "$U" "${TRACE_OPTS[@]}" "$@"
    assert_rc "$name: jk_trace converges (exit 0)" 0
    diag "$name: jk_trace took $((SECONDS - t0)) s"
    diag "$(tail -n 40 <<<"$R_OUT$R_ERR")"
}

# expect_fail NAME FN J : FN (a works_* check) must fail in the bare jail.
expect_fail() {
    if "$2" "$3"; then
        not_ok "$1: fails in a jail of only the program and its ELF closure"
        diag "it worked already: the case proves nothing"
    else
        ok "$1: fails in a jail of only the program and its ELF closure"
    fi
}

# expect_work NAME DESC FN J : FN must pass; its last output as diag when not.
expect_work() {
    if "$3" "$4"; then ok "$1: $2"
    else not_ok "$1: $2"; diag "rc $R_RC"; diag "stdout: $(head -c 2000 <<<"$R_OUT")"; diag "stderr: $(head -c 2000 <<<"$R_ERR")"; fi
}

# second_jail NAME SECTIONFILE FN SETUP : the section jk_trace wrote, fed to
# jk_init, builds a jail where FN works at once (SETUP adds the case's own
# files: a script, a repository).
second_jail() {
    local name=$1 file=$2 fn=$3 setup=$4
    if [[ ! -s $file ]]; then not_ok "$name: --write-section wrote $file"; return; fi
    ok "$name: --write-section wrote $file"
    local j2=$T_ROOT/jails/$name-from-section
    run_cmd "$JK_INIT" -c "$file" -j "$j2" "$name-traced"
    assert_rc "$name: jk_init -c FILE $name-traced builds a second jail" 0
    add_user "$j2"
    [[ -n $setup ]] && "$setup" "$j2"
    expect_work "$name" "works at once in the jail jk_init built from the written section" "$fn" "$j2"
}

# ---------------------------------------------------------------- a terminal

# pty_start NAME SHELLCMD : SHELLCMD in a detached 100x30 tmux window; its
# exit status lands in $T_ROOT/NAME.rc.
pty_start() {
    rm -f "$T_ROOT/$1.rc"
    tmux -S "$TS" -f /dev/null new-session -d -s "$1" -x 100 -y 30 "$2; echo \$? >$T_ROOT/$1.rc" \
        || fatal "tmux new-session failed"
}
pty_screen() { tmux -S "$TS" capture-pane -p -t "$1" 2>/dev/null; }
# pty_wait_screen NAME FIXED SECONDS : until the screen shows FIXED.
pty_wait_screen() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [[ $(pty_screen "$1") == *"$2"* ]] && return 0
        [[ -e $T_ROOT/$1.rc ]] && return 1
        sleep 0.1
    done
    return 1
}
# pty_wait_end NAME SECONDS : until the command ended; kills it after that.
pty_wait_end() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [[ -e $T_ROOT/$1.rc ]] && return 0
        sleep 0.1
    done
    tmux -S "$TS" kill-session -t "$1" 2>/dev/null
    return 1
}
# in_jail_cmd J CMD... : the shell command line running CMD in J as the user.
in_jail_cmd() {
    local j=$1; shift
    printf 'env -i PATH=/usr/bin:/bin HOME=%q TERM=xterm-256color %q --userspec=%s:%s %q' \
        "$HOME_U" "$CHROOT" "$UID_U" "$GID_U" "$j"
    printf ' %q' "$@"
}

# ================================================================ python3

PY_SCRIPT='import json, ssl, sqlite3, locale
locale.setlocale(locale.LC_ALL, "C.UTF-8")
db = sqlite3.connect(":memory:")
print(json.dumps({"n": db.execute("select 6*7").fetchone()[0]}), ssl.OPENSSL_VERSION.split()[0],
      locale.getlocale()[1], "sqlite", sqlite3.sqlite_version_info[0])'
works_python() {
    jrun "$1" /usr/bin/python3 -c "$PY_SCRIPT"
    [[ $R_RC == 0 && $R_OUT == '{"n": 42} OpenSSL UTF-8 sqlite 3' ]]
}
J=$(base_jail python /usr/bin/python3)
expect_fail python works_python "$J"
# --host: python's importer lists a directory once and then opens only what
# the listing holds, so inside the jail it never looks for a module of an
# empty directory (encodings, json...): the first round runs on the host,
# where every module it opens is seen.
trace python "$J" --host --write-section "python-traced:$T_ROOT/python.ini" -- /usr/bin/python3 -c "$PY_SCRIPT"
expect_work python "the script imports json, ssl, sqlite3 and locale after jk_trace" works_python "$J"
second_jail python "$T_ROOT/python.ini" works_python ""

# ================================================================ perl

# The UTF-8 locale comes from LANG, which jk_trace passes to the program as
# jk_exec does (LC_ALL is not passed).
PERL_ARGS=(/usr/bin/perl -MPOSIX -e
    'my $l = setlocale(LC_ALL, ""); print "$l ", POSIX::floor(2.5), " ", (POSIX::strtol("ff", 16))[0], "\n"')
works_perl() {
    JLANG=C.UTF-8 jrun "$1" "${PERL_ARGS[@]}"
    [[ $R_RC == 0 && $R_OUT == 'C.UTF-8 2 255' && $R_ERR != *arning* ]]
}
J=$(base_jail perl /usr/bin/perl)
expect_fail perl works_perl "$J"
LANG=C.UTF-8 trace perl "$J" --write-section "perl-traced:$T_ROOT/perl.ini" -- "${PERL_ARGS[@]}"
expect_work perl "use POSIX under LC_ALL=C.UTF-8 after jk_trace" works_perl "$J"
second_jail perl "$T_ROOT/perl.ini" works_perl ""

# ================================================================ git

# git itself is the traced program: the shell that runs git-upload-pack,
# the helpers and what they load are for jk_trace to find. A failed clone
# removes its directory, so every round starts afresh.
GIT_ARGS=(/usr/bin/git clone -q file:///srv/repo "$HOME_U/clone")
git_setup() {
    local r=$1/srv/repo
    install -d -m 0755 "$1/srv"
    git init -q -b main "$r" || fatal "git init"
    printf 'hello from the jail repo\n' >"$r/README"
    git -C "$r" add README && git -C "$r" -c user.name=t -c user.email=t@example.org commit -q -m one \
        || fatal "git commit"
    # The user's own repository: git refuses one owned by another user.
    chown -R "$UID_U:$GID_U" "$r"
}
works_git() {
    rm -rf "$1$HOME_U/clone"
    jrun "$1" "${GIT_ARGS[@]}"
    [[ $R_RC == 0 && $(cat "$1$HOME_U/clone/README" 2>/dev/null) == 'hello from the jail repo' ]]
}
J=$(base_jail git /usr/bin/git)
git_setup "$J"
expect_fail git works_git "$J"
rm -rf "$J$HOME_U/clone"
trace git "$J" --write-section "git-traced:$T_ROOT/git.ini" -- "${GIT_ARGS[@]}"
expect_work git "git clone over file:// after jk_trace" works_git "$J"
second_jail git "$T_ROOT/git.ini" works_git git_setup

# ================================================================ editors

# vim: the file on screen, "A" appends "hello", :wq saves it.
works_vim() {
    local j=$1 f=$1$HOME_U/notes.txt s=vim-$RANDOM
    printf 'first line of notes\n' >"$f"; chown "$UID_U:$GID_U" "$f"
    R_OUT="" R_ERR="" R_RC=1
    pty_start "$s" "$(in_jail_cmd "$j" /usr/bin/vim -n -i NONE "$HOME_U/notes.txt")"
    if ! pty_wait_screen "$s" "first line of notes" 10; then
        R_OUT="the file never appeared on screen: $(pty_screen "$s")"
        tmux -S "$TS" kill-session -t "$s" 2>/dev/null; return 1
    fi
    R_OUT=$(pty_screen "$s")
    tmux -S "$TS" send-keys -t "$s" A hello Escape ':wq' Enter
    pty_wait_end "$s" 10 || { R_ERR="vim did not exit after :wq"; return 1; }
    R_RC=$(<"$T_ROOT/$s.rc")
    [[ $R_RC == 0 && $(<"$f") == 'first line of noteshello' && $R_OUT != *"Press ENTER"* && $R_OUT != *E558* ]]
}
# nano: the file on screen, "hello" typed, ^O Enter writes, ^X leaves.
works_nano() {
    local j=$1 f=$1$HOME_U/notes.txt s=nano-$RANDOM
    printf 'first line of notes\n' >"$f"; chown "$UID_U:$GID_U" "$f"
    rm -f "$1$HOME_U/.notes.txt.swp"  # the lock of a nano a traced round stopped
    R_OUT="" R_ERR="" R_RC=1
    pty_start "$s" "$(in_jail_cmd "$j" /usr/bin/nano "$HOME_U/notes.txt")"
    if ! pty_wait_screen "$s" "first line of notes" 10; then
        R_OUT="the file never appeared on screen: $(pty_screen "$s")"
        tmux -S "$TS" kill-session -t "$s" 2>/dev/null; return 1
    fi
    R_OUT=$(pty_screen "$s")
    tmux -S "$TS" send-keys -t "$s" hello C-o
    pty_wait_screen "$s" "File Name to Write" 5 || { R_ERR="no write prompt: $(pty_screen "$s")"; return 1; }
    tmux -S "$TS" send-keys -t "$s" Enter
    pty_wait_screen "$s" "Wrote" 5 || { R_ERR="not written: $(pty_screen "$s")"; return 1; }
    tmux -S "$TS" send-keys -t "$s" C-x
    pty_wait_end "$s" 10 || { R_ERR="nano did not exit after ^X"; return 1; }
    R_RC=$(<"$T_ROOT/$s.rc")
    [[ $R_RC == 0 && $(head -n 1 "$f") == 'hellofirst line of notes' ]]
}
# trace_pty NAME J PROGRAM... : jk_trace run in the tmux pty (the editor
# needs a terminal); a hanging round ends by --timeout.
trace_pty() {
    local name=$1 j=$2; shift 2
    local s=trace-$name t0=$SECONDS out=$T_ROOT/trace-$name.out
    pty_start "$s" "$(printf '%q ' env TERM=xterm-256color "$JK_TRACE" -j "$j" -u "$U" --rounds 12 --timeout 5 \
        --write-section "$name-traced:$T_ROOT/$name.ini" -- "$@") 2>$out"
    if pty_wait_end "$s" 600; then R_RC=$(<"$T_ROOT/$s.rc"); else R_RC=timeout; fi
    R_OUT="" R_ERR=$(<"$out")
    assert_rc "$name: jk_trace converges under a pty (exit 0)" 0
    diag "$name: jk_trace took $((SECONDS - t0)) s"
    diag "$(tail -n 40 "$out")"
}
for ed in vim nano; do
    J=$(base_jail "$ed" "/usr/bin/$ed")
    printf 'first line of notes\n' >"$J$HOME_U/notes.txt"; chown "$UID_U:$GID_U" "$J$HOME_U/notes.txt"
    expect_fail "$ed" "works_$ed" "$J"
    if [[ $ed == vim ]]; then
        trace_pty vim "$J" /usr/bin/vim -n -i NONE -c 'normal Ahello' -c wq "$HOME_U/notes.txt"
    else
        # nano waits for keys: the round ends by --timeout, once it got as
        # far as showing the file.
        trace_pty nano "$J" /usr/bin/nano "$HOME_U/notes.txt"
    fi
    expect_work "$ed" "opens, shows, edits and saves a file under a pty with TERM=xterm-256color" "works_$ed" "$J"
done

# ================================================================ php

PHP_CODE='echo mb_strtoupper("abc"), " ", mb_strlen("h\u{e9}llo"), " ", json_encode(["ok" => true]), "\n";'
works_php() {
    jrun "$1" /usr/bin/php -r "$PHP_CODE"
    [[ $R_RC == 0 && $R_OUT == 'ABC 5 {"ok":true}' ]]
}
J=$(base_jail php /usr/bin/php)
expect_fail php works_php "$J"
# --host: php reads the .ini files its conf.d directory lists; inside the
# jail jk_trace makes that directory (empty) and php looks for nothing more.
trace php "$J" --host --write-section "php-traced:$T_ROOT/php.ini" -- /usr/bin/php -r "$PHP_CODE"
expect_work php "php -r with mbstring and json after jk_trace" works_php "$J"
second_jail php "$T_ROOT/php.ini" works_php ""

# ================================================================ lighttpd

# A port of this test's own: free now, in a range no service here uses.
PORT=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[[ -n $PORT ]] || fatal "no free port"
httpd_setup() {
    local j=$1
    install -d -m 0755 "$j/etc/lighttpd" "$j/srv/www/files"
    cat >"$j/etc/lighttpd/test.conf" <<EOF
server.document-root = "/srv/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.upload-dirs = ("$HOME_U")
server.modules += ("mod_dirlisting")
dir-listing.activate = "enable"
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain")
EOF
    printf '<p>served from the jail</p>\n' >"$j/srv/www/index.html"
    printf 'x\n' >"$j/srv/www/files/listed-file.txt"
}
HTTPD_PID=""
httpd_stop() {
    [[ -n $HTTPD_PID ]] && kill "$HTTPD_PID" 2>/dev/null && wait "$HTTPD_PID" 2>/dev/null
    HTTPD_PID=""
}
on_exit httpd_stop
works_lighttpd() {
    local j=$1 i page list
    # Started as an admin starts a jailed daemon: jk_exec -u, in the
    # foreground (-D), stopped with SIGTERM (jk_exec passes it on).
    "$JK_EXEC" -u "$U" "$j" /usr/sbin/lighttpd -D -f /etc/lighttpd/test.conf >"$T_ROOT/httpd.out" 2>&1 </dev/null &
    HTTPD_PID=$!
    for i in $(seq 50); do
        page=$(curl -s --max-time 2 "http://127.0.0.1:$PORT/") && break
        kill -0 "$HTTPD_PID" 2>/dev/null || break
        sleep 0.1
    done
    list=$(curl -s --max-time 2 "http://127.0.0.1:$PORT/files/")
    httpd_stop
    R_RC=0 R_OUT="$page | $list" R_ERR=$(<"$T_ROOT/httpd.out")
    [[ $page == '<p>served from the jail</p>' && $list == *listed-file.txt* ]]
}
J=$(base_jail lighttpd /usr/sbin/lighttpd)
httpd_setup "$J"
expect_fail lighttpd works_lighttpd "$J"
trace lighttpd "$J" --wait 2 --test-outside "curl -s --max-time 5 http://127.0.0.1:$PORT/files/" \
    --write-section "lighttpd-traced:$T_ROOT/lighttpd.ini" -- /usr/sbin/lighttpd -D -f /etc/lighttpd/test.conf
expect_work lighttpd "started in the jail after jk_trace, serves a page and a listing to curl on 127.0.0.1" \
    works_lighttpd "$J"
second_jail lighttpd "$T_ROOT/lighttpd.ini" works_lighttpd httpd_setup

finish
