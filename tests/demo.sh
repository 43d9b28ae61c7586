#!/usr/bin/env bash
# The main job, end to end: build a jail with jk_init, move a user into it
# with jk_jailuser, and log in as that user through a setuid jk_chrootsh.
#   usage: sudo bash tests/demo.sh [BUILDDIR]     (as root; BUILDDIR default: build)
# Re-runs are idempotent: the jail is completed, the user and its home stay.
# Leaves behind: /srv/jk-demo (the jail), /srv/jk-demo-bin/sbin/jk_chrootsh
# (the setuid copy; build trees are not setuid) with its twin under
# /srv/jk-demo-bin/libexec, the user jkdemo. To remove them:
#   userdel jkdemo; rm -rf /srv/jk-demo /srv/jk-demo-bin
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=$(cd "${1:-build}" && pwd)
[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }
for t in jk_init jk_cp jk_jailuser jk_chrootsh; do
    [ -x "$builddir/$t" ] || { echo "demo: no $builddir/$t (build first: ninja -C $builddir)" >&2; exit 1; }
done

jail=/srv/jk-demo
bindir=/srv/jk-demo-bin/sbin
copy=$bindir/jk_chrootsh
user=jkdemo
ini=$builddir/ini/jk_init.ini   # as configured: names this build's jk_lsh and confdir

say() { printf '\n=== %s\n' "$*"; }

# Every directory from / to the jail root-owned and not group/other-writable:
# jk_chrootsh refuses the login otherwise.
install -d -m 0755 -o root -g root /srv "$jail" "${bindir%/*}" "$bindir"
install -m 4755 -o root -g root "$builddir/jk_chrootsh" "$copy"
# A static jk_chrootsh hands the logins NSS modules or systemd must serve to
# its dynamically linked twin, found relative to itself (jk/handover.hpp).
twin=$(awk '$1 == "jk_chrootsh" { print $2 }' "$builddir/dynamic-twins")
[[ -z $twin ]] || install -D -m 0755 -o root -g root "$builddir/jk_chrootsh-dynamic" "$bindir/$twin"

say "jk_init -j $jail basicshell"
"$builddir/jk_init" -c "$ini" -j "$jail" basicshell >/dev/null
"$builddir/jk_cp" -j "$jail" /usr/bin/whoami >/dev/null
echo "the jail holds $(find "$jail" | wc -l) entries: $(cd "$jail" && echo *)"

if ! id "$user" >/dev/null 2>&1; then
    say "a new host user $user with a home /home/$user"
    useradd --no-create-home --home-dir "/home/$user" --shell /bin/bash --user-group "$user"
    install -d -m 0755 -o "$user" -g "$user" "/home/$user"
    echo "this file was in /home/$user before the move" >"/home/$user/README"
    chown "$user:$user" "/home/$user/README"
fi

say "jk_jailuser -n -m -j $jail -s /bin/bash --chrootsh=$copy $user"
"$builddir/jk_jailuser" -n -m -j "$jail" -s /bin/bash --chrootsh="$copy" "$user"
# A user jailed by an earlier run whose home has gone (jk_jailuser keeps a
# home that is already in the jail; it does not make one).
group=$(id -gn "$user")
[ -d "$jail/home/$user" ] || install -d -m 0755 -o "$user" -g "$group" "$jail/home/$user"
echo "host:  $(getent passwd "$user")"
echo "jail:  $(grep "^$user:" "$jail/etc/passwd")"

# As the user (never root: jk_chrootsh refuses uid 0), the way a login
# would: the user's shell is $copy. jk_chrootsh takes the user from $USER
# or the uid, so USER must not say root.
say "setpriv --reuid=$user --regid=$user --init-groups $copy -c '...'"
env -i USER="$user" PATH=/usr/bin:/bin \
    setpriv --reuid="$user" --regid="$user" --init-groups \
    "$copy" -c 'echo "I am $(whoami) ($(id)) in $(pwd)"; echo "/ holds:" $(ls /); cat /etc/passwd; cat ~/README 2>/dev/null || true'

say "su -s $copy $user -c '...'"
su -s "$copy" "$user" -c 'echo "su: $(whoami), cwd $(pwd), HOME=$HOME"; ls -la ~; cat /etc/shadow 2>&1 || true'
