#!/usr/bin/env bash
# jk_chrootsh's static build and its dynamically linked twin (jk/handover.hpp,
# jk/host_lookup.hpp): a setuid copy run by real users on a real jail, with
# the host's NSS configuration and user files replaced, in this test's own
# mount namespace only, by bind mounts of files of its own (the host's files
# are never written):
#  - nsswitch.conf asking files first, the user in /etc/passwd: the static
#    tool answers itself and needs no twin;
#  - "passwd: sss files" (no sss module here, so glibc's NSS falls through to
#    files), or a /etc/passwd glibc reads differently from libjk: the login
#    is handed to the twin, and works;
#  - a twin missing or failing its trust rule: the login is refused (13);
#  - what the handover must carry (umask) and must not (LD_PRELOAD), the
#    twin's own refusals ($USER naming another account, an unknown uid).
# A build without a twin (the sanitized one) has a dynamic jk_chrootsh that
# asks NSS itself: the test then checks that, runs the same logins on that
# one path, and says that the handover was not exercised.
source "$(dirname "$0")/../lib/common.sh"
enter_private_mounts "$@"
skip_unless_root
need_tool JK_CHROOTSH
need_tool JK_INIT
need_cmd setpriv python3 gcc file getent realpath
BUILT=$JK_CHROOTSH
setup_root
private_confdir
capture_syslog
twin_ref "$BUILT"
install_setuid JK_CHROOTSH

# ---------------------------------------------------------------- the build
linkage=$(file -b "$BUILT")
if [[ -n $T_TWIN_REF ]]; then
    HAVE_TWIN=1
    TWIN=$(realpath -ms "$T_ROOT/bin/$T_TWIN_REF")
    [[ -f $TWIN ]] || fatal "install_setuid did not install the twin at $TWIN"
    assert_match "this build's jk_chrootsh is static" "static(-pie)? linked" "$linkage"
    assert_match "... and its twin is dynamic" "dynamically linked" "$(file -b "$TWIN")"
    diag "twin: $TWIN"
else
    HAVE_TWIN=0
    TWIN=""
    assert_match "no twin in this build: jk_chrootsh is dynamically linked" "dynamically linked" "$linkage"
    assert_not_contains "... not static" "static" "$linkage"
    run_cmd ldd "$BUILT"
    assert_not_contains "... and ldd lists its libraries" "statically linked" "$R_OUT$R_ERR"
    assert_missing "... and no twin was installed beside the setuid copy" "$T_ROOT/libexec"
fi

# ---------------------------------------------------------------- the jail and its users
J=$(make_jail handover)
"$JK_INIT" -c "$JK_INIT_INI" -j "$J" basicshell uidbasics >/dev/null 2>&1 || fatal "jk_init basicshell failed"

jail_user() {
    local u=$1
    usermod -d "$J/./home/$u" -s "$JK_CHROOTSH" "$u" || fatal "usermod $u"
    jail_account "$J" "$u"
}
# Every user exists before any bind mount over /etc/passwd: useradd renames
# a new file over it, which would detach the mount.
U=$(make_user); jail_user "$U"
V=$(make_user); jail_user "$V"
UID_U=$(id -u "$U") GID_U=$(id -g "$U")
# A uid in no passwd file, for the caller nobody knows.
NOBODY_UID=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    cand=$((3000000000 + RANDOM * 32768 + RANDOM))
    getent passwd "$cand" >/dev/null || { NOBODY_UID=$cand; break; }
done
[[ -n $NOBODY_UID ]] || fatal "no unused uid found"

# ---------------------------------------------------------------- this namespace's nsswitch.conf
# One file bound once over /etc/nsswitch.conf; nss() rewrites it in place
# (same inode), so the bind mount stays.
NSS=$T_ROOT/nsswitch.conf
: >"$NSS"
mount --bind "$NSS" /etc/nsswitch.conf || fatal "cannot bind $NSS over /etc/nsswitch.conf"
nss() {
    printf '%s\n' "$@" >"$NSS"
    cmp -s "$NSS" /etc/nsswitch.conf || fatal "/etc/nsswitch.conf in this namespace is not $NSS any more"
}
FILES=("passwd: files" "group: files" "shadow: files")
SSS=("passwd: sss files" "group: sss files" "shadow: sss files")

