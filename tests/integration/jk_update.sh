#!/bin/bash
# Integration test of jk_update (COMPAT.md 2.11, W13; issue 3 "Tests"): jails
# built with the real jk_cp from host files this test creates under its test
# root (so nothing depends on the real /usr changing), run as root.
#
#   JK_UPDATE=/abs/path/jk_update JK_CP=/abs/path/jk_cp bash tests/integration/jk_update.sh
#
# Covers: usage and jailkit's exit codes (1 without -j/-c, 21 with both);
# a host file changed with the same size and with another size -> replaced
# (new inode, new content); a changed symlink target; a deleted host file and
# directory -> removed ("removing deprecated file/directory"); an admin's
# file -> kept; -d prints the plan, changes nothing, exits 3 / 0; --max-remove
# refusing; -s in jail and host spelling; -c with --config (section = jail);
# ISPConfig's command lines; a real bash jail with the default directories
# (nothing to do, fast, twice); kill -9 at random points of a 300 x 1 MB
# update, 20 times: every file old or new, none missing, a final run finishes.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

skip_unless_root
need_tool JK_UPDATE
need_tool JK_CP
need_cmd sha256sum head touch find
setup_root
cd "$T_ROOT/cwd" || fatal "cd"

UP=$JK_UPDATE
SRC=$T_ROOT/src/app        # host files; the jail mirrors this path

