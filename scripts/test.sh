#!/usr/bin/env bash
# The project's test command (the README's, and what .ci/run calls).
#
# Runs every test of the workspace, including the ones that need a real pcscd with
# the vsmartcard virtual reader and the pinned face models:
#   - the face models and test photos are fetched (pinned, sha256-checked) if missing;
#   - the whole `cargo test` runs inside private mount and network namespaces with
#     its own pcscd, so the virtual reader's port (vpcd listens on all interfaces)
#     is never reachable from outside and a host pcscd is left alone.
# Needs root (for the namespaces) and the packages listed in the README.
set -euo pipefail
cd "$(dirname "$0")/.."

# Idempotent: verified downloads are reused.
scripts/fetch-models.sh
scripts/fetch-ocr-model.sh

cargo build --workspace --all-targets --features pcsc
exec scripts/with-pcscd.sh cargo test --workspace --features pcsc --no-fail-fast -- --include-ignored
