#!/usr/bin/env bash
# Measures the face matcher on LFW (Labeled Faces in the Wild, deep-funneled images),
# through the chip path (`kaonin face-eval --chip-a`: every first image of a pair is
# turned into a greyscale 150x200, ~1.9 KB JPEG 2000 chip photo first). The sets are
# built from a fixed seed, so anyone with LFW gets the same pairs and figures:
#
#   tune.csv    people named in pairsDevTrain.txt with two or more photos, only:
#               one genuine pair per extra photo (chip = photo 1, camera = photos
#               2-5), and 200,000 impostor pairs (the chip of one person, a camera
#               photo of another), drawn at random. Thresholds and the detector are
#               chosen here.
#   report.csv  every other LFW person with two or more photos (none of them in
#               pairsDevTrain), built the same way: the figures to report.
#   pairs.txt   the ten official folds (EER, FRR at FAR 1 % / 0.1 %, per-fold table).
#   receptions-tune.csv, receptions-report.csv (--sets receptions; not in the default)
#               per reception, like the daemon: people with three or more photos, one
#               photo the chip, up to nine others the camera frames (good frames fused
#               per attempt, the flow's attempts); up to five receptions per person
#               (each of the first five photos the chip once) and 200,000 impostor
#               receptions (one person's chip, another's frames). Calibrated on tune.
#
# With --sets tune,report (the default: all three) the threshold is calibrated on
# tune.csv (--calibrate-far, default 0.0001 = 0.01 % per comparison) and reported on
# the others in the same run; each image is embedded once per run.
#
#   scripts/lfw-eval.sh --lfw /path/to/lfw                  # all three sets, default detector
#   scripts/lfw-eval.sh --lfw DIR --sets tune --detector centerface
#   scripts/lfw-eval.sh --lfw DIR --sets tune,report --embedder dlib   # fetch-models.sh --dlib
#   scripts/lfw-eval.sh --lfw DIR --sets folds --threshold 0.40  # pairs.txt alone, at a threshold
#   scripts/lfw-eval.sh --lfw DIR --sets receptions --attempt-frames 1,2,3  # per reception
#   scripts/lfw-eval.sh --lfw DIR --sets receptions --min-sharpness 0 --motion-blur 9
#               (receptions: the sharpness gate off, every frame smeared by 9 px)
#   scripts/lfw-eval.sh --lfw DIR --sets receptions --fusion attempt,reception
#   scripts/lfw-eval.sh --lfw DIR --sets receptions --input 192x192
#               (detector input for the photos, default 256x256; 192x192 shows it an
#               LFW face as 224x160 shows it a face a third of a 640 frame wide)
#   scripts/lfw-eval.sh --fetch /path/to/lfw                # git clone LFW first (network)
#
# LFW is never committed or shipped: keep it outside the repository. The directory
# needs images_deepfunneled/ and pairsDevTrain.txt, pairs.txt. It is in the public
# repository https://github.com/umass-vis-lfw/umass-vis-lfw.github.io (`--fetch DIR`
# makes a sparse clone of just those; about 110 MB). Needs python3, opj_compress
# (Debian libopenjp2-tools), the face models (scripts/fetch-models.sh) and a release
# kaonin (cargo build --release). Several minutes of CPU per detector and set.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LFW=${LFW:-}
OUT=$ROOT/target/lfw-eval
KAONIN=$ROOT/target/release/kaonin
DETECTOR=""
EMBEDDER=""
SETS=tune,report,folds
THRESHOLDS=0.3,0.35,0.4,0.45,0.5
SEED=17
IMPOSTORS=200000
CALIBRATE=0.0001
ATTEMPT_FRAMES=""
MIN_SHARPNESS=""
FUSION=""
MOTION_BLUR=""
FETCH=""
INPUT=256x256

