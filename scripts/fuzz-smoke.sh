#!/usr/bin/env bash
# Fuzz smoke: builds every fuzz target of fuzz/ (cargo-fuzz, libFuzzer, nightly) and
# runs each for a few seconds from its checked-in seed corpus. A crash fails the
# script, with the input left in fuzz/artifacts/<target>/ and the command to replay
# it printed. New inputs go to a temporary directory, never into fuzz/corpus/.
#
#   scripts/fuzz-smoke.sh                 # every target, 5 s each
#   FUZZ_SECONDS=60 scripts/fuzz-smoke.sh apdu_tlv card_session
#
# Uses the nightly toolchain when installed, else the default one; installs
# cargo-fuzz (from crates.io) when missing.
# The build goes to fuzz/target (or $FUZZ_TARGET_DIR), apart from the main build.
# Long runs and their figures: docs/security-fuzz.md.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-5}"
# The flags of every build and run (a run with other flags would rebuild):
# no sanitizer (the crate forbids unsafe code; libFuzzer still finds panics,
# overflows and hangs), debug assertions on (integer overflow panics).
flags=(--sanitizer none --debug-assertions)

# Nightly when installed (what the long runs of docs/security-fuzz.md used); else the
# default toolchain: with no sanitizer cargo-fuzz passes no -Z flag, so stable builds it.
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz-smoke: no nightly toolchain; building with the default one" >&2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list | grep -v '^make_seeds$')
fi
cargo "${toolchain[@]}" fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    echo "== $target (${seconds}s)"
    if ! cargo "${toolchain[@]}" fuzz run "${flags[@]}" "$target" "$work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 2>"$work/$target.log"; then
        tail -n 30 "$work/$target.log" >&2
        echo "fuzz-smoke: $target FAILED; replay: (cd fuzz && cargo ${toolchain[*]} fuzz run ${flags[*]} $target artifacts/$target/<file>)" >&2
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
