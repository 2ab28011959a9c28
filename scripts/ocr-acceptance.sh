#!/bin/sh
# The card-face reading acceptance run (issues 9 and 17): 500 generated cards,
# three frames each, in a release build: at the normal setting on the plain tray,
# at the normal setting on textured counters (striped and patterned mats, wood,
# grey and white desks, a hand, a partial shadow, clutter; --backdrops textured),
# and at the stress setting (heavier blur, noise, lighting and glare, lower JPEG
# quality) on the plain tray.
#
# Passes when exact 照合番号B >= 99 % of the cards on the plain tray and >= 97 %
# on textured counters, and no run would have sent a wrong value to the chip
# (the stress run's exact rate is reported, not required).
#
# The seed is not one the tests use (tests: 20261125, 77, 99, 5, 42, 7, 3, 1).
# Usage: scripts/ocr-acceptance.sh [CARDS] [SEED]
set -eu
cd "$(dirname "$0")/.."
CARDS=${1:-500}
SEED=${2:-4242}
TODAY=${OCR_TODAY:-2026-11-25}
scripts/fetch-ocr-model.sh >/dev/null
cargo build --release --bin kaonin
BIN=${CARGO_TARGET_DIR:-target}/release/kaonin
OUT=${OCR_OUT:-target/ocr-acceptance}
mkdir -p "$OUT"

run() {
    name=$1
    shift
    echo "== $name: $CARDS cards x 3 frames, seed $SEED, today $TODAY"
    "$BIN" ocr-eval --generate "$CARDS" --seed "$SEED" --frames 3 --today "$TODAY" "$@" \
        | tee "$OUT/$name.txt"
}
run normal
run textured --backdrops textured
run stress --stress

rate() { sed -n 's/^exact 照合番号B: .*(\([0-9.]*\) %)$/\1/p' "$OUT/$1.txt"; }
wrong() { sed -n 's/^WRONG values sent to the chip: \([0-9]*\)$/\1/p' "$OUT/$1.txt"; }
fail=0
for name in normal textured stress; do
    if [ "$(wrong $name)" != 0 ]; then
        echo "FAIL: $name: $(wrong $name) wrong values sent"
        fail=1
    fi
done
at_least() {
    if ! awk -v r="$(rate "$1")" -v m="$2" 'BEGIN { exit !(r >= m) }'; then
        echo "FAIL: $1: exact rate $(rate "$1") % < $2 %"
        fail=1
    fi
}
at_least normal 99.0
at_least textured 97.0
[ $fail = 0 ] && echo "PASS: normal $(rate normal) %, textured $(rate textured) %, stress $(rate stress) % exact, 0 wrong sent"
exit $fail
