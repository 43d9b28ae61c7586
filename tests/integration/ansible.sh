#!/bin/bash
# The Ansible collection (ansible/ansible_collections/jailkit_ng/jails;
# issue 16) driving this build's tools, with ansible-core from Debian:
#   1. the example playbook (ansible/examples/sftp_only.yml) against
#      localhost (-c local) makes a jail and a jailed sftp-only user, whose
#      real sshd login then works (sftp put/get; a shell command refused);
#   2. a second run reports changed=0;
#   3. --check --diff after a change to the variables (a second user, one
#      more file) shows the change and applies nothing;
#   4. the same playbook over real ssh to 127.0.0.1 (as root, with a key, as
#      Ansible reaches a remote host) applies that change; a run after it
#      reports changed=0;
#   5. failures: an unknown section, an unsafe jail directory and a missing
#      user each fail with the tool's message and change nothing;
#   6. jail_update and jail_facts; an isolation policy set, kept (changed=0)
#      and a malformed one refused; state=absent refused while a user is
#      jailed there, then removes the jail.
# The modules get this build's tools through bindir (a root-owned copy),
# never $PATH, so an installed jailkit can never stand in.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/common.sh"
source "$here/../lib/sshd.sh"

skip_unless_root
enter_private_mounts "$@"
for t in JK_INIT JK_CP JK_CHROOTSH JK_LSH JK_JAILUSER JK_CHECK JK_LIST JK_UPDATE; do need_tool "$t"; done
need_cmd ansible-playbook ssh sftp ssh-keygen ss usermod getent python3
: "${JK_INIT_INI:=$here/../../build/ini/jk_init.ini}"
export LC_ALL=C.UTF-8
setup_root
private_confdir
cd "$T_ROOT/cwd" || fatal "cd"
install_setuid JK_CHROOTSH
TOOLS=$T_ROOT/tools
install -d -m 0755 -o 0 -g 0 "$TOOLS"
for t in JK_INIT JK_CP JK_LSH JK_JAILUSER JK_CHECK JK_LIST JK_UPDATE; do
    install -m 0755 -o 0 -g 0 "${!t}" "$TOOLS/" || fatal "cannot copy ${!t}"
done

# Ansible's own files stay in the test root.
A=$T_ROOT/ansible
install -d -m 0700 "$A" "$A/local" "$A/remote" "$A/home" "$A/cp"
export ANSIBLE_COLLECTIONS_PATH=$here/../../ansible ANSIBLE_HOME=$A/home ANSIBLE_LOCAL_TEMP=$A/local \
    ANSIBLE_REMOTE_TEMP=$A/remote ANSIBLE_SSH_CONTROL_PATH_DIR=$A/cp ANSIBLE_NOCOLOR=1 \
    ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_CONFIG=$A/none.cfg \
    ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=0
PLAYBOOK=$here/../../ansible/examples/sftp_only.yml
[[ -f $PLAYBOOK ]] || fatal "$PLAYBOOK missing"

install -d -m 0755 -o 0 -g 0 "$T_ROOT/jails"
J=$T_ROOT/jails/sftproot
U1=$(make_user); U2=$(make_user)
install -d -m 0755 -o 0 -g 0 "$T_ROOT/homes"
for u in "$U1" "$U2"; do
    install -d -m 0755 -o "$u" -g "$u" "$T_ROOT/homes/$u"
    printf 'hello %s\n' "$u" >"$T_ROOT/homes/$u/hello.txt"
    chown "$u:$u" "$T_ROOT/homes/$u/hello.txt"
    usermod -d "$T_ROOT/homes/$u" "$u" >/dev/null || fatal "usermod -d $u"
    ssh_authorize "$u"
done
SSHD_ROOT_LOGIN=1 sshd_start main
ssh_authorize_root

# vars USER... : the playbook's variables for these users, as JSON.
vars() {
    python3 - "$@" <<PY
import json, sys
print(json.dumps({
    "target": "all", "jail": "$J",
    "jail_sections": ["jk_lsh", "sftp", "scp", "uidbasics"],
    "jail_files": ["$TOOLS/jk_lsh"] + (["/usr/bin/id"] if len(sys.argv) > 2 else []),
    "sftp_users": sys.argv[1:], "lsh": "$TOOLS/jk_lsh", "chrootsh": "$JK_CHROOTSH",
    "jailkit_bindir": "$TOOLS", "jk_init_config": "$JK_INIT_INI"}))
PY
}
# play_local ARGS... / play_ssh ARGS... : ansible-playbook; records R_*.
play_local() { run_cmd ansible-playbook -i localhost, -c local "$@"; }
play_ssh() {
    local opts; opts=$(ssh_opts main root | grep -v '^-F$' | grep -v '^/dev/null$' | paste -sd' ')
    run_cmd ansible-playbook -i 127.0.0.1, -c ssh -u root -e ansible_port="${SSHD_PORT[main]}" \
        -e "ansible_ssh_common_args='-F /dev/null $opts'" "$@"
}
recap() { grep -o "$1=[0-9]*" <<<"$R_OUT" | tail -n 1 | cut -d= -f2; }
ran_ok() {  # DESC : the play ran with failed=0 unreachable=0
    if ((R_RC == 0)) && [[ $(recap failed) == 0 && $(recap unreachable) == 0 ]]; then ok "$1"
    else not_ok "$1"; diag "exit $R_RC"; diag "$(tail -n 40 <<<"$R_OUT")"; diag "$(tail -n 10 <<<"$R_ERR")"; fi
}
listing() { (cd "$1" && find . -printf '%p %y %i %m %u %g %s %T@ %l\n' | LC_ALL=C sort); }

