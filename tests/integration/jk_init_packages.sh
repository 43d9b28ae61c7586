#!/bin/bash
# Integration test of jk_init.ini's packages =, usedepends and blockdepends
# (issue 14, deliverable 2), on real jails:
#   - packages = file copies what dpkg lists for file(1) (documentation left
#     out), not its dependencies' files: libmagic-mgc's magic.mgc is absent;
#   - usedepends = 1 follows Depends (libmagic1, then libmagic-mgc), so file(1)
#     works in the jail, as root and as nobody; blockdepends = libc6 keeps
#     libc6's files that no ELF closure needs (its gconv modules) out;
#   - a package not installed: a warning naming it and exit 0, or exit 4
#     naming it under --strict, the jail untouched;
#   - --dry-run --json reports the package files and creates nothing; a
#     second run changes nothing;
#   - donotcopy patterns (fnmatch, * across /) keep package files out;
#   - a scratch dpkg database ($DPKG_ADMINDIR, as dpkg honours it) whose
#     md5sums disagree with one of its files: that file is refused, named,
#     the others copied and the program runs; --strict refuses the request;
#     a database directory others could write is refused.
#
#   JK_INIT=/abs/path/to/jk_init bash tests/integration/jk_init_packages.sh

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_INIT
need_cmd chroot dpkg dpkg-query md5sum grep
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
export LC_ALL=C
unset LANG LANGUAGE DPKG_ADMINDIR
NOBODY=65534:65534

# Debian 13 renamed libmagic1 libmagic1t64 (64-bit time_t).
MAGICPKG=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'libmagic1*' 2>/dev/null | awk '$1 == "ii" { print $2; exit }')
[[ -n $MAGICPKG ]] || fatal "no libmagic1 package installed (.ci/deps.sh installs file)"
for p in file "$MAGICPKG" libmagic-mgc libc6; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
        fatal "package $p is not installed (.ci/deps.sh installs file)"
done
MGC=/usr/lib/file/magic.mgc
[[ -f $MGC ]] || fatal "$MGC missing on the host"
# A file of libc6 no ELF closure brings: its gconv modules' index.
LIBC6_LIST=$(dpkg-query -L libc6)
GCONV=$(grep -m1 '/gconv/gconv-modules$' <<<"$LIBC6_LIST" || grep -m1 '/gconv/[A-Z].*\.so$' <<<"$LIBC6_LIST")
[[ -n $GCONV && -e $GCONV ]] || fatal "no gconv file of libc6 found"
ARCH=$(dpkg --print-architecture)
LIBMAGIC=$(dpkg-query -L "$MAGICPKG" | grep '/libmagic\.so\.1$' | head -n 1)
LIBC=$(grep -m1 '/libc\.so\.6$' <<<"$LIBC6_LIST")
[[ -n $LIBMAGIC && -n $LIBC ]] || fatal "libmagic.so.1 or libc.so.6 not found in dpkg's lists"

CFG_DIR=$T_ROOT/etc
mkdir -m 0755 "$CFG_DIR"
CFG=$CFG_DIR/jk_init.ini
cat >"$CFG" <<EOF
[DEFAULT]
blockdepends = libc6

[magic]
comment = file(1), its own package only
packages = file

[magic_deps]
comment = file(1) and its Depends closure but libc6
Packages = file
UseDepends = yes

[indirect]
includesections = magic_deps

[magic_trimmed]
comment = file(1) and its closure, without magic.mgc nor /etc/magic
includesections = magic_deps
donotcopy = */magic.mgc, /etc/magic*

[nopkg]
packages = jk-no-such-package-$T_TAG

[mixed]
paths = /usr/bin/env
packages = jk-no-such-package-$T_TAG, file
EOF

# ============================================================ packages = without usedepends

J=$(make_jail magic)
run_cmd "$JK_INIT" -c "$CFG" -j "$J" magic
assert_rc "packages = file: exit 0" 0
assert_type "file(1) is copied" "$J/usr/bin/file" "regular file"
assert_exists "its library comes with it (ELF closure)" "$J$LIBMAGIC"
assert_missing "libmagic-mgc is a dependency: not copied without usedepends" "$J$MGC"
assert_missing "documentation is left out" "$J/usr/share/doc/file"
assert_missing "man pages are left out" "$J/usr/share/man/man1/file.1.gz"
assert_not_contains "no warning for a clean package" "warning" "$R_ERR"

# ============================================================ usedepends, blockdepends (from DEFAULT)

