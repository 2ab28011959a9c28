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
fn passcodes_are_stored_hashed_with_salt_and_argon2id() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1234")).unwrap();
    s.set_passcode("staff-02", &code("1234")).unwrap();
    let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    assert!(!text.contains("1234"));
    let file = stored(dir.path());
    assert_eq!(file.entries.len(), 2);
    assert_eq!(file.version, 3);
    assert_eq!(file.key.as_ref().unwrap().argon2id, kdf::Argon2Cost::NEW);
    assert!(text.contains("\"argon2id\""));
    // Same passcode, different MACs (the account name is in each).
    let mac = |i: usize| match &file.entries[i].hash {
        EntryHash::Keyed { mac } => mac.clone(),
        other => panic!("{other:?}"),
    };
    assert_ne!(mac(0), mac(1));
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
    let t0 = 1_800_000_000;
    assert_eq!(
        s.check_at(&code("0000"), t0),
        StaffCheck::Rejected { attempts_left: 2 }
    );
    assert_eq!(
        s.check_at(&code("0001"), t0),
        StaffCheck::Rejected { attempts_left: 1 }
    );
    assert_eq!(
        s.check_at(&code("0002"), t0),
        StaffCheck::LockedOut { retry_after_s: 300 }
    );
    // Even the right passcode is refused during the lockout.
    assert_eq!(
        s.check_at(&code("1111"), t0 + 299),
        StaffCheck::LockedOut { retry_after_s: 1 }
    );
    assert!(matches!(
        s.check_at(&code("1111"), t0 + 301),
        StaffCheck::Accepted { .. }
    ));
}

#[test]
fn the_count_and_the_lockout_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("staff-01", &code("1111")).unwrap();
    let t0 = 1_800_000_000;
    assert_eq!(
        s.check_at(&code("0000"), t0),
        StaffCheck::Rejected { attempts_left: 2 }
    );
    drop(s);
    let s = store(dir.path());
    assert_eq!(
        s.check_at(&code("0000"), t0),
        StaffCheck::Rejected { attempts_left: 1 }
    );
    assert_eq!(
        s.check_at(&code("0000"), t0),
        StaffCheck::LockedOut { retry_after_s: 300 }
    );
    drop(s);
    let s = store(dir.path());
    assert_eq!(
        s.check_at(&code("1111"), t0 + 10),
        StaffCheck::LockedOut { retry_after_s: 290 }
    );
    // A clock that jumped back cannot stretch the lockout beyond its length.
    assert_eq!(
        s.check_at(&code("1111"), t0 - 86_400),
        StaffCheck::LockedOut { retry_after_s: 300 }
    );
    assert!(matches!(
        s.check_at(&code("1111"), t0 + 301),
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
        Err(StaffError::BadAccount(AccountError::Empty))
    ));
    assert!(matches!(
        s.set_passcode("a\nb", &code("1111")),
        Err(StaffError::BadAccount(AccountError::NotPrintable(2)))
    ));
    assert!(matches!(
        s.set_passcode(&"a".repeat(33), &code("1111")),
        Err(StaffError::BadAccount(AccountError::TooLong(33)))
    ));
    assert!(matches!(
        s.revoke(&"a".repeat(100)),
        Err(StaffError::BadAccount(AccountError::TooLong(100)))
    ));
    assert!(!dir.path().join(AUDIT_FILE).exists(), "nothing bad audited");
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
fn entries_that_would_hang_a_check_count_as_corrupt() {
    // A file written by someone else may ask for any cost: a PBKDF2 count of
    // four billion, or Argon2id memory the board does not have, would freeze
    // the counter at every check. Such a store is set aside like a corrupt one.
    let huge_pbkdf2 = r#"{"version":1,"entries":[{"account":"a","iterations":4000000000,"salt":"AAAAAAAAAAA=","hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#;
    let fair = huge_pbkdf2.replace("4000000000", "1000000");
    for (text, kept) in [(huge_pbkdf2.to_owned(), 0), (fair, 1)] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        assert_eq!(store(dir.path()).accounts().len(), kept);
    }
    let big = kdf::Argon2Cost {
        m_kib: 1024 * 1024,
        t: 1,
        p: 1,
    };
    assert!(!big.is_acceptable());
    assert!(kdf::Argon2Cost {
        m_kib: 64 * 1024,
        ..big
    }
    .is_acceptable());
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

#[test]
fn a_change_by_another_process_is_seen_at_the_next_check() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = store(dir.path());
    daemon.set_passcode("staff-01", &code("1111")).unwrap();
    assert!(matches!(
        daemon.check(&code("1111")),
        StaffCheck::Accepted { .. }
    ));
    // `kaonin passcode revoke` is another process: another store on the same files.
    let cli = store(dir.path());
    assert!(cli.revoke("staff-01").unwrap());
    assert!(matches!(
        daemon.check(&code("1111")),
        StaffCheck::Rejected { .. }
    ));
    // And a passcode set from outside works at once too.
    cli.set_passcode("staff-02", &code("2222")).unwrap();
    assert_eq!(
        daemon.check(&code("2222")),
        StaffCheck::Accepted {
            account: "staff-02".into()
        }
    );
    assert_eq!(daemon.accounts(), ["staff-02"]);
}

#[test]
fn two_writers_never_lose_each_others_change() {
    let dir = tempfile::tempdir().unwrap();
    let a = store(dir.path());
    let b = store(dir.path());
    a.set_passcode("from-a", &code("1111")).unwrap();
    // b has not looked at the file since a wrote it: it must not write it back without a's entry.
    b.set_passcode("from-b", &code("2222")).unwrap();
    let mut names: Vec<String> = stored(dir.path())
        .entries
        .into_iter()
        .map(|e| e.account)
        .collect();
    names.sort();
    assert_eq!(names, ["from-a", "from-b"]);
}

