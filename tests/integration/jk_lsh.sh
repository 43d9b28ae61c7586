#!/usr/bin/env bash
# jk_lsh (COMPAT.md 2.4, weaknesses W5-W7) in a real jail built by jk_init,
# run the way jk_chrootsh runs it: chrooted, as the jailed user, with
# "-c COMMAND". Exit codes, the trusted-config rule, shell syntax refused,
# the argument rules (rsync -e sh, --rsh, --rsync-path, find -exec) next to
# real rsync and scp transfers that go through them, the 022 umask, the
# environment built from scratch, and syslog for every decision.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_LSH
need_tool JK_INIT
need_tool JK_CP
need_cmd chroot rsync scp python3 stat
setup_root
CHROOT=$(command -v chroot)
capture_syslog

make_lsh_jail lsh uidbasics basicshell rsync scp -- /usr/bin/find

# lsh CMD [ENV...] : jk_lsh -c CMD in the jail as U with a clean environment.
lsh() { local c=$1; shift; run_cmd env -i "USER=$U" "$@" "$CHROOT" --userspec="$U:$G" "$J" /usr/sbin/jk_lsh -c "$c"; }
lsh_args() { run_cmd env -i "USER=$U" "$CHROOT" --userspec="$U:$G" "$J" /usr/sbin/jk_lsh "$@"; }

EXES=/usr/bin/id,/usr/bin/ls,/usr/bin/env,/usr/bin/touch,/usr/bin/rsync,/usr/bin/scp,/usr/bin/find
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES"

# ---------------------------------------------------------------- basics
run_cmd "$JK_LSH" --version
assert_rc "--version exits 0" 0
assert_match "--version prints the version" '^jk_lsh [0-9]+\.[0-9]+' "$R_OUT"
run_cmd "$JK_LSH" --help
assert_contains "--help prints the usage" "-c COMMAND" "$R_OUT"

lsh "id -un"
assert_rc "an allowed command runs" 0
assert_eq "it runs as the jailed user" "$U" "$R_OUT"
syslog_has "the command is logged (authpriv.info)" "^<86>.*jk_lsh\[[0-9]+\]: executing command 'id -un' for user $U \($UID_U\)"

lsh_args --login -c "id -u"
assert_rc "arguments before -c are ignored" 0
assert_eq "--login -c runs the command" "$UID_U" "$R_OUT"

lsh "/usr/bin/ls -d /home/$U"
assert_rc "an absolute allowed path runs" 0
assert_eq "and prints" "/home/$U" "$R_OUT"

lsh "cat /etc/passwd"
assert_rc "a program not in executables: exit 4" 4
assert_contains "stderr says why" "not allowed according to /etc/jailkit/jk_lsh.ini" "$R_ERR"
syslog_has "the refusal is logged (authpriv.warning)" "^<84>.*jk_lsh.*WARNING: user $U \($UID_U\) tried to run '/usr/bin/cat', which is not allowed according to /etc/jailkit/jk_lsh.ini"

lsh_args
assert_rc "no arguments: interactive, exit 7" 7
lsh_args --login
assert_rc "--login alone: interactive, exit 7" 7
lsh_args -c
assert_rc "-c without a command: interactive, exit 7" 7
syslog_has "the interactive attempt is logged" "^<84>.*jk_lsh.*user $U \($UID_U\) tried to get an interactive shell session"

run_cmd env -i USER=root "$CHROOT" --userspec="$U:$G" "$J" /usr/sbin/jk_lsh -c id
assert_rc "\$USER naming another uid: exit 2" 2
run_cmd env -i USER=nosuchuserhere "$CHROOT" --userspec="$U:$G" "$J" /usr/sbin/jk_lsh -c id
assert_rc "\$USER naming nobody: exit 2" 2

# ---------------------------------------------------------------- the config file
mv "$INI" "$INI.keep"
lsh "id"
assert_rc "missing jk_lsh.ini: exit 1" 1
syslog_has "the missing file is logged" "^<84>.*jk_lsh.*missing configuration file /etc/jailkit/jk_lsh.ini"
mv "$INI.keep" "$INI"
chmod 0664 "$INI"
lsh "id"
assert_rc "group-writable jk_lsh.ini is refused: exit 1" 1
assert_contains "stderr names the file" "jk_lsh.ini" "$R_ERR"
chmod 0644 "$INI"; chown "$U" "$INI"
lsh "id"
assert_rc "jk_lsh.ini owned by the user is refused: exit 1" 1
chown 0 "$INI"
mv "$INI" "$INI.real"; ln -s jk_lsh.ini.real "$INI"
lsh "id"
assert_rc "a symlinked jk_lsh.ini is refused: exit 1" 1
rm -f "$INI"; mv "$INI.real" "$INI"
lsh "id"
assert_rc "the restored file works again" 0