J=$(make_jail deps)
run_cmd "$JK_INIT" -v -c "$CFG" -j "$J" indirect
assert_rc "usedepends through includesections: exit 0" 0
assert_match "-v names the packages taken" "Packages: file:$ARCH, $MAGICPKG:$ARCH, .*libmagic-mgc:" "$R_OUT"
assert_type "usedepends: libmagic-mgc's magic.mgc is copied" "$J$MGC" "regular file"
assert_same_content "magic.mgc is the host's" "$MGC" "$J$MGC"
assert_exists "libmagic1's /etc/magic (a conffile) is copied" "$J/etc/magic"
assert_missing "blockdepends = libc6 (DEFAULT): libc6's gconv files stay out" "$J$GCONV"

JT=$(make_jail trimmed)
run_cmd "$JK_INIT" -c "$CFG" -j "$JT" magic_trimmed
assert_rc "donotcopy: exit 0" 0
assert_missing "donotcopy = */magic.mgc: the closure's magic.mgc stays out" "$JT$MGC"
assert_missing "donotcopy = /etc/magic*: the conffile stays out" "$JT/etc/magic"
assert_type "... and the rest of the packages is there" "$JT/usr/bin/file" "regular file"
assert_exists "... libmagic included" "$JT$LIBMAGIC"
assert_exists "libc itself still comes through the ELF closure" "$J$LIBC"
assert_missing "no documentation of a dependency either" "$J/usr/share/doc/$MAGICPKG"
for spec in "" "--userspec=$NOBODY"; do
    run_cmd chroot $spec "$J" /usr/bin/file /usr/bin/file
    assert_rc "file(1) works in the jail ${spec:-as root}: exit 0" 0
    assert_match "file(1) in the jail recognises an ELF file ${spec:-as root}" 'ELF 64-bit' "$R_OUT"
done
before=$(tree_listing "$J")
run_cmd "$JK_INIT" -c "$CFG" -j "$J" indirect
assert_rc "a second run: exit 0" 0
assert_eq "a second run changes nothing" "$before" "$(tree_listing "$J")"

# Without usedepends the same jail-less run shows the difference: file(1)
# cannot find its magic.
J=$(make_jail nodeps)
run_cmd "$JK_INIT" -c "$CFG" -j "$J" magic
run_cmd chroot "$J" /usr/bin/file /usr/bin/file
assert_ne "without libmagic-mgc file(1) fails in the jail" 0 "$R_RC"

# ============================================================ --dry-run --json

J=$T_ROOT/jails/dry
run_cmd "$JK_INIT" --dry-run --json -c "$CFG" -j "$J" magic_deps
assert_rc "--dry-run --json: exit 0" 0
assert_contains "--dry-run --json: the dependency's file is reported" "$MGC" "$R_OUT"
assert_contains "--dry-run --json: the program is reported" '"/usr/bin/file"' "$R_OUT"
assert_missing "--dry-run: no jail made" "$J"

# ============================================================ a package not installed

J=$(make_jail nopkg)
run_cmd "$JK_INIT" -c "$CFG" -j "$J" nopkg
assert_rc "a package not installed: exit 0 (as a missing section)" 0
assert_contains "a package not installed: a warning names it" "package jk-no-such-package-$T_TAG is not installed" "$R_ERR"
run_cmd "$JK_INIT" --strict -c "$CFG" -j "$J" mixed
assert_rc "--strict: a package not installed: exit 4" 4
assert_contains "--strict: the message names the package" "jk-no-such-package-$T_TAG" "$R_ERR"
assert_eq "--strict: nothing was written" "" "$(ls -A "$J")"
run_cmd "$JK_INIT" -c "$CFG" -j "$J" mixed
assert_rc "without --strict the installed package is still copied: exit 0" 0
assert_exists "  /usr/bin/file copied" "$J/usr/bin/file"
assert_exists "  paths = beside packages = still works" "$J/usr/bin/env"

# ============================================================ md5sums: a scratch dpkg database

