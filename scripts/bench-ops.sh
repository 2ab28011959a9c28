#!/usr/bin/env bash
# Operations benchmark of the daemon, for the figures of docs/board.md:
#   - size of the board's release binary (no default features: the product without
#     the simulators and tools, as packaged), and stripped;
#   - start-up time of `kaonin run` to READY=1 (a NOTIFY_SOCKET datagram socket, as
#     systemd's), median of several starts;
#   - resident memory (VmRSS) idle after READY, and the peak during one face
#     reception with the real face models and the card-face reader both in use
#     (VmHWM, and the highest VmRSS sampled every 10 ms), driven over the control
#     socket with a `kaonin pc` receiver;
#   - the time of that reception, from the card to the done screen, and of its
#     card-face read (照合番号B by OCR from the card-face camera's frames).
# The hardware is simulated (mock card reader with a TEST card whose chip photo is
# made from a pinned test photo, image camera, card-face camera reading photographs
# of the TEST card's printed face drawn by `examples/card_face_photos.rs`, PNG
# display); the face and OCR models are the real pinned ones
# (scripts/fetch-models.sh, scripts/fetch-ocr-model.sh).
#
# Usage: scripts/bench-ops.sh [x86_64|aarch64]...   (default: both)
#   x86_64   the native release builds (`--no-default-features --features pcsc` for
#            the size; `--features pcsc`, with the simulators, for the runs)
#   aarch64  the build of scripts/cross-test.sh, run under qemu-aarch64 -cpu
#            cortex-a72: EMULATED. Its times and memory are qemu's (the translator
#            and its code cache count in the RSS); they say nothing about a real Pi.
# Environment: BENCH_STARTS (default 5 natively, 3 under qemu); BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
scripts/fetch-models.sh >/dev/null
scripts/fetch-ocr-model.sh >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Photographs of the TEST card's printed face for the card-face camera (data, the
# same for every arch: made by the native example).
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --features pcsc --example card_face_photos
"$TARGET_DIR/release/examples/card_face_photos" assets/cards/alice.toml "$work/card-face" 3 >/dev/null

for arch in "${arches[@]}"; do
    case $arch in
    x86_64)
        build=(cargo build --release --features pcsc --bin kaonin)
        [ -n "${BENCH_NO_BUILD:-}" ] || "${build[@]}" --no-default-features
        bin="$TARGET_DIR/release/kaonin"
        board_size=$(stat -c %s "$bin")
        strip -o "$work/kaonin.board" "$bin"
        [ -n "${BENCH_NO_BUILD:-}" ] || "${build[@]}"
        strip -o "$work/kaonin.x86_64" "$bin"
        runner=()
        starts=${BENCH_STARTS:-5}
        how="x86_64, native"
        ;;
    aarch64)
        build=(cargo build --release --target aarch64-unknown-linux-gnu --features pcsc,gpio --bin kaonin)
        [ -n "${BENCH_NO_BUILD:-}" ] || "${build[@]}" --no-default-features
        bin="$TARGET_DIR/aarch64-unknown-linux-gnu/release/kaonin"
        board_size=$(stat -c %s "$bin")
        aarch64-linux-gnu-strip -o "$work/kaonin.board" "$bin"
        [ -n "${BENCH_NO_BUILD:-}" ] || "${build[@]}"
        aarch64-linux-gnu-strip -o "$work/kaonin.aarch64" "$bin"
        runner=(qemu-aarch64 -cpu cortex-a72)
        starts=${BENCH_STARTS:-3}
        how="aarch64, EMULATED: $(qemu-aarch64 --version | head -1), -cpu cortex-a72"
        ;;
    *) echo "bench-ops: unknown arch $arch" >&2; exit 2 ;;
    esac
    echo "== $how"
    # The TEST card: alice's keys and data, with a chip photo (JPEG 2000, 150x200,
    # about 1900 bytes, as on a real card) that `kaonin face-eval` makes from one
    # pinned test photo; the camera sees another photo of the same person.
    "${runner[@]}" "$bin" face-eval --chip-in models/photos/face_recognition/obama2.jpg \
        --chip-out "$work/chip.jp2" >/dev/null
    sed -e "s|^photo = .*|photo = \"$work/chip.jp2\"|" \
        -e "s|\"keys/|\"$PWD/assets/cards/keys/|" assets/cards/alice.toml >"$work/card.toml"
    echo "binary: $board_size bytes; stripped: $(stat -c %s "$work/kaonin.board") bytes (board build, no simulators)"
    python3 - "$work" "$starts" "${runner[@]}" "$work/kaonin.$arch" <<'EOF'
