# shellcheck shell=bash
# Shared helpers for the integration and attack tests (sourced, not run).
#
# What it gives a test script:
#   - reporting: ok/not ok lines (TAP style), a failure count, `finish` prints
#     "N passed, N failed" and sets the exit status (non-zero on any failure);
#   - skip_unless_root: exit 77 (meson SKIP) when not root, never a PASS;
#   - a unique test root T_ROOT: a root-owned 0755 directory under /srv or
#     /var/lib (never /tmp: a group/other-writable parent makes every jail
#     unsafe), removed on EXIT together with any test user created here;
#   - jail helpers (make_jail), stat assertions, the HOST_CANARY mechanism
#     that proves nothing outside a jail was written, chmod'ed or chown'ed.
#
# The tools under test are always called by absolute path from the
# environment (JK_CP=/abs/path/jk_cp, set by meson), never through $PATH.

set -u
set -o pipefail
umask 022
# shellcheck source=dev_log_mountpoint.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev_log_mountpoint.sh"

T_PASS=0
T_FAIL=0
T_NUM=0
T_ROOT=""
T_CLEAN_PATHS=()   # extra scratch dirs outside T_ROOT (e.g. on another filesystem)
T_NAME=${0##*/}

# ---------------------------------------------------------------- reporting

ok() {
    T_NUM=$((T_NUM + 1)); T_PASS=$((T_PASS + 1))
    printf 'ok %d - %s\n' "$T_NUM" "$*"
}

not_ok() {
    T_NUM=$((T_NUM + 1)); T_FAIL=$((T_FAIL + 1))
    printf 'not ok %d - %s\n' "$T_NUM" "$*"
}

# diag MSG... : a comment line, shown by `meson test -v`.
diag() {
    local line
    while IFS= read -r line; do printf '#   %s\n' "$line"; done <<<"$*"
}

# check DESC CMD... : ok when CMD exits 0.
check() {
    local desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; diag "command failed: $*"; fi
}

# assert_eq DESC EXPECTED GOT
assert_eq() {
    if [[ "$2" == "$3" ]]; then ok "$1"
    else not_ok "$1"; diag "expected: [$2]"; diag "got:      [$3]"; fi
}

# assert_ne DESC UNEXPECTED GOT
assert_ne() {
    if [[ "$2" != "$3" ]]; then ok "$1"
    else not_ok "$1"; diag "value must differ from: [$2]"; fi
}

# assert_match DESC ERE TEXT
assert_match() {
    if [[ "$3" =~ $2 ]]; then ok "$1"
    else not_ok "$1"; diag "pattern: $2"; diag "text:"; diag "$3"; fi
}

# assert_contains DESC NEEDLE TEXT (fixed string, any line)
assert_contains() {
    if [[ "$3" == *"$2"* ]]; then ok "$1"
    else not_ok "$1"; diag "missing: [$2]"; diag "in:"; diag "$3"; fi
}

assert_not_contains() {
    if [[ "$3" != *"$2"* ]]; then ok "$1"
    else not_ok "$1"; diag "unexpected: [$2]"; diag "in:"; diag "$3"; fi
}

# run_cmd CMD... : runs CMD, stores R_OUT, R_ERR, R_RC (never aborts).
R_OUT="" R_ERR="" R_RC=0
run_cmd() {
    local o e
    o=$(mktemp -p "$T_ROOT" out.XXXXXX) e=$(mktemp -p "$T_ROOT" err.XXXXXX)
    "$@" >"$o" 2>"$e" </dev/null
    R_RC=$?
    R_OUT=$(<"$o") R_ERR=$(<"$e")
    rm -f "$o" "$e"
    return 0
}

# assert_rc DESC EXPECTED : checks R_RC of the last run_cmd.
assert_rc() {
    if [[ "$R_RC" == "$2" ]]; then ok "$1"
    else
        not_ok "$1"; diag "expected exit $2, got $R_RC"
        [[ -n "$R_OUT" ]] && { diag "stdout:"; diag "$(head -c 3000 <<<"$R_OUT")"; }
        [[ -n "$R_ERR" ]] && { diag "stderr:"; diag "$(head -c 3000 <<<"$R_ERR")"; }
    fi
    return 0
}

# assert_no_crash DESC : last run_cmd exited by itself (no signal, no timeout).
assert_no_crash() {
    if (( R_RC < 124 )); then ok "$1"
    else not_ok "$1"; diag "exit $R_RC (signal or timeout)"; diag "stderr: $(head -c 2000 <<<"$R_ERR")"; fi
}

finish() {
    printf '1..%d\n' "$T_NUM"
    printf '%s: %d passed, %d failed\n' "$T_NAME" "$T_PASS" "$T_FAIL"
    (( T_FAIL == 0 ))
    exit $?
}

# fatal MSG : setup could not be done; that is a failure, not a skip.
fatal() {
    printf 'Bail out! %s\n' "$*"
    exit 1
}

# ---------------------------------------------------------------- prerequisites

skip_unless_root() {
    if [[ $(id -u) != 0 ]]; then
        echo "1..0 # SKIP $T_NAME needs root (it builds real jails and users)"
        exit 77
    fi
}

# need_cmd CMD... : a missing dependency fails the run (never a silent skip).
need_cmd() {
    local c missing=()
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
    ((${#missing[@]} == 0)) || fatal "missing commands: ${missing[*]} (install them: see .ci/run)"
}

# need_tool VAR : VAR holds an absolute path to an executable built tool.
need_tool() {
    local var=$1 val=${!1:-}
    [[ -n "$val" ]] || fatal "$var is not set (meson passes it; run: $var=/abs/path/to/tool bash $0)"
    [[ "$val" == /* ]] || fatal "$var must be an absolute path, got: $val"
    [[ -x "$val" && -f "$val" ]] || fatal "$var=$val is not an executable file"
}

# ---------------------------------------------------------------- test root

# A directory is a safe parent when root-owned, not group/other-writable and
# not a symlink (the jailkit rule every jail path must satisfy).
_safe_dir() {
    [[ -d "$1" && ! -L "$1" ]] || return 1
    local s; s=$(stat -c '%u %a' "$1") || return 1
    [[ "${s%% *}" == 0 ]] || return 1
    (( (8#${s#* } & 8#022) == 0 ))
}

_safe_chain() {
    local p=$1
    while :; do
        _safe_dir "$p" || return 1
        [[ "$p" == / ]] && return 0
        p=$(dirname "$p")
    done
}

setup_root() {
    local base
    for base in /srv /var/lib; do
        if _safe_chain "$base"; then
            T_ROOT=$(mktemp -d "$base/jk-test.XXXXXXXX") || continue
            break
        fi
    done
    [[ -n "$T_ROOT" ]] || fatal "no root-owned 0755 parent (/srv or /var/lib) for the test root"
    chown 0:0 "$T_ROOT" && chmod 0755 "$T_ROOT" || fatal "cannot set up $T_ROOT"
    trap _cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$T_ROOT/jails" "$T_ROOT/host" "$T_ROOT/src" "$T_ROOT/cwd"
    chmod 0755 "$T_ROOT/jails" "$T_ROOT/host" "$T_ROOT/src" "$T_ROOT/cwd"
    T_TAG=${T_ROOT##*.}
    # jk_init registers log sockets in jk_socketd.ini beside the ini it reads:
    # give it a private copy, never the source tree's file.
    if [[ -n ${JK_INIT_INI:-} && -f "$JK_INIT_INI" && "$JK_INIT_INI" != "$T_ROOT"/* ]]; then
        install -d -m 0755 "$T_ROOT/cfg" && install -m 0644 "$JK_INIT_INI" "$T_ROOT/cfg/jk_init.ini" \
            || fatal "cannot copy $JK_INIT_INI"
        export JK_INIT_INI=$T_ROOT/cfg/jk_init.ini
    fi
    diag "test root: $T_ROOT"
}

_cleanup() {
    local rc=$? u g p c
    for c in "${T_ON_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
    # make_user runs in $(...) subshells: the names are recorded in files.
    if [[ -n "$T_ROOT" && -f "$T_ROOT/.users" ]]; then
        while IFS= read -r u; do _retry userdel -f "$u" >/dev/null 2>&1; done <"$T_ROOT/.users"
    fi
    if [[ -n "$T_ROOT" && -f "$T_ROOT/.groups" ]]; then
        # userdel usually removes the user's own group already (USERGROUPS_ENAB).
        while IFS= read -r g; do
            getent group "$g" >/dev/null 2>&1 && _retry groupdel "$g" >/dev/null 2>&1
        done <"$T_ROOT/.groups"
    fi
    for p in "${T_CLEAN_PATHS[@]}"; do [[ "$p" == */jk-test.* ]] && rm -rf --one-file-system "$p"; done
    if [[ -n "$T_ROOT" && -d "$T_ROOT" && "$T_ROOT" == /*/jk-test.* ]]; then
        # A /proc or bind mount a test made in a jail would stop
        # `rm --one-file-system` at its mount point and leave the root behind:
        # unmount them, deepest first (mountinfo's 5th field, octal-escaped).
        awk -v root="$T_ROOT/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while IFS= read -r m; do umount -l "$(printf '%b' "$m")" >/dev/null 2>&1; done
        # Immutable or odd modes set by a test must not leave litter behind.
        chattr -R -i "$T_ROOT" >/dev/null 2>&1
        rm -rf --one-file-system "$T_ROOT"
    fi
    exit "$rc"
}

# useradd/groupadd lock /etc/passwd; a parallel run may hold the lock briefly.
_retry() {
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do "$@" && return 0; sleep 0.$((RANDOM % 9 + 1)); done
    return 1
}

# make_user : creates a unique system user with its own group; prints its name.
make_user() {
    local n=1 name
    [[ -f "$T_ROOT/.users" ]] && n=$(( $(wc -l <"$T_ROOT/.users") + 1 ))
    name="jkt${T_TAG:0:6}$n"
    name=${name,,}
    name=${name//[^a-z0-9]/x}
    printf '%s\n' "$name" >>"$T_ROOT/.groups"
    _retry groupadd -r "$name" >/dev/null 2>&1 || fatal "groupadd $name failed"
    printf '%s\n' "$name" >>"$T_ROOT/.users"
    _retry useradd -r -M -N -g "$name" -d /nonexistent -s /usr/sbin/nologin "$name" >/dev/null 2>&1 \
        || fatal "useradd $name failed"
    printf '%s\n' "$name"
}

# make_jail NAME : an empty, safe jail (root:root 0755); prints its path.
make_jail() {
    local j="$T_ROOT/jails/$1"
    rm -rf "$j"
    mkdir -p "$j" && chown 0:0 "$j" && chmod 0755 "$j" || fatal "cannot make jail $j"
    printf '%s\n' "$j"
}

# make_lsh_jail NAME SECTION... [-- PROGRAM...] : a jail built by jk_init from
# the sections, PROGRAMs and our jk_lsh copied in (jk_cp brings what a
# dynamic jk_lsh needs, e.g. the sanitizer build's libasan), /proc, syslog's
# socket and /dev/null bound in, and a user of its own whose jailed login
# shell is jk_lsh. Sets J, U, G, UID_U, GID_U, H (the home) and INI (the
# jail's jk_lsh.ini, written by lsh_ini LINE...). Needs setup_root,
# capture_syslog, and JK_INIT, JK_CP, JK_LSH.
make_lsh_jail() {
    local name=$1; shift
    local sections=() programs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do sections+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    programs=("$@")
    J=$(make_jail "$name")
    "$JK_INIT" -c "$JK_INIT_INI" -j "$J" "${sections[@]}" >/dev/null 2>&1 || fatal "jk_init ${sections[*]} failed"
    "$JK_CP" -j "$J" "$JK_LSH" "${programs[@]}" >/dev/null 2>&1 || fatal "jk_cp of jk_lsh ${programs[*]} failed"
    # Our build, never the host's jailkit 2.23 (/usr/sbin/jk_lsh).
    install -D -m 0755 "$JK_LSH" "$J/usr/sbin/jk_lsh"
    install -d -m 0755 "$J/dev" "$J/proc" "$J/etc/jailkit"
    # The ASan build's runtime reads /proc/self/maps for the stack's bounds;
    # without them every exception jk_lsh catches is reported as an overflow.
    mount -t proc proc "$J/proc" || fatal "cannot mount /proc in the jail"
    on_exit umount -l "$J/proc"
    touch "$J/dev/log" "$J/dev/null"
    mount --bind "$T_ROOT/log.sock" "$J/dev/log" || fatal "cannot bind the syslog socket into the jail"
    on_exit umount -l "$J/dev/log"
    mount --bind /dev/null "$J/dev/null" || fatal "cannot bind /dev/null into the jail"
    on_exit umount -l "$J/dev/null"

    U=$(make_user)
    G=$(id -gn "$U") UID_U=$(id -u "$U") GID_U=$(id -g "$U")
    printf '%s:x:%s:%s::/home/%s:/usr/sbin/jk_lsh\n' "$U" "$UID_U" "$GID_U" "$U" >>"$J/etc/passwd"
    printf '%s:x:%s:\n' "$G" "$GID_U" >>"$J/etc/group"
    install -d -m 0755 -o "$U" -g "$G" "$J/home/$U"
    H=$J/home/$U
    INI=$J/etc/jailkit/jk_lsh.ini
}
lsh_ini() { printf '%s\n' "$@" >"$INI"; chown 0:0 "$INI"; chmod 0644 "$INI"; }

# ---------------------------------------------------------------- stat helpers

# fstat PATH FORMAT : stat without following a final symlink.
fstat() { stat -c "$2" -- "$1" 2>/dev/null || echo "<missing>"; }

assert_mode() {  # DESC PATH OCTAL (e.g. 755, 4755)
    assert_eq "$1" "$3" "$(fstat "$2" %a)"
}

assert_owner() {  # DESC PATH USER:GROUP (names)
    assert_eq "$1" "$3" "$(fstat "$2" %U:%G)"
}

assert_type() {  # DESC PATH TYPE (stat %F, e.g. "regular file", "symbolic link")
    assert_eq "$1" "$3" "$(fstat "$2" %F)"
}

assert_same_inode() {  # DESC A B
    assert_eq "$1" "$(fstat "$2" %d:%i)" "$(fstat "$3" %d:%i)"
}

assert_other_inode() {  # DESC A B
    local a b; a=$(fstat "$2" %d:%i) b=$(fstat "$3" %d:%i)
    if [[ "$a" != "$b" && "$b" != "<missing>" ]]; then ok "$1"
    else not_ok "$1"; diag "$2: $a"; diag "$3: $b"; fi
}

assert_same_content() {  # DESC A B
    if cmp -s -- "$2" "$3"; then ok "$1"
    else not_ok "$1"; diag "$2 and $3 differ (or one is missing)"; fi
}

assert_exists() {  # DESC PATH (lexists)
    if [[ -e "$2" || -L "$2" ]]; then ok "$1"; else not_ok "$1"; diag "missing: $2"; fi
}

assert_missing() {  # DESC PATH
    if [[ ! -e "$2" && ! -L "$2" ]]; then ok "$1"; else not_ok "$1"; diag "exists: $2 ($(fstat "$2" '%F %a %U'))"; fi
}

assert_link() {  # DESC PATH TARGET
    if [[ -L "$2" ]]; then assert_eq "$1" "$3" "$(readlink -- "$2")"
    else not_ok "$1"; diag "$2 is not a symlink ($(fstat "$2" %F))"; fi
}

# tree_listing DIR : one line per entry, everything a re-run must not change.
tree_listing() {
    (cd "$1" && find . -printf '%p %y %i %m %u %g %s %T@ %l\n' | LC_ALL=C sort)
}

# tree_ctimes DIR : ctime of every entry (chmod/chown/rename change it).
tree_ctimes() {
    (cd "$1" && find . -printf '%p %C@\n' | LC_ALL=C sort)
}

# jail_entries DIR : entries below DIR (empty when nothing was created).
jail_entries() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

# ---------------------------------------------------------------- host canaries
#
# A canary is a host file (or directory) outside every jail whose content,
# inode, mode, owner, link count, mtime and ctime are recorded; any write,
# chmod, chown, rename or unlink through a planted symlink changes one of them.
# canary_new NAME : creates HOST/NAME with random content; prints its path.
# host_watch PATH : records an existing host path (e.g. a real library, "/").
# canary_check DESC : one ok/not ok for all recorded paths.

declare -A _CANARY=()

# Shared host paths (real libraries, "/") are watched without link count and
# ctime: another test run may hardlink them (jk_cp -k) at the same time, which
# moves both; a write, chmod, chown, rename or unlink still shows in content,
# mode, owner, inode or mtime.
_canary_state() {
    local p=$1 s h="" fmt='%F %d:%i %a %u:%g %h %s %Y.%y %Z.%z'
    [[ ${2:-} == shared ]] && fmt='%F %d:%i %a %u:%g %s %Y.%y'
    s=$(stat -c "$fmt" -- "$p" 2>/dev/null) || { echo "<missing>"; return; }
    if [[ -f "$p" && ! -L "$p" ]]; then h=$(sha256sum <"$p" | cut -c1-64)
    elif [[ -d "$p" && ! -L "$p" ]]; then h=$(ls -1A -- "$p" | sha256sum | cut -c1-64)
    fi
    printf '%s %s\n' "$s" "$h"
}

# Tests call X=$(canary_new name): the record must outlive that subshell, so
# it also goes to a file canary_check reads.
canary_new() {
    local p="$T_ROOT/host/$1" state
    head -c 64 /dev/urandom | base64 >"$p"
    chmod 0640 "$p"
    touch -d '2001-02-03 04:05:06' "$p"
    state=$(_canary_state "$p")
    _CANARY[$p]=$state
    printf '%s\t%s\n' "$p" "$state" >>"$T_ROOT/.canaries"
    printf '%s\n' "$p"
}

_canary_load() {
    local p state
    [[ -f "$T_ROOT/.canaries" ]] || return 0
    while IFS=$'\t' read -r p state; do
        [[ -n ${_CANARY[$p]+x} ]] || _CANARY[$p]=$state
    done <"$T_ROOT/.canaries"
}

declare -A _SHARED=()
host_watch() {
    local p
    for p in "$@"; do _SHARED[$p]=1; _CANARY[$p]=$(_canary_state "$p" shared); done
}

host_unwatch() {
    local p
    for p in "$@"; do unset "_CANARY[$p]"; done
}

# A path that must never appear (e.g. the target of a dangling planted link).
host_absent() {
    local p
    for p in "$@"; do _CANARY[$p]="<missing>"; done
}

canary_check() {
    local p now bad=0 msg=""
    _canary_load
    for p in "${!_CANARY[@]}"; do
        if [[ -n ${_SHARED[$p]:-} ]]; then now=$(_canary_state "$p" shared); else now=$(_canary_state "$p"); fi
        if [[ "$now" != "${_CANARY[$p]}" ]]; then
            bad=1
            msg+="$p"$'\n'"  before: ${_CANARY[$p]}"$'\n'"  after:  $now"$'\n'
        fi
    done
    if ((bad == 0)); then ok "$1"; else not_ok "$1"; diag "$msg"; fi
}

canary_reset() { _CANARY=(); rm -f "$T_ROOT/.canaries"; }

# ---------------------------------------------------------------- misc

# is_elf PATH : regular file starting with \x7fELF.
is_elf() {
    [[ -f "$1" && ! -L "$1" && -r "$1" ]] || return 1
    [[ "$(head -c 4 -- "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]
}

# ---------------------------------------------------------------- private mounts
#
# The tools read their ini files from a fixed directory ($JK_SYSCONFDIR,
# /etc/jailkit): a setuid tool must never take a config path from its caller.
# A test that needs its own configuration therefore runs in a private mount
# namespace and bind-mounts a directory of its own over that path; the host
# (and another checkout's tests running at the same time) never see it.

# enter_private_mounts "$@" : call first thing; re-runs the script in its own
# mount namespace (children such as sshd inherit it).
enter_private_mounts() {
    if [[ -z ${JK_TEST_PRIVATE_NS:-} ]]; then
        export JK_TEST_PRIVATE_NS=$$
        exec unshare --mount --propagation private -- bash "$0" "$@"
    fi
}

# private_confdir : a fresh root-owned 0755 $T_ROOT/conf mounted over
# $JK_SYSCONFDIR (created on the host, empty, if missing); sets T_CONF.
T_CONF=""
private_confdir() {
    [[ -n ${JK_TEST_PRIVATE_NS:-} ]] || fatal "private_confdir needs enter_private_mounts first"
    [[ -n ${JK_SYSCONFDIR:-} && "$JK_SYSCONFDIR" == /* ]] || fatal "JK_SYSCONFDIR is not set (meson passes it)"
    T_CONF=$T_ROOT/conf
    install -d -m 0755 -o 0 -g 0 "$T_CONF" || fatal "cannot create $T_CONF"
    [[ -d "$JK_SYSCONFDIR" ]] || install -d -m 0755 -o 0 -g 0 "$JK_SYSCONFDIR" || fatal "cannot create $JK_SYSCONFDIR"
    mount --bind "$T_CONF" "$JK_SYSCONFDIR" || fatal "cannot bind-mount $T_CONF over $JK_SYSCONFDIR"
}

# jail_policy_file JAIL : the path of JAIL's isolation policy in the test's
# configuration directory, $T_CONF/jails.d/<systemd-escape --path JAIL>.ini
# (jk_jail.ini(5)); makes jails.d.
jail_policy_file() {
    [[ -n $T_CONF ]] || fatal "jail_policy_file needs private_confdir first"
    install -d -m 0755 -o 0 -g 0 "$T_CONF/jails.d" || fatal "cannot create $T_CONF/jails.d"
    local escaped
    escaped=$(python3 - "$1" <<'PY'
import sys
p = sys.argv[1].strip('/')
out = []
for i, b in enumerate(p.encode()):
    c = chr(b)
    if c == '/': out.append('-')
    elif (c.isascii() and (c.isalnum() or c in ':_.')) and not (i == 0 and c == '.'): out.append(c)
    else: out.append('\\x%02x' % b)
print(''.join(out))
PY
) || fatal "cannot escape $1"
    printf '%s\n' "$T_CONF/jails.d/$escaped.ini"
}

# jail_account JAIL USER [SHELL] : the host user USER as the jail knows it:
# a home JAIL/home/USER (0750, the user's), an entry in the jail's passwd
# with SHELL (default /bin/bash) and one for its primary group.
jail_account() {
    local j=$1 u=$2 shell=${3:-/bin/bash}
    install -d -m 0750 -o "$u" -g "$u" "$j/home/$u" || fatal "cannot create $j/home/$u"
    printf '%s:x:%s:%s::/home/%s:%s\n' "$u" "$(id -u "$u")" "$(id -g "$u")" "$u" "$shell" >>"$j/etc/passwd"
    printf '%s:x:%s:\n' "$u" "$(id -g "$u")" >>"$j/etc/group"
}

# install_twin BUILT_TOOL DIR : a static tool finds its dynamically linked
# twin relative to its own executable (jk/handover.hpp): when the build's
# dynamic-twins file names one for BUILT_TOOL, installs the twin, root:root
# 0755, where a copy of the tool in DIR looks for it, and records it in
# T_TWINS.
declare -A T_TWINS=()  # tool name -> its installed twin (install_twin)
install_twin() {
    local src=$1 dir=$2 name=${1##*/} line ref
    [[ -f "${src%/*}/dynamic-twins" ]] || return 0
    while read -r line; do
        [[ ${line%% *} == "$name" ]] || continue
        ref=${line#* }
        [[ $ref == /* ]] && fatal "the twin of $name is at the absolute $ref: a test cannot install it"
        install -D -m 0755 -o 0 -g 0 "${src%/*}/$name-dynamic" "$dir/$ref" || fatal "cannot install the twin $dir/$ref"
        T_TWINS[$name]=$(realpath -m "$dir/$ref")
    done <"${src%/*}/dynamic-twins"
}

# with_nss_first FILE : in the private mount namespace, an nsswitch.conf
# that has NSS ask sss before files (no sss module is installed: glibc
# skips it, so accounts still come from the files, yet a static tool cannot
# tell and must hand the run to its twin). Undone by without_nss_first.
with_nss_first() {
    [[ -n ${JK_TEST_PRIVATE_NS:-} ]] || fatal "with_nss_first needs enter_private_mounts first"
    printf 'passwd: sss files\ngroup: sss files\nshadow: files\n' >"$T_ROOT/nsswitch.sss"
    mount --bind "$T_ROOT/nsswitch.sss" /etc/nsswitch.conf || fatal "cannot bind an nsswitch.conf"
}
without_nss_first() { umount /etc/nsswitch.conf || fatal "cannot unbind the test's nsswitch.conf"; }

# install_setuid VAR : copies the built tool named by VAR (e.g. JK_CHROOTSH)
# to $T_ROOT/bin, root:root 4755 (build trees are not setuid), and points VAR
# at the copy. Fatal when the copy does not carry the bit (a nosuid mount):
# every check after would test an ordinary program.
install_setuid() {
    local var=$1 src=${!1}
    install -d -m 0755 -o 0 -g 0 "$T_ROOT/bin" || fatal "cannot create $T_ROOT/bin"
    install -m 4755 -o 0 -g 0 "$src" "$T_ROOT/bin/${src##*/}" || fatal "cannot install $src setuid"
    [[ -u "$T_ROOT/bin/${src##*/}" ]] || fatal "the setuid copy $T_ROOT/bin/${src##*/} has no setuid bit (nosuid mount?)"
    install_twin "$src" "$T_ROOT/bin"
    printf -v "$var" '%s' "$T_ROOT/bin/${src##*/}"
    export "${var?}"
}

# twin_ref BUILT_TOOL : sets T_TWIN_REF to where the build's dynamic-twins
# file says the twin of BUILT_TOOL is, relative to the tool's directory
# (e.g. ../libexec/jailkit-ng/jk_chrootsh-dynamic), or to "" when the build
# has no twin for it (a sanitized or fuzz build, whose tool is dynamic
# itself). Call it with the build's own path, before install_setuid.
T_TWIN_REF=""
twin_ref() {
    local src=$1 name=${1##*/} line
    T_TWIN_REF=""
    [[ -f "${src%/*}/dynamic-twins" ]] || fatal "no dynamic-twins file beside $src (every build writes one)"
    while IFS= read -r line; do
        [[ -n $line && ${line%% *} == "$name" ]] && { T_TWIN_REF=${line#* }; return 0; }
    done <"${src%/*}/dynamic-twins"
    return 0
}

# on_exit CMD... : run CMD (e.g. stop a daemon) when the test exits, before
# the test root is removed.
T_ON_EXIT=()
on_exit() { T_ON_EXIT+=("$(printf '%q ' "$@")"); }

# capture_syslog : in the private mount namespace, /dev/log becomes a socket
# served by tests/lib/syslog_receiver.py; every message lands, one per line
# with its "<priority>" prefix, in $T_SYSLOG. When the host has no /dev/log
# (no syslog daemon), /dev is replaced by a tmpfs holding bind mounts of the
# real entries plus the socket: the host's /dev is never written.
T_SYSLOG=""
capture_syslog() {
    [[ -n ${JK_TEST_PRIVATE_NS:-} ]] || fatal "capture_syslog needs enter_private_mounts first"
    local sock=$T_ROOT/log.sock
    T_SYSLOG=$T_ROOT/syslog.txt
    python3 "$(dirname "${BASH_SOURCE[0]}")/syslog_receiver.py" "$sock" "$T_SYSLOG" &
    on_exit kill $!
    for _ in $(seq 100); do [[ -S "$sock" ]] && break; sleep 0.05; done
    [[ -S "$sock" ]] || fatal "the syslog receiver did not start"
    [[ -S /dev/log ]] || dev_log_mountpoint jk-test-dev || fatal "cannot mount a tmpfs on /dev"
    mount --bind "$sock" /dev/log || fatal "cannot bind the syslog socket over /dev/log"
}

# syslog_has DESC ERE : ok when a captured syslog line matches ERE.
syslog_has() {
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do  # the receiver writes asynchronously
        grep -Eq -- "$2" "$T_SYSLOG" 2>/dev/null && { ok "$1"; return 0; }
        sleep 0.05
    done
    not_ok "$1"; diag "no syslog line matches: $2"; diag "last lines:"; diag "$(tail -n 5 "$T_SYSLOG" 2>/dev/null)"
}