PKG=$T_ROOT/host/pkgroot
DB=$T_ROOT/host/dpkgdb
mkdir -p "$PKG/usr/bin" "$PKG/usr/share/jktool" "$PKG/etc/jktool" "$PKG/usr/share/doc/jktool" "$DB/info"
cp /usr/bin/true "$PKG/usr/bin/jktool"
echo good >"$PKG/usr/share/jktool/good.dat"
echo original >"$PKG/usr/share/jktool/bad.dat"
echo "conf edited by the admin" >"$PKG/etc/jktool/jktool.conf"
echo doc >"$PKG/usr/share/doc/jktool/README"
ln -s good.dat "$PKG/usr/share/jktool/link.dat"
mkdir -p "$PKG/var/spool/jktool"
LIST="$DB/info/jktool.list"
{
    echo /.
    for p in /usr /usr/bin /usr/bin/jktool /usr/share /usr/share/jktool /usr/share/jktool/good.dat \
        /usr/share/jktool/bad.dat /usr/share/jktool/link.dat /etc /etc/jktool /etc/jktool/jktool.conf \
        /usr/share/doc /usr/share/doc/jktool /usr/share/doc/jktool/README /var /var/spool /var/spool/jktool; do
        echo "$PKG$p"
    done
} >"$LIST"
(cd / && md5sum "${PKG#/}/usr/bin/jktool" "${PKG#/}/usr/share/jktool/good.dat" "${PKG#/}/usr/share/jktool/bad.dat") \
    >"$DB/info/jktool.md5sums"
echo tampered >"$PKG/usr/share/jktool/bad.dat"
cat >"$DB/status" <<EOF
Package: jktool
Status: install ok installed
Architecture: $ARCH
Version: 1.0
Depends: libc6 (>= 2.34)
Conffiles:
 $PKG/etc/jktool/jktool.conf 00000000000000000000000000000000
Description: a scratch package

EOF
cat >>"$CFG" <<EOF

[jktool]
packages = jktool
EOF

J=$(make_jail md5)
DPKG_ADMINDIR=$DB run_cmd "$JK_INIT" -c "$CFG" -j "$J" jktool
assert_rc "scratch database: exit 0" 0
assert_contains "the changed file is named in a warning" "$PKG/usr/share/jktool/bad.dat" "$R_ERR"
assert_contains "  as differing from dpkg's sum" "differs from the MD5 sum dpkg recorded" "$R_ERR"
assert_missing "the changed file is not copied" "$J$PKG/usr/share/jktool/bad.dat"
assert_same_content "a file with a matching sum is copied" "$PKG/usr/share/jktool/good.dat" "$J$PKG/usr/share/jktool/good.dat"
assert_link "a listed symlink is copied as a symlink" "$J$PKG/usr/share/jktool/link.dat" good.dat
assert_exists "a conffile (no sum in md5sums) is copied" "$J$PKG/etc/jktool/jktool.conf"
assert_type "a listed empty directory is made" "$J$PKG/var/spool/jktool" "directory"
assert_exists "documentation under a package's own root is not /usr/share/doc: copied" \
    "$J$PKG/usr/share/doc/jktool/README"
run_cmd chroot --userspec=$NOBODY "$J" "$PKG/usr/bin/jktool"
assert_rc "the scratch package's program runs in the jail" 0

J=$(make_jail md5strict)
DPKG_ADMINDIR=$DB run_cmd "$JK_INIT" --strict -c "$CFG" -j "$J" jktool
assert_rc "--strict: a changed file: exit 4" 4
assert_contains "--strict: the message names the changed file" "$PKG/usr/share/jktool/bad.dat" "$R_ERR"
assert_eq "--strict: nothing was written" "" "$(ls -A "$J")"

rm "$PKG/usr/share/jktool/good.dat"
J=$(make_jail md5gone)
DPKG_ADMINDIR=$DB run_cmd "$JK_INIT" -c "$CFG" -j "$J" jktool
assert_rc "a listed file gone from the host: exit 0" 0
assert_contains "  a warning names it" "$PKG/usr/share/jktool/good.dat" "$R_ERR"
assert_contains "  as listed but not on the host" "not on the host" "$R_ERR"

chmod 0757 "$DB/info"
J=$(make_jail unsafe)
DPKG_ADMINDIR=$DB run_cmd "$JK_INIT" -c "$CFG" -j "$J" jktool
assert_ne "a database directory writable by others is refused" 0 "$R_RC"
assert_contains "  the message names it" "$DB/info" "$R_ERR"
assert_eq "  nothing was written" "" "$(ls -A "$J")"
chmod 0755 "$DB/info"

DPKG_ADMINDIR=$T_ROOT/host/no-db run_cmd "$JK_INIT" -c "$CFG" -j "$J" jktool
assert_rc "no dpkg database: exit 0" 0
assert_contains "  the package is not installed" "package jktool is not installed" "$R_ERR"
assert_contains "  and the database is named" "$T_ROOT/host/no-db" "$R_ERR"

finish
