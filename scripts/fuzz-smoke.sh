#!/usr/bin/env bash
# Fuzz smoke: builds every fuzz target of fuzz/ (cargo-fuzz, libFuzzer, nightly) and
# runs each for a few seconds from its checked-in seed corpus. A crash fails the
# script, with the input left in fuzz/artifacts/<target>/ and the command to replay
# it printed. New inputs go to a temporary directory, never into fuzz/corpus/.
#
#   scripts/fuzz-smoke.sh                 # every target, 5 s each
#   FUZZ_SECONDS=60 scripts/fuzz-smoke.sh apdu_tlv card_session
#
# Needs the nightly toolchain; installs cargo-fuzz (from crates.io) when missing.
# The build goes to fuzz/target (or $FUZZ_TARGET_DIR), apart from the main build.
# Long runs and their figures: docs/security-fuzz.md.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-5}"
# The flags of every build and run (a run with other flags would rebuild):
# no sanitizer (the crate forbids unsafe code; libFuzzer still finds panics,
# overflows and hangs), debug assertions on (integer overflow panics).
flags=(--sanitizer none --debug-assertions)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz-smoke: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list | grep -v '^make_seeds$')
fi
cargo +nightly fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    echo "== $target (${seconds}s)"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 2>"$work/$target.log"; then
        tail -n 30 "$work/$target.log" >&2
        echo "fuzz-smoke: $target FAILED; replay: (cd fuzz && cargo +nightly fuzz run ${flags[*]} $target artifacts/$target/<file>)" >&2
        failed+=("$target")
        continue
    fi
    grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' "$work/$target.log" |
        sed 's/^stat::/   /'
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-smoke: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets ran ${seconds}s each without a crash"