# ---------------------------------------------------------------- logins and their syslog
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
LOG_MARK=0
mark_log() { LOG_MARK=$(wc -l <"$T_SYSLOG"); }
since_mark() { tail -n +"$((LOG_MARK + 1))" "$T_SYSLOG"; }
# wait_log ERE : waits (2 s at most) for a line since the mark matching ERE.
wait_log() {
    for _ in $(seq 40); do since_mark | grep -Eq -- "$1" && return 0; sleep 0.05; done
    return 1
}
ere() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }
# login USER ARG... : jk_chrootsh as USER with a clean environment; marks syslog.
login() { local u=$1; shift; mark_log; run_cmd as_user "$u" env -i "USER=$u" "$JK_CHROOTSH" "$@"; }
# The line jk_chrootsh logs when a login is handed to the twin (LOG_DEBUG).
HANDED="^<87>.*jk_chrootsh\[[0-9]+\]: handing the login to "
# handed DESC [WHY-ERE] : the last login was handed to the twin, for WHY; in a
# build without a twin, that it was not handed over.
handed() {
    wait_log "now entering jail|abort" || true
    if [[ $HAVE_TWIN == 1 ]]; then
        if since_mark | grep -Eq -- "$HANDED$(ere "$TWIN"): ${2:-}"; then ok "$1"
        else not_ok "$1"; diag "no line since the login matches: $HANDED$TWIN: ${2:-}"; diag "$(since_mark)"; fi
    else
        not_handed "${1%% ...*} ... not handed over"
    fi
}
# not_handed DESC : the last login was not handed to the twin.
not_handed() {
    local desc=$1
    [[ $HAVE_TWIN == 1 ]] || desc+=" (this build has no twin: jk_chrootsh asked NSS itself)"
    wait_log "now entering jail|abort" || true
    if since_mark | grep -Eq -- "handing the login"; then
        not_ok "$desc"; diag "$(since_mark | grep -E -- "handing the login")"
    else ok "$desc"; fi
}
entered() {
    if wait_log "^<86>.*jk_chrootsh\[[0-9]+\]: now entering jail $(ere "$J") for user $(ere "$2") "; then ok "$1"
    else not_ok "$1"; diag "no 'now entering jail' line for $2 since the login"; diag "$(since_mark)"; fi
}
away_twin() { mv "$TWIN" "$T_ROOT/twin.away" || fatal "cannot move the twin away"; }
back_twin() { mv "$T_ROOT/twin.away" "$TWIN" || fatal "cannot put the twin back"; }

# ---------------------------------------------------------------- a. files first, the user in /etc/passwd
nss "${FILES[@]}"
login "$U" -c 'echo RAN'
assert_eq "a. files first: the login runs a command in the jail" "0:RAN" "$R_RC:$R_OUT"
entered "a. ... and is logged" "$U"
not_handed "a. ... by the static tool itself: nothing handed to the twin"
if [[ $HAVE_TWIN == 1 ]]; then
    away_twin
    login "$U" -c 'echo RAN'
    assert_eq "a. with the twin removed the login still works (the static path needs no twin)" "0:RAN" "$R_RC:$R_OUT"
    not_handed "a. ... and nothing tried to hand it over"
    back_twin
fi
# Debian's own first line, "files systemd": still the static path.
nss "passwd: files systemd" "group: files systemd"
login "$U" -c 'echo RAN'
assert_eq "a. 'passwd: files systemd' (Debian's default): the login works" "0:RAN" "$R_RC:$R_OUT"
not_handed "a. ... without the twin"

