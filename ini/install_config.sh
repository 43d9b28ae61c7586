#!/bin/sh
# `meson install` step for the configuration files: each goes into CONFDIR
# only when no file of that name is there yet. An administrator's
# /etc/jailkit/*.ini (jailkit's, or edited since, or jk_socketd.ini with the
# sockets jk_init registered) is never overwritten by installing from
# source: a differing new default is put beside it as NAME.dist.
# (A package build installs into an empty DESTDIR: every file lands.)
#   usage (meson.add_install_script): install_config.sh CONFDIR FILE...
set -eu
confdir=$1
shift
dest="${DESTDIR:-}$confdir"
install -d -m 0755 "$dest"
for f in "$@"; do
    name=${f##*/}
    if [ -e "$dest/$name" ] || [ -L "$dest/$name" ]; then
        cmp -s "$f" "$dest/$name" && continue
        install -m 0644 "$f" "$dest/$name.dist"
        echo "Keeping $dest/$name; the new default is $dest/$name.dist"
    else
        install -m 0644 "$f" "$dest/$name"
        echo "Installing $dest/$name"
    fi
done
