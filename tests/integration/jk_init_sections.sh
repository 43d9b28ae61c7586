#!/bin/bash
# Integration test of ini/jk_init.ini with jk_init (issue 3 "Tests"): for
# EVERY section of the repository's jk_init.ini, a fresh jail is built with
# just that section and its programs are run inside it with chroot(8), as
# root and as an unprivileged user (chroot --userspec=65534:65534); for
# sections that carry users or NSS configuration, `id -un`/`whoami` must print
# names. A program the host does not have is reported (diag) and must then be
# absent from the jail, so every case asserts something. Then jk_init
# --strict of the sections whose packages every CI host has, on Debian 12
# and 13 alike (.ci/trixie.sh runs this test in a Debian 13 root).
#
#   JK_INIT=/abs/path/to/jk_init JK_INIT_INI=/abs/path/to/ini/jk_init.ini \
#       bash tests/integration/jk_init_sections.sh
#
# The ini is copied into a scratch config directory first: sections with
# need_logsocket register the jail in jk_socketd.ini beside the config file,
# and that must not be the source tree (nor /etc/jailkit).
# A new section in ini/jk_init.ini without a check_<section> function here
# fails the test.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_INIT
need_cmd chroot grep sed sort
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
: "${JK_SBINDIR:?JK_SBINDIR is not set (meson passes it)}"
[[ -f $JK_INIT_INI ]] || fatal "JK_INIT_INI=$JK_INIT_INI is not a file"
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
export LC_ALL=C
unset LANG LANGUAGE

CFG_DIR=$T_ROOT/etc
mkdir -m 0755 "$CFG_DIR"
CFG=$CFG_DIR/jk_init.ini
cp "$JK_INIT_INI" "$CFG"
NOBODY=65534:65534

# ---------------------------------------------------------------- helpers

# jrun DESC ERE J CMD... : CMD inside J as root and as nobody; exit 0 and
# output (stdout+stderr) matching ERE. When CMD's program is not on the host,
# it must not be in the jail either.
jrun() {
    local desc=$1 re=$2 j=$3; shift 3
    if [[ ! -e "$1" ]]; then
        diag "$1 is not installed on this host: '$desc' not run"
        assert_missing "$desc: $1 absent on the host, absent in the jail" "$j$1"
        return
    fi
    local who spec
    for who in root nobody; do
        spec=()
        [[ $who == nobody ]] && spec=("--userspec=$NOBODY")
        run_cmd chroot "${spec[@]}" "$j" "$@"
        assert_rc "$desc (as $who): exit 0" 0
        assert_match "$desc (as $who): output" "$re" "$R_OUT$R_ERR"
    done
}

# jrun_as_root_only DESC ERE J CMD... (for output that names the user)
jnames() {
    local desc=$1 j=$2; shift 2
    run_cmd chroot "$j" "$@"
    assert_eq "$desc (root)" "root" "$R_OUT"
    run_cmd chroot --userspec=$NOBODY "$j" "$@"
    assert_eq "$desc (nobody)" "nobody" "$R_OUT"
}

# jfile DESC J PATH : PATH must exist in J when it exists on the host
# (through the host's symlinks), and be absent otherwise.
jfile() {
    if [[ -e "$3" ]]; then assert_exists "$1" "$2$3"
    else diag "$3 not on this host"; assert_missing "$1 (absent on the host)" "$2$3"; fi
}

has_passwd() { grep -q "^$2:" "$1/etc/passwd" 2>/dev/null; }
has_group() { grep -q "^$2:" "$1/etc/group" 2>/dev/null; }