lsh_ini "[someoneelse]" "executables = /usr/bin/id"
lsh "id"
assert_rc "no section for the user: exit 3" 3
lsh_ini "[group $G]" "paths = /usr/bin" "executables = /usr/bin/id"
lsh "id -u"
assert_rc "the primary group's section applies" 0
lsh_ini "[DEFAULT]" "paths = /usr/bin"
lsh "id"
assert_rc "no executables: exit 5" 5
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES" "exec = /bin/sh" "u mask = 0"
lsh "id -u"
assert_rc "unknown keys are not fatal" 0
syslog_has "unknown keys are logged" "^<84>.*jk_lsh.*unknown key 'exec'"
lsh "sh -c id"
assert_rc "'exec =' is not a prefix of executables (jailkit's quirk)" 4

# ---------------------------------------------------------------- shell syntax
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES"
for c in 'id; sh' 'id;sh' 'id | sh' 'id && sh' 'id > /home/x' 'id $(sh)' 'id `sh`' 'id ${IFS}' $'id\nsh' \
         '/usr/bin/../../bin/sh' '/usr/bin//id' '/usr/bin/./id' '../usr/bin/id' 'bin/../bin/sh'; do
    lsh "$c"
    assert_rc "refused, exit 4: $(printf '%q' "$c")" 4
done
lsh "id 'unterminated"
assert_rc "an unterminated quote: exit 6" 6
lsh "ls -d '/home/$U' \"/home/$U\" /home/\\$U"
assert_rc "quoting works" 0
assert_eq "quoted words reach the program whole" "$(printf '/home/%s\n/home/%s\n/home/%s' "$U" "$U" "$U")" "$R_OUT"
lsh "touch '/home/$U/a b'"
assert_exists "a quoted blank stays in the word" "$H/a b"
syslog_has "a metacharacter refusal is logged" "^<84>.*jk_lsh.*tried to run 'id; sh': shell metacharacter ';'"

lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES" "allow_word_expansion = 1"
lsh 'ls -d ~'
assert_rc "word expansion mode" 0
assert_eq "~ is expanded" "/home/$U" "$R_OUT"
lsh 'id $(sh)'
assert_rc "word expansion refuses \$(...): exit 6" 6
lsh 'id `sh`'
assert_rc "word expansion refuses backticks: exit 6" 6

# ---------------------------------------------------------------- umask (W5)
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES"
lsh "touch /home/$U/f022"
assert_rc "touch runs" 0
assert_mode "no umask key: files are created 0644 (jailkit: 0666)" "$H/f022" 644
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES" "umask = 077"
lsh "touch /home/$U/f077"
assert_mode "umask = 077: files are created 0600" "$H/f077" 600

# ---------------------------------------------------------------- environment
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = $EXES" \
    "environment = JKTEST=hello, LD_PRELOAD=/home/$U/x.so, BAD=a=b"
lsh env "LD_PRELOAD=" "LD_LIBRARY_PATH=/home/$U" "IFS=x" "GCONV_PATH=/home/$U" "BASH_ENV=/x" \
    "TERM=jk-term" "SSH_CONNECTION=1.2.3.4 5 6.7.8.9 22" "HOME=/elsewhere" "PATH=/home/$U"
assert_rc "env runs" 0
for v in LD_PRELOAD LD_LIBRARY_PATH IFS GCONV_PATH BASH_ENV BAD; do
    assert_not_contains "the command does not see $v" "$v=" "$R_OUT"
done
assert_contains "TERM is passed on" "TERM=jk-term" "$R_OUT"
assert_contains "SSH_CONNECTION is passed on" "SSH_CONNECTION=1.2.3.4 5 6.7.8.9 22" "$R_OUT"
assert_contains "HOME comes from passwd" "HOME=/home/$U" "$R_OUT"
assert_contains "PATH comes from paths" "PATH=/usr/bin:/bin" "$R_OUT"
assert_contains "USER and LOGNAME are the user" "LOGNAME=$U" "$R_OUT"
assert_contains "environment items are set" "JKTEST=hello" "$R_OUT"
syslog_has "an ignored LD_ item is logged" "^<84>.*jk_lsh.*LD_PRELOAD=/home/$U/x.so' sets a loader/libc variable"

exec 7<"$J/etc/passwd"
lsh "ls /proc/self/fd"
exec 7<&-
assert_eq "no inherited fd above 2 reaches the command" "$(printf '0\n1\n2\n3')" "$R_OUT"

# ---------------------------------------------------------------- argument rules (W6)
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = /usr/bin/rsync, /usr/bin/scp, /usr/bin/find"
printf '#!/bin/sh\ntouch /home/%s/PWNED\n' "$U" >"$H/evil"
chown "$U:$G" "$H/evil"; chmod 0755 "$H/evil"
for c in "rsync -e 'sh /home/$U/evil' x:y /home/$U/z" "rsync -e sh x:y z" "rsync -a /home/$U/evil /home/$U/copy" \
         "rsync --server --rsh=sh . x" "rsync --server --rs=sh . x" "rsync --server -e sh . x" \
         "rsync --server --rsync-path=/home/$U/evil . x" "rsync --server --daemon --config=/home/$U/c ." \
         "rsync --server -s . x" "find /home/$U -exec /home/$U/evil {} +" "find /home/$U -execdir sh {} +" \
         "scp -S /home/$U/evil x y" "scp -o ProxyCommand=/home/$U/evil x:y /home/$U/z" "scp -t -oFoo=1 x"; do
    lsh "$c"
    assert_rc "argument rule, exit 4: $c" 4
