# shellcheck shell=bash
# A private OpenSSH sshd for end-to-end login tests (sourced after
# tests/lib/common.sh and setup_root).
#
#   sshd_start NAME [CONFIG_LINE...]
#       starts /usr/sbin/sshd -D on 127.0.0.1, on a free port, with its own
#       config, host key, pid file and log under $T_ROOT/sshd-NAME; extra
#       config lines are appended (Match blocks last). Sets SSHD_PORT[NAME],
#       SSHD_LOG[NAME]. Stopped by on_exit. Only the users made by this test
#       (make_user's name prefix) may log in, so another run's sshd and ours
#       never serve each other's users.
#   With SSHD_ROOT_LOGIN=1 set, root may log in too (keys only): for tests
#   that drive the host over ssh as configuration management does.
#   ssh_authorize_root : a key pair for root and its public key as root's
#       authorized key (root's password entry is left as it is).
#   ssh_authorize USER : a key pair for USER (client side, root-owned) and its
#       public key as USER's authorized key (a root-owned file, StrictModes).
#       Also unlocks USER's shadow entry ("*": no password, not locked) since
#       with UsePAM no, sshd refuses locked ("!") accounts even for keys.
#   t_ssh NAME USER [SSH_ARGS...] -- REMOTE...   ssh to USER on server NAME
#   t_sftp NAME USER [SFTP_ARGS...]             sftp (batch files via -b)
#   t_scp NAME USER [SCP_ARGS...] SRC... DST    "@:" in SRC/DST means USER@host:
#   t_rsync NAME USER [RSYNC_ARGS...]           rsync -e with our ssh options
#   ssh_opts NAME USER : the client options, one per line (for -e strings)
#
# The client is always isolated from the machine's configuration: -F /dev/null
# (no ~/.ssh/config, no /etc/ssh/ssh_config), our own known_hosts, BatchMode
# (never a password prompt), IdentitiesOnly with our key.

SSHD_BIN=/usr/sbin/sshd   # absolute: sshd re-executes itself per connection
declare -A SSHD_PORT=() SSHD_LOG=() SSHD_DIR=()
SSH_CLIENT_DIR=""

_sshd_user_prefix() {
    # make_user names users "jkt" + the first 6 characters of T_TAG + N.
    local p="jkt${T_TAG:0:6}"
    p=${p,,}
    printf '%s\n' "${p//[^a-z0-9]/x}"
}

_ssh_client_dir() {
    [[ -n "$SSH_CLIENT_DIR" ]] && return 0
    SSH_CLIENT_DIR=$T_ROOT/ssh-client
    install -d -m 0700 -o 0 -g 0 "$SSH_CLIENT_DIR" || fatal "cannot create $SSH_CLIENT_DIR"
    # One root-owned directory of authorized_keys files, one per user: sshd's
    # StrictModes accepts it (root-owned file and parents, none g/o-writable).
    install -d -m 0755 -o 0 -g 0 "$T_ROOT/authorized_keys" || fatal "cannot create authorized_keys dir"
}

