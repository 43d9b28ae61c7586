#!/usr/bin/env bash
# CI stage "Debian package" (the last stage of .ci/run; root, a fresh Debian 12
# with .ci/deps.sh's packages; this stage installs Debian's jailkit 2.23 itself):
#   1. build the jailkit-ng .deb (dpkg-buildpackage -b, from a copy of the
#      tree: the build writes debian/ and its .deb into the parent directory);
#   2. with jailkit 2.23: a jail, an sftp-only and a bash user, the
#      administrator's /etc/jailkit edits, logins through sshd
#      (tests/package/migration_setup.sh);
#   3. install the .deb over jailkit (apt-get, keeping modified conffiles):
#      jailkit removed, our tools at its paths with its modes, the unit
#      enabled, the conffiles ours, purging jailkit's leftovers harmless;
#   4. the same users log in, then the documented jail upgrade (jk_update)
#      and the logins again (tests/package/migration_check.sh);
#   5. the jailkit overview's sftp/scp example with the installed tools
#      (tests/package/seed_example.sh).
# Any failure fails the stage. The machine is left as it was found, whatever
# happens: jailkit-ng purged, Debian's jailkit reinstalled if it was there,
# /etc/jailkit restored byte for byte (CI may run again on the same machine,
# and a half-configured package would break the next apt-get).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
t0=$SECONDS
W=$(mktemp -d /var/tmp/jk-package.XXXXXX)
chmod 0755 "$W"
STATE=$W/migration-state.sh
FAIL=0 NUM=0
JAILKIT_BEFORE=unrecorded  # dpkg status of jailkit when the stage began

step() { printf '\n--- package: %s (%ds)\n' "$1" $((SECONDS - t0)); }
ok() { NUM=$((NUM + 1)); printf 'ok %d - %s\n' "$NUM" "$1"; }
not_ok() { NUM=$((NUM + 1)); FAIL=$((FAIL + 1)); printf 'not ok %d - %s\n' "$NUM" "$1"; }
check() {  # check DESC CMD...
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
check_eq() {  # check_eq DESC EXPECTED GOT
    if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1"; printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"; fi
}
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' ' || true; }
owner_of() { dpkg-query -S "$1" 2>/dev/null | cut -d: -f1 || true; }

dpkg_opts=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Debian's jailkit 2.23 as a fresh installation leaves it: its own
# conffiles, no leftovers of an earlier run of this stage.
fresh_jailkit() {
    [[ -z $(status_of jailkit-ng) ]] || dpkg --purge jailkit-ng >/dev/null
    [[ -z $(status_of jailkit) ]] || dpkg --purge jailkit >/dev/null
    rm -rf /etc/jailkit
    apt-get install -y -q "${dpkg_opts[@]}" jailkit >/dev/null
}

restore() {
    [[ $JAILKIT_BEFORE != unrecorded ]] || return 0
    step "restore: the machine's jailkit and /etc/jailkit as they were"
    if [[ $JAILKIT_BEFORE == ii ]]; then
        fresh_jailkit
        check_eq "jailkit is installed again" ii "$(status_of jailkit)"
        check_eq "/usr/sbin/jk_chrootsh is jailkit's again" jailkit "$(owner_of /usr/sbin/jk_chrootsh)"
    else
        [[ -z $(status_of jailkit-ng) ]] || dpkg --purge jailkit-ng >/dev/null
        [[ -z $(status_of jailkit) ]] || dpkg --purge jailkit >/dev/null
    fi
    rm -rf /etc/jailkit
    [[ ! -f $W/etc-jailkit.tar ]] || tar -C /etc -xpf "$W/etc-jailkit.tar"
    check_eq "no package left half-installed" "" "$(dpkg-query -W -f='${db:Status-Abbrev}\n' 2>/dev/null | grep -v '^.i ' | grep -v '^rc\|^un' || true)"
}

