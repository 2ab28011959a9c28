use super::*;
use crate::flow::{Consent, ConsentMode, Method};
use crate::link::message::{parse_from_reader, to_line, ReaderMsg};
use serde_json::json;

fn msg() -> IdentityMsg {
    IdentityMsg {
        id: "0b0e7b0c-2a4d-4e37-9d7a-9a3f3c1f0e11".into(),
        at: "2026-12-05T09:00:00Z".into(),
        terminal_id: "reception-1".into(),
        method: Method::Face,
        certificate: "MAMCAQA=".into(),
        card_signature: None,
        face_score: Some(0.9),
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        stale: false,
        kenmen: None,
        prescription: None,
        terminal_signature: None,
    }
}

/// The identity line as the PC receives it, parsed.
fn received(msg: &IdentityMsg) -> Value {
    let line = to_line(&ReaderMsg::Identity(msg.clone()));
    serde_json::from_slice(&line).unwrap()
}

fn new_signer() -> (tempfile::TempDir, TerminalSigner) {
    let dir = tempfile::tempdir().unwrap();
    let signer = TerminalSigner::load_or_create(dir.path()).unwrap();
    (dir, signer)
}

/// The canonical form is pinned byte for byte: sorted keys, no whitespace, no
/// `type` / `terminal_signature`, the f32 score as written on the wire.
#[test]
fn canonical_bytes_are_sorted_compact_and_leave_out_type_and_signature() {
    let mut value = received(&msg());
    value["terminal_signature"] = json!("AAAA");
    let bytes = canonical(&value).unwrap();
    let want = concat!(
        r#"{"at":"2026-12-05T09:00:00Z","certificate":"MAMCAQA=","#,
        r#""consent":{"health_checkup":true,"medical_history":true,"medication":true,"surgery":true},"#,
        r#""consent_mode":"all","face_score":0.9,"id":"0b0e7b0c-2a4d-4e37-9d7a-9a3f3c1f0e11","#,
        r#""method":"face","terminal_id":"reception-1"}"#
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), want);
    assert_eq!(canonical_identity(&msg()).unwrap(), want.as_bytes());
}

#[test]
fn nested_keys_are_sorted_and_non_ascii_is_written_as_is() {
    let value = json!({"type":"identity","b":{"z":1,"a":[{"y":null,"x":"受付\n"}]},"a":-2.5});
    let bytes = canonical(&value).unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"a":-2.5,"b":{"a":[{"x":"受付\n","y":null}],"z":1}}"#
    );
}

#[test]
fn a_signed_identity_verifies_however_the_line_is_laid_out() {
    let (_dir, signer) = new_signer();
    let signed = signer.sign(msg()).unwrap();
    let line = to_line(&ReaderMsg::Identity(signed.clone()));
    // It still parses as an identity on the PC side.
    assert!(matches!(
        parse_from_reader(&line[..line.len() - 1]),
        Ok(ReaderMsg::Identity(_))
    ));
    let value = received(&signed);
    verify(&value, signer.public_key()).unwrap();
    // Re-laid out (pretty, other key order): the same object, still valid.
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let reparsed: Value = serde_json::from_str(&pretty).unwrap();
    verify(&reparsed, signer.public_key()).unwrap();
}

#[test]
fn any_change_to_a_signed_identity_fails() {
    let (_dir, signer) = new_signer();
    let value = received(&signer.sign(msg()).unwrap());
    let changes: [(&str, Value); 5] = [
        ("face_score", json!(0.95)),
        ("method", json!("pin")),
        ("terminal_id", json!("reception-2")),
        ("stale", json!(true)),
        ("new_field", json!("x")),
    ];
    for (key, new) in changes {
        let mut forged = value.clone();
        forged[key] = new;
        assert!(
            matches!(
                verify(&forged, signer.public_key()),
                Err(SignatureError::DoesNotVerify)
            ),
            "{key} changed but still verifies"
        );
    }
    let mut removed = value.clone();
    removed.as_object_mut().unwrap().remove("certificate");
    assert!(matches!(
        verify(&removed, signer.public_key()),
        Err(SignatureError::DoesNotVerify)
    ));
}

