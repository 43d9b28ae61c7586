#!/usr/bin/env bash
# The sections shipped for hosting's common needs (issue 14, deliverable 4),
# each proven here: `jk_init -j J SECTION` alone, then the program's basic
# job works inside, as a jailed user with a home of its own (chroot
# --userspec, a clean environment):
#   composer      php -r with mbstring and json, composer --version;
#   nodejs        node -e, npm --version;
#   mysql-client  mariadb --version and mysql --version;
#   python3-venv  python3 -m venv DIR, DIR/bin/python and DIR/bin/pip;
#   tmux, screen  tmux -V and screen -v under a pty (tmux on the host);
#   git           git clone over file:// of a repository in the jail.
# The packages are .ci/deps.sh's; a missing one fails the run.
#
#   JK_INIT=... JK_INIT_INI=.../build/ini/jk_init.ini bash tests/integration/trace_sections.sh
source "$(dirname "$0")/../lib/common.sh"
skip_unless_root
need_tool JK_INIT
need_cmd chroot tmux git timeout
[[ -f ${JK_INIT_INI:-} ]] || fatal "JK_INIT_INI is not set to the configured jk_init.ini (meson passes it)"
for p in /usr/bin/php /usr/bin/composer /usr/bin/node /usr/bin/npm /usr/bin/mariadb /usr/bin/python3 \
    /usr/share/python-wheels /usr/bin/tmux /usr/bin/screen /usr/bin/git; do
    [[ -e $p ]] || fatal "$p is not installed (.ci/deps.sh installs it)"
done
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
CHROOT=$(command -v chroot)  # called from under env -i: by its path
export LC_ALL=C
unset LANG LANGUAGE

U=$(make_user)
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
HOME_U=/home/$U
TS=$T_ROOT/tmux.sock
on_exit tmux -S "$TS" kill-server

# section_jail SECTION : a jail of jk_init SECTION alone, the user added.
section_jail() {
    local j=$T_ROOT/jails/$1
    run_cmd "$JK_INIT" -c "$JK_INIT_INI" -j "$j" "$1"
    assert_rc "[$1] jk_init exits 0" 0
    printf '%s:x:%s:%s::%s:/bin/sh\n' "$U" "$UID_U" "$GID_U" "$HOME_U" >>"$j/etc/passwd"
    printf '%s:x:%s:\n' "$U" "$GID_U" >>"$j/etc/group"
    install -d -m 0755 "$j/home" && install -d -m 0700 -o "$UID_U" -g "$GID_U" "$j$HOME_U"
    J=$j
}

# jrun DESC ERE CMD... : CMD in $J as the user, exit 0, stdout+stderr matches ERE.
jrun() {
    local desc=$1 re=$2; shift 2
    run_cmd timeout 300 env -i PATH=/usr/bin:/bin HOME="$HOME_U" USER="$U" TERM=xterm-256color \
        "$CHROOT" --userspec="$UID_U:$GID_U" "$J" "$@"
    assert_rc "$desc: exit 0" 0
    assert_match "$desc: output" "$re" "$R_OUT$R_ERR"
}

# in_pty DESC ERE CMD... : CMD in $J as the user under a pty (a tmux window
# on the host), TERM=xterm-256color, LANG=C.UTF-8; exit 0 and the screen
# matches ERE.
in_pty() {
    local desc=$1 re=$2; shift 2
    local s=pty$RANDOM i rc screen
    rm -f "$T_ROOT/$s.rc"
    tmux -S "$TS" -f /dev/null new-session -d -s "$s" -x 100 -y 30 \
        "$(printf '%q ' env -i PATH=/usr/bin:/bin HOME="$HOME_U" TERM=xterm-256color LANG=C.UTF-8 \
            "$CHROOT" --userspec="$UID_U:$GID_U" "$J" "$@"); echo \$? >$T_ROOT/$s.rc; sleep 30" \
        || fatal "tmux new-session failed"
    for ((i = 0; i < 100; i++)); do [[ -e $T_ROOT/$s.rc ]] && break; sleep 0.1; done
    rc=$(cat "$T_ROOT/$s.rc" 2>/dev/null || echo timeout)
    screen=$(tmux -S "$TS" capture-pane -p -t "$s" 2>/dev/null)
    tmux -S "$TS" kill-session -t "$s" 2>/dev/null
    assert_eq "$desc: exit 0 under a pty" 0 "$rc"
    assert_match "$desc: on screen" "$re" "$screen"
}

# ---------------------------------------------------------------- php-cli with composer
section_jail composer
jrun "composer: php -r with mbstring and json" '^ABC 5 \{"ok":true\}$' \
    /usr/bin/php -r 'echo mb_strtoupper("abc"), " ", mb_strlen("h\u{e9}llo"), " ", json_encode(["ok" => true]), "\n";'
jrun "composer --version" 'Composer (version )?[0-9]+\.[0-9]+' /usr/bin/composer --no-interaction --version

# ---------------------------------------------------------------- Node.js with npm
section_jail nodejs
jrun "nodejs: node -e" '^linux 2$' /usr/bin/node -e 'console.log(require("os").platform(), 1 + 1)'
jrun "nodejs: npm --version" '^[0-9]+\.[0-9]+\.[0-9]+' /usr/bin/npm --version

# ---------------------------------------------------------------- MariaDB client
section_jail mysql-client
jrun "mysql-client: mariadb --version" 'MariaDB' /usr/bin/mariadb --version
jrun "mysql-client: mysql --version" 'MariaDB' /usr/bin/mysql --version

# ---------------------------------------------------------------- python3 with venv
section_jail python3-venv
jrun "python3-venv: python3 -m venv" '^$' /usr/bin/python3 -m venv "$HOME_U/venv"
jrun "python3-venv: the venv's python runs in it" '^True 42$' "$HOME_U/venv/bin/python" -c \
    'import sys, json; print(sys.prefix != sys.base_prefix, json.loads("42"))'
jrun "python3-venv: the venv has pip" '^pip [0-9]+' "$HOME_U/venv/bin/pip" --version

# ---------------------------------------------------------------- tmux, screen
section_jail tmux
in_pty "tmux -V" 'tmux [0-9]+\.[0-9]+' /usr/bin/tmux -V
section_jail screen
in_pty "screen -v" 'Screen version [0-9]+' /usr/bin/screen -v

# ---------------------------------------------------------------- git with its helpers
section_jail git
R=$J/srv/repo
install -d -m 0755 "$J/srv"
git init -q -b main "$R" || fatal "git init"
printf 'hello from the jail repo\n' >"$R/README"
git -C "$R" add README && git -C "$R" -c user.name=t -c user.email=t@example.org commit -q -m one || fatal "git commit"
chown -R "$UID_U:$GID_U" "$R"
jrun "git: clone over file://" '^$' /usr/bin/git clone -q file:///srv/repo "$HOME_U/clone"
assert_eq "git: the clone has the file" "hello from the jail repo" "$(cat "$J$HOME_U/clone/README" 2>&1)"
jrun "git: log in the clone" ' one$' /usr/bin/git -C "$HOME_U/clone" log --oneline

finish