on_exit() {
    local rc=$?
    set +e
    # Users, jail and jk_socketd.ini section of a run that stopped half-way.
    [[ -f $STATE ]] && JK_MIGRATION_STATE=$STATE bash tests/package/migration_check.sh --cleanup >/dev/null 2>&1
    restore
    rm -rf "$W"
    ((FAIL == 0)) || rc=1
    printf '\npackage: %d checks, %d failed, %ds\n' "$NUM" "$FAIL" $((SECONDS - t0))
    exit "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------- 1. build

step "build the package"
JAILKIT_BEFORE=$(status_of jailkit)
[[ ! -d /etc/jailkit ]] || tar -C /etc -cpf "$W/etc-jailkit.tar" jailkit
fresh_jailkit
check_eq "Debian's jailkit 2.23 is installed, fresh, before the test" ii "$(status_of jailkit)"
mkdir "$W/src"
# The tree without build directories (earlier CI stages leave them) or .git.
tar -C "$repo" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - . | tar -C "$W/src" -xf -
if ! (cd "$W/src" && DEB_BUILD_OPTIONS="parallel=2 nocheck noautodbgsym" dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1); then
    tail -n 60 "$W/build.log"
    not_ok "dpkg-buildpackage -us -uc -b"
    exit 1
fi
ok "dpkg-buildpackage -us -uc -b"
deb=$(ls "$W"/jailkit-ng_*_"$(dpkg --print-architecture)".deb)
version=$(dpkg-deb -f "$deb" Version)
# The package's own files, as installed (the configured ini files: their
# paths are the package's, jailkit's /usr/sbin and /etc/jailkit).
mkdir "$W/deb" && dpkg-deb -x "$deb" "$W/deb"
check_eq "the package's jk_init.ini: [jk_lsh] copies /usr/sbin/jk_lsh and /etc/jailkit/jk_lsh.ini" \
    "paths = /usr/sbin/jk_lsh, /etc/jailkit/jk_lsh.ini" "$(sed -n '/^\[jk_lsh\]/,/^\[/{/^paths = /p}' "$W/deb/etc/jailkit/jk_init.ini")"
check "the package's jk_lsh(8) names /etc/jailkit/jk_lsh.ini" \
    bash -c "zcat '$W/deb/usr/share/man/man8/jk_lsh.8.gz' | grep -qx '.I /etc/jailkit/jk_lsh.ini'"
check_eq "no unconfigured @VARIABLE@ in the package's ini files and man pages" "" \
    "$(grep -rl '@[A-Z]*@' "$W/deb/etc/jailkit"; for m in "$W"/deb/usr/share/man/man*/*.gz; do zgrep -l '@[A-Z]*@' "$m"; done)"
for f in Conflicts Replaces Provides; do check_eq "the package's $f" jailkit "$(dpkg-deb -f "$deb" "$f")"; done
check_eq "the package's conffiles: every /etc/jailkit/*.ini jailkit 2.23 had" \
    "$(printf '/etc/jailkit/%s\n' jk_check.ini jk_chrootsh.ini jk_init.ini jk_lsh.ini jk_socketd.ini jk_uchroot.ini jk_update.ini)" \
    "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | sort)"

# ---------------------------------------------------------------- 2. jailkit 2.23 in use

step "with jailkit 2.23: a jail, two users, the administrator's edits, logins"
JK_MIGRATION_STATE=$STATE bash tests/package/migration_setup.sh

# ---------------------------------------------------------------- 3. install over it

step "install jailkit-ng $version over jailkit 2.23"
declare -A SUM_BEFORE=()
for f in /etc/jailkit/*.ini; do SUM_BEFORE[$f]=$(sha256sum <"$f"); done
apt-get install -y -q "${dpkg_opts[@]}" "$deb" >"$W/install.log" 2>&1 \
    || { cat "$W/install.log"; not_ok "apt-get install ./jailkit-ng_${version}_*.deb"; exit 1; }
ok "apt-get install ./jailkit-ng_${version}_*.deb (--force-confold)"
grep -E '^(Removing|Configuration file|Installing new version)' "$W/install.log" | sed 's/^/#   /' || true
check_eq "jailkit-ng is installed" ii "$(status_of jailkit-ng)"
st=$(status_of jailkit)
check "Debian's jailkit is removed (status: ${st:-none})" test "$st" != ii
check_eq "the binaries of jailkit 2.23 are gone (dpkg -L jailkit lists no /usr/sbin file)" "" \
    "$(dpkg-query -L jailkit 2>/dev/null | grep '^/usr/s\?bin/' || true)"

# Every tool at jailkit 2.23's path (jk_exec, ours, beside them in sbin),
# owned by the package, with its mode.
declare -A MODE=([jk_chrootsh]=4755 [jk_uchroot]=4755 [jk_procmailwrapper]=4755)
for t in jk_check jk_chrootlaunch jk_chrootsh jk_cp jk_exec jk_init jk_jailuser jk_list jk_lsh jk_socketd jk_update \
         jk_uchroot jk_procmailwrapper; do
    case $t in jk_uchroot|jk_procmailwrapper) p=/usr/bin/$t ;; *) p=/usr/sbin/$t ;; esac
    check_eq "$p: jailkit-ng's, mode ${MODE[$t]:-755} root:root, --version $version" \
        "jailkit-ng ${MODE[$t]:-755} root:root $t $version" \
        "$(owner_of "$p") $(stat -c '%a %U:%G' "$p" 2>&1) $("$p" --version 2>&1 | head -n1)"
done
# The setuid tools are static; each has a twin for NSS modules and
# libsystemd (jk/handover.hpp), where .../sbin or .../bin/../libexec leads.
for t in jk_chrootsh jk_uchroot jk_procmailwrapper; do
    [[ $t == jk_chrootsh ]] && p=/usr/sbin/$t || p=/usr/bin/$t
    twin=/usr/libexec/jailkit-ng/$t-dynamic
    check_eq "$twin: jailkit-ng's, mode 755 root:root, not setuid" "jailkit-ng 755 root:root" \
        "$(owner_of "$twin") $(stat -c '%a %U:%G' "$twin" 2>&1)"
    check "$p is statically linked (no program interpreter)" bash -c "! readelf -lW $p | grep -q 'program interpreter'"
    check "... and its twin dynamically" bash -c "readelf -lW $twin | grep -q 'program interpreter'"
done
for t in jk_chrootsh jk_uchroot jk_procmailwrapper; do
    [[ $t == jk_chrootsh ]] && p=/usr/sbin/$t || p=/usr/bin/$t
    check "man page of $t installed" bash -c "dpkg-query -L jailkit-ng | grep -q '/man[18]/$t\.[18]\.gz\$'"
done

# The configuration: the administrator's files byte for byte, jailkit's
# untouched defaults replaced by ours, all of them owned by jailkit-ng now.
for f in "${!SUM_BEFORE[@]}"; do
    case ${f##*/} in jk_chrootsh.ini|jk_lsh.ini|jk_socketd.ini)
        check_eq "$f (modified by the administrator) is byte-identical" "${SUM_BEFORE[$f]}" "$(sha256sum <"$f")"
        check "... and jailkit-ng's version is beside it as $f.dpkg-dist" test -f "$f.dpkg-dist" ;;
    esac
    check_eq "$f belongs to jailkit-ng" jailkit-ng "$(owner_of "$f")"