#[test]
fn another_key_unsigned_or_garbled_signatures_fail() {
    let (_dir, signer) = new_signer();
    let (_other_dir, other) = new_signer();
    let value = received(&signer.sign(msg()).unwrap());
    assert!(matches!(
        verify(&value, other.public_key()),
        Err(SignatureError::DoesNotVerify)
    ));
    assert!(matches!(
        verify(&received(&msg()), signer.public_key()),
        Err(SignatureError::Missing)
    ));
    let mut garbled = value.clone();
    garbled["terminal_signature"] = json!("not base64!");
    assert!(matches!(
        verify(&garbled, signer.public_key()),
        Err(SignatureError::Malformed)
    ));
    garbled["terminal_signature"] = json!(12);
    assert!(matches!(
        verify(&garbled, signer.public_key()),
        Err(SignatureError::Malformed)
    ));
}

#[test]
fn signing_replaces_an_old_signature() {
    let (_dir, signer) = new_signer();
    let stale = IdentityMsg {
        terminal_signature: Some("b2xk".into()),
        ..msg()
    };
    let signed = signer.sign(stale).unwrap();
    assert_ne!(signed.terminal_signature.as_deref(), Some("b2xk"));
    verify(&received(&signed), signer.public_key()).unwrap();
}

#[test]
fn the_state_dir_key_is_made_once_private_and_its_public_key_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = TerminalSigner::load_or_create(&state).unwrap();
    let mode = std::fs::metadata(state.join(KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let public = std::fs::read_to_string(state.join(PUBLIC_KEY_FILE)).unwrap();
    assert_eq!(public, format!("{}\n", first.public_key_hex()));
    assert_eq!(parse_public_key(&public).unwrap(), first.public_key());
    let file = state.join(PUBLIC_KEY_FILE);
    assert_eq!(
        parse_public_key(file.to_str().unwrap()).unwrap(),
        first.public_key()
    );
    let again = TerminalSigner::load_or_create(&state).unwrap();
    assert_eq!(again.public_key(), first.public_key());
}

#[test]
fn a_damaged_key_is_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(KEY_FILE), b"not a key").unwrap();
    let err = TerminalSigner::load_or_create(dir.path()).unwrap_err();
    assert!(matches!(err, SignatureError::BadKey { .. }));
    assert!(
        err.to_string().contains("remove it to make a new one"),
        "{err}"
    );
}

/// With TLS the pairing key signs, and the PC finds the public key in the
/// terminal certificate it pins.
#[test]
fn the_pairing_key_signs_and_its_certificate_gives_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    crate::link::tls::pair(dir.path(), crate::link::Role::Terminal).unwrap();
    let (cert, key) = crate::link::tls::default_files(dir.path(), crate::link::Role::Terminal);
    let signer = TerminalSigner::for_link_key(&key, dir.path()).unwrap();
    assert_eq!(signer.path(), key);
    assert!(!dir.path().join(KEY_FILE).exists(), "no second key made");
    let der = std::fs::read(&cert).unwrap();
    assert_eq!(
        public_key_from_certificate(&der).unwrap(),
        signer.public_key()
    );
    assert_eq!(
        parse_public_key(cert.to_str().unwrap()).unwrap(),
        signer.public_key()
    );
    verify(&received(&signer.sign(msg()).unwrap()), signer.public_key()).unwrap();
}

#[test]
fn a_tls_key_that_is_not_p256_falls_back_to_the_state_dir_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("ed25519.key.der");
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    std::fs::write(&key, pkcs8.as_ref()).unwrap();
    let signer = TerminalSigner::for_link_key(&key, dir.path()).unwrap();
    assert_eq!(signer.path(), dir.path().join(KEY_FILE));
}

#[test]
fn public_keys_parse_only_when_well_formed() {
    assert!(parse_public_key("04").is_err());
    assert!(parse_public_key(&"05".repeat(65)).is_err());
    assert!(parse_public_key(&format!("04{}", "zz".repeat(64))).is_err());
    assert_eq!(
        parse_public_key(&format!("04{}", "ab".repeat(64)))
            .unwrap()
            .len(),
        65
    );
    assert!(public_key_from_certificate(&P256_SPKI_PREFIX).is_none());
}
