#!/usr/bin/env bash
# The main job, end to end: build a jail with jk_cp, give it a jailed user,
# and run commands inside it as that user.
#   usage: sudo bash tests/demo.sh [BUILDDIR]     (as root)
# Until jk_chrootsh lands (issue 4) the demo enters the jail with
# chroot --userspec, exactly as jk_chrootsh will after its checks.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=$(cd "${1:-build}" && pwd)
jk_cp="$builddir/jk_cp"
[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }

jail=/srv/jk-demo
user=jkdemo
install -d -m 0755 -o root -g root /srv "$jail"
id "$user" >/dev/null 2>&1 || useradd --no-create-home --home-dir "$jail/./home/$user" --shell /bin/bash "$user"

"$jk_cp" -j "$jail" /bin/bash /usr/bin/id /usr/bin/whoami /usr/bin/ls /usr/bin/cat
# The jail's own user database: root and the jailed user only.
install -d -m 0755 "$jail/etc" "$jail/home"
install -d -m 0750 -o "$user" -g "$user" "$jail/home/$user"
{ grep '^root:' /etc/passwd; grep "^$user:" /etc/passwd | sed "s#:$jail/\\./#:/#"; } > "$jail/etc/passwd"
{ grep '^root:' /etc/group; grep "^$user:" /etc/group; } > "$jail/etc/group"

echo "--- inside $jail as $user:"
env -i HOME=/home/$user PATH=/usr/bin:/bin /usr/sbin/chroot --userspec="$user:$user" "$jail" /bin/bash -c 'cd ~ && echo "I am $(whoami) ($(id))"; echo "/ holds: $(ls /)"; cat /etc/passwd'
