#!/usr/bin/env bash
# CI stage "Debian 13" (issue 15; root, a fresh Debian 12 with .ci/deps.sh's
# packages): the suite proven on Debian 13 "trixie" as well as on 12.
#   1. a Debian 13 root from the package registry (debootstrap minbase),
#      under a root-owned 0755 directory in /var/tmp (the tests refuse jails
#      below a world-writable parent such as /tmp);
#   2. inside it (chroot, with its own /proc, /sys and a small /dev): the
#      build and test dependencies, the suite built from this tree with the
#      options of tests/run_all.sh (-Werror, g++ 14);
#   3. inside it: the unit tests, jk_init of every stock section with its
#      programs run in the jail (jk_init_sections.sh) and the real-sshd logins
#      (login_sshd.sh), Debian 13's sshd and clients;
#   4. inside it: the Debian package built there, installed over Debian 13's
#      own jailkit, a jailed user logging in before and after
#      (tests/package/migration_*.sh, as .ci/package.sh does on 12).
# The root is made for this run only and deleted at the end, whatever
# happens, after every mount in it is gone (checked, never rm -rf across a
# mount point). A registry that cannot serve trixie fails the stage.
#   usage: bash .ci/trixie.sh        (as root)
# Measured on the 2-core VM shared with another CI run: 1,420 s (debootstrap
# 201, apt 62, build 808, tests 65, package build 251, migration 26); the two
# compilations are most of it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
MIRROR=${JK_TRIXIE_MIRROR:-http://deb.debian.org/debian}
t0=$SECONDS
tstep=$SECONDS
step() {
    printf '\n--- trixie: %s (%ds, previous step %ds)\n' "$1" $((SECONDS - t0)) $((SECONDS - tstep))
    tstep=$SECONDS
}
die() { printf 'trixie: FAILED: %s\n' "$*" >&2; exit 1; }
unreachable() { die "cannot reach Debian 13 (trixie) in the package registry ($MIRROR): $*"; }

[[ $(id -u) == 0 ]] || die "run as root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (.ci/deps.sh installs it)"

# /var/tmp: root-owned, sticky, on the root file system. The stage's own
# directory below it is root 0755, so nothing in the root is reachable
# through a directory others can write.
W=$(mktemp -d /var/tmp/jk-trixie.XXXXXX)
chmod 0755 "$W"
R=$W/root

# Every mount point at or below $R, deepest first (mountinfo's 5th field,
# octal-escaped).
mounts_below() {
    awk -v r="$R" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while IFS= read -r m; do printf '%b\n' "$m"; done
}

cleanup() {
    local rc=$? pids p m
    set +e
    step "cleanup"
    # Processes still running in the root (an sshd a failed test left): they
    # keep its mounts busy. Found by their root directory, ended by pid.
    for _ in 1 2 3; do
        pids=()
        for p in /proc/[0-9]*; do
            [[ $(readlink "$p/root" 2>/dev/null) == "$R"* ]] && pids+=("${p#/proc/}")
        done
        ((${#pids[@]})) || break
        echo "ending processes left in the root: ${pids[*]}"
        kill -9 "${pids[@]}" 2>/dev/null
        sleep 1
    done
    # Deepest first; the root's self bind last. The root's mounts are private
    # or slaves (see below): unmounting them never reaches the host's.
    for _ in 1 2 3; do
        while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done < <(mounts_below)
        [[ -z $(mounts_below) ]] && break
        sleep 1
    done
    if [[ -n $(mounts_below) ]]; then
        # Never delete across a mount point; leave the directory for a human.
        printf 'trixie: mounts left, %s NOT deleted:\n' "$W" >&2
        mounts_below >&2
        rc=1
    else
        # --one-file-system: even a mount that appeared after the check
        # stops the deletion instead of being emptied.
        rm -rf --one-file-system "$W" || rc=1
    fi
    printf '\ntrixie: %ds in all, exit %d\n' $((SECONDS - t0)) "$rc"
    exit "$rc"
}
trap cleanup EXIT

in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
    DEBIAN_FRONTEND=noninteractive TERM=dumb "$@"; }

# ---------------------------------------------------------------- 1. the root

step "debootstrap trixie (minbase) into $R"
if ! nice debootstrap --variant=minbase --include=ca-certificates trixie "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1; then
    tail -n 15 "$W/debootstrap.log" >&2
    grep -qiE 'Failed getting release|Couldn.t download|Couldn.t resolve|unable to fetch|Could not resolve|Connection|Temporary failure' \
        "$W/debootstrap.log" && unreachable "debootstrap failed to download (log above)"
    die "debootstrap trixie failed (log above)"
fi
grep -q '^VERSION_ID="13"' "$R/etc/os-release" || die "the root is not Debian 13: $(grep ^PRETTY_NAME "$R/etc/os-release")"
echo "$(sed -n 's/^PRETTY_NAME=//p' "$R/etc/os-release"), $(du -sh --one-file-system "$R" | cut -f1)"

# The root as a mount point of its own (unshare --propagation private, which
# the tests use, needs "/" to be one), private: nothing mounted below it
# propagates to the host or back.
mount --bind "$R" "$R"
mount --make-private "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# The host's /sys with its cgroup2 tree (the unit tests describe it), as
# slaves: what is unmounted here never reaches the host's.
mount --rbind /sys "$R/sys"
mount --make-rslave "$R/sys"
# A /dev of its own (tmpfs with the few nodes the tests use and a private
# devpts instance) rather than a bind of the host's: nothing done in the
# root, not even rm -rf, can reach the host's device nodes.
mount -t tmpfs -o nosuid,mode=0755,size=1m jk-trixie-dev "$R/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name maj min <<<"$n"
    mknod -m 0666 "$R/dev/$name" c "$maj" "$min"
done
mkdir -m 0755 "$R/dev/net" && mknod -m 0666 "$R/dev/net/tun" c 10 200
mkdir -m 0755 "$R/dev/pts" "$R/dev/shm"
# /dev/shm a tmpfs of its own (the unit tests write a MiB or more there).
mount -t tmpfs -o nosuid,nodev,mode=1777 jk-trixie-shm "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 jk-trixie-devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
for i in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${i%%:*}" "$R/dev/${i#*:}"; done
[[ ! -f /etc/resolv.conf ]] || cp -L /etc/resolv.conf "$R/etc/resolv.conf"
# No daemon started by a package's postinst (openssh-server would start an
# sshd on port 22): the tests start their own.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d" && chmod 0755 "$R/usr/sbin/policy-rc.d"
# No fsync per file (the root is thrown away), no documentation or man pages
# (nothing here reads them; the package's own man pages are built from man/).
echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/jk-unsafe-io"
printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n' \
    >"$R/etc/dpkg/dpkg.cfg.d/jk-nodoc"

step "apt-get install the build and test dependencies"
in_root apt-get update -q --error-on=any >"$W/apt-update.log" 2>&1 || { cat "$W/apt-update.log" >&2; unreachable "apt-get update failed (log above)"; }
# .ci/deps.sh's list, less what only other stages use (clang and the
# fuzzers, clang-tidy, cppcheck, i386 multilib, man-db), plus what the
# package step needs (dpkg-dev, debhelper, fakeroot).
pkgs=(g++ meson ninja-build pkg-config libinih-dev libcap-dev libacl1-dev libseccomp-dev libsystemd-dev catch2
      python3 perl git openssh-client openssh-server openssh-sftp-server rsync iproute2 procmail
      acl attr binutils passwd zlib1g file procps util-linux coreutils findutils tar mandoc
      dpkg-dev debhelper fakeroot bash-completion build-essential
      # the mock systemd of tests/integration/systemd_scope.sh
      dbus-daemon python3-dbus python3-gi
      # Debian 12 and 13 hosts resolve root and nobody through
      # libnss_systemd too ("passwd: files systemd"); a minbase root has only
      # "files", and programs in jails without those users in their passwd
      # (ssh, scp, sftp-server, id) would then fail here and nowhere else.
      libnss-systemd)
if ! in_root apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$W/apt-install.log" 2>&1; then
    tail -n 30 "$W/apt-install.log" >&2
    grep -qE 'Failed to fetch|Unable to fetch|Could not resolve|Temporary failure' "$W/apt-install.log" \
        && unreachable "apt-get install could not download (log above)"
    die "apt-get install in the Debian 13 root failed (log above)"
fi
echo "installed: $(in_root dpkg-query -W -f='${binary:Package}\n' | wc -l) packages;" \
    "$(in_root g++ --version | head -n1); $(in_root meson --version | sed 's/^/meson /'); $(in_root ssh -V 2>&1)"

# ---------------------------------------------------------------- 2. the build

step "build the suite in the root (meson -Dwerror=true -Dtests=true, g++ 14)"
# The tree without build directories (earlier CI stages leave them) or .git,
# root-owned in a root-owned 0755 directory (the tests check their parents).
install -d -m 0755 "$R/src/jailkit-ng"
tar -C "$repo" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - . |
    tar -C "$R/src/jailkit-ng" --no-same-owner -xf -
in_root sh -c 'cd /src/jailkit-ng && meson setup build -Dwerror=true -Dtests=true >/dev/null && nice ninja -j2 -C build' \
    >"$W/build.log" 2>&1 || { tail -n 60 "$W/build.log" >&2; die "the build on Debian 13 failed (log above)"; }
# -Werror stops the build on a compiler warning; the linker's notes about
# getpwnam in the static jk_lsh are expected (as on Debian 12).
echo "built: $(grep -c 'Compiling C++ object' "$W/build.log") C++ files, no compiler warning"

# ---------------------------------------------------------------- 3. the tests

step "tests in the root: unit, unit-root, jk_init_sections, login_sshd"
rc=0
in_root sh -c 'cd /src/jailkit-ng && meson test -C build --print-errorlogs --num-processes 2 \
    unit unit-root jk_init_sections login_sshd' >"$W/test.log" 2>&1 || rc=$?
grep -E '^ *[0-9]+/[0-9]+ ' "$W/test.log" || true
# The diagnostics of jk_init_sections: what Debian 13 lacks of the stock ini.
grep -hE '^# +.*(is not installed on|not on) this host' "$R"/src/jailkit-ng/build/meson-logs/testlog.txt | sort -u || true
in_root python3 /src/jailkit-ng/tests/lib/count_results.py /src/jailkit-ng/build/meson-logs/testlog.json "Debian 13 tests"
if ((rc != 0)); then
    # meson's error logs of the failed tests: TAP failures and Catch2's.
    grep -vE '^(ok |#   .*(is not installed on|not on) this host)' "$W/test.log" | head -n 400 >&2 || true
    die "tests failed on Debian 13 (meson test exit $rc)"
fi

# ---------------------------------------------------------------- 4. the package

step "the Debian package: built in the root (dpkg-buildpackage -b)"
# From a copy: the build writes debian/ and puts the .deb in the parent.
install -d -m 0755 "$R/src/pkg/jailkit-ng"
tar -C "$R/src/jailkit-ng" --exclude=./build -cf - . | tar -C "$R/src/pkg/jailkit-ng" -xf -
in_root sh -c 'cd /src/pkg/jailkit-ng && DEB_BUILD_OPTIONS="parallel=2 nocheck noautodbgsym" nice dpkg-buildpackage -us -uc -b' \
    >"$W/package-build.log" 2>&1 || { tail -n 60 "$W/package-build.log" >&2; die "dpkg-buildpackage on Debian 13 failed (log above)"; }
deb=$(cd "$R/src/pkg" && ls jailkit-ng_*_"$(in_root dpkg --print-architecture)".deb)
echo "built $deb"

step "Debian 13's jailkit: a jail, two users, the administrator's edits, logins (migration_setup.sh)"
in_root apt-cache policy jailkit | sed -n '1,3p'
[[ -n $(in_root apt-cache policy jailkit | sed -n 's/^ *Candidate: \([^(].*\)/\1/p') ]] \
    || unreachable "no jailkit package for Debian 13 (apt-cache policy jailkit names no candidate)"
in_root apt-get install -y -q --no-install-recommends jailkit >"$W/jailkit-install.log" 2>&1 || {
    tail -n 20 "$W/jailkit-install.log" >&2
    grep -qE 'Failed to fetch|Unable to fetch|Could not resolve|Temporary failure' "$W/jailkit-install.log" \
        && unreachable "apt-get install jailkit could not download (log above)"
    die "apt-get install jailkit in the Debian 13 root failed (log above)"
}
echo "Debian 13's jailkit $(in_root dpkg-query -W -f='${Version}' jailkit) installed"
in_root sh -c 'cd /src/jailkit-ng && JK_MIGRATION_STATE=/src/migration-state.sh bash tests/package/migration_setup.sh' \
    || die "migration_setup.sh with Debian 13's jailkit failed"

step "install $deb over Debian 13's jailkit, the same users log in (migration_check.sh)"
in_root apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "/src/pkg/$deb" \
    >"$W/package-install.log" 2>&1 || { cat "$W/package-install.log" >&2; die "apt-get install ./$deb over jailkit failed"; }
grep -E '^(Removing|Configuration file|Installing new version)' "$W/package-install.log" | sed 's/^/#   /' || true
[[ $(in_root dpkg-query -W -f='${db:Status-Abbrev}' jailkit-ng) == "ii " ]] || die "jailkit-ng is not installed"
[[ $(in_root dpkg-query -S /usr/sbin/jk_chrootsh) == "jailkit-ng: /usr/sbin/jk_chrootsh" ]] \
    || die "/usr/sbin/jk_chrootsh is not jailkit-ng's after the upgrade"
in_root sh -c 'cd /src/jailkit-ng && JK_MIGRATION_STATE=/src/migration-state.sh bash tests/package/migration_check.sh' \
    || die "migration_check.sh after installing jailkit-ng over Debian 13's jailkit failed"

step "done"