import json, os, socket, statistics, subprocess, sys, threading, time

work, starts, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
DEADLINE = 900  # seconds; qemu is slow, and a broken build must not hang
# Under qemu one face attempt takes seconds (tract's kernels are emulated), so the
# face screen's inactivity timeout is raised there, or the reception would fall back
# to the PIN before the first match; natively the default applies.
EMULATED = bool(cmd[0].startswith("qemu"))
SCREEN_TIMEOUT_S = 600 if EMULATED else 60

def config(d):
    os.makedirs(f"{d}/screens", exist_ok=True)
    text = f"""[terminal]
id = "bench"
state_dir = "{d}/state"
[reader]
kind = "mock"
[camera]
kind = "images"
[display]
kind = "png"
dir = "{d}/screens"
[input]
kind = "control"
control = "unix:{d}/control.sock"
# The camera sees the pinned test photos; the card profile is made in the work dir.
control_dirs = ["{os.path.abspath('models')}", "{os.path.abspath('assets')}", "{work}"]
[link]
endpoint = "unix:{d}/link.sock"
[policy]
face_retry_ms = 50
auto_face_s = 0
screen_timeout_s = {SCREEN_TIMEOUT_S}
[board]
worker_timeout_s = {SCREEN_TIMEOUT_S}
[card]
kenmen_trust = "{os.getcwd()}/assets/cards/keys/kenmen-ca.pub.pem"
[card_face]
kind = "images"
images = "{work}/card-face"
models = "{os.path.abspath('models')}"
time_limit_s = {min(60, SCREEN_TIMEOUT_S // 2)}
"""
    with open(f"{d}/kaonin.toml", "w") as f:
        f.write(text)
    return f"{d}/kaonin.toml"

def kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0

def start(d):
    """Starts `kaonin run`; returns (process, seconds to READY=1)."""
    path = f"{d}/notify.sock"
    if os.path.exists(path):
        os.unlink(path)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(path)
    notify.settimeout(1)
    env = dict(os.environ, NOTIFY_SOCKET=path, KAONIN_LOG="warn")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + ["run", "--config", config(d)], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    while True:
        try:
            msg = notify.recv(256)
        except socket.timeout:
            if p.poll() is not None:
                sys.exit(f"bench-ops: kaonin run exited ({p.returncode}) before READY=1")
            if time.monotonic() - t0 > DEADLINE:
                sys.exit("bench-ops: no READY=1 in time")
            continue
        if b"READY=1" in msg.split(b"\n"):
            break
    took = time.monotonic() - t0
    notify.close()
    return p, took

def stop(p):
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()

# Start-up to READY=1.
times = []
for i in range(starts):
    d = f"{work}/start{i}"
    os.makedirs(d)
    p, took = start(d)
    times.append(took)
    stop(p)
print(f"start-up to READY=1: median {statistics.median(times)*1000:.0f} ms "
      f"(min {min(times)*1000:.0f}, max {max(times)*1000:.0f}; {starts} starts)")

# Idle, then one face reception.
d = f"{work}/reception"
os.makedirs(d)
p, _ = start(d)
ready_rss, ready_hwm = kb(p.pid, "VmRSS"), kb(p.pid, "VmHWM")
ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ctl.connect(f"{d}/control.sock")
ctl.settimeout(DEADLINE)
lines = ctl.makefile("r")

def send(obj):
    ctl.sendall((json.dumps(obj) + "\n").encode())

