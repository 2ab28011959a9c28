#!/usr/bin/env bash
# One-time setup for the Raspberry Pi (aarch64) cross build on a Debian 12 x86-64
# machine, as root: the arm64 architecture for multiarch, the cross C compiler (for
# ring), the arm64 PC/SC client library and its pkg-config wrapper, qemu-user (the
# test runner of .cargo/config.toml), and Rust's standard library for the target.
# CI (.ci/run) and docs/board.md both use this script; it is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
    echo "cross-setup: run as root (dpkg --add-architecture, apt-get install)" >&2
    exit 2
fi

dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    crossbuild-essential-arm64 libpcsclite-dev:arm64 pkgconf:arm64 qemu-user >/dev/null

# rust-std for the target, from the Rust toolchain's own distribution server.
if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

echo "cross-setup: $(aarch64-linux-gnu-gcc --version | head -1);" \
    "$(qemu-aarch64 --version | head -1); libpcsclite $(aarch64-linux-gnu-pkg-config --modversion libpcsclite);" \
    "rust-std $TARGET installed"