check_uidbasics() {
    jfile "uidbasics: nsswitch.conf" "$1" /etc/nsswitch.conf
    local s
    for s in $(sed -n 's/#.*//; s/^\(passwd\|group\|shadow\|hosts\):\(.*\)/\2/p' /etc/nsswitch.conf |
               tr ' \t' '\n\n' | grep -v '^\[' | grep -vx 'files\|dns\|' | sort -u); do
        if [[ -e /usr/lib/x86_64-linux-gnu/libnss_$s.so.2 ]]; then
            assert_exists "uidbasics: NSS module of '$s' added without a glob" \
                "$1/usr/lib/x86_64-linux-gnu/libnss_$s.so.2"
        fi
    done
}
check_netbasics() {
    check_uidbasics "$1"
    jfile "netbasics: /etc/hosts" "$1" /etc/hosts
    jfile "netbasics: /etc/services" "$1" /etc/services
    jfile "netbasics: CA certificates" "$1" /etc/ssl/certs
    assert_missing "netbasics: /etc/ssl/private (keys) is not copied" "$1/etc/ssl/private"
}
check_logbasics() {
    jfile "logbasics: /etc/localtime" "$1" /etc/localtime
    check_logsocket "$1"
}
check_logsocket() {
    if [[ -d "$1/dev" ]]; then ok "logbasics: JAIL/dev created"; else not_ok "logbasics: JAIL/dev created"; fi
    assert_eq "logbasics: registered once in the config dir's jk_socketd.ini" 1 \
        "$(grep -cxF "[$1/dev/log]" "$CFG_DIR/jk_socketd.ini" 2>/dev/null)"
}
check_jk_lsh() {
    check_logbasics "$1"
    check_uidbasics "$1"
    # This build's jk_lsh (the configured ini names it), never jailkit's.
    jfile "jk_lsh: the jk_lsh binary" "$1" "$JK_SBINDIR/jk_lsh"
    [[ $JK_SBINDIR == /usr/sbin ]] || assert_missing "jk_lsh: not /usr/sbin/jk_lsh (jailkit's)" "$1/usr/sbin/jk_lsh"
    if has_passwd "$1" root; then ok "jk_lsh: root in JAIL/etc/passwd"; else not_ok "jk_lsh: root in JAIL/etc/passwd"; fi
    if has_group "$1" root; then ok "jk_lsh: root in JAIL/etc/group"; else not_ok "jk_lsh: root in JAIL/etc/group"; fi
    assert_type "jk_lsh: /dev/null is a device" "$1/dev/null" "character special file"
}
check_limitedshell() { check_jk_lsh "$1"; }
check_cvs() { jrun "cvs --version" 'Concurrent Versions' "$1" /usr/bin/cvs --version; }
check_git() {
    jrun "git --version" '^git version' "$1" /usr/bin/git --version
    jrun "git hash-object" '^[0-9a-f]{40}$' "$1" /usr/bin/git hash-object /etc/nsswitch.conf
    check_perl "$1"
    check_editors "$1"
    jrun "git's helpers run through /bin/sh" '^ok$' "$1" /usr/bin/sh -c 'echo ok'
}
check_scp() {
    if [[ -e /usr/bin/scp ]]; then
        for spec in "" "--userspec=$NOBODY"; do
            run_cmd chroot $spec "$1" /usr/bin/scp
            assert_rc "scp without arguments runs (usage, exit 1) ${spec:-as root}" 1
            assert_match "scp prints its usage ${spec:-as root}" 'usage: scp' "$R_ERR"
        done
    else jrun "scp" . "$1" /usr/bin/scp; fi
    assert_type "scp: /dev/urandom" "$1/dev/urandom" "character special file"
    check_netbasics "$1"
}
check_sftp() {
    jrun "sftp-server -Q requests" '^open' "$1" /usr/lib/openssh/sftp-server -Q requests
    if [[ -e /usr/bin/sftp ]]; then
        run_cmd chroot --userspec=$NOBODY "$1" /usr/bin/sftp -h
        assert_match "sftp client runs in the jail" 'usage: sftp' "$R_ERR"
    fi
    check_netbasics "$1"
}
check_ssh() {
    jrun "ssh -V" 'OpenSSH' "$1" /usr/bin/ssh -V
    jrun "ssh -G (needs the user's name)" 'hostname localhost' "$1" /usr/bin/ssh -G localhost
    assert_type "ssh: /dev/tty" "$1/dev/tty" "character special file"
}
check_rsync() { jrun "rsync --version" 'rsync +version' "$1" /usr/bin/rsync --version; }
check_procmail() {
    jrun "procmail -v" 'procmail' "$1" /usr/bin/procmail -v
    jrun "sh for procmail recipes" '^ok$' "$1" /usr/bin/sh -c 'echo ok'
}
check_basicshell() {
    jrun "bash with the basic utilities" '^Hi 3$' "$1" /usr/bin/bash -c \
        'x=$(echo hi | sed s/h/H/ | grep Hi); n=$(ls / | grep -c -e etc -e usr -e dev); cat /etc/passwd >/dev/null; date >/dev/null; echo "$x $n" > /dev/null; echo "$x $n"'
    jrun "dash (/bin/sh)" '^ok$' "$1" /usr/bin/sh -c 'echo ok'
    jrun "tar and gzip" '^x$' "$1" /usr/bin/bash -c 'echo x | gzip | zcat'
    jnames "basicshell: id -un prints names" "$1" /usr/bin/id -un
    assert_mode "basicshell: emptydirs /tmp is 0755" "$1/tmp" 755
    assert_type "basicshell: /dev/zero" "$1/dev/zero" "character special file"
}
check_interactiveshell() {
    check_basicshell "$1"
    check_extendedshell "$1"
    check_terminfo "$1"
}
check_midnightcommander() {
    jrun "mc --version" 'Midnight' "$1" /usr/bin/mc --version
    jrun "bash (basicshell included)" '^ok$' "$1" /usr/bin/bash -c 'echo ok'
}
check_extendedshell() {
    jrun "sort, head, awk, tr" '^a$' "$1" /usr/bin/bash -c "echo b a | tr ' ' '\n' | sort | head -n 1 | awk '{print \$1}'"
    jrun "find, wc, du, less" '^[1-9]' "$1" /usr/bin/bash -c 'find /usr/bin -maxdepth 1 | wc -l; less --version >/dev/null; du -s /usr/bin >/dev/null'
    jrun "file(1) with its magic" 'ELF' "$1" /usr/bin/file -L /usr/bin/bash
    jnames "extendedshell: whoami prints names" "$1" /usr/bin/whoami
    check_editors "$1"
}
check_terminfo() {
    local t found=0
    for t in /usr/lib/terminfo/x/xterm /usr/share/terminfo/x/xterm /etc/terminfo/x/xterm; do
        [[ -e $t ]] || continue
        found=1; assert_exists "terminfo: $t" "$1$t"
    done
    ((found)) || diag "no xterm terminfo entry on this host"
    jfile "terminfo: /usr/lib/terminfo" "$1" /usr/lib/terminfo
}
check_editors() {
    jrun "vim --version" 'VIM - Vi IMproved' "$1" /usr/bin/vim --version
    jrun "vim -es edits a buffer" '^hello' "$1" /usr/bin/vim -n -es -u NONE -i NONE -c "put ='hello'" -c '%print' -c 'qa!'
    jrun "nano --version" 'nano' "$1" /usr/bin/nano --version
}
check_netutils() {
    jrun "wget --version" 'GNU Wget' "$1" /usr/bin/wget --version
    jrun "curl --version" '^curl' "$1" /usr/bin/curl --version
    check_ssh "$1"
    check_netbasics "$1"
}
check_apacheutils() { jrun "htpasswd" 'user:' "$1" /usr/bin/htpasswd -nb user pass; }
check_extshellplusnet() {
    check_extendedshell "$1"
    check_netutils "$1"
    check_apacheutils "$1"
}
check_openvpn() {
    jrun "openvpn --version" 'OpenVPN' "$1" /usr/sbin/openvpn --version
    if has_passwd "$1" nobody; then ok "openvpn: nobody in JAIL/etc/passwd"; else not_ok "openvpn: nobody in JAIL/etc/passwd"; fi
    if has_group "$1" nogroup; then ok "openvpn: nogroup in JAIL/etc/group"; else not_ok "openvpn: nogroup in JAIL/etc/group"; fi
    assert_type "openvpn: /dev/urandom" "$1/dev/urandom" "character special file"
    check_logsocket "$1"
}
check_apache() {
    jrun "apache2 -v" 'Apache' "$1" /usr/sbin/apache2 -v
    if has_passwd "$1" www-data; then ok "apache: www-data in JAIL/etc/passwd"; else not_ok "apache: www-data in JAIL/etc/passwd"; fi
}
check_perl() {
    jrun "perl with POSIX and File::Temp" '^2$' "$1" /usr/bin/perl -MPOSIX -MFile::Temp -MData::Dumper -e 'print POSIX::floor(2.5), "\n"'
    jrun "perl: the C.UTF-8 locale" '^C\.UTF-8$' "$1" /usr/bin/perl -MPOSIX -e 'print setlocale(LC_ALL, "C.UTF-8"), "\n"'
}
check_xauth() { jrun "xauth -V" '[0-9]' "$1" /usr/bin/xauth -V; }
check_xclients() { check_xauth "$1"; jfile "xclients: rgb.txt" "$1" /usr/share/X11/rgb.txt; }
check_vncserver() { jrun "Xvnc -version" 'Xvnc|TigerVNC' "$1" /usr/bin/Xvnc -version; check_xclients "$1"; }
check_ping() {
    jrun "ping -V" 'ping' "$1" /usr/bin/ping -V
    if [[ -e /usr/bin/ping ]]; then
        assert_eq "ping keeps its capability or setuid bit" \
            "$(getcap /usr/bin/ping 2>/dev/null | awk '{print $2}') $(stat -c %a /usr/bin/ping)" \
            "$(getcap "$1/usr/bin/ping" 2>/dev/null | awk '{print $2}') $(stat -c %a "$1/usr/bin/ping")"
    fi
}
check_php() { jrun "php -r" '^3$' "$1" /usr/bin/php -r 'echo 1+2, "\n";'; }
check_python3() {
    jrun "python3 with json, hashlib, ssl" '^\{"a": 1\} [0-9a-f]{8}$' "$1" /usr/bin/python3 -c \
        'import json, hashlib, ssl, socket; print(json.dumps({"a": 1}), hashlib.sha256(b"x").hexdigest()[:8])'
    jrun "python3: the C.UTF-8 locale" '^UTF-8$' "$1" /usr/bin/python3 -c \
        'import locale; locale.setlocale(locale.LC_ALL, "C.UTF-8"); print(locale.getlocale()[1])'
    jnames "python3: getpass.getuser-like lookup prints names" "$1" /usr/bin/python3 -c \
        'import pwd, os; print(pwd.getpwuid(os.getuid()).pw_name)'
}
check_python3-venv() {
    check_python3 "$1"
    jfile "python3-venv: ensurepip's wheels" "$1" /usr/share/python-wheels
    # A venv needs a writable directory: tests/integration/trace_sections.sh
    # makes one as a jailed user.
}
check_tmux() {
    jrun "tmux -V (it sets the C.UTF-8 locale itself)" '^tmux [0-9]' "$1" /usr/bin/tmux -V
}
check_screen() { jrun "screen -v" 'Screen version' "$1" /usr/bin/screen -v; }
check_nodejs() {
    jrun "node -e" '^2$' "$1" /usr/bin/node -e 'console.log(1+1)'
    jrun "npm (#!/usr/bin/env node)" '^[0-9]+\.[0-9]+' "$1" /usr/bin/npm --version
}
check_mysql-client() { jrun "mysql --version" 'mysql|MariaDB' "$1" /usr/bin/mysql --version; }
check_composer() {
    jrun "composer --version" 'Composer' "$1" /usr/bin/composer --version
    check_env "$1"
}
check_env() { jrun "env runs a program" '^x=1$' "$1" /usr/bin/env -i x=1 /usr/bin/env; }

