#!/bin/bash
# Integration test of 32-bit (i386) programs in jails (issue 18): on a
# multilib x86_64 host (libc6-i386, gcc-multilib), jk_cp of a program built
# with `cc -m32` brings the i386 loader, its link chain (/lib/ld-linux.so.2
# -> /lib32/ld-linux.so.2) and the 32-bit libraries from the i386 search
# path. When the kernel can execute i386 programs the copy runs in the jail
# as an unprivileged user; when it cannot (no IA32 emulation: ENOEXEC),
# jk_cp must say so, naming the program and why, and the jail must still be
# complete. Neither branch passes vacuously, and nothing is skipped: a host
# without gcc -m32 or the i386 loader fails (CI installs both).
#
#   JK_CP=/abs/path/to/jk_cp bash tests/integration/i386.sh

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_CP
need_cmd cc readelf chroot file
LOADER=/lib/ld-linux.so.2
[[ -e $LOADER ]] || fatal "$LOADER is missing: install libc6-i386 (see .ci/deps.sh)"
setup_root
cd "$T_ROOT/cwd" || fatal "cd"
export LC_ALL=C

SRC=$T_ROOT/src
cat >"$SRC/hello32.c" <<'C'
#include <math.h>
#include <stdio.h>
int main(int argc, char **argv) {
    (void)argv;
    printf("hello from %zu-bit, sqrt=%d\n", sizeof(void *) * 8, (int)sqrt(16.0 * argc));
    return 0;
}
C
cc -m32 -O2 -o "$SRC/hello32" "$SRC/hello32.c" -lm 2>"$T_ROOT/cc.err" \
    || fatal "cc -m32 failed (install gcc-multilib, see .ci/deps.sh): $(head -c 500 "$T_ROOT/cc.err")"
assert_match "cc -m32 built an i386 ELF" "ELF 32-bit LSB .*Intel 80386" "$(file -b "$SRC/hello32")"

# Does this kernel execute i386 programs? Asked directly, not guessed from
# the kernel config: execute the host's i386 loader.
"$LOADER" --help >/dev/null 2>"$T_ROOT/ldso.err"
ld_rc=$?
if (( ld_rc == 0 )); then
    KERNEL32=yes
else
    KERNEL32=no
    diag "the kernel cannot execute $LOADER (exit $ld_rc: $(head -c 200 "$T_ROOT/ldso.err"))"
fi

# The expected closure, computed from the files alone (not by jk's
# resolver, not by ldd, which calls an i386 program "not dynamic"): each
# DT_NEEDED found as an ELF32 i386 file in the i386 search path.
I386_DIRS=(/lib32 /usr/lib32 /lib/i386-linux-gnu /usr/lib/i386-linux-gnu)
find_i386() {
    local d
    for d in "${I386_DIRS[@]}"; do
        [[ -f "$d/$1" ]] && readelf -h "$d/$1" 2>/dev/null | grep 'Machine:.*80386' >/dev/null && { echo "$d/$1"; return 0; }
    done
    return 1
}
declare -A seen=()
queue=("$SRC/hello32")
expected=()
while ((${#queue[@]})); do
    f=${queue[0]}; queue=("${queue[@]:1}")
    while read -r name; do
        [[ -n ${seen[$name]:-} ]] && continue
        seen[$name]=1
        p=$(find_i386 "$name") || { not_ok "expected closure: $name (needed by $f) found in the i386 path"; continue; }
        expected+=("$name")
        queue+=("$p")
    done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
assert_contains "the expected closure has libc.so.6" "libc.so.6" "${expected[*]}"
assert_contains "the expected closure has libm.so.6" "libm.so.6" "${expected[*]}"

J=$(make_jail j32)
run_cmd "$JK_CP" -j "$J" "$SRC/hello32"
assert_rc "jk_cp copies the i386 program" 0
assert_exists "the program is in the jail" "$J$SRC/hello32"
# The loader by its PT_INTERP name and through its link chain.
assert_exists "the jail has $LOADER" "$J$LOADER"
real=$(readlink -f "$LOADER")
assert_type "the loader's target ${real} is a file in the jail" "$J$(readlink -f "$LOADER")" "regular file"
assert_same_content "the jail's loader is the host's" "$real" "$J$real"
for name in "${expected[@]}"; do
    host=$(find_i386 "$name")
    got=""
    for d in "${I386_DIRS[@]}"; do [[ -e "$J$d/$name" ]] && { got="$J$d/$name"; break; }; done
    if [[ -n $got ]] && readelf -h "$got" 2>/dev/null | grep 'Machine:.*80386' >/dev/null; then
        ok "the jail has the i386 $name (as $host)"
    else
        not_ok "the jail has the i386 $name"; diag "host: $host; jail: $(cd "$J" && find . -name "$name")"
    fi
done
assert_not_contains "no 64-bit libc came along" "libc.so.6" "$(cd "$J" && find . -path '*x86_64-linux-gnu*')"

if [[ $KERNEL32 == yes ]]; then
    assert_not_contains "jk_cp does not warn when the host runs i386 programs" "cannot run" "$R_ERR"
    U=$(make_user)
    run_cmd chroot --userspec="$U:$U" "$J" "$SRC/hello32"
    assert_rc "the i386 program runs in the jail as $U" 0
    assert_eq "its output" "hello from 32-bit, sqrt=4" "$R_OUT"
else
    assert_match "jk_cp warns, naming the program and the kernel's refusal" \
        "warning: '$SRC/hello32' is an i386 program and the kernel cannot execute i386 programs.*Exec format error" \
        "$R_ERR"
    # And the refusal is real: the jail's copy cannot be executed either
    # (chroot(8) then tries /bin/sh, which the jail lacks: 126 or 127).
    run_cmd chroot "$J" "$SRC/hello32"
    if (( R_RC == 126 || R_RC == 127 )) && [[ $R_OUT != *hello* ]]; then
        ok "the kernel refuses the program in the jail too"
    else
        not_ok "the kernel refuses the program in the jail too"; diag "exit $R_RC: $R_OUT $R_ERR"
    fi
fi

# Without the i386 loader on the host (as on a host without libc6-i386),
# jk_cp still copies the program and says why it cannot run: modelled with
# a program whose PT_INTERP names a loader that does not exist.
sed 's#/lib/ld-linux.so.2#/lib/ld-nonex.so.2#' "$SRC/hello32" >"$SRC/noloader32"
chmod 755 "$SRC/noloader32"
J2=$(make_jail noloader)
run_cmd "$JK_CP" -j "$J2" "$SRC/noloader32"
assert_rc "jk_cp copies an i386 program whose loader is missing" 0
assert_match "and warns that this host has no i386 loader for it" \
    "warning: '$SRC/noloader32' is an i386 program and this host has no i386 loader \\('/lib/ld-nonex.so.2'" "$R_ERR"
assert_exists "its libraries still come along" "$J2/lib32/libc.so.6"

finish
