#!/usr/bin/env bash
# Soak of the daemon (issue 16): receptions through a private pcscd with the virtual
# card, on random paths (face, PIN, wrong PIN, lock + visual check, card yanked,
# cancel, PC killed), sampling the daemon's memory, threads, file descriptors and
# outbox; fails if one forwarded identity is lost.
#
# Usage (root, like scripts/with-pcscd.sh):
#   scripts/soak.sh [--receptions N] [--parallel P] [--seed S] [--debug]
# N receptions in all (default 10,000), split over P terminals (default 1), each
# with its own pcscd, vpcd, `kaonin vcard`, `kaonin pc` and seed S+i: pcscd's polling
# (about 0.4 s to notice a card come or go) sets the pace, about 1 to 1.7 s a
# reception, so P > 1 shortens the wall time on a machine with a core to spare.
# --debug uses the debug build instead of building the release one.
# Output: docs/soak/ (per terminal: t<i>/soak.csv, soak-summary.json, soak.svg;
# soak-summary.json over all). Long: not a CI step; figures in docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
receptions=10000 parallel=1 seed=20261205 profile=release
while [ $# -gt 0 ]; do
    case $1 in
    --receptions) receptions=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --debug) profile=debug; shift ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$profile" = release ]; then
    cargo build --release --features pcsc --bin kaonin
else
    cargo build --features pcsc --bin kaonin
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$TARGET_DIR/$profile/kaonin"
out=docs/soak
mkdir -p "$out"
pids=() dirs=()
for i in $(seq 0 $((parallel - 1))); do
    n=$((receptions / parallel + (i < receptions % parallel ? 1 : 0)))
    dir="$out/t$i"
    dirs+=("$dir")
    KAONIN_PCSCD_LOG=/dev/null scripts/with-pcscd.sh python3 scripts/soak.py --binary "$bin" \
        --receptions "$n" --seed $((seed + i)) --out "$dir" >"$out/t$i.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
python3 scripts/soak.py --combine "${dirs[@]}" --out "$out" || status=1
exit $status
