#!/usr/bin/env bash
# Soak of the daemon (issue 16): N receptions (default 10,000) through a private
# pcscd with the virtual card, on random paths (face, PIN, wrong PIN, lock + visual
# check, card yanked, cancel, PC killed), sampling the daemon's memory, threads,
# file descriptors and outbox; fails if one forwarded identity is lost.
#
# Usage (root, like scripts/with-pcscd.sh): scripts/soak.sh [--receptions N] [--seed S]
# Figures: docs/soak/ (soak.csv, soak-summary.json, soak.svg); docs/security.md.
# Long: about 1 s a reception on 2 cores. Not a CI step.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --features pcsc --bin kaonin
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
exec scripts/with-pcscd.sh python3 scripts/soak.py --binary "$TARGET_DIR/release/kaonin" "$@"
