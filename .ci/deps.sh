#!/usr/bin/env bash
# Installs what building and testing the suite needs on a fresh Debian 12.
# Not Debian's jailkit, the suite it replaces: only the CI stages that
# compare with it or migrate from it install it, and put the machine back
# as they found it (.ci/package.sh, .ci/prefix.sh).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# dpkg's own conffile prompt is not debconf's: keep an administrator's edited
# /etc/jailkit files without asking, and finish any installation a previous
# run (or an interrupted package stage) left half-configured.
dpkg_opts=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
dpkg --configure -a --force-confdef --force-confold
apt-get update -q
apt-get install -y -q --no-install-recommends "${dpkg_opts[@]}" \
  g++ clang libclang-rt-14-dev meson ninja-build pkg-config \
  libinih-dev libcap-dev libacl1-dev libseccomp-dev libsystemd-dev catch2 \
  python3 perl git openssh-client openssh-server openssh-sftp-server rsync iproute2 procmail \
  acl attr binutils passwd zlib1g file procps util-linux coreutils findutils tar man-db mandoc \
  clang-tidy clang-format cppcheck dpkg-dev debhelper fakeroot bash-completion \
  ansible-core debootstrap \
  dbus-daemon python3-dbus python3-gi
# The programs jk_trace's tests and the traced sections run in jails (issue
# 14: tests/integration/trace_programs.sh, trace_sections.sh, bench/trace.sh).
# Daemons among them (lighttpd) must not start on installation: a policy-rc.d
# of our own refuses every start while apt runs, unless the host has one.
trace_pkgs=(php-cli php-mbstring composer lighttpd nano vim tmux screen curl mariadb-client python3-venv)
# Node.js: NodeSource's nodejs (on this project's machines) carries npm and
# conflicts with Debian's npm package; Debian's nodejs needs it.
if ! dpkg-query -W -f='${Provides}' nodejs 2>/dev/null | grep -w npm >/dev/null; then trace_pkgs+=(nodejs npm); fi
own_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  own_policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\n# .ci/deps.sh: no service starts while it installs packages\nexit 101\n' >"$own_policy"
  chmod 0755 "$own_policy"
  trap 'rm -f "$own_policy"' EXIT
fi
apt-get install -y -q --no-install-recommends "${dpkg_opts[@]}" "${trace_pkgs[@]}"
[[ -n $own_policy ]] && rm -f "$own_policy"
trap - EXIT
# 32-bit programs in jails (issue 18, tests/integration/i386.sh): the i386
# loader and libraries, and cc -m32.
apt-get install -y -q --no-install-recommends "${dpkg_opts[@]}" gcc-multilib libc6-i386
