#!/usr/bin/env python3
"""Soak of the daemon through a real pcscd (issue 16): many receptions on random
paths, with the terminal's resources sampled over time and every identity counted.

Run it through scripts/soak.sh (which builds the binary and starts a private
pcscd with vpcd); by hand: scripts/with-pcscd.sh scripts/soak.py --receptions N.

Paths, drawn from a seeded generator:
  face       the camera sees the cardholder, face match, consent
  pin        no face on the camera, the patient chooses the PIN, consent
  wrong_pin  one wrong PIN, then the right one
  lock       three wrong PINs lock the card; staff confirm visually (the card is
             then replaced: a new `kaonin vcard` process, as a new patient)
  yank       the card is pulled at a random moment of the reception
  cancel     the patient cancels at the method screen
  pc_kill    the eligibility PC (`kaonin pc`) is killed with SIGKILL and stays down
             for 1 to 5 receptions (identities wait in the outbox), then restarts
Every N receptions: the daemon's VmRSS, VmHWM, threads, open file descriptors and
the live records in its outbox. At the end the PC is up until the outbox is empty:
every identity the terminal announced as forwarded must be in the PC's ledger.

Output: a CSV of the samples and a JSON summary (--out DIR), and an SVG plot.
"""

import argparse
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = os.path.join(ROOT, "assets/cards/alice.toml")
CAMERA = os.path.join(ROOT, "assets/faces/alice-camera.png")
PIN, WRONG, PASSCODE = "1234", "9999", "2580"
DEADLINE = 60.0
PATHS = [("face", 40), ("pin", 15), ("wrong_pin", 10), ("lock", 5), ("yank", 15),
         ("cancel", 5), ("pc_kill", 10)]


def lines_of(stream, out):
    for raw in stream:
        line = raw.strip()
        if line:
            out.put(line)


