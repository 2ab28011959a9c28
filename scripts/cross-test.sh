#!/usr/bin/env bash
# Cross build for the Raspberry Pi (aarch64) and the flow and card-protocol unit
# tests under qemu-user, with the plain-cargo recipe of .cargo/config.toml.
#
# Installs nothing. Needs (once, as root; CI's .ci/run does it):
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install -y --no-install-recommends crossbuild-essential-arm64 \
#       libpcsclite-dev:arm64 pkgconf:arm64 qemu-user
#   rustup target add aarch64-unknown-linux-gnu
#
# Optional: CROSS_E2E_TEST=<integration test name> also runs that test target for
# aarch64 under scripts/with-pcscd.sh (the host's pcscd serves the emulated binary).
# Prints the time of each step, the stripped binary size and its glibc floor.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
FEATURES=${CROSS_FEATURES:-pcsc,gpio}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

need() {
    command -v "$1" >/dev/null || { echo "cross-test: $1 is missing ($2)" >&2; exit 2; }
}
need aarch64-linux-gnu-gcc "apt-get install crossbuild-essential-arm64"
need aarch64-linux-gnu-pkg-config "apt-get install pkgconf:arm64"
need qemu-aarch64 "apt-get install qemu-user"
rustup target list --installed 2>/dev/null | grep -qx "$TARGET" \
    || { echo "cross-test: rustup target add $TARGET" >&2; exit 2; }

step() {
    local name=$1; shift
    local start=$SECONDS
    echo "== $name"
    "$@"
    echo "== $name: $((SECONDS - start)) s"
}

step "build (release, $TARGET, features $FEATURES)" \
    cargo build --release --target "$TARGET" --features "$FEATURES" --bin kaonin

BIN="$TARGET_DIR/$TARGET/release/kaonin"
aarch64-linux-gnu-strip -o "$BIN.stripped" "$BIN"
echo "binary: $(stat -c %s "$BIN") bytes, stripped $(stat -c %s "$BIN.stripped") bytes"
echo "glibc floor: $(aarch64-linux-gnu-objdump -T "$BIN" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
step "smoke: kaonin --version under qemu" qemu-aarch64 -cpu cortex-a72 "$BIN" --version

# The runner of .cargo/config.toml runs the test binary under qemu-aarch64.
step "unit tests under qemu: flow, card protocol, figures, drivers" bash -c "
    cargo test --release --target $TARGET --features $FEATURES --lib -- flow:: card:: stats:: &&
    cargo test --release --target $TARGET --features $FEATURES -p kaonin-drivers"

if [ -n "${CROSS_E2E_TEST:-}" ]; then
    step "end to end under qemu through pcscd: $CROSS_E2E_TEST" \
        scripts/with-pcscd.sh cargo test --release --target "$TARGET" --features "$FEATURES" \
        --test "$CROSS_E2E_TEST" -- --include-ignored
fi