# ---------------------------------------------------------------- b. another service first
nss "${SSS[@]}"
run_cmd getent passwd "$U"
assert_match "b. (control) glibc's NSS finds the user through 'sss files' (no sss module: files answers)" \
    "^$U:x:$UID_U:" "$R_OUT"
login "$U" -c 'echo RAN'
assert_eq "b. 'passwd: sss files': the login works" "0:RAN" "$R_RC:$R_OUT"
entered "b. ... and is logged" "$U"
handed "b. ... handed to the twin, saying why" \
    "NSS must find user '$U': nsswitch.conf does not have NSS ask files first, and only files, for passwd"
nss "passwd: files [SUCCESS=continue] sss" "group: files"
login "$U" -c 'echo RAN'
assert_eq "b. an action after files: the login works" "0:RAN" "$R_RC:$R_OUT"
handed "b. ... handed to the twin"

# ---------------------------------------------------------------- c. a twin that cannot be used
if [[ $HAVE_TWIN == 1 ]]; then
    nss "${SSS[@]}"
    away_twin
    login "$U" -c 'echo RAN'
    assert_eq "c. twin missing: refused with 13, nothing ran" "13:" "$R_RC:$R_OUT"
    assert_contains "c. ... the message names the twin" "cannot hand the login to $TWIN" "$R_ERR"
    assert_contains "c. ... and says the user was not found" "failed to get user information for user '$U'" "$R_ERR"
    wait_log "abort, failed to get user information" || true
    if since_mark | grep -Eq "^<83>.*jk_chrootsh\[[0-9]+\]: abort, .*cannot hand the login to $(ere "$TWIN")"; then
        ok "c. ... and the refusal is logged (authpriv.err)"
    else not_ok "c. ... and the refusal is logged (authpriv.err)"; diag "$(since_mark)"; fi
    back_twin

    chmod 0775 "$TWIN"
    login "$U" -c 'echo RAN'
    assert_eq "c. twin group-writable (0775): refused with 13" "13:" "$R_RC:$R_OUT"
    assert_match "c. ... the message says it is writable" "cannot hand the login to $(ere "$TWIN").*writable" "$R_ERR"
    chmod 0757 "$TWIN"
    login "$U" -c 'echo RAN'
    assert_eq "c. twin other-writable (0757): refused with 13" "13:" "$R_RC:$R_OUT"
    chmod 0755 "$TWIN"

    chown "$U" "$TWIN"
    login "$U" -c 'echo RAN'
    assert_eq "c. twin owned by the test user: refused with 13" "13:" "$R_RC:$R_OUT"
    assert_match "c. ... the message says it is not root's" "cannot hand the login to $(ere "$TWIN").*not owned by root" "$R_ERR"
    chown 0:0 "$TWIN" && chmod 0755 "$TWIN"

    chmod o+w "${TWIN%/*}"
    login "$U" -c 'echo RAN'
    assert_eq "c. the twin's directory writable by others: refused with 13" "13:" "$R_RC:$R_OUT"
    chmod o-w "${TWIN%/*}"

    mv "$TWIN" "$T_ROOT/twin.real" && ln -s "$T_ROOT/twin.real" "$TWIN"
    login "$U" -c 'echo RAN'
    assert_eq "c. the twin a symlink (to a root-owned copy): refused with 13" "13:" "$R_RC:$R_OUT"
    rm -f "$TWIN" && mv "$T_ROOT/twin.real" "$TWIN"

    login "$U" -c 'echo RAN'
    assert_eq "c. (control) the twin as installed: the login works" "0:RAN" "$R_RC:$R_OUT"
    handed "c. ... handed over"
else
    diag "c. not run: this build has no twin to remove or to make unsafe"
fi

