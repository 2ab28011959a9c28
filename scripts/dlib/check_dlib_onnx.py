#!/usr/bin/env python3
"""Compare dlib's own face-recognition ResNet with its ONNX conversion (dlib_to_onnx.py).

For every face that dlib's frontal face detector finds in the test photos, the 150x150
chip is cut by dlib itself (5-point landmarks, dlib.get_face_chip(img, shape, size=150,
padding=0.25)); the chip then goes through dlib (compute_face_descriptor on an aligned
chip) and through the ONNX model in onnxruntime. A few random 150x150 images are fed
too. Prints, per chip, the largest |dlib - onnx| over the 128 outputs and the
descriptor's norm, and fails (exit 1) if any difference exceeds --tolerance (1e-5).

It also measures where the five landmarks of dlib's 5-point model land in the chips,
against the reference positions of dlib's get_face_chip_details.

Needs (in a venv): dlib, numpy, onnxruntime. Photos: <models>/photos (see README.md).

    python3 check_dlib_onnx.py [--models DIR] [--onnx FILE] [--random N]
"""

import argparse
import glob
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PHOTO_GLOBS = [
    "face_recognition/obama*.jpg",
    "face_recognition/biden.jpg",
    "insightface/t1.jpg",
    "nsface/*.jpg",
    "face-api/sample*.jpg",
]

# dlib/image_transforms/interpolation.h, get_face_chip_details, 5-point shapes: the
# positions of the 5 parts in a chip of size 1 with no padding.
TEMPLATE_5 = np.array([
    [0.8595674595992, 0.2134981538014],  # part 0
    [0.6460604764104, 0.2289674387677],  # part 1
    [0.1205750620789, 0.2137274526848],  # part 2
    [0.3340850613712, 0.2290642403242],  # part 3
    [0.4901123135679, 0.6277975316475],  # part 4
])


def template_positions(size=150, padding=0.25):
    return (padding + TEMPLATE_5) / (2 * padding + 1) * size


