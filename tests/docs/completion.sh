#!/bin/bash
# The bash completion (ini/bash-completion/jailkit-ng.in, as configured in the
# build dir): sourced in a plain bash, with COMP_WORDS/COMP_CWORD set as bash
# sets them, and COMPREPLY checked.
#
#   JK_COMPLETION=build/ini/bash-completion/jailkit-ng JK_SYSCONFDIR=/etc/jailkit \
#   JK_CP=... (every JK_<TOOL>) bash tests/docs/completion.sh
#
# Covers: jk_init -j /x <TAB> lists the sections of the -c file (also
# --configfile=FILE and -cFILE), and of JK_SYSCONFDIR/jk_init.ini without -c
# (the configured directory, pointed at a scratch copy); jk_cp -<TAB> and every
# other tool's -<TAB> give exactly the options its --help lists; -j and
# --jail= complete directories; jk_jailuser completes users, jk_cp programs
# from $PATH and paths; a flag is not taken for an option with an argument.
set -u
here=$(cd "$(dirname "$0")" && pwd)
T_NUM=0 T_FAIL=0
ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $*"; }
not_ok() { T_NUM=$((T_NUM + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_NUM - $*"; }
expect() {  # DESC EXPECTED(lines) GOT(lines)
    if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1"; printf '#   expected: %s\n#   got:      %s\n' "${2//$'\n'/ }" "${3//$'\n'/ }"; fi
}
has_line() {  # DESC LINE GOT(lines)
    if grep -qxF -- "$2" <<<"$3"; then ok "$1"; else not_ok "$1"; printf '#   %s not in: %s\n' "$2" "${3//$'\n'/ }"; fi
}

[[ -r ${JK_COMPLETION:-} ]] || { echo "Bail out! JK_COMPLETION is not a readable file"; exit 1; }
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT

# source the file as bash-completion would, then check it registered itself.
# shellcheck disable=SC1090
source "$JK_COMPLETION" || { echo "Bail out! cannot source $JK_COMPLETION"; exit 1; }
expect "the configured directory is JK_SYSCONFDIR" "$JK_SYSCONFDIR" "$_jk_confdir"
for t in jk_check jk_chrootsh jk_chrootlaunch jk_cp jk_exec jk_init jk_jailuser jk_list jk_lsh jk_procmailwrapper \
    jk_socketd jk_trace jk_uchroot jk_update; do
    expect "complete -F registered for $t" "complete -F _jk_complete $t" "$(complete -p "$t" 2>&1)"
done

# comp WORD... : completes the last word of the command line (as bash would
# call the function: $1 is the command) and prints COMPREPLY sorted, one a line.
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _jk_complete "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
    printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}

ini=$scratch/my.ini
cat >"$ini" <<'INI'
# a comment [notasection]
[DEFAULT]
comment = x
[basicshell]
paths = /bin/sh
  [ sftp ]
[scp] # trailing comment
[jk_lsh]
INI
want=$'basicshell\njk_lsh\nscp\nsftp'
expect "jk_init -c FILE -j /x <TAB>: the sections of FILE" "$want" "$(comp jk_init -c "$ini" -j /x "")"
expect "jk_init --configfile = FILE -j /x <TAB>" "$want" "$(comp jk_init --configfile = "$ini" -j /x "")"
expect "jk_init --configfile=FILE (one word) -j /x <TAB>" "$want" "$(comp jk_init "--configfile=$ini" -j /x "")"
expect "jk_init -cFILE -j /x s<TAB>" $'scp\nsftp' "$(comp jk_init "-c$ini" -j /x s)"
expect "jk_init -c FILE -j /x basicshell <TAB>: more sections" "$want" "$(comp jk_init -c "$ini" -j /x basicshell "")"
# ~/FILE as the shell would expand it; a shell without HOME (cron, env -i)
# completes nothing rather than failing.
expect "jk_init -c ~/FILE -j /x <TAB>: ~ is HOME" "$want" "$(HOME=$scratch; comp jk_init -c "~/my.ini" -j /x "")"
expect "jk_init -c ~/FILE -j /x <TAB> without HOME: nothing, no error" "" "$(unset HOME; comp jk_init -c "~/my.ini" -j /x "" 2>&1)"

# Without -c: JK_SYSCONFDIR/jk_init.ini (pointed at a scratch directory).
mkdir "$scratch/conf"
printf '[alpha]\n[beta]\n' >"$scratch/conf/jk_init.ini"
_jk_confdir=$scratch/conf
expect "jk_init -j /x <TAB>: the sections of the default jk_init.ini" $'alpha\nbeta' "$(comp jk_init -j /x "")"
_jk_confdir=$scratch/none
expect "jk_init -j /x <TAB> without any jk_init.ini: nothing" "" "$(comp jk_init -j /x "")"

# Options: exactly what each tool's --help lists.
for t in jk_check jk_chrootsh jk_chrootlaunch jk_cp jk_exec jk_init jk_jailuser jk_list jk_lsh jk_procmailwrapper \
    jk_socketd jk_trace jk_uchroot jk_update; do
    var=JK_${t#jk_}; var=${var^^}
    exe=${!var:-}
    if [[ ! -x $exe ]]; then not_ok "$t: $var is not an executable"; continue; fi
    help=$(python3 "$here/help_vs_man.py" --help-options "$exe") || { not_ok "$t --help"; continue; }
    got=$(comp "$t" -)
    # jk_cp accepts -? and lists it; the one-dash word "-" matches every option.
    expect "$t -<TAB>: the options of $t --help" "$(LC_ALL=C sort <<<"$help")" "$got"
done
expect "jk_cp --h<TAB>" $'--hardlink\n--help' "$(comp jk_cp -j /x --h)"

# Arguments of options.
mkdir -p "$scratch/jails/one" "$scratch/jails/two" && touch "$scratch/jails/file"
expect "jk_init -j <TAB>: directories" "$scratch/jails/one"$'\n'"$scratch/jails/two" "$(comp jk_init -j "$scratch/jails/")"
expect "jk_cp --jail=<TAB> (split at =): directories" "$scratch/jails/one"$'\n'"$scratch/jails/two" \
    "$(comp jk_cp --jail = "$scratch/jails/")"
expect "jk_cp -f <TAB> is not an option argument: programs" "" "$(comp jk_cp -f "$scratch/jails/nomatch")"
has_line "jk_jailuser -j /x ro<TAB>: users" root "$(comp jk_jailuser -j /x ro)"
has_line "jk_cp -j /x bas<TAB>: programs from PATH" bash "$(comp jk_cp -j /x bas)"
has_line "jk_cp -j /x /usr/bin/bas<TAB>: paths" /usr/bin/bash "$(comp jk_cp -j /x /usr/bin/bas)"
has_line "jk_chrootlaunch -g ro<TAB>: groups" root "$(comp jk_chrootlaunch -g ro)"

# jk_exec: the jail, then the command inside it; the command's options are its own.
mkdir -p "$scratch/jails/one/bin" "$scratch/jails/one/usr/sbin" "$scratch/jails/one/etc"
printf '#!/bin/sh\n' >"$scratch/jails/one/bin/jkprog" && chmod 0755 "$scratch/jails/one/bin/jkprog"
printf '#!/bin/sh\n' >"$scratch/jails/one/usr/sbin/jkprogd" && chmod 0755 "$scratch/jails/one/usr/sbin/jkprogd"
printf 'x\n' >"$scratch/jails/one/bin/jkdata"  # not executable
expect "jk_exec <TAB>: directories" "$scratch/jails/one"$'\n'"$scratch/jails/two" "$(comp jk_exec "$scratch/jails/")"
expect "jk_exec -u USER <TAB>: directories" "$scratch/jails/one"$'\n'"$scratch/jails/two" \
    "$(comp jk_exec -u root "$scratch/jails/")"
has_line "jk_exec -u ro<TAB>: users" root "$(comp jk_exec -u ro)"
has_line "jk_exec -U ro<TAB>: users" root "$(comp jk_exec -U ro)"
expect "jk_exec JAIL jk<TAB>: the jail's programs, not the host's" $'jkprog\njkprogd' "$(comp jk_exec "$scratch/jails/one" jk)"
expect "jk_exec -u USER -- JAIL jk<TAB>" $'jkprog\njkprogd' "$(comp jk_exec -u root -- "$scratch/jails/one" jk)"
expect "jk_exec --user=USER JAIL jk<TAB>" $'jkprog\njkprogd' "$(comp jk_exec --user = root "$scratch/jails/one" jk)"
expect "jk_exec JAIL /b<TAB>: paths inside the jail" "/bin" "$(comp jk_exec "$scratch/jails/one" /b)"
expect "jk_exec JAIL /bin/jkp<TAB>" "/bin/jkprog" "$(comp jk_exec "$scratch/jails/one/" /bin/jkp)"
expect "jk_exec JAIL CMD -<TAB>: not jk_exec's options" "" "$(comp jk_exec "$scratch/jails/one" jkprog -)"
expect "jk_exec JAIL CMD -u <TAB>: not jk_exec's -u" "" "$(comp jk_exec "$scratch/jails/one" jkprog -u ro)"

echo "1..$T_NUM"
(( T_FAIL == 0 ))