# ---------------------------------------------------------------- 0. docs
for m in jail jailed_user jail_update jail_facts; do
    run_cmd ansible-doc -t module "jailkit_ng.jails.$m"
    assert_eq "0. ansible-doc reads the documentation of jailkit_ng.jails.$m" "0:" \
        "$R_RC:$(grep -i 'error' <<<"$R_ERR" | head -n 1)"
done

# ---------------------------------------------------------------- 1. local
vars "$U1" >"$A/vars1.json"
play_local "$PLAYBOOK" -e "@$A/vars1.json"
ran_ok "1. the example playbook over -c local: no task failed"
assert_ne "1. it reports changes" 0 "$(recap changed)"
assert_exists "1. the jail exists" "$J/usr/lib/openssh/sftp-server"
assert_eq "1. $U1's host account points into the jail" "$J/.$T_ROOT/homes/$U1:$JK_CHROOTSH" \
    "$(getent passwd "$U1" | cut -d: -f6,7)"
assert_exists "1. $U1's home moved into the jail" "$J$T_ROOT/homes/$U1/hello.txt"
printf 'payload %s\n' "$T_TAG" >"$T_ROOT/p.txt"
printf 'put %s up.txt\nget up.txt %s\n' "$T_ROOT/p.txt" "$T_ROOT/p.back" >"$T_ROOT/p.batch"
run_cmd t_sftp main "$U1" -b "$T_ROOT/p.batch"
assert_rc "1. $U1 logs in over sshd with sftp (put + get)" 0
assert_same_content "1. the round trip" "$T_ROOT/p.txt" "$T_ROOT/p.back"
assert_exists "1. the upload landed in the jailed home" "$J$T_ROOT/homes/$U1/up.txt"
run_cmd t_ssh main "$U1" -- 'echo ran-a-shell'
assert_not_contains "1. a shell command is refused (jk_lsh)" "ran-a-shell" "$R_OUT"

# ---------------------------------------------------------------- 2. idempotent
play_local "$PLAYBOOK" -e "@$A/vars1.json"
ran_ok "2. the second run: no task failed"
assert_eq "2. the second run reports changed=0" 0 "$(recap changed)"

# ---------------------------------------------------------------- 3. check + diff
vars "$U1" "$U2" >"$A/vars2.json"
before=$(listing "$J"); host_before=$(getent passwd "$U2")
play_local "$PLAYBOOK" -e "@$A/vars2.json" --check --diff
ran_ok "3. --check --diff with a second user and one more file: no task failed"
assert_ne "3. it reports changes" 0 "$(recap changed)"
assert_contains "3. the diff shows the new file" "+ file /usr/bin/id" "$R_OUT"
assert_contains "3. the diff shows the second user's host account" "host account $U2" "$R_OUT"
assert_eq "3. nothing was applied to the jail" "$before" "$(listing "$J")"
assert_eq "3. nothing was applied to $U2's host account" "$host_before" "$(getent passwd "$U2")"
assert_exists "3. $U2's home did not move" "$T_ROOT/homes/$U2/hello.txt"

# ---------------------------------------------------------------- 4. over ssh
play_ssh "$PLAYBOOK" -e "@$A/vars2.json"
ran_ok "4. the same playbook over ssh to 127.0.0.1 as root: no task failed"
assert_ne "4. it applies the change" 0 "$(recap changed)"
assert_exists "4. the new file is in the jail" "$J/usr/bin/id"
assert_eq "4. $U2 is jailed" "$J/.$T_ROOT/homes/$U2" "$(getent passwd "$U2" | cut -d: -f6)"
run_cmd t_sftp main "$U2" -b "$T_ROOT/p.batch"
assert_rc "4. $U2 logs in with sftp" 0
play_ssh "$PLAYBOOK" -e "@$A/vars2.json"
ran_ok "4. over ssh again: no task failed"
assert_eq "4. over ssh again: changed=0" 0 "$(recap changed)"

