//! The command line as a newcomer meets it: exit codes and one-line errors.

mod common;

use common::kaonin;

fn check(config: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(&path, config).unwrap();
    let out = kaonin().arg("check-config").arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    (out.status.code().unwrap(), err)
}

#[test]
fn check_config_accepts_a_good_file() {
    let (code, _) = check("[policy]\nface_attempts = 3\n");
    assert_eq!(code, 0);
}

#[test]
fn check_config_rejects_with_one_line_naming_file_key_reason() {
    for (config, key, reason) in [
        (
            "[policy]\nface_atempts = 3\n",
            "policy.face_atempts",
            "unknown field",
        ),
        (
            "[policy]\nface_attempts = \"x\"\n",
            "policy.face_attempts",
            "invalid type",
        ),
        (
            "[policy]\nface_attempts = 0\n",
            "policy.face_attempts",
            "at least 1",
        ),
        (
            "[reader]\nkind = \"usb\"\n",
            "reader.kind",
            "unknown variant",
        ),
        (
            "[link]\nendpoint = \"http://pc\"\n",
            "link.endpoint",
            "unix:PATH",
        ),
    ] {
        let (code, err) = check(config);
        assert_eq!(code, 2, "{config}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains("k.toml"), "{err}");
        assert!(err.contains(key), "{err}");
        assert!(err.contains(reason), "{err}");
    }
}

#[test]
fn missing_config_file_is_a_configuration_error() {
    let out = kaonin()
        .args(["check-config", "/nonexistent/kaonin.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let out = kaonin().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = kaonin()
        .args(["pc", "--listen", "unix:/tmp/x", "--passcode", "staff=12"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_runs_all_three_receptions() {
    let dir = tempfile::tempdir().unwrap();
    let out = kaonin()
        .arg("demo")
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for method in ["\"face\"", "\"pin\"", "\"visual\""] {
        assert!(stdout.contains(method), "PC record with {method}: {stdout}");
    }
    assert!(stdout.contains("screen: done"));
    let pngs = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(pngs > 10, "screen PNGs written: {pngs}");
}

#[test]
fn passcodes_are_managed_locally_with_digits_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("k.toml");
    std::fs::write(
        &config,
        format!(
            "[terminal]\nstate_dir = \"{}\"\n",
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut cmd = kaonin();
        cmd.args(["passcode", "--config"]).arg(&config).args(args);
        let out = common::output_with_stdin(cmd, stdin);
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(run(&["set", "staff-07"], "2580\n").0, 0);
    assert_eq!(run(&["set", "staff-08"], "12a4\n").0, 2);
    let (code, list) = run(&["list"], "");
    assert_eq!(code, 0);
    assert_eq!(list.trim(), "staff-07");
    let stored = std::fs::read_dir(dir.path().join("state")).unwrap();
    for entry in stored {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains("2580"),
            "passcode stored in clear"
        );
    }
    assert_eq!(run(&["revoke", "staff-07"], "").0, 0);
    assert_eq!(run(&["list"], "").1.trim(), "");
}