done
check "/etc/jailkit/jk_init.ini (not modified) is jailkit-ng's now" cmp -s /etc/jailkit/jk_init.ini "$W/deb/etc/jailkit/jk_init.ini"
check "/etc/jailkit/jk_socketd.ini still registers the jail's log socket" \
    grep -q "^\[$(. "$STATE"; printf '%s' "$J")/dev/log\]\$" /etc/jailkit/jk_socketd.ini
# Purging what is left of jailkit (an administrator's `apt purge jailkit`)
# must not delete configuration jailkit-ng now owns.
declare -A SUM_AFTER=()
for f in /etc/jailkit/*.ini; do SUM_AFTER[$f]=$(sha256sum <"$f"); done
if [[ -n $(status_of jailkit) ]]; then
    dpkg --purge jailkit >/dev/null 2>&1
    st=$(status_of jailkit)
    check "dpkg --purge jailkit (its leftovers; status now: ${st:-none})" test "${st:-un}" = un
fi
for f in "${!SUM_AFTER[@]}"; do
    check_eq "$f is still there, unchanged, after purging jailkit" "${SUM_AFTER[$f]}" "$(sha256sum <"$f" 2>&1)"
done

# The jk_socketd unit: installed, enabled (no systemd in CI: the symlink and
# deb-systemd-helper's state), its start condition true now that a jail
# declared a socket.
unit=/lib/systemd/system/jk_socketd.service
check "$unit installed" test -f "$unit"
check "... ExecStart=/usr/sbin/jk_socketd -n" grep -qx 'ExecStart=/usr/sbin/jk_socketd -n' "$unit"
check_eq "... enabled: multi-user.target.wants symlink" "$unit" \
    "$(readlink /etc/systemd/system/multi-user.target.wants/jk_socketd.service || true)"
# deb-systemd-helper answers only "from dpkg": these two are read-only queries.
check_eq "... enabled according to deb-systemd-helper" enabled \
    "$(DPKG_MAINTSCRIPT_PACKAGE=jailkit-ng deb-systemd-helper is-enabled jk_socketd.service 2>&1)"
check "... and recorded as installed by the package (purge removes the links)" \
    env DPKG_MAINTSCRIPT_PACKAGE=jailkit-ng deb-systemd-helper debian-installed jk_socketd.service
cond=$(sed -n 's/^ExecCondition=//p' "$unit")
check "... its ExecCondition holds (jk_socketd.ini declares a socket)" bash -c "$cond"
example_ini=$W/deb/etc/jailkit/jk_socketd.ini
check "... and would skip the unit for an example-only jk_socketd.ini" \
    bash -c "! ${cond//\/etc\/jailkit\/jk_socketd.ini/$example_ini}"
# The relay's own system user (postinst), and the installed daemon relaying
# as it: one datagram through a scratch socket to a scratch receiver.
relay_entry=$(getent passwd jk_socketd || true)
IFS=: read -r _ _ relay_uid relay_gid _ relay_home relay_shell <<<"$relay_entry"
check "the postinst created the system user jk_socketd (uid ${relay_uid:-none} < 1000, no login shell, no home)" \
    test -n "$relay_entry" -a "${relay_uid:-1000}" -lt 1000 -a "$relay_home" = /nonexistent -a "$relay_shell" = /usr/sbin/nologin
install -d -m 0755 "$W/relay-jail/dev"
python3 tests/lib/syslog_receiver.py "$W/relay-target.sock" "$W/relay-out.txt" &
receiver=$!
for _ in $(seq 50); do [[ -S $W/relay-target.sock ]] && break; sleep 0.1; done
/usr/sbin/jk_socketd -n --socket="$W/relay-jail/dev/log" --target="$W/relay-target.sock" 2>"$W/relay.err" &
daemon=$!
relay=""
for _ in $(seq 50); do relay=$(pgrep -P "$daemon" || true); [[ -n $relay && -S $W/relay-jail/dev/log ]] && break; sleep 0.1; done
check_eq "/usr/sbin/jk_socketd's relay child runs as jk_socketd (uid, gid)" "${relay_uid:-?} ${relay_gid:-?}" \
    "$(awk '$1 == "Uid:" { u = $3 } $1 == "Gid:" { g = $3 } END { print u, g }' "/proc/${relay:-0}/status" 2>&1)"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"<13>jk-package: relayed", sys.argv[1])' \
    "$W/relay-jail/dev/log" || true
for _ in $(seq 50); do grep -q 'jk-package: relayed' "$W/relay-out.txt" 2>/dev/null && break; sleep 0.1; done
check "... and relays a datagram from JAIL/dev/log to the target" grep -q '<13>jk-package: relayed' "$W/relay-out.txt"
kill "$daemon" "$receiver" 2>/dev/null || true
wait "$daemon" "$receiver" 2>/dev/null || true
printf '#   dpkg -L jailkit-ng:\n'; dpkg-query -L jailkit-ng | grep -v '^/usr/share/man/' | sed 's/^/#     /'

# ---------------------------------------------------------------- 4. the same users

step "after the upgrade: the same users, jk_update of the jail"
JK_MIGRATION_STATE=$STATE bash tests/package/migration_check.sh
[[ ! -f $STATE ]] || { not_ok "migration_check.sh removed its users and jail"; exit 1; }

# ---------------------------------------------------------------- 5. the seed example

step "the jailkit overview's sftp/scp example with the installed tools"
bash tests/package/seed_example.sh

step "done"