def screen(*wanted):
    while True:
        line = lines.readline()
        if not line:
            sys.exit("bench-ops: the control socket closed")
        ev = json.loads(line)
        if os.environ.get("BENCH_DEBUG"):
            print("event:", line.strip()[:300], file=sys.stderr)
        if ev.get("event") == "screen" and ev.get("id") in wanted:
            return ev["id"]
        if ev.get("event") == "error":
            sys.exit(f"bench-ops: control error: {ev}")

screen("idle")
pc = subprocess.Popen(cmd + ["pc", "--listen", f"unix:{d}/link.sock", "--passcode", "staff-01=2580"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                      env=dict(os.environ, KAONIN_LOG="warn"))
def pc_expect(kind):
    while True:
        line = pc.stdout.readline()
        if not line:
            sys.exit(f"bench-ops: kaonin pc ended before {kind}")
        if json.loads(line).get("type") == kind:
            return
pc_expect("hello")
pc_expect("ok")
time.sleep(3)  # a benchmark, not a test: let start-up allocations settle
idle = kb(p.pid, "VmRSS")
idle_hwm = kb(p.pid, "VmHWM")
# Resident memory in two parts: anonymous (heap, stacks: what the process allocated)
# and file-backed (the binary's code and data pages as first used, mapped files).
def split(pid):
    return kb(pid, "RssAnon"), kb(pid, "RssFile")
idle_split = split(p.pid)

# Reset the peak (VmHWM) so that it is the reception's own (Linux clear_refs 5);
# before it, the PC's staff passcodes were hashed (Argon2id, 64 MiB for a moment).
try:
    with open(f"/proc/{p.pid}/clear_refs", "w") as f:
        f.write("5")
    hwm_reset = True
except OSError:
    hwm_reset = False
peak = [0]
peak_anon = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        try:
            peak[0] = max(peak[0], kb(p.pid, "VmRSS"))
            peak_anon[0] = max(peak_anon[0], kb(p.pid, "RssAnon"))
        except OSError:
            return
        time.sleep(0.01)
sampler = threading.Thread(target=sample)
sampler.start()
t0 = time.monotonic()
send({"camera": os.path.abspath("models/photos/face_recognition/obama.jpg")})
send({"card": "insert", "profile": f"{work}/card.toml"})
if screen("method_select", "card_error") != "method_select":
    sys.exit("bench-ops: the TEST card was refused (card_error)")
card_face_took = time.monotonic() - t0
send({"press": "face"})
t_face = time.monotonic()
outcome = screen("consent", "pin", "staff_call", "card_error", "visual_armed")
face_took = time.monotonic() - t_face
if outcome == "consent":
    send({"press": "consent_all"})
    screen("done")
    pc_expect("identity")
took = time.monotonic() - t0
done.set()
sampler.join()
hwm = kb(p.pid, "VmHWM")
after = kb(p.pid, "VmRSS")
after_split = split(p.pid)
print(f"RSS at READY=1: {ready_rss/1024:.1f} MiB (peak so far {ready_hwm/1024:.1f} MiB)")
print(f"RSS idle: {idle/1024:.1f} MiB (peak so far {idle_hwm/1024:.1f} MiB)")
print(f"RSS during a face reception: peak sampled {peak[0]/1024:.1f} MiB, VmHWM "
      f"{'of the reception' if hwm_reset else 'since start'} {hwm/1024:.1f} MiB, "
      f"after {after/1024:.1f} MiB")
print(f"  of which anonymous / file-backed: idle {idle_split[0]/1024:.1f} / "
      f"{idle_split[1]/1024:.1f} MiB, anonymous peak sampled {peak_anon[0]/1024:.1f} MiB, "
      f"after {after_split[0]/1024:.1f} / {after_split[1]/1024:.1f} MiB")
print(f"card-face read and chip read (card in to the method screen): {card_face_took:.2f} s")
print(f"face reception (card in to done screen, real models): {took:.2f} s, "
      f"face {'matched' if outcome == 'consent' else 'NOT matched: ' + outcome} "
      f"{face_took:.2f} s after the face button"
      + (f" (screen timeout raised to {SCREEN_TIMEOUT_S} s under emulation)" if EMULATED else ""))
send({"card": "remove"})
stop(p)
pc.kill()
pc.wait()
if outcome != "consent":
    sys.exit(1)
EOF
done
