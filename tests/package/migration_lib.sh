# shellcheck shell=bash
# Helpers shared by the package tests (sourced after tests/lib/common.sh and
# tests/lib/sshd.sh).

# mig_write_state : what migration_setup.sh made, for migration_check.sh.
mig_write_state() {
    {
        printf 'T_ROOT=%q\nT_TAG=%q\n' "$T_ROOT" "$T_TAG"
        printf 'J=%q\nUS=%q\nUB=%q\n' "$J" "$US" "$UB"
    } >"$JK_MIGRATION_STATE" || fatal "cannot write $JK_MIGRATION_STATE"
}

# mig_load_state : the variables mig_write_state wrote; the cleanup of the
# test root (users, jail) is armed as if setup_root had made it here.
mig_load_state() {
    [[ -f ${JK_MIGRATION_STATE:-} ]] || fatal "no state file (JK_MIGRATION_STATE=${JK_MIGRATION_STATE:-}): run migration_setup.sh first"
    # shellcheck disable=SC1090
    source "$JK_MIGRATION_STATE"
    [[ $T_ROOT == /*/jk-test.* && -d $T_ROOT ]] || fatal "state names no test root: $T_ROOT"
    # _cleanup exits with the status it finds: the test's, not rm's.
    trap 'T_RC=$?; mig_socketd_unregister; mig_remove_homes; rm -f "$JK_MIGRATION_STATE"; (exit $T_RC); _cleanup' EXIT
    trap 'exit 130' INT TERM
}

# mig_socketd_unregister [JAIL] : the section jk_init added to the host's
# jk_socketd.ini for JAIL (default $J), removed again; the rest is kept.
mig_socketd_unregister() {
    local jail=${1:-${J:-}} f=/etc/jailkit/jk_socketd.ini tmp
    [[ -n $jail && -f $f ]] || return 0
    grep -qxF "[$jail/dev/log]" "$f" || return 0
    tmp=$(mktemp "$f.XXXXXX") || return 1
    # The section's lines go, and the blank line jk_init put before it.
    awk -v h="[$jail/dev/log]" '
        skip && (/^[[:space:]]*\[/ || /^[[:space:]]*$/) { skip = 0 }
        skip { next }
        $0 == h { held = ""; skip = 1; next }
        /^[[:space:]]*$/ { held = held $0 "\n"; next }
        { printf "%s", held; held = ""; print }
        END { printf "%s", held }' "$f" >"$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$f"
}

# mig_remove_homes : host homes of our users left behind by a failed
# jk_jailuser -m (only names make_user gave, only under /home).
mig_remove_homes() {
    local u
    [[ -f ${T_ROOT:-}/.users ]] || return 0
    while IFS= read -r u; do
        [[ $u == jkt* && -d /home/$u ]] && rm -rf --one-file-system "/home/$u"
    done <"$T_ROOT/.users"
    return 0
}

# mig_conffile_md5 PKG PATH : the md5 dpkg recorded for PKG's conffile PATH.
mig_conffile_md5() {
    dpkg-query -W -f='${Conffiles}\n' "$1" 2>/dev/null | awk -v p="$2" '$1 == p { print $2 }'
}

# mig_logins LABEL : the sftp user ($US) and the bash user ($UB) log in
# through sshd "mig" into $J; LABEL names the tools in the checks.
mig_logins() {
    local L=$1 tag n src
    tag=${L//[^a-zA-Z0-9]/_}
    src=$T_ROOT/src/payload-$tag.txt
    head -c 3000 /dev/urandom | base64 >"$src"

    # sftp: put, get back, get a file from before the jail existed.
    printf 'put %s up-%s.txt\nget up-%s.txt %s\nget before.txt %s\n' \
        "$src" "$tag" "$tag" "$T_ROOT/cwd/back-$tag.txt" "$T_ROOT/cwd/before-$tag.txt" >"$T_ROOT/batch-$tag"
    run_cmd t_sftp mig "$US" -b "$T_ROOT/batch-$tag"
    assert_rc "$L: sftp user: sftp put + get" 0
    assert_same_content "$L: sftp user: the upload landed in JAIL/home/$US" "$src" "$J/home/$US/up-$tag.txt"
    assert_same_content "$L: sftp user: the download is what was uploaded" "$src" "$T_ROOT/cwd/back-$tag.txt"
    assert_eq "$L: sftp user: the file from before jk_jailuser -m" "hello from $US" "$(cat "$T_ROOT/cwd/before-$tag.txt" 2>/dev/null)"
    assert_owner "$L: sftp user: the upload is owned by the user" "$J/home/$US/up-$tag.txt" "$US:$US"
    assert_mode "$L: sftp user: ... mode 644 (umask 022 from the jail's jk_lsh.ini)" "$J/home/$US/up-$tag.txt" 644

    # scp, both protocols: SFTP (the default) and the legacy scp -t (-O),
    # which runs /usr/bin/scp through jk_lsh.
    local what
    for n in s O; do
        if [[ $n == O ]]; then
            what="scp -O (scp -t through jk_lsh)"
            run_cmd t_scp mig "$US" -O "$src" "@:scp-$n-$tag.txt"
        else
            what="scp (sftp protocol)"
            run_cmd t_scp mig "$US" "$src" "@:scp-$n-$tag.txt"
        fi
        assert_rc "$L: sftp user: $what upload" 0
        assert_same_content "$L: sftp user: ... content" "$src" "$J/home/$US/scp-$n-$tag.txt"
    done
    run_cmd t_scp mig "$US" -O "@:up-$tag.txt" "$T_ROOT/cwd/scp-back-$tag.txt"
    assert_rc "$L: sftp user: scp -O download" 0
    assert_same_content "$L: sftp user: ... content" "$src" "$T_ROOT/cwd/scp-back-$tag.txt"

    # jk_lsh still refuses what its ini does not allow.
    run_cmd t_ssh mig "$US" -- id
    if ((R_RC != 0)) && [[ $R_OUT != *uid=* ]]; then ok "$L: sftp user: a command jk_lsh.ini does not allow is refused"
    else not_ok "$L: sftp user: a command jk_lsh.ini does not allow is refused"; diag "rc $R_RC: $R_OUT"; fi
    run_cmd t_ssh mig "$US" -tt </dev/null
    assert_ne "$L: sftp user: no interactive shell" 0 "$R_RC"

    # The bash user: commands run in the jail, with the kept variable.
    run_cmd t_ssh mig "$UB" -- "pwd; [ -d /srv ] && echo host-root || echo jailed; echo conn=\${SSH_CONNECTION:+set}; cat before.txt; echo $tag >made-$tag.txt; ls made-$tag.txt"
    assert_rc "$L: shell user: ssh with commands" 0
    assert_eq "$L: shell user: output (home, jailed, SSH_CONNECTION kept by the admin's jk_chrootsh.ini, old file, new file)" \
        "/home/$UB"$'\n'"jailed"$'\n'"conn=set"$'\n'"hello from $UB"$'\n'"made-$tag.txt" "$R_OUT"
    assert_owner "$L: shell user: the file written is in JAIL/home/$UB, owned by the user" "$J/home/$UB/made-$tag.txt" "$UB:$UB"
}
