# Shared by the bench scripts (sourced): their argument, a root-owned
# scratch root for jails, and timing helpers.

# The one argument every bench script takes, BUILDDIR, holding the built
# TOOLs; sets BUILDDIR. Exits 2 with a usage line when the argument is
# missing or no directory, when a tool is not built, or when not root.
#   bench_builddir "TOOL..." "$@"
bench_builddir() {
    local tools=$1 t
    shift
    if (($# != 1)) || ! BUILDDIR=$(cd "$1" 2>/dev/null && pwd); then
        echo "usage: bash $0 BUILDDIR   (run as root; BUILDDIR holds the built $tools)" >&2
        exit 2
    fi
    for t in $tools; do [[ -x $BUILDDIR/$t ]] || { echo "no executable $BUILDDIR/$t" >&2; exit 2; }; done
    [[ $(id -u) == 0 ]] || { echo "$0 must run as root (the tools refuse otherwise)" >&2; exit 2; }
}

# BASE: removed on exit; a fresh 0755 directory under a root-owned 0755 /srv or /var/lib
# (jails are refused under group/other-writable parents such as /tmp).
bench_root() {
    BASE=""
    local parent
    for parent in /srv /var/lib; do
        if [[ -d $parent && ! -L $parent && $(stat -c '%u %a' "$parent") == "0 755" ]]; then
            BASE=$(mktemp -d "$parent/jk-bench.XXXXXXXX") && break
        fi
    done
    [[ -n "$BASE" ]] || { echo "no root-owned 0755 /srv or /var/lib for the jails" >&2; exit 1; }
    chmod 0755 "$BASE"
    trap 'rm -rf --one-file-system "$BASE"' EXIT
    trap 'exit 130' INT TERM
}

# bench_install_twin BUILT_TOOL DIR : a static tool's dynamically linked
# twin (jk/handover.hpp), installed where a copy of the tool in DIR finds it.
bench_install_twin() {
    local ref
    ref=$(awk -v t="${1##*/}" '$1 == t { print $2 }' "${1%/*}/dynamic-twins" 2>/dev/null)
    [[ -z $ref ]] || install -D -m 0755 -o root -g root "$1-dynamic" "$2/$ref"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