# ---------------------------------------------------------------- every section

mapfile -t SECTIONS < <(sed -n 's/^\[\([^]]*\)\][[:space:]]*$/\1/p' "$CFG" | grep -vx DEFAULT)
((${#SECTIONS[@]} >= 34)) || not_ok "ini/jk_init.ini has the 34 required sections (found ${#SECTIONS[@]})"
for required in uidbasics netbasics logbasics jk_lsh limitedshell cvs git scp sftp ssh rsync procmail \
    basicshell interactiveshell midnightcommander extendedshell terminfo editors netutils apacheutils \
    extshellplusnet openvpn apache perl xauth xclients vncserver ping php python3 nodejs mysql-client composer env; do
    # No pipe into grep -q: under pipefail its early exit can end printf with
    # SIGPIPE and fail the check for a section that is there.
    found=0
    for s in "${SECTIONS[@]}"; do [[ $s == "$required" ]] && found=1; done
    ((found)) || not_ok "section [$required] is in ini/jk_init.ini"
done

for s in "${SECTIONS[@]}"; do
    J="$T_ROOT/jails/$s"
    run_cmd "$JK_INIT" -c "$CFG" -j "$J" "$s"
    assert_rc "[$s] jk_init exits 0" 0
    assert_not_contains "[$s] no missing section" "does not exist in" "$R_ERR"
    assert_not_contains "[$s] no error" "ERROR" "$R_ERR"
    if declare -F "check_$s" >/dev/null; then
        "check_$s" "$J"
    else
        not_ok "[$s] has a check_$s function in $T_NAME"
    fi
    # The jail must pass jailkit's own rule afterwards (COMPAT W22): no
    # group/other-writable directory where jk_chrootsh looks.
    bad=$(find "$J" -maxdepth 1 -mindepth 1 -type d -perm /022 -printf '%p\n')
    assert_eq "[$s] no group/other-writable top-level directory" "" "$bad"
    rm -rf --one-file-system "$J"
done

# ---------------------------------------------------------------- --strict

# The sections whose packages every CI host has (Debian 12 and 13 with
# .ci/deps.sh's packages, issue 15): jk_init --strict passes on both
# releases, so a path one release moved or dropped must be written as
# "A | B" in the ini. A section is checked only where its key file is there
# (a developer's host may lack a package); jk_lsh and limitedshell name this
# build's installed jk_lsh, which a test build has not installed.
declare -A STRICT_KEY=([uidbasics]=/etc/nsswitch.conf [netbasics]=/etc/ssl/certs [logbasics]=/etc/localtime
    [scp]=/usr/bin/scp [sftp]=/usr/bin/sftp [ssh]=/usr/bin/ssh [rsync]=/usr/bin/rsync [procmail]=/usr/bin/procmail
    [terminfo]=/usr/bin/tput [perl]=/usr/bin/perl [python3]=/usr/bin/python3 [env]=/usr/bin/env)
for s in $(printf '%s\n' "${!STRICT_KEY[@]}" | sort); do
    if [[ ! -e ${STRICT_KEY[$s]} ]]; then
        diag "${STRICT_KEY[$s]} is not installed on this host: jk_init --strict $s not run"
        continue
    fi
    J="$T_ROOT/jails/strict-$s"
    run_cmd "$JK_INIT" --strict -c "$CFG" -j "$J" "$s"
    assert_rc "[$s] jk_init --strict exits 0 (every path of the section, or one of its alternatives, is here)" 0
    [[ $R_RC == 0 ]] || diag "[$s] --strict: $R_ERR"
    rm -rf --one-file-system "$J"
done

finish