#[test]
fn at_most_64_accounts() {
    let dir = tempfile::tempdir().unwrap();
    // A full store: one key derivation, a MAC per account.
    let key = kdf::StoreKey::new().unwrap();
    let derived = key.derive(b"1234").unwrap();
    let entry = |i: usize| Entry {
        account: format!("staff-{i:02}"),
        hash: EntryHash::Keyed {
            mac: derived.mac(&format!("staff-{i:02}")),
        },
    };
    let entries: Vec<Entry> = (0..MAX_ACCOUNTS).map(entry).collect();
    let text = serde_json::to_vec(&StoreFile {
        version: 3,
        key: Some(key.clone()),
        entries: entries.clone(),
    })
    .unwrap();
    std::fs::write(dir.path().join(FILE_NAME), &text).unwrap();
    let s = store(dir.path());
    assert_eq!(s.accounts().len(), 64);
    assert_eq!(
        s.check(&code("1234")),
        StaffCheck::Accepted {
            account: "staff-00".into()
        }
    );
    assert!(matches!(
        s.set_passcode("one-more", &code("1111")),
        Err(StaffError::TooManyAccounts)
    ));
    // Replacing an existing account's passcode is still allowed.
    s.set_passcode("staff-00", &code("1111")).unwrap();
    assert_eq!(s.accounts().len(), 64);
    // A file with 65 entries was not written by kaonin: quarantined.
    let mut more = entries;
    more.push(entry(64));
    let text = serde_json::to_vec(&StoreFile {
        version: 3,
        key: Some(key),
        entries: more,
    })
    .unwrap();
    std::fs::write(dir.path().join(FILE_NAME), &text).unwrap();
    assert!(store(dir.path()).accounts().is_empty());
}

#[test]
fn old_pbkdf2_entries_verify_and_are_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let old = StoreFile {
        version: 1,
        key: None,
        entries: vec![
            Entry {
                account: "old-1".into(),
                hash: EntryHash::Own(kdf::legacy_pbkdf2(b"1111", 100_000)),
            },
            Entry {
                account: "old-2".into(),
                hash: EntryHash::Own(kdf::legacy_pbkdf2(b"2222", 100_000)),
            },
        ],
    };
    let text = serde_json::to_vec(&old).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("\"iterations\":100000"));
    std::fs::write(dir.path().join(FILE_NAME), &text).unwrap();
    let s = store(dir.path());
    // Accepted: that entry is re-hashed with Argon2id.
    assert_eq!(
        s.check(&code("1111")),
        StaffCheck::Accepted {
            account: "old-1".into()
        }
    );
    let file = stored(dir.path());
    assert_eq!(file.version, 3);
    let keyed = |f: &StoreFile, name: &str| {
        matches!(
            f.entries.iter().find(|e| e.account == name).unwrap().hash,
            EntryHash::Keyed { .. }
        )
    };
    assert!(keyed(&file, "old-1"));
    assert!(!keyed(&file, "old-2"), "not accepted yet: still PBKDF2");
    // Set: re-keyed too; both still verify.
    s.set_passcode("old-2", &code("2222")).unwrap();
    let file = stored(dir.path());
    assert!(keyed(&file, "old-1") && keyed(&file, "old-2"));
    for (c, name) in [("1111", "old-1"), ("2222", "old-2")] {
        assert_eq!(
            store(dir.path()).check(&code(c)),
            StaffCheck::Accepted {
                account: name.into()
            }
        );
    }
}

#[test]
fn the_lockout_escalates_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Staff::open_with(dir.path(), LockoutPolicy::escalating(3)).unwrap();
    let s = open();
    s.set_passcode("a", &code("1111")).unwrap();
    let mut now = 1_800_000_000;
    for step in [60, 300, 1800] {
        let s = open();
        s.check_at(&code("0000"), now);
        s.check_at(&code("0000"), now);
        assert_eq!(
            s.check_at(&code("0000"), now),
            StaffCheck::LockedOut {
                retry_after_s: step
            }
        );
        drop(s);
        // Restarted: still locked, the time counts on.
        assert_eq!(
            open().check_at(&code("1111"), now + 30),
            StaffCheck::LockedOut {
                retry_after_s: step - 30
            }
        );
        now += step;
    }
    // A right passcode after the lock-out brings the ladder back to the start.
    assert!(matches!(
        open().check_at(&code("1111"), now),
        StaffCheck::Accepted { .. }
    ));
    let s = open();
    for _ in 0..2 {
        s.check_at(&code("0000"), now);
    }
    assert_eq!(
        s.check_at(&code("0000"), now),
        StaffCheck::LockedOut { retry_after_s: 60 }
    );
}

#[test]
fn check_account_checks_only_that_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.set_passcode("a", &code("1111")).unwrap();
    s.set_passcode("b", &code("2222")).unwrap();
    assert_eq!(
        s.check_account("b", &code("2222")),
        StaffCheck::Accepted {
            account: "b".into()
        }
    );
    assert!(matches!(
        s.check_account("a", &code("2222")),
        StaffCheck::Rejected { .. }
    ));
}

#[test]
fn a_full_audit_log_moves_aside_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let path = dir.path().join(AUDIT_FILE);
    std::fs::write(&path, vec![b'x'; AUDIT_MAX_BYTES as usize + 1]).unwrap();
    s.audit(&AuditEntry::StaffPasscodeRejected).unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join(format!("{AUDIT_FILE}.1")))
            .unwrap()
            .len(),
        AUDIT_MAX_BYTES + 1
    );
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("staff_passcode_rejected"));
}
