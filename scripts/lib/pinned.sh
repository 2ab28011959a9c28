# Sourced by scripts/fetch-models.sh and scripts/fetch-onnxruntime.sh.
# check REL: verifies $DEST/REL against its pinned line in $SUMS (sha256sum format);
# fails, through the caller's `log`, when the file has no pinned sum.
check() {
    local rel=$1 line
    line=$(grep -E "^[0-9a-f]{64}  $rel\$" "$SUMS" || true)
    if [[ -z $line ]]; then
        log "no pinned sha256 for $rel in $SUMS"; return 1
    fi
    (cd "$DEST" && printf '%s\n' "$line" | sha256sum --check --quiet --strict)
}
