#!/usr/bin/env bash
# The project's test command (the README's, and what .ci/run calls).
#
# Runs every test of the workspace, including the ones that need a real pcscd with
# the vsmartcard virtual reader and the pinned face models:
#   - the face models and test photos are fetched (pinned, sha256-checked) if missing;
#   - the whole `cargo test` runs inside private mount and network namespaces with
#     its own pcscd, so the virtual reader's port (vpcd listens on all interfaces)
#     is never reachable from outside and a host pcscd is left alone;
#   - then the face pipeline on ONNX Runtime against tract (`--features ort`, with
#     the pinned libonnxruntime of scripts/fetch-onnxruntime.sh): tests/face_ort.rs.
# Both parts always run; the exit status is non-zero if either failed.
# Needs root (for the namespaces and apt-get) and Rust; the Debian packages of
# scripts/lib/debian-packages.txt are installed first when any is missing.
#
#   scripts/test.sh               # everything
#   scripts/test.sh --deps-only   # only install the packages and fetch the models
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0
case ${1:-} in
    "") ;;
    --deps-only) deps_only=1 ;;
    *) echo "usage: $0 [--deps-only]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
# Idempotent: verified downloads are reused.
scripts/fetch-models.sh --dlib
scripts/fetch-ocr-model.sh
scripts/fetch-onnxruntime.sh
if [[ $deps_only = 1 ]]; then
    echo "test.sh: packages and models are in place (--deps-only: no build, no tests)"
    exit 0
fi

cargo build --workspace --all-targets --features pcsc
rc=0
scripts/with-pcscd.sh cargo test --workspace --features pcsc --no-fail-fast -- --include-ignored || rc=$?
cargo test --features ort --test face_ort -- --include-ignored || rc=$?
exit $rc
