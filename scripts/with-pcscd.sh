#!/bin/sh
# Runs a command next to a private pcscd with the vsmartcard vpcd driver, isolated in
# new mount, network and PID namespaces:
#   - the network namespace has only `lo`, so vpcd's 0.0.0.0:35963-35964 is never
#     reachable from outside (pitfall P3) and parallel runs do not collide;
#   - a tmpfs on /run gives pcscd its own /run/pcscd (P14), untouched host pcscd;
#   - the PID namespace ends every process started inside when the command ends.
#
# Usage (as root; needs pcscd, vsmartcard-vpcd, iproute2, util-linux):
#   scripts/with-pcscd.sh cargo test --test card_pcscd -- --ignored
#
# Inside, the command sees:
#   KAONIN_PCSCD=1           a private pcscd is up (vpcd slots on 127.0.0.1:35963/35964)
#   KAONIN_PCSCD_LOG=FILE    pcscd's log (APDUs included); printed if the command fails
# A test may stop pcscd (pid in /run/pcscd/pcscd.pid) and start another one; the
# cleanup stops whatever pcscd the pid file names, and the PID namespace ends the rest.
set -eu

if [ "${KAONIN_PCSCD_NS:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "with-pcscd.sh: needs root (unshare of mount/net/pid namespaces)" >&2
        exit 2
    fi
    for tool in pcscd ss ip unshare; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "with-pcscd.sh: $tool not found (apt-get install pcscd vsmartcard-vpcd iproute2)" >&2
            exit 2
        }
    done
    if [ ! -e /etc/reader.conf.d/vpcd ]; then
        echo "with-pcscd.sh: /etc/reader.conf.d/vpcd missing (apt-get install vsmartcard-vpcd)" >&2
        exit 2
    fi
    [ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
    export KAONIN_PCSCD_NS=1
    exec unshare --mount --net --pid --fork --mount-proc --propagation private "$0" "$@"
fi

# Inside the namespaces.
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
log=${KAONIN_PCSCD_LOG:-$(mktemp /tmp/kaonin-pcscd.XXXXXX)}
: >"$log"

pcscd --foreground --info --apdu >>"$log" 2>&1 &
pcscd_pid=$!

stop_pcscd() {
    if [ -r /run/pcscd/pcscd.pid ]; then
        pid=$(cat /run/pcscd/pcscd.pid 2>/dev/null || true)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    fi
    kill "$pcscd_pid" 2>/dev/null || true
    wait "$pcscd_pid" 2>/dev/null || true
}
trap stop_pcscd EXIT
trap 'exit 130' INT TERM

# Readiness without touching 35963 (a connection there inserts a card, P5).
i=0
until ss -ltn | grep -q ':35963 '; do
    i=$((i + 1))
    if [ "$i" -gt 100 ] || ! kill -0 "$pcscd_pid" 2>/dev/null; then
        echo "with-pcscd.sh: pcscd/vpcd did not come up; log:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.05
done

export KAONIN_PCSCD=1 KAONIN_PCSCD_LOG="$log"
status=0
"$@" || status=$?
if [ "$status" != 0 ]; then
    echo "with-pcscd.sh: command failed ($status); last pcscd log lines ($log):" >&2
    tail -n 60 "$log" >&2
fi
exit "$status"
