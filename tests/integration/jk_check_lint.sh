#!/bin/bash
# Integration test of jk_check --lint (issue 7.3b): the built jk_check reads
# its own /etc/jailkit (a private bind mount, tests/lib/common.sh) and, with
# --lint=DIR, any directory.
#
#   JK_CHECK=/abs/path/jk_check JK_SYSCONFDIR=/etc/jailkit bash tests/integration/jk_check_lint.sh
#
# Covers: the shipped ini files are clean (exit 0, no output); each trap alone
# in its file gives one "file:line: problem" line and exit 2 (unknown key, C
# prefix key, space-separated list, need_logsocket = 0, [group  x], duplicate
# key and section, indented comment, inline '# comment', unparsable file);
# the default directory is JK_SYSCONFDIR; a missing file is skipped; a missing
# directory, a file as directory and an unreadable file exit 1; --lint with
# a jail is a usage error; findings from several files all come out.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHECK
setup_root
private_confdir
# The ini files as configured and installed (ini/meson.build), not their templates.
src=${JK_INI_DIR:?JK_INI_DIR is not set (meson passes it)}

# The shipped ini files, copied into the private /etc/jailkit: no traps.
for f in "$src"/*.ini; do install -m 0644 -o 0 -g 0 "$f" "$T_CONF/"; done
run_cmd "$JK_CHECK" --lint
assert_rc "shipped ini files: --lint exits 0" 0
assert_eq "shipped ini files: no output" "" "$R_OUT$R_ERR"
n_shipped=$(ls "$T_CONF"/*.ini | wc -l)
check "the shipped files were really there ($n_shipped)" test "$n_shipped" -ge 3

# lint_one DESC FILE CONTENT LINE ERE : CONTENT alone in DIR/FILE gives
# exactly one finding at LINE matching ERE, and exit 2.
D=$T_ROOT/lintdir
lint_one() {
    local desc=$1 file=$2 content=$3 line=$4 ere=$5
    rm -rf "$D" && install -d -m 0755 "$D" || fatal "cannot create $D"
    printf '%b' "$content" >"$D/$file"
    run_cmd "$JK_CHECK" --lint="$D"
    assert_rc "$desc: exit 2" 2
    assert_eq "$desc: one finding" 1 "$(grep -c . <<<"$R_OUT")"
    assert_match "$desc: $file:$line" "^$D/$file:$line: $ere" "$R_OUT"
}

lint_one "unknown key" jk_init.ini '[s]\ncomment = x\nbogus = 1\n' 3 "unknown key 'bogus' in section \[s\]"
lint_one "prefix key (C tool)" jk_lsh.ini '[u]\nexec = /usr/bin/scp\n' 2 "unknown key 'exec'.*'executables'"
lint_one "space-separated list" jk_init.ini '[php]\npaths = /usr/bin/php /etc/php.ini\n' 2 \
    "item '/usr/bin/php /etc/php.ini' of 'paths' contains a blank"
lint_one "need_logsocket = 0" jk_init.ini '[s]\nneed_logsocket = 0\n' 2 "'need_logsocket = 0'.*non-empty value as true"
lint_one "[group  x]" jk_chrootsh.ini '[group  web]\nenv = HOME\n' 1 "section header \[group  web\] has extra blanks"
lint_one "duplicate key" jk_uchroot.ini '[u]\nallowed_jails = /a\nallowed_jails = /b\n' 3 "duplicate key"
lint_one "duplicate section" jk_socketd.ini '[/j/dev/log]\nbase = 1\n[/j/dev/log]\nbase = 2\n' 3 "duplicate section"
lint_one "indented comment (C tool)" jk_procmailwrapper.ini '[DEFAULT]\n  # note\nprocmail = /usr/bin/procmail\n' 2 \
    "indented comment"
lint_one "inline comment (C tool)" jk_chrootsh.ini '[DEFAULT]\ninjail_shell = /bin/bash # the shell\n' 2 \
    "the value of 'injail_shell' holds '# the shell'"
lint_one "unknown key in jk_update.ini" jk_update.ini '[/j]\nskip = /x\n' 2 "unknown key 'skip'"
lint_one "unknown key in jk_check.ini" jk_check.ini '[/j]\nignorepath = /x\n' 2 "unknown key 'ignorepath'"
lint_one "unparsable file" jk_init.ini '[s]\nno delimiter\n' 2 "the tools refuse this file"

# The same traps are not findings in the dialect that allows them.
rm -rf "$D" && install -d -m 0755 "$D"
printf '[s]\n  # indented comments are fine for the Python tools\ncomment = a # b\n' >"$D/jk_init.ini"
printf 'unrelated = 1\n' >"$D/other.ini"
run_cmd "$JK_CHECK" --lint="$D"
assert_rc "Python-tool file with an indented comment, unknown file ignored: exit 0" 0
assert_eq "... and no output" "" "$R_OUT$R_ERR"

# Several files: every finding comes out, in file order.
printf '[u]\nexec = /bin/ls\n' >"$D/jk_lsh.ini"
printf '[s]\nneed_proc = no\n' >"$D/jk_init.ini"
run_cmd "$JK_CHECK" --lint="$D"
assert_rc "two files with traps: exit 2" 2
assert_eq "two files: two findings" 2 "$(grep -c . <<<"$R_OUT")"
assert_contains "jk_init.ini's finding" "$D/jk_init.ini:2:" "$R_OUT"
assert_contains "jk_lsh.ini's finding" "$D/jk_lsh.ini:2:" "$R_OUT"

# The default directory is the tools' /etc/jailkit.
printf '[group  web]\n' >>"$T_CONF/jk_lsh.ini"
run_cmd "$JK_CHECK" --lint
assert_rc "default dir: a trap in $JK_SYSCONFDIR/jk_lsh.ini: exit 2" 2
assert_match "default dir: named under $JK_SYSCONFDIR" "^$JK_SYSCONFDIR/jk_lsh.ini:[0-9]+: section header \[group  web\]" "$R_OUT"

# Errors: exit 1.
run_cmd "$JK_CHECK" --lint="$T_ROOT/nonexistent"
assert_rc "missing directory: exit 1" 1
assert_contains "missing directory: named" "$T_ROOT/nonexistent" "$R_ERR"
run_cmd "$JK_CHECK" --lint="$D/jk_lsh.ini"
assert_rc "a file given as directory: exit 1" 1
rm -f "$D/jk_lsh.ini" && install -d -m 0755 "$D/jk_lsh.ini"
run_cmd "$JK_CHECK" --lint="$D"
assert_rc "jk_lsh.ini is a directory: exit 1" 1
run_cmd "$JK_CHECK" --lint="$D" /some/jail
assert_rc "--lint with a jail: exit 1" 1
assert_contains "--lint with a jail: says why" "not jails" "$R_ERR"

finish
