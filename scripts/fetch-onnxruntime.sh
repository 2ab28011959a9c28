#!/usr/bin/env bash
# Fetches libonnxruntime for the optional `ort` cargo feature (`[face] runtime = "ort"`)
# from the pinned PyPI `onnxruntime` wheel with `pip download`, verifies the wheel's and
# the library's sha256 against assets/models/SHA256SUMS, and puts the library in
# models/ (or $KAONIN_MODELS) where the default config looks. Nothing is downloaded at
# build time; nothing here is committed. Idempotent.
#
#   scripts/fetch-onnxruntime.sh            # this machine's architecture
#   scripts/fetch-onnxruntime.sh aarch64    # the Raspberry Pi's (for packaging)
#
# Needs: pip (any Python 3), unzip, sha256sum.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${KAONIN_MODELS:-$ROOT/models}
SUMS=$ROOT/assets/models/SHA256SUMS
DL=$DEST/.download
VERSION=1.32.0
ARCH=${1:-$(uname -m)}
mkdir -p "$DL"

log() { printf 'fetch-onnxruntime: %s\n' "$*" >&2; }

# shellcheck source=lib/pinned.sh
source "$ROOT/scripts/lib/pinned.sh"

case $ARCH in
    x86_64|aarch64) ;;
    *) log "no pinned onnxruntime wheel for $ARCH (x86_64, aarch64)"; exit 1 ;;
esac
# The wheel is chosen by exact platform and Python tag, so the pinned file is the
# same whatever Python runs pip.
WHEEL=onnxruntime-$VERSION-cp311-cp311-manylinux_2_28_$ARCH.whl
LIB=libonnxruntime.so.$VERSION
OUT=$LIB
[[ $ARCH == "$(uname -m)" ]] || OUT=$ARCH/$LIB

if ! { [[ -f $DL/$WHEEL ]] && check ".download/$WHEEL" 2>/dev/null; }; then
    rm -f "$DL/$WHEEL"
    log "pip download onnxruntime==$VERSION ($ARCH)"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
        --only-binary=:all: --platform "manylinux_2_28_$ARCH" \
        --python-version 3.11 --implementation cp --abi cp311 \
        -d "$DL" "onnxruntime==$VERSION"
    check ".download/$WHEEL"
fi

mkdir -p "$(dirname "$DEST/$OUT")"
unzip -p "$DL/$WHEEL" "onnxruntime/capi/$LIB" > "$DEST/$OUT.part"
mv "$DEST/$OUT.part" "$DEST/$OUT"
check "$OUT"
log "ok: $DEST/$OUT (set [face] runtime = \"ort\", build with --features ort)"