def image_to_chip_transform(details):
    """dlib's get_mapping_to_chip(details) as a 2x3 matrix (image -> chip pixels)."""
    r = details.rect
    left, top, right, bottom = r.left(), r.top(), r.right(), r.bottom()
    cx, cy = (left + right) / 2, (top + bottom) / 2
    ca, sa = np.cos(details.angle), np.sin(details.angle)

    def rot(x, y):
        dx, dy = x - cx, y - cy
        return (ca * dx - sa * dy + cx, sa * dx + ca * dy + cy)

    src = np.array([rot(left, top), rot(right, top), rot(right, bottom)])
    dst = np.array([[0, 0], [details.cols - 1, 0], [details.cols - 1, details.rows - 1]], float)
    a = np.hstack([src, np.ones((3, 1))])
    return np.linalg.solve(a, dst).T  # 2x3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=os.path.join(REPO, "models"),
                    help="folder with the two dlib .dat files and photos/ (default: repo models/)")
    ap.add_argument("--onnx", default=None, help="default: MODELS/dlib_resnet_v1.onnx")
    ap.add_argument("--random", type=int, default=4, help="random 150x150 images to add")
    ap.add_argument("--upsample", type=int, default=1, help="face detector upsampling")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args(argv)

    import dlib
    import onnxruntime as ort

    models = args.models
    onnx_path = args.onnx or os.path.join(models, "dlib_resnet_v1.onnx")
    detector = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(os.path.join(models, "shape_predictor_5_face_landmarks.dat"))
    facerec = dlib.face_recognition_model_v1(
        os.path.join(models, "dlib_face_recognition_resnet_model_v1.dat"))

    sessions = {}
    for label, level in (("ort", ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                         ("ort-noopt", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)):
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        so.intra_op_num_threads = 1
        sessions[label] = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    inp = sessions["ort"].get_inputs()[0]
    out = sessions["ort"].get_outputs()[0]
    print(f"dlib {dlib.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    print(f"ONNX {onnx_path}: input {inp.name} {inp.shape}, output {out.name} {out.shape}")

    chips = []  # (name, chip HxWx3 uint8, extra)
    landmarks = []  # 5x2 chip positions per detected face
    photos = []
    for pattern in PHOTO_GLOBS:
        photos += sorted(glob.glob(os.path.join(models, "photos", pattern)))
    if not photos:
        print(f"no photos under {models}/photos", file=sys.stderr)
    for path in photos:
        img = dlib.load_rgb_image(path)
        name = os.path.relpath(path, os.path.join(models, "photos"))
        dets = detector(img, args.upsample)
        if len(dets) == 0:
            print(f"  {name}: no face found by dlib's detector")
        for i, det in enumerate(sorted(dets, key=lambda d: (d.left(), d.top()))):
            shape = sp(img, det)
            chip = dlib.get_face_chip(img, shape, size=150, padding=0.25)
            # dlib's own whole pipeline (compute_face_descriptor(img, shape)) must give
            # what the chip gives: the chips are those the descriptor is made from.
            full = np.array(facerec.compute_face_descriptor(img, shape))
            details = dlib.get_face_chip_details(shape, size=150, padding=0.25)
            m = image_to_chip_transform(details)
            pts = np.array([[shape.part(k).x, shape.part(k).y, 1.0] for k in range(5)])
            landmarks.append(pts @ m.T)
            chips.append((f"{name}#{i}" if len(dets) > 1 else name, chip,
                          {"full": full, "scale": details.rect.width() / 150}))
    rng = np.random.default_rng(20240611)
    for i in range(args.random):
        chips.append((f"random-{i}", rng.integers(0, 256, (150, 150, 3), dtype=np.uint8), {}))
    for i, v in enumerate((0, 255)):
        chips.append((f"constant-{v}", np.full((150, 150, 3), v, dtype=np.uint8), {}))

    print()
    print(f"{'image':40} {'max|dlib-ort|':>13} {'max|dlib-ort noopt|':>19} "
          f"{'|dlib desc|':>11} {'|onnx desc|':>11} {'chip vs pipeline':>16}")
    worst = {"ort": 0.0, "ort-noopt": 0.0}
    t_dlib = t_ort = 0.0
    for name, chip, extra in chips:
        assert chip.shape == (150, 150, 3) and chip.dtype == np.uint8
        t0 = time.perf_counter()
        ref = np.array(facerec.compute_face_descriptor(chip), dtype=np.float32)
        t1 = time.perf_counter()
        x = np.ascontiguousarray(chip.transpose(2, 0, 1)[None].astype(np.float32))
        diffs = {}
        for label, sess in sessions.items():
            t2 = time.perf_counter()
            got = sess.run(None, {inp.name: x})[0].reshape(-1)
            if label == "ort":
                t_ort += time.perf_counter() - t2
                norm = float(np.linalg.norm(got))
            diffs[label] = float(np.abs(ref - got).max())
            worst[label] = max(worst[label], diffs[label])
        t_dlib += t1 - t0
        pipe = f"{np.abs(extra['full'] - ref).max():.1e}" if "full" in extra else "-"
        print(f"{name:40} {diffs['ort']:13.3e} {diffs['ort-noopt']:19.3e} "
              f"{np.linalg.norm(ref):11.5f} {norm:11.5f} {pipe:>16}")
    n = len(chips)
    print(f"\n{n} chips; worst max|dlib-onnx|: {worst['ort']:.3e} (onnxruntime, all graph "
          f"optimisations), {worst['ort-noopt']:.3e} (no graph optimisation); "
          f"tolerance {args.tolerance:g}")
    print(f"mean time per chip: dlib {1000 * t_dlib / n:.1f} ms, onnxruntime (1 thread) "
          f"{1000 * t_ort / n:.1f} ms")

    if landmarks:
        lm = np.array(landmarks)
        tpl = template_positions()
        print(f"\nwhere dlib's 5-point landmarks land in the 150x150 chips (padding 0.25), "
              f"{len(lm)} faces:")
        print(f"{'part':6} {'reference (x, y)':>22} {'measured mean (x, y)':>24} {'std (x, y)':>16}")
        for k in range(5):
            mu, sd = lm[:, k].mean(0), lm[:, k].std(0)
            print(f"{k:<6} {tpl[k, 0]:10.4f} {tpl[k, 1]:10.4f}   {mu[0]:10.4f} {mu[1]:10.4f}   "
                  f"{sd[0]:7.3f} {sd[1]:7.3f}")
        for label, (a, b) in (("eye centre, image left (parts 2,3)", (2, 3)),
                              ("eye centre, image right (parts 0,1)", (0, 1))):
            mu = lm[:, [a, b]].mean(1).mean(0)
            t = tpl[[a, b]].mean(0)
            print(f"{label}: reference {t[0]:.4f} {t[1]:.4f}, measured {mu[0]:.4f} {mu[1]:.4f}")

    ok = worst["ort"] <= args.tolerance and worst["ort-noopt"] <= args.tolerance
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