# ---------------------------------------------------------------- 5. failures
task() {  # task NAME MODULE-ARGS-YAML [ANSIBLE-PLAYBOOK-OPTION...] : a one-task playbook
    printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: %s\n      %s\n' "$1" "$2" >"$A/task.yml"
    play_local "$A/task.yml" "${@:3}"
}
J2=$T_ROOT/jails/other
task unknown "jailkit_ng.jails.jail: {path: $J2, sections: [sftp, nosuchsection], bindir: $TOOLS, config: $JK_INIT_INI}"
assert_eq "5. an unknown section fails the task" 1 "$(recap failed)"
assert_contains "5. with the message" "section nosuchsection does not exist" "$R_OUT"
assert_missing "5. and nothing was made" "$J2"
install -d -m 0775 -o 0 -g 0 "$T_ROOT/jails/unsafe"
before=$(listing "$T_ROOT/jails/unsafe")
task unsafe "jailkit_ng.jails.jail: {path: $T_ROOT/jails/unsafe, sections: [sftp], bindir: $TOOLS, config: $JK_INIT_INI}"
assert_eq "5. an unsafe jail directory fails the task" 1 "$(recap failed)"
assert_contains "5. with jk_init's message" "is not safe" "$R_OUT"
assert_eq "5. and the directory is untouched" "$before" "$(listing "$T_ROOT/jails/unsafe")"
before=$(listing "$J")
task missing "jailkit_ng.jails.jailed_user: {user: nosuchuser$RANDOM, jail: $J, shell: $TOOLS/jk_lsh, bindir: $TOOLS}"
assert_eq "5. a missing user fails the task" 1 "$(recap failed)"
assert_contains "5. with jk_jailuser's message" "does not exist" "$R_OUT"
assert_eq "5. and the jail is untouched" "$before" "$(listing "$J")"

# ---------------------------------------------------------------- 6. update, facts, absent
task update "jailkit_ng.jails.jail_update: {path: $J, bindir: $TOOLS}"
assert_eq "6. jail_update on a current jail: ok, changed=0" "0:0" "$(recap failed):$(recap changed)"
task facts "jailkit_ng.jails.jail_facts: {paths: [$J], bindir: $TOOLS}"
assert_eq "6. jail_facts: ok, changed=0" "0:0" "$(recap failed):$(recap changed)"
POLICY_ARGS="path: $J, sections: [sftp], bindir: $TOOLS, config: $JK_INIT_INI"
task policy "jailkit_ng.jails.jail: {$POLICY_ARGS, policy: \"[limits]\\nnproc = 300\\n\"}"
assert_eq "6. a policy: ok, changed" "0:1" "$(recap failed):$(recap changed)"
pfile=$(jail_policy_file "$J")
assert_eq "6. the jail's policy file holds it" $'[limits]\nnproc = 300' "$(cat "$pfile" 2>/dev/null)"
task policy "jailkit_ng.jails.jail: {$POLICY_ARGS, policy: \"[limits]\\nnproc = 300\\n\"}"
assert_eq "6. the same policy again: changed=0" "0:0" "$(recap failed):$(recap changed)"
task policy "jailkit_ng.jails.jail: {$POLICY_ARGS, policy: \"[limits]\\nnproc = many\\n\"}"
assert_eq "6. a malformed policy fails the task" 1 "$(recap failed)"
assert_eq "6. and the policy file is as it was" $'[limits]\nnproc = 300' "$(cat "$pfile" 2>/dev/null)"
task absent "jailkit_ng.jails.jail: {path: $J, state: absent, bindir: $TOOLS}"
assert_eq "6. state=absent is refused while users are jailed there" 1 "$(recap failed)"
assert_contains "6. naming them" "$U1" "$R_OUT"
assert_exists "6. the jail is still there" "$J/usr/lib/openssh/sftp-server"
J3=$T_ROOT/jails/gone
"$JK_INIT" -c "$JK_INIT_INI" -j "$J3" uidbasics >/dev/null 2>&1 || fatal "jk_init $J3"
p3file=$(jail_policy_file "$J3")
printf '[limits]\nnproc = 30\n' >"$p3file"; chmod 0644 "$p3file"
task absent2c "jailkit_ng.jails.jail: {path: $J3, state: absent, bindir: $TOOLS}" --check
assert_eq "6. state=absent in check mode: changed" "0:1" "$(recap failed):$(recap changed)"
assert_exists "6. ... and the jail is still there" "$J3"
task absent2 "jailkit_ng.jails.jail: {path: $J3, state: absent, bindir: $TOOLS}"
assert_eq "6. state=absent of an unused jail: ok, changed" "0:1" "$(recap failed):$(recap changed)"
assert_missing "6. the jail is gone" "$J3"
assert_missing "6. ... and its policy file (jk_init --remove)" "$p3file"
task absent3 "jailkit_ng.jails.jail: {path: $J3, state: absent, bindir: $TOOLS}"
assert_eq "6. state=absent again: ok, not changed" "0:0" "$(recap failed):$(recap changed)"

finish