done
assert_missing "the uploaded program never ran" "$H/PWNED"
assert_missing "rsync in client mode did not copy" "$H/copy"
syslog_has "an argument refusal is logged with the argument" "^<84>.*jk_lsh.*refused by the argument rules \(built-in rules\) for /usr/bin/rsync: '--rsh=sh'"
lsh "find /home/$U -name evil"
assert_rc "find without -exec runs" 0
assert_eq "and finds" "/home/$U/evil" "$R_OUT"

# Real transfers: the client's "remote shell" enters the jail the way
# sshd + jk_chrootsh would, and passes the remote command line as one string.
cat >"$T_ROOT/rsh" <<EOF
#!/bin/bash
# rsync calls: rsh HOST COMMAND...; scp calls: rsh OPTIONS... -- HOST COMMAND
args=("\$@")
for ((i = 0; i < \${#args[@]}; i++)); do [[ \${args[i]} == -- ]] && { set -- "\${args[@]:i+1}"; break; }; done
shift
exec env -i USER=$U $CHROOT --userspec=$U:$G $J /usr/sbin/jk_lsh -c "\$*"
EOF
chmod 0755 "$T_ROOT/rsh"
mkdir -p "$T_ROOT/src/tree/sub"
echo one >"$T_ROOT/src/tree/a"; echo 'two words' >"$T_ROOT/src/tree/sub/b c"
run_cmd rsync -a -e "$T_ROOT/rsh" "$T_ROOT/src/tree/" "jail:/home/$U/dest dir/"
assert_rc "rsync -a upload through jk_lsh works" 0
assert_same_content "the uploaded file arrived" "$T_ROOT/src/tree/sub/b c" "$H/dest dir/sub/b c"
assert_owner "owned by the jailed user" "$H/dest dir/a" "$U:$G"
run_cmd rsync -a -e "$T_ROOT/rsh" "jail:/home/$U/dest dir/" "$T_ROOT/src/back/"
assert_rc "rsync -a download through jk_lsh works" 0
assert_same_content "the downloaded file is the same" "$T_ROOT/src/tree/a" "$T_ROOT/src/back/a"
syslog_has "the rsync server command was logged" "^<86>.*jk_lsh.*executing command 'rsync --server "
run_cmd rsync -a -e "$T_ROOT/rsh" --rsync-path="/home/$U/evil" "$T_ROOT/src/tree/" "jail:/home/$U/x/"
assert_ne "rsync --rsync-path=program is refused" 0 "$R_RC"
assert_missing "and did not run the program" "$H/PWNED"

if scp -O 2>&1 | grep -q 'illegal option'; then
    not_ok "scp -O (legacy protocol) is not supported by this scp"
else
    run_cmd scp -O -S "$T_ROOT/rsh" "$T_ROOT/src/tree/a" "jail:/home/$U/scp-copy"
    assert_rc "scp -O upload through jk_lsh works" 0
    assert_same_content "the scp'd file arrived" "$T_ROOT/src/tree/a" "$H/scp-copy"
    run_cmd scp -O -S "$T_ROOT/rsh" "jail:/home/$U/scp-copy" "$T_ROOT/src/scp-back"
    assert_rc "scp -O download through jk_lsh works" 0
    assert_same_content "the downloaded scp file is the same" "$T_ROOT/src/tree/a" "$T_ROOT/src/scp-back"
fi

# ---------------------------------------------------------------- [arguments X] sections
lsh_ini "[$U]" "paths = /usr/bin, /bin" "executables = /usr/bin/find, /usr/bin/ls" \
    "[arguments find]" "deny = -name" "[arguments /usr/bin/ls]" "require_first = -d"
lsh "find /home/$U -exec /usr/bin/ls {} +"
assert_rc "a section replaces the built-in rules (find -exec allowed by the admin)" 0
lsh "find /home/$U -name evil"
assert_rc "and its own deny applies" 4
lsh "ls /home/$U"
assert_rc "require_first refuses another first argument" 4
lsh "ls -d /home/$U"
assert_rc "require_first accepts the listed one" 0

# ---------------------------------------------------------------- exec failures
install -m 0644 /dev/null "$J/usr/bin/notexec"
printf '#!/nonexistent/interp\n' >"$J/usr/bin/badinterp"; chmod 0755 "$J/usr/bin/badinterp"
lsh_ini "[$U]" "paths = /usr/bin" "executables = /usr/bin/notexec, /usr/bin/badinterp"
lsh "notexec"
assert_rc "a program that cannot be executed: exit 126" 126
lsh "badinterp"
assert_rc "a program whose interpreter is missing: exit 127" 127

finish
