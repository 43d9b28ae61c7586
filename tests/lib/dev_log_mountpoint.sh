# shellcheck shell=bash
# dev_log_mountpoint LABEL : makes sure /dev/log exists to bind a syslog
# socket over. Without one on the host (a container, a minimal VM), /dev
# becomes a tmpfs (named LABEL) that holds bind mounts of every real entry
# and an empty /dev/log file; the caller's mount namespace is expected to be
# private, so the host's /dev is never touched. Returns non-zero when a mount fails.
# Shared by tests/lib/common.sh and bench/socketd.sh.
dev_log_mountpoint() {
    local label=$1 e name realdev
    [[ -e /dev/log ]] && return 0
    # The magic link /proc/PID/fd/N still reaches the real /dev once the
    # tmpfs hides it (mount -c: canonicalizing would follow it back to the
    # new /dev).
    exec {realdev}</dev
    mount -t tmpfs -o mode=0755,nosuid,size=1m "$label" /dev || { exec {realdev}<&-; return 1; }
    for e in /proc/$BASHPID/fd/$realdev/* /proc/$BASHPID/fd/$realdev/.[!.]*; do
        [[ -e "$e" || -L "$e" ]] || continue
        name=${e##*/}
        [[ "$name" == log ]] && continue
        # /dev/ptmx finds its devpts instance beside itself: as a bind
        # mount it would look in the hidden devtmpfs; the link does not.
        if [[ "$name" == ptmx ]]; then ln -s pts/ptmx /dev/ptmx
        elif [[ -L "$e" ]]; then ln -s "$(readlink "$e")" "/dev/$name"
        elif [[ -d "$e" ]]; then mkdir "/dev/$name" && mount -c --rbind "$e" "/dev/$name"
        else touch "/dev/$name" && mount -c --bind "$e" "/dev/$name"
        fi
    done
    exec {realdev}<&-
    touch /dev/log
}