# jail_listing JAIL : full listing with content hashes.
jail_listing() {
    (cd "$1" && find . -printf '%p %y %i %m %s %T@ %l\n' | LC_ALL=C sort
     cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

has_line() {  # DESC LINE TEXT
    if grep -qxF -- "$2" <<<"$3"; then ok "$1"
    else not_ok "$1"; diag "missing line: $2"; diag "output:"; diag "$3"; fi
}

# ============================================================ usage

run_cmd "$UP" --help
assert_rc "--help exits 0" 0
assert_match "--help prints a usage text" 'Usage: jk_update' "$R_OUT"
run_cmd "$UP" --version
assert_rc "--version exits 0" 0
run_cmd "$UP"
assert_rc "neither -j nor -c: exit 1" 1
run_cmd "$UP" "$T_ROOT/jails"
assert_rc "ISPConfig 3.1's fallback 'jk_update <docroot>': exit 1 (as jailkit)" 1
run_cmd "$UP" -j /x -c /x
assert_rc "both -j and -c: exit 21" 21
run_cmd "$UP" --jail=/x --configsection=/y
assert_rc "both --jail and --configsection: exit 21" 21
run_cmd "$UP" -j /x --bogus
assert_rc "unknown option: exit 1" 1

# ============================================================ an app jail

mkdir -p "$SRC/bin" "$SRC/lib" "$SRC/old/sub"
printf '#!/bin/sh\necho v1\n' >"$SRC/bin/tool"; chmod 755 "$SRC/bin/tool"
printf 'AAAA' >"$SRC/lib/same-size"
printf 'short' >"$SRC/lib/grows"
printf 'x' >"$SRC/lib/target1"; printf 'y' >"$SRC/lib/target2"
ln -s target1 "$SRC/lib/link"
for f in gone1 gone2 gone3; do echo "$f" >"$SRC/lib/$f"; done
echo deep >"$SRC/old/sub/file"
touch -d '2020-01-01' "$SRC"/lib/* "$SRC/bin/tool" "$SRC/old/sub/file"

J=$(make_jail app)
"$JK_CP" -j "$J" "$SRC" >/dev/null 2>"$T_ROOT/cp.err" || fatal "jk_cp failed: $(cat "$T_ROOT/cp.err")"
JS=$J$SRC
[[ -f $JS/lib/gone1 ]] || fatal "jk_cp did not copy $SRC"
echo "the admin's own" >"$JS/lib/admin-file"
mkdir "$JS/admin-dir" && echo x >"$JS/admin-dir/f"

run_cmd "$UP" -j "$J" "$SRC"
assert_rc "nothing changed on the host: exit 0" 0
assert_eq "nothing changed on the host: nothing printed" "" "$R_OUT"
run_cmd "$UP" -d -j "$J" "$SRC"
assert_rc "dry run with nothing pending: exit 0" 0

# ---- change the host
printf 'BBBB' >"$SRC/lib/same-size"          # same size, new mtime
printf 'much longer now' >"$SRC/lib/grows"
ln -sfn target2 "$SRC/lib/link"
printf '#!/bin/sh\necho v2\n' >"$SRC/bin/tool"
rm "$SRC/lib/gone1" "$SRC/lib/gone2"
ino_same=$(fstat "$JS/lib/same-size" %i)
ino_grows=$(fstat "$JS/lib/grows" %i)

before=$(jail_listing "$J")
run_cmd "$UP" -d -j "$J" "$SRC"
assert_rc "dry run with changes pending: exit 3" 3
has_line "dry run: will update (same size)" "will update outdated file $JS/lib/same-size" "$R_OUT"
has_line "dry run: will update (other size)" "will update outdated file $JS/lib/grows" "$R_OUT"
has_line "dry run: will update (symlink)" "will update outdated file $JS/lib/link" "$R_OUT"
has_line "dry run: will remove" "will remove deprecated file $JS/lib/gone1" "$R_OUT"
assert_not_contains "dry run: the admin's file is not listed" "admin-file" "$R_OUT"
assert_eq "dry run changed nothing" "$before" "$(jail_listing "$J")"

run_cmd "$UP" --max-remove=1 -j "$J" "$SRC"
assert_rc "--max-remove=1 with 2 removals pending: refused (exit 4)" 4
assert_match "--max-remove: says why" 'more than --max-remove=1' "$R_ERR"
assert_eq "--max-remove: nothing changed" "$before" "$(jail_listing "$J")"

# ---- the update, skipping one file (host spelling of the jail path)
run_cmd "$UP" -j "$J" -s "$JS/bin/tool/" "$SRC"
assert_rc "update: exit 0" 0
has_line "skip printed" "skip $JS/bin/tool" "$R_OUT"
has_line "removing outdated file (ISPConfig phrase)" "removing outdated file $JS/lib/same-size" "$R_OUT"
has_line "removing deprecated file (ISPConfig phrase)" "removing deprecated file $JS/lib/gone1" "$R_OUT"
assert_contains "the copy engine's phrase" "Copying $SRC/lib/grows to $JS/lib/grows" "$R_OUT"
assert_same_content "same-size change: new content" "$SRC/lib/same-size" "$JS/lib/same-size"
assert_ne "same-size change: a new inode (renamed over)" "$ino_same" "$(fstat "$JS/lib/same-size" %i)"
assert_same_content "size change: new content" "$SRC/lib/grows" "$JS/lib/grows"
assert_ne "size change: a new inode" "$ino_grows" "$(fstat "$JS/lib/grows" %i)"
assert_link "symlink retargeted" "$JS/lib/link" target2
assert_missing "deleted host file removed from the jail" "$JS/lib/gone1"
assert_missing "second deleted host file removed" "$JS/lib/gone2"
assert_exists "untouched file kept" "$JS/lib/gone3"
assert_exists "the admin's file kept" "$JS/lib/admin-file"
assert_exists "the admin's directory kept" "$JS/admin-dir/f"
assert_match "skipped file not updated" 'v1' "$(cat "$JS/bin/tool")"
assert_eq "no temporary entries left" "" "$(find "$J" -name '.jk-*')"
if grep -qF "$SRC/lib/gone1" "$J/etc/jailkit/jk_manifest"; then not_ok "manifest forgets removed files"
else ok "manifest forgets removed files"; fi

run_cmd "$UP" -d -j "$J" --skip="$SRC/bin/tool" "$SRC"
assert_rc "after the update (skip kept): dry run exit 0" 0
run_cmd "$UP" -j "$J" "$SRC"
assert_rc "without the skip: exit 0" 0
has_line "without the skip: the tool is updated" "removing outdated file $JS/bin/tool" "$R_OUT"
assert_match "the tool's new version" 'v2' "$(cat "$JS/bin/tool")"
run_cmd "$UP" -j "$J" "$SRC"
assert_rc "a second run: exit 0" 0
assert_eq "a second run: nothing printed" "" "$R_OUT"

# ---- a deprecated directory (file and subdirectory gone on the host)
rm -r "$SRC/old"
run_cmd "$UP" -j "$J" "$SRC"
assert_rc "deprecated directory: exit 0" 0
has_line "removing deprecated file in it" "removing deprecated file $JS/old/sub/file" "$R_OUT"
has_line "removing deprecated directory" "removing deprecated directory $JS/old/sub" "$R_OUT"
assert_missing "deprecated directory removed" "$JS/old"

# ---- the ini: section = jail
printf 'gone4\n' >"$SRC/lib/gone4"
"$JK_CP" -j "$J" "$SRC/lib/gone4" >/dev/null 2>&1 || fatal "jk_cp gone4"
rm "$SRC/lib/gone4" "$SRC/lib/gone3"
cat >"$T_ROOT/jk_update.ini" <<INI
[$J]
skips = $SRC/lib/gone4
directories = $SRC
hardlinks = 0
INI
run_cmd "$UP" --config="$T_ROOT/jk_update.ini" -c "$J"
assert_rc "-c SECTION with --config: exit 0" 0
has_line "ini skips honoured" "skip $JS/lib/gone4" "$R_OUT"
has_line "ini directories honoured" "removing deprecated file $JS/lib/gone3" "$R_OUT"
assert_exists "ini-skipped file kept" "$JS/lib/gone4"
run_cmd "$UP" --config="$T_ROOT/jk_update.ini" -c "$T_ROOT/nope"
assert_rc "-c with a missing section: exit 1" 1
assert_match "missing section named" 'does not have a section' "$R_ERR"

# ---- an unsafe jail
U=$(make_jail unsafe); chmod 777 "$U"
run_cmd "$UP" -j "$U"
assert_rc "unsafe jail: exit 6" 6
assert_match "unsafe jail: named" "$U" "$R_ERR"

# ============================================================ a real jail, default directories

B=$(make_jail bash)
"$JK_CP" -j "$B" /usr/bin/bash /usr/bin/id >/dev/null 2>&1 || fatal "jk_cp bash"
for i in 1 2; do
    t0=$(date +%s%N)
    run_cmd "$UP" -j "$B"
    t1=$(date +%s%N)
    assert_rc "bash jail, default dirs, run $i: exit 0" 0
    assert_eq "bash jail, run $i: nothing printed" "" "$(grep -v '^skip ' <<<"$R_OUT")"
    ms=$(( (t1 - t0) / 1000000 ))
    diag "bash jail run $i: ${ms} ms"
    if (( ms < 2000 )); then ok "bash jail run $i is fast (${ms} ms)"; else not_ok "bash jail run $i took ${ms} ms"; fi
done
run_cmd "$UP" --jail="$B" -k --skip=/home --skip=/x
assert_rc "ISPConfig 3.2: jk_update --jail=J -k --skip=/x: exit 0" 0
run_cmd "$UP" -j "$B"
assert_rc "ISPConfig 3.1: jk_update -j J: exit 0" 0
echo 'jailuser:x:1000:1000::/home:/bin/bash' >"$B/etc/passwd"
run_cmd "$UP" -j "$B" /etc
assert_rc "scanning the jail's /etc: exit 0" 0
assert_eq "the jail's own passwd is never replaced by the host's" "jailuser:x:1000:1000::/home:/bin/bash" "$(cat "$B/etc/passwd")"
run_cmd chroot "$B" /usr/bin/bash -c 'echo alive'
assert_eq "the bash jail still works" "alive" "$R_OUT"

# ============================================================ kill -9 during a large update

BIG=$T_ROOT/src/big
VA=$T_ROOT/va VB=$T_ROOT/vb
mkdir -p "$BIG" "$VB/big"
for i in $(seq -w 1 300); do
    head -c 1048576 /dev/urandom >"$BIG/f$i"
    head -c 1048576 /dev/urandom >"$VB/big/f$i"
done
touch -d '2021-01-01' "$BIG"/*
touch -d '2022-01-01' "$VB"/big/*
K=$(make_jail kill)
"$JK_CP" -j "$K" "$BIG" >/dev/null 2>&1 || fatal "jk_cp big"
mkdir -p "$VA"
(cd "$BIG" && sha256sum f* >"$T_ROOT/sums.a")
(cd "$VB/big" && sha256sum f* >"$T_ROOT/sums.b")
declare -A SUM_A=() SUM_B=()
while read -r s f; do SUM_A[$f]=$s; done <"$T_ROOT/sums.a"
while read -r s f; do SUM_B[$f]=$s; done <"$T_ROOT/sums.b"

# use_version X : the host's $BIG becomes version X (whole-directory renames).
cur=a
use_version() {
    [[ $1 == "$cur" ]] && return
    if [[ $1 == b ]]; then mv "$BIG" "$VA/big" && mv "$VB/big" "$BIG"
    else mv "$BIG" "$VB/big" && mv "$VA/big" "$BIG"; fi
    cur=$1
}

bad=0 interrupted=0 mixed=0
for round in $(seq 1 20); do
    if (( round % 2 )); then use_version b; else use_version a; fi
    "$UP" -j "$K" "$BIG" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 201)))"
    kill -9 "$pid" 2>/dev/null && interrupted=$((interrupted + 1))
    wait "$pid" 2>/dev/null
    (cd "$K$BIG" && sha256sum f* 2>/dev/null) >"$T_ROOT/sums.j"
    n=$(wc -l <"$T_ROOT/sums.j")
    na=$(grep -cFf <(cut -d' ' -f1 "$T_ROOT/sums.a") "$T_ROOT/sums.j")
    (( na > 0 && na < n )) && mixed=$((mixed + 1))
    if [[ $n != 300 ]]; then bad=1; diag "round $round: $n files in the jail, not 300"; fi
    while read -r s f; do
        if [[ $s != "${SUM_A[$f]:-}" && $s != "${SUM_B[$f]:-}" ]]; then
            bad=1; diag "round $round: $f is neither the old nor the new version"
        fi
    done <"$T_ROOT/sums.j"
done
diag "kill -9 loop: $interrupted of 20 runs interrupted, $mixed left a mix of old and new files"
if ((bad == 0)); then ok "kill -9 at random points: every file old or new, none missing"
else not_ok "kill -9 at random points: every file old or new, none missing"; fi
if ((interrupted > 0)); then ok "kill -9 loop: runs were interrupted ($interrupted)"
else not_ok "kill -9 loop: no run was interrupted (machine too fast?)"; fi

run_cmd "$UP" -j "$K" "$BIG"
assert_rc "final run after the kills: exit 0" 0
(cd "$K$BIG" && sha256sum f*) >"$T_ROOT/sums.j"
want=$T_ROOT/sums.$cur
assert_eq "final run: every file is the host's version" "$(cat "$want")" "$(cat "$T_ROOT/sums.j")"
assert_eq "final run: no temporary entries left" "" "$(find "$K" -name '.jk-*')"
run_cmd "$UP" -d -j "$K" "$BIG"
assert_rc "final run: nothing pending" 0

finish
