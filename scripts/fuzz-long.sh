#!/usr/bin/env bash
# Long fuzz runs (issue 16 item 6): every target of fuzz/ (or those named) for
# FUZZ_RUNS executions (default 10^6) from its checked-in seeds, one after the
# other, printing one Markdown table row per target (executions, exec/s, seconds,
# corpus size reached, crashes) for docs/security-fuzz.md. New inputs go to a
# temporary directory, never into fuzz/corpus/; a crash leaves its input in
# fuzz/artifacts/<target>/ and fails the script at the end.
#
#   scripts/fuzz-long.sh                       # every target, 10^6 runs each
#   FUZZ_RUNS=100000 scripts/fuzz-long.sh apdu_tlv
#
# Builds like scripts/fuzz-smoke.sh (same flags, so nothing is rebuilt twice).
# Minutes per target on 2 cores; not a CI step.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${FUZZ_RUNS:-1000000}"
flags=(--sanitizer none --debug-assertions)
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then toolchain=(+nightly); fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list | grep -v '^make_seeds$')
fi
cargo "${toolchain[@]}" fuzz build "${flags[@]}" >&2
bin_dir="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
echo "| target | executions | exec/s | seconds | corpus (units) | crashes |"
echo "|---|---:|---:|---:|---:|---|"
for target in "${targets[@]}"; do
    mkdir -p "$work/$target" "artifacts/$target"
    start=$SECONDS
    rc=0
    "$bin_dir/$target" "$work/$target" "corpus/$target" -runs="$runs" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" 2>"$work/$target.log" || rc=$?
    took=$((SECONDS - start))
    stat() { sed -n "s/^stat::$1: *//p" "$work/$target.log" | tail -1; }
    units=$(sed -n 's/.*INITED.* corp: \([0-9]*\).*/\1/p;s/^#[0-9]*.*DONE.* corp: \([0-9]*\).*/\1/p' "$work/$target.log" | tail -1)
    crash=none
    if [ "$rc" != 0 ]; then
        crash="**exit $rc** (artifacts/$target/)"
        failed+=("$target")
        tail -n 20 "$work/$target.log" >&2
    fi
    echo "| \`$target\` | $(stat number_of_executed_units) | $(stat average_exec_per_sec) | $took | ${units:-?} | $crash |"
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-long: crashed: ${failed[*]}" >&2
    exit 1
fi