# ---------------------------------------------------------------- d. a /etc/passwd glibc reads differently
# A copy of the host's file with one more entry after white space (glibc
# reads it as an entry, libjk would not): bound over /etc/passwd for one
# login. A useradd elsewhere renames a new file over /etc/passwd, which
# detaches the bind mount: the login is retried until the file it saw was ours.
with_passwd() {
    local copy=$1 try; shift
    for try in 1 2 3 4 5; do
        mount --bind "$copy" /etc/passwd || fatal "cannot bind $copy over /etc/passwd"
        "$@"
        if cmp -s "$copy" /etc/passwd; then umount /etc/passwd; return 0; fi
        umount /etc/passwd 2>/dev/null
        diag "d. /etc/passwd changed under the bind mount (another test's useradd?): retry $try"
        sleep 0.$((RANDOM % 9 + 1))
    done
    fatal "the bind mount over /etc/passwd kept being detached"
}
nss "${FILES[@]}"
cp /etc/passwd "$T_ROOT/passwd.indented"
printf '  %sx:x:%s:%s::/nonexistent:/usr/sbin/nologin\n' "$U" "$NOBODY_UID" "$GID_U" >>"$T_ROOT/passwd.indented"
grep -q "^$U:" "$T_ROOT/passwd.indented" || fatal "$U is not in the copy of /etc/passwd"
with_passwd "$T_ROOT/passwd.indented" login "$U" -c 'echo RAN'
assert_eq "d. /etc/passwd with a line starting with white space: the login works" "0:RAN" "$R_RC:$R_OUT"
handed "d. ... handed to the twin"
# (control) the same copy without that line is the static tool's.
grep -v '^  ' "$T_ROOT/passwd.indented" >"$T_ROOT/passwd.plain"
with_passwd "$T_ROOT/passwd.plain" login "$U" -c 'echo RAN'
assert_eq "d. (control) the same copy without it: the login works" "0:RAN" "$R_RC:$R_OUT"
not_handed "d. ... without the twin"

# ---------------------------------------------------------------- e. a caller in no passwd file
for setup in FILES SSS; do
    declare -n lines=$setup
    nss "${lines[@]}"
    mark_log
    run_cmd setpriv --reuid="$NOBODY_UID" --regid="$GID_U" --clear-groups env -i "$JK_CHROOTSH" -c 'echo RAN'
    assert_eq "e. ($setup) a uid in no passwd file is refused with 13" "13:" "$R_RC:$R_OUT"
    assert_contains "e. ($setup) ... 'failed to get user information for user ID $NOBODY_UID'" \
        "failed to get user information for user ID $NOBODY_UID: " "$R_ERR"
    # The twin's own refusal, from getpwuid_r, not the static tool's.
    assert_contains "e. ($setup) ... as NSS refuses it (check /etc/passwd)" ", check /etc/passwd" "$R_ERR"
    assert_not_contains "e. ($setup) ... not a failed handover" "cannot hand the login" "$R_ERR"
    handed "e. ($setup) ... after the handover" "NSS must find user ID $NOBODY_UID: "
    unset -n lines
done

# ---------------------------------------------------------------- f. LD_PRELOAD in the caller's environment
install -d -m 0755 "$T_ROOT/lib" && install -d -m 1777 "$T_ROOT/mark"
MARK=$T_ROOT/mark/loaded
cat >"$T_ROOT/lib/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void jk_test_mark(void) {
    int fd = open("$MARK", O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) { (void)write(fd, "loaded\n", 7); close(fd); }
}
EOF
gcc -shared -fPIC -o "$T_ROOT/lib/evil.so" "$T_ROOT/lib/evil.c" || fatal "cannot build the LD_PRELOAD library"
chmod 0755 "$T_ROOT/lib/evil.so"
as_user "$U" env -i LD_PRELOAD="$T_ROOT/lib/evil.so" /bin/true
assert_exists "f. (control) the library's constructor runs in a dynamic program of the user" "$MARK"
rm -f "$MARK"
for setup in SSS FILES; do
    declare -n lines=$setup
    nss "${lines[@]}"
    mark_log
    run_cmd as_user "$U" env -i USER="$U" LD_PRELOAD="$T_ROOT/lib/evil.so" "$JK_CHROOTSH" -c 'echo RAN'
    assert_eq "f. ($setup) LD_PRELOAD in the caller's environment: the login works" "0:RAN" "$R_RC:$R_OUT"
    if [[ $setup == SSS ]]; then handed "f. ($setup) ... handed to the twin"; else not_handed "f. ($setup) ... static"; fi
    assert_missing "f. ($setup) ... and the library was never loaded" "$MARK"
    rm -f "$MARK"
    unset -n lines
