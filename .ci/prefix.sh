#!/usr/bin/env bash
# CI stage "beside jailkit" (.ci/run; root): the tests that need Debian's
# jailkit 2.23 on the machine, which .ci/deps.sh does not install.
#   1. installed from source under a prefix of its own, the suite uses its own
#      tools and configuration, not jailkit's at /usr/sbin and /etc/jailkit
#      (tests/install/prefix.sh): --prefix=/opt/jktest, then meson's default
#      prefix /usr/local, each with a confdir of its own;
#   2. jk_init reads jailkit 2.23's own /etc/jailkit/jk_init.ini
#      (the part of the jk_init_run test that needs it), in BUILDDIR.
#   usage: .ci/prefix.sh [BUILDDIR]   (BUILDDIR: the test suite's, default build)
# The machine is left as it was found: jailkit removed again (purged) if it
# was not installed, /etc/jailkit restored byte for byte.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
builddir=${1:-build}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
dpkg_opts=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' ' || true; }
W=$(mktemp -d /var/tmp/jk-prefix.XXXXXX)
fail=0

jailkit_before=$(status_of jailkit)
[[ ! -d /etc/jailkit ]] || tar -C /etc -cpf "$W/etc-jailkit.tar" jailkit
restore() {
    if [[ $jailkit_before != ii ]]; then
        dpkg --purge jailkit >/dev/null 2>&1 || true
        rm -rf /etc/jailkit
        [[ ! -f $W/etc-jailkit.tar ]] || tar -C /etc -xpf "$W/etc-jailkit.tar"
    fi
    rm -rf "$W"
}
trap restore EXIT
if [[ $jailkit_before != ii ]]; then
    apt-get install -y -q --no-install-recommends "${dpkg_opts[@]}" jailkit >/dev/null
fi
[[ $(status_of jailkit) == ii ]] || { echo "not ok - Debian's jailkit could not be installed"; exit 1; }
echo "ok - Debian's jailkit $(dpkg-query -W -f='${Version}' jailkit) installed: $(dpkg-query -S /usr/sbin/jk_lsh)"

for spec in /opt/jktest:/opt/jktest/etc/jailkit /usr/local:/usr/local/etc/jailkit; do
    printf '\n--- installed under %s, configuration in %s\n' "${spec%%:*}" "${spec#*:}"
    bash tests/install/prefix.sh "${spec%%:*}" "${spec#*:}" || fail=1
done

printf '\n--- jk_init with jailkit 2.23'"'"'s own jk_init.ini (jk_init_run in %s)\n' "$builddir"
if [[ ! -f $builddir/build.ninja ]]; then
    echo "not ok - $builddir is not a configured build directory (the test suite stage makes it)"; fail=1
elif ! meson test -C "$builddir" --no-rebuild -v jk_init_run >"$W/jk_init_run.log" 2>&1; then
    grep -E '^not ok|^#' "$W/jk_init_run.log" | head -n 40
    echo "not ok - jk_init_run with jailkit installed"; fail=1
elif ! grep -q "^ok [0-9]* - jailkit 2.23's jk_init.ini: exit 0" "$W/jk_init_run.log"; then
    echo "not ok - jk_init_run did not try jailkit 2.23's jk_init.ini"; fail=1
else
    echo "ok - jk_init_run: jailkit 2.23's jk_init.ini builds a working jail"
fi
exit "$fail"
