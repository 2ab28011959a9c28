#!/usr/bin/env bash
# Checks the README's front door on a fresh Debian 12 (bookworm): debootstraps a
# minimal root, puts this machine's Rust toolchain in (~/.rustup bind-mounted
# read-only, the rustup proxies of ~/.cargo/bin copied), copies the checkout in
# (`git archive HEAD`: committed files only, no models, no target/), and runs the
# README's test command there, chrooted, in its own mount and PID namespaces.
# Nothing else is installed by hand: whatever the command needs it must install or
# fetch itself.
#
# Usage, as root (needs debootstrap, unshare, chroot, git):
#   scripts/fresh-debian-check.sh            # scripts/test.sh --deps-only: packages and
#                                            # models only (minutes; what was verified)
#   scripts/fresh-debian-check.sh --full     # scripts/test.sh: the whole suite (~40 min
#                                            # on 2 cores, plus the crates' first build)
#   FRESH_ROOT=DIR  where the root goes (default /var/tmp/kaonin-fresh-bookworm; it is
#                   deleted and made anew on every run)
#   MIRROR=URL      the Debian mirror (default: this machine's, from /etc/apt)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=--deps-only
case ${1:-} in
    "") ;;
    --full) mode= ;;
    *) echo "usage: $0 [--full]" >&2; exit 2 ;;
esac
[[ $(id -u) = 0 ]] || { echo "fresh-debian-check: needs root" >&2; exit 2; }
for tool in debootstrap unshare chroot git; do
    command -v "$tool" >/dev/null || { echo "fresh-debian-check: $tool not found" >&2; exit 2; }
done

ROOT=${FRESH_ROOT:-/var/tmp/kaonin-fresh-bookworm}
# This machine's Debian mirror (deb822 `URIs:` or a one-line `deb URL bookworm`).
default_mirror() {
    local uri
    uri=$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
        grep -E '/debian/?$' | head -n 1 || true)
    [[ -n $uri ]] || uri=$(grep -hs -E '^deb .*/debian/? bookworm' /etc/apt/sources.list |
        awk '{print $2}' | head -n 1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${MIRROR:-$(default_mirror)}
log() { printf 'fresh-debian-check: %s\n' "$*"; }

log "debootstrap bookworm (minbase) from $MIRROR into $ROOT"
rm -rf "$ROOT"
mkdir -p "$ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
    { tail -n 30 "$ROOT.debootstrap.log" >&2; exit 1; }
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian*}/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This machine's network, not the project's set-up: a local certificate authority
# (an egress proxy's, say) that it trusts is trusted in the root too, once the
# ca-certificates package that the test command installs builds its bundle; Node
# reads that bundle only when told to.
node_ca=
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    node_ca=/etc/ssl/certs/ca-certificates.crt
    log "this machine's local certificate authorities: $(cd /usr/local/share/ca-certificates && echo *.crt)"
fi

log "Rust: $HOME/.rustup (read-only) and the proxies of $HOME/.cargo/bin"
mkdir -p "$ROOT/root/.rustup" "$ROOT/root/.cargo"
cp -a "$HOME/.cargo/bin" "$ROOT/root/.cargo/"

log "the checkout: git archive HEAD ($(git rev-parse --short HEAD))"
mkdir -p "$ROOT/root/kaonin"
git archive HEAD | tar -x -C "$ROOT/root/kaonin"

command="scripts/test.sh${mode:+ $mode}"
log "running the README's test command in the fresh root: $command"
start=$SECONDS
status=0
# The mounts live in the new mount namespace only and go with it.
unshare --mount --pid --fork --propagation private bash -euc '
    root=$1 rustup=$2 command=$3 node_ca=$4
    mount --bind "$rustup" "$root/root/.rustup"
    mount -o remount,bind,ro "$root/root/.rustup"
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    mount --rbind -o ro /sys "$root/sys" 2>/dev/null || mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/run"
    mount -t tmpfs tmpfs "$root/tmp"
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        ${node_ca:+NODE_EXTRA_CA_CERTS=$node_ca} \
        PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /root/kaonin && rustc --version && cargo --version && $command && scripts/install-deps.sh --check"
' _ "$ROOT" "$HOME/.rustup" "$command" "$node_ca" || status=$?
log "exit $status after $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
exit "$status"