class Pc:
    """`kaonin pc` with a ledger; identity ids it printed go to `seen`."""

    def __init__(self, binary, sock, ledger, seen):
        self.seen = seen
        self.proc = subprocess.Popen(
            [binary, "pc", "--listen", f"unix:{sock}", "--ledger", ledger,
             "--passcode", f"staff-01={PASSCODE}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=dict(os.environ, KAONIN_LOG="warn"))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("type") == "identity":
                self.seen.add(msg["id"])

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


class Card:
    """`kaonin vcard` on the card slot's vpcd port."""

    def __init__(self, binary, profile):
        self.proc = subprocess.Popen(
            [binary, "vcard", "--profile", profile, "--vpcd", "127.0.0.1:35963"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            text=True)

    def say(self, what):
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()

    def close(self):
        try:
            self.say("quit")
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()


class Terminal:
    def __init__(self, binary, config, d):
        notify_path = os.path.join(d, "notify.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(DEADLINE)
        self.log = open(os.path.join(d, "daemon.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", config], stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=self.log,
            env=dict(os.environ, NOTIFY_SOCKET=notify_path, KAONIN_LOG="warn"))
        data = notify.recv(64)
        assert data == b"READY=1", data
        self.ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl.connect(os.path.join(d, "control.sock"))
        self.events = queue.Queue()
        threading.Thread(target=lines_of, args=(self.ctl.makefile("r", encoding="utf-8"),
                                                self.events), daemon=True).start()
        self.forwarded = []
        self.recent = []
        self.screen = None
        self.card_present = False
        self.expect("idle")

    def send(self, obj):
        self.ctl.sendall((json.dumps(obj) + "\n").encode())

    def next_event(self, timeout=DEADLINE):
        event = json.loads(self.events.get(timeout=timeout))
        self.recent = (self.recent + [event])[-12:]
        if event.get("event") == "screen":
            self.screen = event["id"]
        elif event.get("event") == "forwarded":
            self.forwarded.append(event["id"])
        elif event.get("event") == "card" and event.get("reader") == "card":
            self.card_present = event["present"]
        elif event.get("event") == "error":
            raise RuntimeError(f"control error: {event}")
        return event

    def expect(self, *ids):
        end = time.monotonic() + DEADLINE
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no screen {ids} (last {self.screen})")
            event = self.next_event(left)
            if event.get("event") == "screen" and event["id"] in ids:
                return event["id"]

    def card_gone(self):
        """Waits until the daemon has seen the card leave (pcscd polls)."""
        end = time.monotonic() + DEADLINE
        while self.card_present:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the daemon never saw the card leave")
            self.next_event(left)

    def sample(self, state_dir):
        status = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.split()
        fds = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        return {
            "rss_kib": int(status["VmRSS"][0]),
            "hwm_kib": int(status["VmHWM"][0]),
            "threads": int(status["Threads"][0]),
            "fds": fds,
            "outbox": outbox_live(state_dir),
        }


def outbox_live(state_dir):
    path = os.path.join(state_dir, "outbox.jsonl")
    live = set()
    try:
        with open(path) as f:
            for line in f:
                _, _, body = line.partition(" ")
                try:
                    record = json.loads(body)
                except ValueError:
                    continue
                if "acked" in record:
                    live.discard(record["acked"])
                elif "id" in record:
                    live.add(record["id"])
    except FileNotFoundError:
        pass
    return len(live)


def config_text(d):
    os.makedirs(os.path.join(d, "screens"), exist_ok=True)
    return f"""[terminal]
id = "soak"
state_dir = "{d}/state"
[reader]
kind = "pcsc"
name_contains = "Virtual PCD 00 00"
[camera]
kind = "images"
[display]
kind = "png"
dir = "{d}/screens"
[input]
kind = "control"
control = "unix:{d}/control.sock"
# The control socket with the PC/SC reader is a test rig (docs/control.md): it
# stands in for the touch panel and moves the simulated camera.
control_with_real_hardware = true
control_dirs = ["{ROOT}/assets"]
[card]
# The virtual card's 券面 CA (`kaonin vcard --write-kenmen-trust` writes the same key).
kenmen_trust = "{ROOT}/assets/cards/keys/kenmen-ca.pub.pem"
[link]
endpoint = "unix:{d}/link.sock"
[policy]
face_retry_ms = 50
auto_face_s = 0
[face]
matcher = "test-thumbnail"
"""


def card_face(t):
    t.send({"card_face": {"birth": "19850412", "expiry": "20350412",
                          "security_code": "4821"}})


def consent(t):
    t.expect("consent")
    t.send({"press": "consent_all"})
    t.expect("done", "sent_offline")


def leave(t, card):
    card.say("remove")
    t.expect("idle")
    t.card_gone()


def reception(path, rng, t, card, pc_kill):
    """One reception on `path`; returns True if the card must be replaced."""
    if path == "pc_kill":
        pc_kill(rng.randint(1, 5))
        path = "face"
    t.send({"camera": CAMERA if path == "face" else None})
    card_face(t)
    card.say("insert")
    if path == "yank":
        point = rng.choice(["reading", "method_select", "pin"])
        if point == "reading":
            t.expect("reading")
            card.say("remove")
            t.expect("idle")
            t.card_gone()
            return False
        t.expect("method_select")
        if point == "pin":
            t.send({"press": "pin"})
            t.expect("pin")
        leave(t, card)
        return False
    t.expect("method_select")
    if path == "cancel":
        t.send({"press": "cancel"})
        t.expect("idle")
        card.say("remove")
        t.card_gone()
        return False
    if path == "face":
        t.send({"press": "face"})
        consent(t)
        leave(t, card)
        return False
    t.send({"press": "pin"})
    t.expect("pin")
    if path == "wrong_pin":
        t.send({"pin": WRONG})
        t.expect("pin")
    if path == "lock":
        for _ in range(2):
            t.send({"pin": WRONG})
            t.expect("pin")
        t.send({"pin": WRONG})
        t.expect("pin_locked")
        t.send({"staff": "visual", "passcode": PASSCODE})
        t.expect("visual_armed")
        t.send({"staff": "confirm"})
        consent(t)
        leave(t, card)
        return True
    t.send({"pin": PIN})
    consent(t)
    leave(t, card)
    return False


def svg_plot(samples, path):
    """Four small line charts (RSS, threads, fds, outbox) over receptions."""
    series = [("RSS (MiB)", [s["rss_kib"] / 1024 for s in samples]),
              ("threads", [s["threads"] for s in samples]),
              ("open fds", [s["fds"] for s in samples]),
              ("outbox live records", [s["outbox"] for s in samples])]
    xs = [s["receptions"] for s in samples]
    w, h, pad = 640, 150, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h * 4}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h * 4}" fill="white"/>']
    xmax = max(xs) or 1
    for i, (name, ys) in enumerate(series):
        top = i * h
        ymax = max(max(ys), 1) * 1.1
        pts = " ".join(f"{pad + (x / xmax) * (w - 2 * pad):.1f},"
                       f"{top + h - 25 - (y / ymax) * (h - 45):.1f}" for x, y in zip(xs, ys))
        parts.append(f'<text x="{pad}" y="{top + 15}">{name}: min {min(ys):.1f}, '
                     f'max {max(ys):.1f} (y axis 0 to {ymax:.1f}; x: receptions 0 to {xmax})</text>')
        parts.append(f'<line x1="{pad}" y1="{top + h - 25}" x2="{w - pad}" y2="{top + h - 25}" '
                     'stroke="#888"/>')
        parts.append(f'<polyline fill="none" stroke="#1f4e9a" stroke-width="1.5" points="{pts}"/>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def combine(dirs, out):
    """Sums up parallel soaks (one terminal and one pcscd each) into one summary."""
    runs = []
    for d in dirs:
        with open(os.path.join(d, "soak-summary.json")) as f:
            runs.append(json.load(f))
    total = {
        "terminals": len(runs),
        "receptions": sum(r["receptions"] for r in runs),
        "forwarded": sum(r["forwarded"] for r in runs),
        "received_by_pc": sum(r["received_by_pc"] for r in runs),
        "lost": sum(r["lost"] for r in runs),
        "paths": {k: sum(r["paths"].get(k, 0) for r in runs) for k in runs[0]["paths"]},
        "per_terminal": [{k: r[k] for k in ("seed", "receptions", "lost", "elapsed_s",
                                            "first", "last", "max", "exit_code")}
                         for r in runs],
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "soak-summary.json"), "w") as f:
        json.dump(total, f, indent=1)
        f.write("\n")
    print(json.dumps(total, indent=1))
    sys.exit(1 if total["lost"] else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--receptions", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--sample-every", type=int, default=50)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/kaonin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/soak"))
    ap.add_argument("--combine", nargs="+", metavar="DIR",
                    help="only sum up the summaries of parallel runs in DIR... into --out")
    args = ap.parse_args()
    if args.combine:
        return combine(args.combine, args.out)
    if not os.environ.get("KAONIN_PCSCD"):
        sys.exit("soak.py: run it under scripts/with-pcscd.sh (a private pcscd with vpcd)")
    rng = random.Random(args.seed)
    d = tempfile.mkdtemp(prefix="kaonin-soak-")
    state = os.path.join(d, "state")
    config = os.path.join(d, "kaonin.toml")
    with open(config, "w") as f:
        f.write(config_text(d))
    seen = set()
    link = os.path.join(d, "link.sock")
    ledger = os.path.join(d, "ledger")
    pc = [Pc(args.binary, link, ledger, seen)]
    t = Terminal(args.binary, config, d)
    card = Card(args.binary, PROFILE)
    counts = {name: 0 for name, _ in PATHS}
    samples = []
    names = [n for n, _ in PATHS]
    weights = [w for _, w in PATHS]
    started = time.monotonic()

    down = [0]  # receptions left before the killed PC comes back

    def pc_kill(receptions):
        if pc[0] is not None:
            pc[0].kill()
            pc[0] = None
        down[0] = max(down[0], receptions)

    def pc_tick():
        if pc[0] is None:
            down[0] -= 1
            if down[0] <= 0:
                pc[0] = Pc(args.binary, link, ledger, seen)

    def sample(n):
        s = t.sample(state)
        s["receptions"] = n
        s["elapsed_s"] = round(time.monotonic() - started, 1)
        samples.append(s)

    sample(0)
    try:
        for n in range(1, args.receptions + 1):
            path = rng.choices(names, weights)[0]
            counts[path] += 1
            try:
                replace = reception(path, rng, t, card, pc_kill)
            except (TimeoutError, queue.Empty, RuntimeError) as e:
                print(f"reception {n} ({path}) failed: {e!r}; last events:", file=sys.stderr)
                for event in t.recent:
                    print(f"  {json.dumps(event, ensure_ascii=False)[:200]}", file=sys.stderr)
                raise
            if replace:
                card.close()
                card = Card(args.binary, PROFILE)
            pc_tick()
            if n % args.sample_every == 0:
                sample(n)
                last = samples[-1]
                print(f"{n:6d} receptions, {last['elapsed_s']:7.0f} s: RSS "
                      f"{last['rss_kib'] / 1024:.1f} MiB, threads {last['threads']}, "
                      f"fds {last['fds']}, outbox {last['outbox']}", flush=True)
        # Every forwarded identity must reach the PC: wait for the outbox to drain.
        if pc[0] is None:
            pc[0] = Pc(args.binary, link, ledger, seen)
        end = time.monotonic() + 120
        while outbox_live(state) and time.monotonic() < end:
            time.sleep(0.2)
        end = time.monotonic() + 30
        while not set(t.forwarded) <= seen and time.monotonic() < end:
            time.sleep(0.2)
    finally:
        card.close()
        if pc[0] is not None:
            pc[0].kill()
        t.proc.send_signal(signal.SIGTERM)
        t.proc.wait()
    lost = sorted(set(t.forwarded) - seen)
    summary = {
        "receptions": args.receptions, "seed": args.seed, "paths": counts,
        "forwarded": len(t.forwarded), "received_by_pc": len(seen & set(t.forwarded)),
        "lost": len(lost), "lost_ids": lost[:20],
        "elapsed_s": round(time.monotonic() - started, 1),
        "first": samples[0], "last": samples[-1],
        "max": {k: max(s[k] for s in samples) for k in ("rss_kib", "hwm_kib", "threads", "fds", "outbox")},
        "exit_code": t.proc.returncode,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "soak.csv"), "w") as f:
        keys = ["receptions", "elapsed_s", "rss_kib", "hwm_kib", "threads", "fds", "outbox"]
        f.write(",".join(keys) + "\n")
        for s in samples:
            f.write(",".join(str(s[k]) for k in keys) + "\n")
    with open(os.path.join(args.out, "soak-summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    svg_plot(samples, os.path.join(args.out, "soak.svg"))
    print(json.dumps(summary, indent=1))
    shutil.rmtree(d, ignore_errors=True)
    sys.exit(1 if lost or t.proc.returncode not in (0, None) else 0)


if __name__ == "__main__":
    main()
