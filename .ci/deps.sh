#!/usr/bin/env bash
# Installs what building and testing the suite needs on a fresh Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  g++ clang libclang-rt-14-dev meson ninja-build pkg-config \
  libinih-dev libcap-dev libacl1-dev catch2 \
  python3 perl git openssh-client openssh-server openssh-sftp-server rsync iproute2 procmail \
  acl attr binutils passwd zlib1g file procps util-linux coreutils findutils tar man-db mandoc \
  clang-tidy cppcheck dpkg-dev debhelper fakeroot bash-completion jailkit
