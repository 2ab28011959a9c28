#!/usr/bin/env bash
# Cross build for the Raspberry Pi (aarch64) with the plain-cargo recipe of
# .cargo/config.toml, then tests of the aarch64 build under qemu-user
# (`qemu-aarch64 -cpu cortex-a72`, the runner in .cargo/config.toml):
#   1. the board's release binary (no default features: no simulators, no tools;
#      features pcsc,gpio) — the one scripts/package.sh packages: size, stripped
#      size, glibc floor, and a check that it leaves the simulators out;
#   2. `kaonin --version` under qemu;
#   3. the flow, card-protocol and figures unit tests, the card-protocol integration
#      tests (tests/card_protocol.rs) and the driver tests (GPIO patterns, serial
#      keypad over a pty pair);
#   4. one whole face reception through a real pcscd: the host's x86-64 pcscd with
#      vpcd (scripts/with-pcscd.sh), the aarch64 test binary and the aarch64
#      `kaonin run` / `kaonin pc` / `kaonin vcard` it starts, whose libpcsclite talks
#      to pcscd over its socket.
# This is what CI runs and what docs/board.md tells developers to run.
#
# Needs the setup of scripts/cross-setup.sh (run once, as root). Step 4 needs root
# and Linux >= 6.7: the test harness starts aarch64 programs itself, so the script
# registers qemu-aarch64 with binfmt_misc inside a private user namespace (the
# host's binfmt settings are not touched; QEMU_CPU=cortex-a72 for those programs).
#
# Environment: CROSS_FEATURES (default pcsc,gpio); CROSS_E2E=0 skips step 4.
# Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
FEATURES=${CROSS_FEATURES:-pcsc,gpio}
E2E_TEST=reception_pcscd
E2E_NAME=face_reception_through_pcscd
CARGO_FLAGS=(--release --target "$TARGET" --features "$FEATURES")
# The packaged binary: the product alone (the desktop's default features `sim` and
# `tools` stay out of the clinic's binary).
BOARD_FLAGS=(--release --target "$TARGET" --no-default-features --features "$FEATURES")

# Step 4, inside the user namespace: a binfmt_misc instance of our own, then the
# private pcscd, then the one test.
if [ "${1:-}" = __e2e_inside ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
        echo "cross-test: cannot mount binfmt_misc in a user namespace (needs Linux >= 6.7)" >&2
        exit 2
    }
    # ELF64, little endian, e_machine 0xb7 (AArch64), executable or shared object.
    magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    printf ':kaonin-aarch64:M::%s:%s:%s:F' "$magic" "$mask" "$(command -v qemu-aarch64)" \
        >/proc/sys/fs/binfmt_misc/register
    export QEMU_CPU=cortex-a72
    exec scripts/with-pcscd.sh cargo test "${CARGO_FLAGS[@]}" --test "$E2E_TEST" \
        -- --include-ignored --exact "$E2E_NAME"
fi

need() {
    command -v "$1" >/dev/null || { echo "cross-test: $1 is missing (run scripts/cross-setup.sh)" >&2; exit 2; }
}
need aarch64-linux-gnu-gcc
need aarch64-linux-gnu-pkg-config
need qemu-aarch64
rustup target list --installed 2>/dev/null | grep -qx "$TARGET" \
    || { echo "cross-test: no rust-std for $TARGET (run scripts/cross-setup.sh)" >&2; exit 2; }

step() {
    local name=$1; shift
    local start=$SECONDS
    echo "== cross: $name"
    "$@"
    echo "== cross: $name: $((SECONDS - start)) s"
}

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$TARGET_DIR/$TARGET/release/kaonin"

step "1 build release binary ($TARGET, features $FEATURES)" \
    cargo build "${BOARD_FLAGS[@]}" --bin kaonin
aarch64-linux-gnu-strip -o "$BIN.stripped" "$BIN"
# `cargo test` below builds the desktop variant (with the simulators its tests
# start) at the same path; the board binary is put back at the end for packaging.
cp "$BIN" "$BIN.board"
echo "binary: $BIN: $(stat -c %s "$BIN") bytes, stripped $(stat -c %s "$BIN.stripped") bytes"
echo "glibc floor: $(aarch64-linux-gnu-objdump -T "$BIN" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
echo "shared libraries: $(aarch64-linux-gnu-readelf -d "$BIN" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"

step "2 kaonin --version under qemu-aarch64 -cpu cortex-a72" \
    qemu-aarch64 -cpu cortex-a72 "$BIN" --version
# The board binary answers the simulators' commands with exit 2 and one line.
rc=0; out=$(qemu-aarch64 -cpu cortex-a72 "$BIN" vcard --profile x.toml 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q "leaves out" <<<"$out" \
    || { echo "cross-test: the board binary does not leave out the simulators (exit $rc: $out)" >&2; exit 1; }
if aarch64-linux-gnu-nm -C "$BIN" 2>/dev/null | grep -q -e 'rsa::' -e 'kaonin::sim::'; then
    echo "cross-test: the board binary carries the simulators or rsa" >&2; exit 1
fi

step "3a build test binaries (lib, card protocol)" \
    cargo test "${CARGO_FLAGS[@]}" -p kaonin --lib --test card_protocol --no-run
step "3b tests under qemu: flow, card protocol, figures (lib)" \
    cargo test "${CARGO_FLAGS[@]}" -p kaonin --lib -- flow:: card:: stats::
step "3c tests under qemu: card protocol (tests/card_protocol.rs)" \
    cargo test "${CARGO_FLAGS[@]}" -p kaonin --test card_protocol
step "3d build and run under qemu: driver tests (GPIO patterns, serial keypad, ...)" \
    cargo test "${CARGO_FLAGS[@]}" -p kaonin-drivers

if [ "${CROSS_E2E:-1}" != 0 ]; then
    step "4a build the end-to-end test ($E2E_TEST)" \
        cargo test "${CARGO_FLAGS[@]}" --test "$E2E_TEST" --no-run
    if [ "$(id -u)" != 0 ]; then
        echo "cross-test: step 4 needs root (namespaces); CROSS_E2E=0 skips it" >&2
        exit 2
    fi
    step "4b one face reception through pcscd, aarch64 under qemu ($E2E_NAME)" \
        unshare --user --map-root-user --mount --fork -- "$0" __e2e_inside
fi

# What scripts/package.sh packages (DEB_NO_BUILD=1) is the board binary of step 1.
cp "$BIN.board" "$BIN"
echo "== cross: $BIN is the board binary again (for scripts/package.sh)"
