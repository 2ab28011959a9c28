//! `[card_face]` at start: a card-face camera without its OCR model is a clear
//! start-up error naming the file and the fix; out-of-range keys are refused by
//! `kaonin check-config`; `kind = "control"` (the default) needs no model.

mod common;

use common::{config_text, kaonin, Options};
use std::path::Path;

fn config(dir: &Path, card_face: &str) -> std::path::PathBuf {
    let options = Options {
        extra: format!("[face]\nmatcher = \"test-thumbnail\"\n[card_face]\n{card_face}\n"),
        ..Options::default()
    };
    let path = dir.join("kaonin.toml");
    std::fs::write(&path, config_text(dir, &options)).unwrap();
    path
}

#[test]
fn a_card_face_camera_without_its_model_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(
        dir.path(),
        "kind = \"images\"\nimages = \"/nonexistent/frames\"\nmodels = \"/nonexistent/models\"",
    );
    let out = kaonin()
        .args(["run", "--config"])
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/models/ocr/") && err.contains("scripts/fetch-ocr-model.sh"),
        "{err}"
    );
}

#[test]
fn card_face_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (body, key) in [
        (
            "kind = \"images\"\nimages = \"x\"\nmax_frames = 1",
            "card_face.max_frames",
        ),
        (
            "kind = \"images\"\nimages = \"x\"\ntime_limit_s = 0",
            "card_face.time_limit_s",
        ),
        // Not below the reading screen's timeout (60 s by default).
        (
            "kind = \"images\"\nimages = \"x\"\ntime_limit_s = 60",
            "card_face.time_limit_s",
        ),
        ("kind = \"images\"", "card_face.images"),
        ("kind = \"camera\"", "kind"),
    ] {
        let path = config(dir.path(), body);
        let out = kaonin().arg("check-config").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{body}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{body}: {err}");
    }
    // The defaults (kind = "control") need no model.
    let path = config(dir.path(), "counter_floor = 3");
    let out = kaonin().arg("check-config").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
