//! `kaonin ocr-eval` as a user runs it: generate a synthetic set to a directory,
//! evaluate the directory, and get the same figures as the in-memory run of the
//! same seed; bad flags are usage errors (exit 2).

use std::path::Path;
use std::process::Command;

fn kaonin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kaonin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("kaonin runs")
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{out}"))
}

#[test]
#[ignore = "needs the OCR model: scripts/fetch-ocr-model.sh"]
fn a_written_set_evaluates_like_the_in_memory_one() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    let set_s = set.to_str().unwrap();
    // Three cards on the first three textured backdrops (stripes, pattern, wood).
    let common = [
        "--generate",
        "3",
        "--seed",
        "31",
        "--frames",
        "2",
        "--backdrops",
        "textured",
    ];
    let mut gen: Vec<&str> = vec!["ocr-eval"];
    gen.extend(common);
    gen.extend(["--today", "2026-11-25", "--out", set_s]);
    let out = kaonin(&gen);
    assert!(out.status.success(), "{out:?}");
    let truth = std::fs::read_to_string(set.join("truth.tsv")).unwrap();
    assert!(truth.contains("# today 2026-11-25"), "{truth}");
    let rows: Vec<&str> = truth.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 6, "{row}");
        assert!(Path::new(&set).join(cols[1]).is_file(), "{row}");
        assert!(["stripes", "pattern", "wood"].contains(&cols[5]), "{row}");
    }

    // The directory (its `# today` line fixes the date) ...
    let from_dir = kaonin(&["ocr-eval", "--dir", set_s]);
    assert!(from_dir.status.success(), "{from_dir:?}");
    let from_dir = String::from_utf8(from_dir.stdout).unwrap();
    // ... and the same seed in memory.
    let mut mem: Vec<&str> = vec!["ocr-eval"];
    mem.extend(common);
    mem.extend(["--today", "2026-11-25"]);
    let in_memory = kaonin(&mem);
    assert!(in_memory.status.success(), "{in_memory:?}");
    let in_memory = String::from_utf8(in_memory.stdout).unwrap();
    for prefix in [
        "cards ",
        "exact 照合番号B",
        "WRONG values sent",
        "refused cards",
        "per frame",
        "  stripes ",
        "  pattern ",
        "  wood ",
    ] {
        assert_eq!(line(&from_dir, prefix), line(&in_memory, prefix));
    }
    assert_eq!(
        line(&from_dir, "WRONG values sent"),
        "WRONG values sent to the chip: 0"
    );
    assert_eq!(
        line(&from_dir, "cards "),
        "cards 3 (6 frames), western-calendar cards 0"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = kaonin(&["ocr-eval"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dir"));
    let out = kaonin(&["ocr-eval", "--generate", "1", "--today", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // A backdrop set only applies to generated cards, and must exist.
    let out = kaonin(&["ocr-eval", "--generate", "1", "--backdrops", "carpet"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = kaonin(&["ocr-eval", "--dir", "/x", "--backdrops", "wood"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = kaonin(&["ocr-eval", "--dir", "/nonexistent-kaonin-set"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("truth.tsv"));
}
