//! Tests of the staff store: hashing, counting, lockout, revoke, corruption, audit.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn code(text: &str) -> Digits {
    Digits::parse(text, 4).unwrap()
}

fn store(dir: &Path) -> Staff {
    Staff::open(dir, 3, Duration::from_secs(300)).unwrap()
}

fn stored(dir: &Path) -> StoreFile {
    serde_json::from_slice(&std::fs::read(dir.join(FILE_NAME)).unwrap()).unwrap()
}

#[test]
fn passcodes_are_stored_hashed_with_salt_and_enough_iterations() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1234")).unwrap();
    s.set_passcode("staff-02", &code("1234")).unwrap();
    let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    assert!(!text.contains("1234"));
    let file = stored(dir.path());
    assert_eq!(file.entries.len(), 2);
    assert!(file.entries.iter().all(|e| e.iterations >= 100_000));
    // Same passcode, different salts, different hashes.
    assert_ne!(file.entries[0].salt, file.entries[1].salt);
    assert_ne!(file.entries[0].hash, file.entries[1].hash);
    let mode = std::fs::metadata(dir.path().join(FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // And they verify after a reopen.
    let again = store(dir.path());
    assert!(matches!(
        again.check(&code("1234")),
        StaffCheck::Accepted { .. }
    ));
}

#[test]
fn the_matching_account_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1111")).unwrap();
    s.set_passcode("staff-02", &code("2222")).unwrap();
    assert_eq!(
        s.check(&code("2222")),
        StaffCheck::Accepted {
            account: "staff-02".into()
        }
    );
    // Replacing a passcode keeps one entry per account.
    s.set_passcode("staff-02", &code("3333")).unwrap();
    assert_eq!(stored(dir.path()).entries.len(), 2);
    assert!(matches!(
        s.check(&code("2222")),
        StaffCheck::Rejected { .. }
    ));
}

#[test]
fn wrong_passcodes_count_down_then_lock_out_until_the_lockout_ends() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1111")).unwrap();
    let t0 = Instant::now();
    assert_eq!(
        s.check_at(&code("0000"), t0),
        StaffCheck::Rejected { attempts_left: 2 }
    );
    assert_eq!(
        s.check_at(&code("0001"), t0),
        StaffCheck::Rejected { attempts_left: 1 }
    );
    assert_eq!(s.check_at(&code("0002"), t0), StaffCheck::LockedOut);
    // Even the right passcode is refused during the lockout.
    let later = t0 + Duration::from_secs(299);
    assert_eq!(s.check_at(&code("1111"), later), StaffCheck::LockedOut);
    let after = t0 + Duration::from_secs(301);
    assert!(matches!(
        s.check_at(&code("1111"), after),
        StaffCheck::Accepted { .. }
    ));
}

#[test]
fn a_right_passcode_resets_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("a", &code("1111")).unwrap();
    assert_eq!(
        s.check(&code("0000")),
        StaffCheck::Rejected { attempts_left: 2 }
    );
    assert!(matches!(
        s.check(&code("1111")),
        StaffCheck::Accepted { .. }
    ));
    assert_eq!(
        s.check(&code("0000")),
        StaffCheck::Rejected { attempts_left: 2 }
    );
}

#[test]
fn revoke_removes_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1111")).unwrap();
    assert!(s.revoke("staff-01").unwrap());
    assert!(!s.revoke("staff-01").unwrap());
    assert!(matches!(
        s.check(&code("1111")),
        StaffCheck::Rejected { .. }
    ));
    assert!(stored(dir.path()).entries.is_empty());
    assert!(s.accounts().is_empty());
}

#[test]
fn bad_accounts_and_passcodes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    assert!(matches!(
        s.set_passcode("", &code("1111")),
        Err(StaffError::BadAccount)
    ));
    assert!(matches!(
        s.set_passcode("a b", &code("1111")),
        Err(StaffError::BadAccount)
    ));
    assert!(matches!(
        s.set_passcode("a", &Digits::parse("123456", 6).unwrap()),
        Err(StaffError::BadPasscode)
    ));
}

#[test]
fn a_corrupt_file_is_quarantined_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(FILE_NAME),
        b"{\"version\":1,\"entries\":[{garbage",
    )
    .unwrap();
    let s = store(dir.path());
    assert!(s.accounts().is_empty());
    assert!(!dir.path().join(FILE_NAME).exists());
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("staff.json.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"{\"version\":1,\"entries\":[{garbage"
    );
    // The store works again.
    s.set_passcode("a", &code("1111")).unwrap();
    assert!(matches!(
        store(dir.path()).check(&code("1111")),
        StaffCheck::Accepted { .. }
    ));
}

#[test]
fn weak_entries_count_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let weak = r#"{"version":1,"entries":[{"account":"a","iterations":1,"salt":"AAAAAAAAAAA=","hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#;
    std::fs::write(dir.path().join(FILE_NAME), weak).unwrap();
    assert!(store(dir.path()).accounts().is_empty());
}

#[test]
fn audit_lines_name_account_time_and_what_but_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("9876")).unwrap();
    s.audit(&AuditEntry::VisualArmed {
        account: "staff-01".into(),
    })
    .unwrap();
    s.audit(&AuditEntry::VisualConfirmed {
        account: "staff-01".into(),
        id: "uuid-1".into(),
    })
    .unwrap();
    s.audit(&AuditEntry::StaffPasscodeRejected).unwrap();
    s.audit(&AuditEntry::StaffLockedOut).unwrap();
    s.revoke("staff-01").unwrap();
    let path = dir.path().join(AUDIT_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("9876"));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let whats: Vec<&str> = lines.iter().map(|l| l["what"].as_str().unwrap()).collect();
    assert_eq!(
        whats,
        [
            "passcode_set",
            "visual_armed",
            "visual_confirmed",
            "staff_passcode_rejected",
            "staff_locked_out",
            "passcode_revoked"
        ]
    );
    assert_eq!(lines[2]["account"], "staff-01");
    assert_eq!(lines[2]["id"], "uuid-1");
    assert!(lines
        .iter()
        .all(|l| l["at"].as_str().unwrap().ends_with('Z')));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