done

# ---------------------------------------------------------------- g. the caller's umask
for setup in FILES SSS; do
    declare -n lines=$setup
    nss "${lines[@]}"
    for mask in 077 027; do
        mark_log
        run_cmd as_user "$U" bash -c "umask $mask; exec env -i USER='$U' '$JK_CHROOTSH' -c umask"
        assert_eq "g. ($setup) the caller's umask $mask reaches the jailed shell" "0:0$mask" "$R_RC:$R_OUT"
        if [[ $setup == SSS ]]; then handed "g. ($setup) ... handed to the twin"; else not_handed "g. ($setup) ... static"; fi
    done
    unset -n lines
done

# ---------------------------------------------------------------- h. $USER naming another account
for setup in FILES SSS; do
    declare -n lines=$setup
    nss "${lines[@]}"
    mark_log
    run_cmd as_user "$U" env -i USER="$V" "$JK_CHROOTSH" -c 'echo RAN'
    assert_eq "h. ($setup) \$USER naming another account is refused with 13" "13:" "$R_RC:$R_OUT"
    assert_contains "h. ($setup) ... saying so" "(\$USER names another account)" "$R_ERR"
    assert_contains "h. ($setup) ... naming the caller's uid and the account" \
        "started by user ID $UID_U, got user info $V with user ID $(id -u "$V")" "$R_ERR"
    if [[ $setup == SSS ]]; then handed "h. ($setup) ... by the twin"; else not_handed "h. ($setup) ... by the static tool"; fi
    unset -n lines
done

# ---------------------------------------------------------------- i. argv and environment carried whole
printf '%s\n' "[DEFAULT]" "env = TERM" >"$T_CONF/jk_chrootsh.ini"
chmod 0644 "$T_CONF/jk_chrootsh.ini"
for setup in FILES SSS; do
    declare -n lines=$setup
    nss "${lines[@]}"
    mark_log
    run_cmd as_user "$U" env -i USER="$U" bash -c "exec -a -jk_chrootsh '$JK_CHROOTSH' -c 'echo in'"
    assert_eq "i. ($setup) argv[0] '-jk_chrootsh' (sshd's login shell form) is accepted" "0:in" "$R_RC:$R_OUT"
    if [[ $setup == SSS ]]; then handed "i. ($setup) ... by the twin"; else not_handed "i. ($setup) ... static"; fi
    run_cmd as_user "$U" env -i USER="$U" bash -c "exec -a bash '$JK_CHROOTSH' -c 'echo in'"
    assert_eq "i. ($setup) argv[0] 'bash' is refused with 1" "1:" "$R_RC:$R_OUT"
    mark_log
    # shellcheck disable=SC2016 # expanded by the jailed shell
    run_cmd as_user "$U" env -i USER="$U" TERM=jk-test-term "$JK_CHROOTSH" -c 'echo "$TERM" "$#" "$1"' x 'a b'
    assert_eq "i. ($setup) the caller's TERM (env = TERM) and the arguments reach the shell" \
        "0:jk-test-term 1 a b" "$R_RC:$R_OUT"
    if [[ $setup == SSS ]]; then handed "i. ($setup) ... through the twin"; else not_handed "i. ($setup) ... static"; fi
    unset -n lines
done
rm -f "$T_CONF/jk_chrootsh.ini"

if [[ $HAVE_TWIN == 0 ]]; then
    diag "NOTE: this build has no dynamically linked twin (dynamic-twins names none for jk_chrootsh):"
    diag "NOTE: jk_chrootsh asked NSS itself; the handover to a twin was NOT exercised in this build."
fi
umount /etc/nsswitch.conf
finish