sshd_start() {
    local name=$1; shift
    local dir=$T_ROOT/sshd-$name port try line
    [[ -x $SSHD_BIN ]] || fatal "$SSHD_BIN missing (apt-get install openssh-server)"
    _ssh_client_dir
    install -d -m 0755 -o 0 -g 0 "$dir" || fatal "cannot create $dir"
    # sshd's privilege separation directory; the package normally makes it at boot.
    [[ -d /run/sshd ]] || install -d -m 0755 -o 0 -g 0 /run/sshd || fatal "cannot create /run/sshd"
    [[ -f $dir/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C "jk-test-$name" -f "$dir/host_ed25519" \
        || fatal "ssh-keygen (host key) failed"
    SSHD_DIR[$name]=$dir
    SSHD_LOG[$name]=$dir/sshd.log
    for try in 1 2 3 4 5 6 7 8 9 10; do
        # A random high port that nothing listens on now; another run may take
        # it between this check and the bind: then sshd exits and we retry.
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then continue; fi
        {
            printf '%s\n' \
                "ListenAddress 127.0.0.1:$port" \
                "HostKey $dir/host_ed25519" \
                "PidFile $dir/sshd.pid" \
                "AuthorizedKeysFile $T_ROOT/authorized_keys/%u" \
                "AuthenticationMethods publickey" \
                "PubkeyAuthentication yes" \
                "PasswordAuthentication no" \
                "KbdInteractiveAuthentication no" \
                "HostbasedAuthentication no" \
                "UsePAM no" \
                "StrictModes yes" \
                "PermitRootLogin $([[ -n ${SSHD_ROOT_LOGIN:-} ]] && echo prohibit-password || echo no)" \
                "AllowUsers $(_sshd_user_prefix)*${SSHD_ROOT_LOGIN:+ root}" \
                "UseDNS no" \
                "PrintMotd no" \
                "PrintLastLog no" \
                "X11Forwarding no" \
                "AllowTcpForwarding no" \
                "AllowAgentForwarding no" \
                "PermitTunnel no" \
                "LoginGraceTime 30" \
                "MaxStartups 50:30:100" \
                "LogLevel VERBOSE" \
                "Subsystem sftp /usr/lib/openssh/sftp-server"
            for line in "$@"; do printf '%s\n' "$line"; done
        } >"$dir/sshd_config"
        "$SSHD_BIN" -t -f "$dir/sshd_config" 2>"$dir/config-test.err" \
            || fatal "sshd -t rejects $dir/sshd_config: $(cat "$dir/config-test.err")"
        : >"${SSHD_LOG[$name]}"
        "$SSHD_BIN" -D -f "$dir/sshd_config" -E "${SSHD_LOG[$name]}" </dev/null >/dev/null 2>&1 &
        local pid=$! i
        for ((i = 0; i < 100; i++)); do
            if grep -q "Server listening on 127.0.0.1 port $port" "${SSHD_LOG[$name]}" 2>/dev/null; then
                SSHD_PORT[$name]=$port
                on_exit _sshd_stop "$pid" "$dir/sshd.pid"
                # The host key, known before the first connection.
                printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1-2 "$dir/host_ed25519.pub")" \
                    >>"$SSH_CLIENT_DIR/known_hosts"
                diag "sshd $name: pid $pid, 127.0.0.1:$port, log ${SSHD_LOG[$name]}"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        diag "sshd $name on port $port did not come up (try $try): $(tail -n 3 "${SSHD_LOG[$name]}")"
    done
    fatal "could not start sshd $name"
}

# _sshd_stop PID PIDFILE : the listener and, through its process group, nothing
# else; sessions still open end when their client goes.
_sshd_stop() {
    kill -TERM "$1" 2>/dev/null || return 0
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# sshd_running NAME : the listener process is alive.
sshd_running() {
    local f=${SSHD_DIR[$1]}/sshd.pid
    [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

ssh_authorize() {
    local user=$1 key
    _ssh_client_dir
    key=$SSH_CLIENT_DIR/id_$user
    [[ -f $key ]] || ssh-keygen -q -t ed25519 -N '' -C "$user" -f "$key" || fatal "ssh-keygen (client) failed"
    install -m 0644 -o 0 -g 0 "$key.pub" "$T_ROOT/authorized_keys/$user" || fatal "cannot install key for $user"
    usermod -p '*' "$user" >/dev/null 2>&1 || _retry usermod -p '*' "$user" || fatal "usermod -p '*' $user failed"
}

ssh_authorize_root() {
    _ssh_client_dir
    local key=$SSH_CLIENT_DIR/id_root
    [[ -f $key ]] || ssh-keygen -q -t ed25519 -N '' -C root -f "$key" || fatal "ssh-keygen (client) failed"
    install -m 0644 -o 0 -g 0 "$key.pub" "$T_ROOT/authorized_keys/root" || fatal "cannot install key for root"
}

ssh_opts() {
    local name=$1 user=$2
    printf '%s\n' -F /dev/null -i "$SSH_CLIENT_DIR/id_$user" \
        -o IdentitiesOnly=yes -o IdentityAgent=none \
        -o UserKnownHostsFile="$SSH_CLIENT_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ConnectTimeout=20 \
        -o ServerAliveInterval=15 -o LogLevel=ERROR
}

# t_ssh NAME USER [SSH_ARGS...] -- REMOTE... (without "--": no remote command)
t_ssh() {
    local name=$1 user=$2 opts; shift 2
    mapfile -t opts < <(ssh_opts "$name" "$user")
    local args=()
    while (($#)) && [[ $1 != -- ]]; do args+=("$1"); shift; done
    (($#)) && shift
    timeout 60 ssh "${opts[@]}" -p "${SSHD_PORT[$name]}" "${args[@]}" -l "$user" 127.0.0.1 "$@"
}

t_sftp() {
    local name=$1 user=$2 opts; shift 2
    mapfile -t opts < <(ssh_opts "$name" "$user")
    timeout 60 sftp "${opts[@]}" -P "${SSHD_PORT[$name]}" "$@" "$user@127.0.0.1"
}

# t_scp NAME USER [ARGS...]: an argument starting with "@:" is a remote path.
t_scp() {
    local name=$1 user=$2 opts a args=(); shift 2
    mapfile -t opts < <(ssh_opts "$name" "$user")
    for a in "$@"; do
        if [[ $a == @:* ]]; then args+=("$user@127.0.0.1:${a#@:}"); else args+=("$a"); fi
    done
    timeout 60 scp "${opts[@]}" -P "${SSHD_PORT[$name]}" "${args[@]}"
}

# t_git NAME USER GIT_ARGS... : git with its ssh transport pointed at sshd
# NAME; "@:" as for t_scp. HOME is the client directory (no user's git
# config is read, and CI may have no HOME at all).
t_git() {
    local name=$1 user=$2 opts a args=() e; shift 2
    mapfile -t opts < <(ssh_opts "$name" "$user")
    printf -v e '%q ' ssh "${opts[@]}" -p "${SSHD_PORT[$name]}"
    for a in "$@"; do
        if [[ $a == @:* ]]; then args+=("$user@127.0.0.1:${a#@:}"); else args+=("$a"); fi
    done
    HOME=$SSH_CLIENT_DIR GIT_SSH_COMMAND=$e GIT_SSH_VARIANT=ssh timeout 120 git "${args[@]}"
}

# t_rsync NAME USER [ARGS...]: "@:" as for t_scp.
t_rsync() {
    local name=$1 user=$2 opts a args=() e; shift 2
    mapfile -t opts < <(ssh_opts "$name" "$user")
    printf -v e '%q ' ssh "${opts[@]}" -p "${SSHD_PORT[$name]}"
    for a in "$@"; do
        if [[ $a == @:* ]]; then args+=("$user@127.0.0.1:${a#@:}"); else args+=("$a"); fi
    done
    timeout 120 rsync -e "$e" "${args[@]}"
}