usage() { sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --lfw) LFW=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --kaonin) KAONIN=$2; shift 2 ;;
        --detector) DETECTOR=$2; shift 2 ;;
        --embedder) EMBEDDER=$2; shift 2 ;;
        --sets) SETS=$2; shift 2 ;;
        --threshold) THRESHOLDS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --impostors) IMPOSTORS=$2; shift 2 ;;
        --calibrate-far) CALIBRATE=$2; shift 2 ;;
        --attempt-frames) ATTEMPT_FRAMES=$2; shift 2 ;;
        --min-sharpness) MIN_SHARPNESS=$2; shift 2 ;;
        --fusion) FUSION=$2; shift 2 ;;
        --motion-blur) MOTION_BLUR=$2; shift 2 ;;
        --input) INPUT=$2; shift 2 ;;
        --fetch) FETCH=$2; LFW=$2; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "lfw-eval: unknown argument $1" >&2; usage 2 ;;
    esac
done
log() { printf 'lfw-eval: %s\n' "$*" >&2; }

if [[ -n $FETCH ]]; then
    case $(cd "$(dirname "$FETCH")" 2>/dev/null && pwd)/ in
        "$ROOT"/*) log "refusing to put LFW inside the repository: $FETCH"; exit 2 ;;
    esac
    if [[ ! -d $FETCH/images_deepfunneled ]]; then
        log "sparse clone of LFW into $FETCH"
        git clone --depth 1 --filter=blob:none --sparse \
            https://github.com/umass-vis-lfw/umass-vis-lfw.github.io "$FETCH"
        git -C "$FETCH" sparse-checkout set images_deepfunneled
    fi
fi
[[ -n $LFW ]] || { log "give --lfw DIR (or set LFW)"; usage 2; }
for f in images_deepfunneled pairsDevTrain.txt pairs.txt; do
    [[ -e $LFW/$f ]] || { log "$LFW/$f missing"; exit 2; }
done
[[ -x $KAONIN ]] || { log "$KAONIN missing: cargo build --release (or --kaonin BIN)"; exit 2; }
command -v opj_compress >/dev/null || { log "opj_compress missing: apt-get install libopenjp2-tools"; exit 2; }

mkdir -p "$OUT"
python3 - "$LFW" "$OUT" "$SEED" "$IMPOSTORS" <<'EOF'
import os, random, sys
lfw, out, seed, impostors = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
images = os.path.join(lfw, "images_deepfunneled")
photos = {}
for person in sorted(os.listdir(images)):
    d = os.path.join(images, person)
    if os.path.isdir(d):
        photos[person] = sorted(f for f in os.listdir(d) if f.endswith(".jpg"))
def named_in(pairs_file):
    names = set()
    with open(os.path.join(lfw, pairs_file)) as f:
        for line in f.read().split("\n")[1:]:
            t = line.split()
            if len(t) == 3: names.add(t[0])
            elif len(t) == 4: names.update((t[0], t[2]))
    return names
tune_people = named_in("pairsDevTrain.txt")
report_people = set(photos) - tune_people
def build(people, name):
    rng = random.Random(f"{seed}-{name}")
    people = sorted(people)
    path = lambda p, f: f"{p}/{f}"
    people = [p for p in people if len(photos[p]) >= 2]
    chips = {p: path(p, photos[p][0]) for p in people}
    cameras = [(p, path(p, f)) for p in people for f in photos[p][1:5]]
    genuine = [(chips[p], c) for p, c in cameras]
    seen = set()
    while len(seen) < impostors:
        a = rng.choice(people)
        q, c = rng.choice(cameras)
        if q != a:
            seen.add((chips[a], c))
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("image_a,image_b,same\n")
        for a, b in genuine: f.write(f"{a},{b},1\n")
        for a, b in sorted(seen): f.write(f"{a},{b},0\n")
    print(f"lfw-eval: {name}.csv: {len(people)} people, {len(genuine)} genuine and "
          f"{len(seen)} impostor pairs, {len(chips)} chip and {len(cameras)} camera images",
          file=sys.stderr)
build(tune_people, "tune")
build(report_people, "report")
def build_receptions(people, name, per_person=5, frames=9):
    # People with three or more photos. A genuine reception: chip = photo i (i < 5),
    # frames = the person's other photos from i+1 on, wrapping, at most `frames`.
    # An impostor reception: the chip of one person's reception, the frames of a
    # reception of another person, drawn at random.
    rng = random.Random(f"{seed}-receptions-{name}")
    people = [p for p in sorted(people) if len(photos[p]) >= 3]
    genuine = []
    for p in people:
        ph = [f"{p}/{f}" for f in photos[p]]
        for i in range(min(per_person, len(ph))):
            others = ph[i + 1:] + ph[:i]
            genuine.append((p, ph[i], others[:frames]))
    seen = set()
    while len(seen) < impostors:
        a = rng.randrange(len(genuine))
        b = rng.randrange(len(genuine))
        if genuine[a][0] != genuine[b][0]:
            seen.add((a, b))
    with open(os.path.join(out, f"receptions-{name}.csv"), "w") as f:
        f.write("chip,frames,same\n")
        for _, chip, fr in genuine: f.write(f"{chip},{';'.join(fr)},1\n")
        for a, b in sorted(seen): f.write(f"{genuine[a][1]},{';'.join(genuine[b][2])},0\n")
    print(f"lfw-eval: receptions-{name}.csv: {len(people)} people with 3+ photos, "
          f"{len(genuine)} genuine and {len(seen)} impostor receptions", file=sys.stderr)
build_receptions(tune_people, "tune")
build_receptions(report_people, "report")
EOF

if [[ ,$SETS, == *,receptions,* ]]; then
    # Per reception: calibrated on the tuning people's receptions, reported on the others.
    args=(face-eval --receptions "$OUT/receptions-tune.csv" "$OUT/receptions-report.csv"
          --root "$LFW/images_deepfunneled" --detector "$INPUT"
          --target-far 0.001,0.0001 --threshold "$THRESHOLDS" --calibrate-far "$CALIBRATE")
    [[ -z $DETECTOR ]] || args+=(--face-detector "$DETECTOR")
    [[ -z $EMBEDDER ]] || args+=(--embedder "$EMBEDDER")
    [[ -z $ATTEMPT_FRAMES ]] || args+=(--attempt-frames "$ATTEMPT_FRAMES")
    [[ -z $MIN_SHARPNESS ]] || args+=(--min-sharpness "$MIN_SHARPNESS")
    [[ -z $FUSION ]] || args+=(--fusion "$FUSION")
    [[ -z $MOTION_BLUR ]] || args+=(--motion-blur "$MOTION_BLUR")
    name=${DETECTOR:-default}${EMBEDDER:+-$EMBEDDER}-receptions-f${ATTEMPT_FRAMES//,/-}
    name=$name${MIN_SHARPNESS:+-s$MIN_SHARPNESS}-$INPUT${MOTION_BLUR:+-blur$MOTION_BLUR}${FUSION:+-${FUSION//,/-}}
    log "kaonin ${args[*]}"
    start=$(date +%s)
    (cd "$ROOT" && nice -n 10 "$KAONIN" "${args[@]}") | tee "$OUT/lfw-$name.txt"
    log "$(( $(date +%s) - start )) s; report in $OUT/lfw-$name.txt"
    SETS=${SETS//receptions/}
    [[ $SETS =~ [a-z] ]] || exit 0
fi

sets=()
[[ ,$SETS, != *,tune,* ]] || sets+=("$OUT/tune.csv")
[[ ,$SETS, != *,report,* ]] || sets+=("$OUT/report.csv")
[[ ,$SETS, != *,folds,* ]] || sets+=("$LFW/pairs.txt")
[[ ${#sets[@]} -gt 0 ]] || { log "--sets: give tune, report and/or folds"; exit 2; }
name=${DETECTOR:-default}-${SETS//,/-}
args=(face-eval --pairs "${sets[@]}" --root "$LFW/images_deepfunneled" --chip-a
      --detector "$INPUT" --target-far 0.01,0.001,0.0001 --threshold "$THRESHOLDS")
# Calibrate on the tuning set when it is the first set of the run.
[[ ,$SETS, != *,tune,* ]] || args+=(--calibrate-far "$CALIBRATE")
[[ -z $DETECTOR ]] || args+=(--face-detector "$DETECTOR")
[[ -z $EMBEDDER ]] || { args+=(--embedder "$EMBEDDER"); name=$name-$EMBEDDER; }
name=$name-$INPUT
log "kaonin ${args[*]}"
cd "$ROOT"
start=$(date +%s)
nice -n 10 "$KAONIN" "${args[@]}" | tee "$OUT/lfw-$name.txt"
log "$(( $(date +%s) - start )) s; report in $OUT/lfw-$name.txt"
