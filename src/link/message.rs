//! The messages of the PC link protocol, version 1 (CONTRACT §4), as serde types.
//!
//! Every message is one JSON object with a `type` field. Unknown fields are ignored
//! (so either side may add fields compatibly); unknown types, missing fields and
//! wrong types are rejected by [`parse_from_pc`] / [`parse_from_reader`] with a
//! message fit for the `{"type":"error"}` reply.
//!
//! Extensions (documented in docs/pc-link.md): `ping`/`pong` in both directions for
//! liveness, `ok` and `error` from the reader, `stale` on identities, the
//! operations figures (`stats_request` → `stats`), and 利用登録: the ack result
//! `not_registered`, the `registration` message and the ack's `for`.

use crate::flow::{
    AckResult, Consent, ConsentMode, Identity, KenmenFacts, Method, PcEventKind, Prescription,
};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The protocol version carried by `hello`.
pub const PROTOCOL: u32 = 1;

/// An identity record as sent to the PC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityMsg {
    /// UUIDv4, the idempotency key.
    pub id: String,
    /// When the identity was verified (RFC 3339 UTC).
    pub at: String,
    /// The terminal that verified it.
    pub terminal_id: String,
    /// How it was verified.
    pub method: Method,
    /// Base64 DER of the user-authentication certificate.
    pub certificate: String,
    /// Base64 card signature over the UTF-8 bytes of `id` (PIN and smartphone paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_signature: Option<String>,
    /// Face match score (face path only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_score: Option<f32>,
    /// The staff account of the visual check (visual path only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_account: Option<String>,
    /// The consent given.
    pub consent: Consent,
    /// How it was given.
    pub consent_mode: ConsentMode,
    /// Extension: the 券面AP's issuer-signed birth date and sex (DF22, DF23), present
    /// only when the card-face data chained to a trusted issuer.
    /// (Boxed to keep the message types small.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kenmen: Option<Box<KenmenFacts>>,
    /// Extension: the prescription form the patient chose (`paper` or
    /// `electronic`); only when the terminal asks (`[policy] prescription_choice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription: Option<Prescription>,
    /// Extension: true when the record waited in the outbox longer than the
    /// configured age (consent validity); the PC decides what to do.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stale: bool,
    /// Extension: the terminal's signature over the identity's canonical bytes
    /// (ECDSA P-256, base64), set as it is sent; see `link::signature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_signature: Option<String>,
}

/// Extension: the patient agreed at the terminal to register the card for
/// health-insurance use (利用登録) after the PC answered the identity `id` with
/// `not_registered`. Durable like an identity (the outbox keys it by `id` and
/// kind), acked with `"for":"registration"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationMsg {
    /// The id of the identity the PC answered `not_registered`.
    pub id: String,
    /// When the patient agreed (RFC 3339 UTC).
    pub at: String,
    /// The terminal the patient agreed on.
    pub terminal_id: String,
    /// The patient's answer to 利用登録に同意しますか: always `true` (a patient who
    /// declines sends nothing).
    pub agreed: bool,
    /// True when the record waited in the outbox longer than the configured age.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stale: bool,
    /// The terminal's signature over the canonical bytes (as for identities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_signature: Option<String>,
}

impl RegistrationMsg {
    /// The registration of identity `id`, agreed at `at` on `terminal_id`.
    pub fn new(id: &str, terminal_id: &str, at: String) -> Self {
        RegistrationMsg {
            id: id.into(),
            at,
            terminal_id: terminal_id.into(),
            agreed: true,
            stale: false,
            terminal_signature: None,
        }
    }
}

/// Extension: what an `ack` answers (`for`). Absent: an identity, as every PC
/// before this extension sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckFor {
    /// The identity with the ack's id (the default).
    #[default]
    Identity,
    /// The `registration` with the ack's id.
    Registration,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl IdentityMsg {
    /// The wire form of a flow identity, verified at `at` on `terminal_id`.
    /// Only the fields that belong to the identity's method are carried.
    pub fn from_identity(identity: &Identity, terminal_id: &str, at: String) -> Self {
        let face = identity.method == Method::Face;
        let visual = identity.method == Method::Visual;
        IdentityMsg {
            id: identity.id.clone(),
            at,
            terminal_id: terminal_id.to_owned(),
            method: identity.method,
            certificate: B64.encode(&identity.certificate),
            card_signature: identity.card_signature.as_ref().map(|s| B64.encode(s)),
            face_score: identity.face_score.filter(|_| face),
            staff_account: identity.staff_account.clone().filter(|_| visual),
            consent: identity.consent,
            consent_mode: identity.consent_mode,
            kenmen: identity.kenmen.clone().map(Box::new),
            prescription: identity.prescription,
            stale: false,
            terminal_signature: None,
        }
    }
}

/// Reader → PC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReaderMsg {
    /// First message on every connection.
    Hello {
        protocol: u32,
        terminal_id: String,
        software: String,
    },
    /// A verified identity (durable; re-sent until acked).
    Identity(IdentityMsg),
    /// Extension: the patient agreed to 利用登録 (durable; re-sent until acked
    /// with `"for":"registration"`).
    Registration(RegistrationMsg),
    /// Something happened (best effort).
    Event {
        kind: PcEventKind,
        at: String,
        detail: String,
    },
    /// The terminal's state.
    Status {
        state: String,
        card_present: bool,
        outbox: usize,
        /// Extension: devices not working (`reader`, `camera`, …); omitted when none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        failed_devices: Vec<String>,
    },
    /// Extension: a PC request was carried out (`of` names it).
    Ok {
        of: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    /// A line from the PC could not be understood or carried out.
    Error { message: String },
    /// Extension: liveness probe; answer `pong`.
    Ping,
    /// Extension: answer to `ping`.
    Pong,
    /// Extension: the operations figures, in answer to `stats_request`. Keys are
    /// the Prometheus metric names of docs/board.md (see `Stats::figures`).
    Stats {
        /// When the figures were taken (RFC 3339 UTC).
        at: String,
        figures: serde_json::Value,
    },
}

/// PC → reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PcMsg {
    /// The PC's answer to an identity (or, extension, to a registration).
    Ack {
        id: String,
        result: AckResult,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// Extension: `"for":"registration"` answers the `registration` with this
        /// id; absent (or `identity`) the identity.
        #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
        of: Option<AckFor>,
    },
    /// Provision a staff passcode (4 digits).
    SetPasscode { account: String, passcode: String },
    /// Remove a staff account's passcode.
    RevokePasscode { account: String },
    /// Ask for a `status` message.
    StatusRequest,
    /// End the current session.
    Cancel,
    /// Extension: the PC's `ok` to something (ignored by the reader).
    Ok {
        #[serde(default)]
        of: Option<String>,
    },
    /// A line from the reader could not be understood.
    Error { message: String },
    /// Extension: liveness probe; answer `pong`.
    Ping,
    /// Extension: answer to `ping`.
    Pong,
    /// Extension: ask for a `stats` message (the operations figures).
    StatsRequest,
    /// Extension: arm visual-check mode for a staff account (answered `ok` or
    /// `error`; refused while a patient is entering a PIN).
    ArmVisual { account: String },
    /// Extension: disarm visual-check mode (answered `ok` or `error`).
    Disarm,
}

const READER_TYPES: [&str; 10] = [
    "hello",
    "identity",
    "registration",
    "event",
    "status",
    "ok",
    "error",
    "ping",
    "pong",
    "stats",
];
const PC_TYPES: [&str; 12] = [
    "ack",
    "set_passcode",
    "revoke_passcode",
    "status_request",
    "cancel",
    "ok",
    "error",
    "ping",
    "pong",
    "stats_request",
    "arm_visual",
    "disarm",
];

/// Why a line is not a message; the text goes into the `error` reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not UTF-8.
    #[error("line is not valid UTF-8")]
    NotUtf8,
    /// Not JSON, or not a JSON object.
    #[error("line is not a JSON object: {0}")]
    NotJson(String),
    /// No `type` string.
    #[error("missing string field `type`")]
    NoType,
    /// A `type` this side does not know.
    #[error("unknown type `{0}`")]
    UnknownType(String),
    /// A known type with missing or mistyped fields.
    #[error("bad `{kind}` message: {reason}")]
    BadFields { kind: String, reason: String },
}

/// Parses one line the PC sent.
pub fn parse_from_pc(line: &[u8]) -> Result<PcMsg, MessageError> {
    parse(line, &PC_TYPES)
}

/// Parses one line the reader sent.
pub fn parse_from_reader(line: &[u8]) -> Result<ReaderMsg, MessageError> {
    parse(line, &READER_TYPES)
}

fn parse<T: serde::de::DeserializeOwned>(line: &[u8], known: &[&str]) -> Result<T, MessageError> {
    let text = std::str::from_utf8(line).map_err(|_| MessageError::NotUtf8)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| MessageError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(MessageError::NotJson("not an object".into()));
    }
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or(MessageError::NoType)?
        .to_owned();
    if !known.contains(&kind.as_str()) {
        return Err(MessageError::UnknownType(truncate(&kind, 64)));
    }
    serde_json::from_value(value).map_err(|e| {
        // serde's text can quote a value; never echo (or log) a passcode.
        let reason = if kind == "set_passcode" {
            "needs string fields `account` and `passcode`".into()
        } else {
            e.to_string()
        };
        MessageError::BadFields { kind, reason }
    })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// One message as a JSON line (with the trailing `\n`).
pub fn to_line<T: Serialize>(msg: &T) -> Vec<u8> {
    // Serializing these plain data types cannot fail (no maps with non-string keys).
    let mut line = serde_json::to_vec(msg).unwrap_or_else(|_| b"{}".to_vec());
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn identity(method: Method) -> Identity {
        Identity {
            id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            method,
            certificate: vec![0x30, 0x82, 0x01],
            card_signature: matches!(method, Method::Pin | Method::Smartphone)
                .then(|| vec![1, 2, 3]),
            face_score: Some(0.875),
            staff_account: Some("staff-01".into()),
            consent: Consent::all(),
            consent_mode: ConsentMode::All,
            kenmen: None,
            prescription: None,
        }
    }

    fn wire(method: Method) -> Value {
        let msg = ReaderMsg::Identity(IdentityMsg::from_identity(
            &identity(method),
            "reception-1",
            "2026-11-25T21:00:00Z".into(),
        ));
        serde_json::from_slice(&to_line(&msg)).unwrap()
    }

    #[test]
    fn identity_face_shape_is_exactly_the_contract() {
        assert_eq!(
            wire(Method::Face),
            json!({"type":"identity","id":"0f8fad5b-d9cb-469f-a165-70867728950e",
                   "at":"2026-11-25T21:00:00Z","terminal_id":"reception-1","method":"face",
                   "certificate":"MIIB","face_score":0.875,
                   "consent":{"medication":true,"medical_history":true,"surgery":true,"health_checkup":true},
                   "consent_mode":"all"})
        );
    }

    #[test]
    fn identity_pin_carries_signature_only() {
        let v = wire(Method::Pin);
        assert_eq!(v["card_signature"], "AQID");
        assert!(v.get("face_score").is_none());
        assert!(v.get("staff_account").is_none());
        assert!(v.get("stale").is_none());
    }

    #[test]
    fn identity_visual_carries_staff_account_only() {
        let v = wire(Method::Visual);
        assert_eq!(v["staff_account"], "staff-01");
        assert_eq!(v["method"], "visual");
        assert!(v.get("face_score").is_none());
        assert!(v.get("card_signature").is_none());
    }

    #[test]
    fn reader_messages_round_trip() {
        let msgs = vec![
            ReaderMsg::Hello {
                protocol: 1,
                terminal_id: "t".into(),
                software: "kaonin 0.1.0".into(),
            },
            ReaderMsg::Identity(IdentityMsg {
                stale: true,
                ..IdentityMsg::from_identity(&identity(Method::Pin), "t", "x".into())
            }),
            ReaderMsg::Event {
                kind: PcEventKind::PinLocked,
                at: "2026-11-25T21:00:00Z".into(),
                detail: "d".into(),
            },
            ReaderMsg::Status {
                state: "idle".into(),
                card_present: false,
                outbox: 3,
                failed_devices: vec!["camera".into()],
            },
            ReaderMsg::Ok {
                of: "set_passcode".into(),
                account: Some("staff-01".into()),
            },
            ReaderMsg::Error {
                message: "m".into(),
            },
            ReaderMsg::Registration(RegistrationMsg {
                stale: true,
                terminal_signature: Some("c2ln".into()),
                ..RegistrationMsg::new("u", "t", "2026-11-25T21:00:00Z".into())
            }),
            ReaderMsg::Ping,
            ReaderMsg::Pong,
            ReaderMsg::Stats {
                at: "2026-11-25T21:00:00Z".into(),
                figures: json!({"kaonin_pin_locks_total": 2, "kaonin_link_up": 1}),
            },
        ];
        for msg in msgs {
            let line = to_line(&msg);
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(parse_from_reader(&line[..line.len() - 1]), Ok(msg));
        }
    }

    #[test]
    fn pc_messages_round_trip_and_contract_examples_parse() {
        let examples = [
            r#"{"type":"ack","id":"u","result":"not_found","message":"窓口へ"}"#,
            r#"{"type":"set_passcode","account":"staff-01","passcode":"1234"}"#,
            r#"{"type":"revoke_passcode","account":"staff-01"}"#,
            r#"{"type":"status_request"}"#,
            r#"{"type":"cancel"}"#,
            r#"{"type":"ack","id":"u","result":"eligible"}"#,
            r#"{"type":"stats_request"}"#,
            r#"{"type":"ack","id":"u","result":"not_registered","message":"利用登録なし"}"#,
            r#"{"type":"ack","id":"u","result":"eligible","for":"registration"}"#,
            r#"{"type":"ack","id":"u","result":"eligible","for":"identity"}"#,
        ];
        for text in examples {
            let msg = parse_from_pc(text.as_bytes()).unwrap();
            let again = to_line(&msg);
            assert_eq!(parse_from_pc(&again[..again.len() - 1]).unwrap(), msg);
        }
        assert_eq!(
            parse_from_pc(br#"{"type":"status","state":"idle","card_present":true,"outbox":0}"#),
            Err(MessageError::UnknownType("status".into()))
        );
    }

    #[test]
    fn ack_results_of_before_parse_unchanged_and_not_registered_is_added() {
        for (text, want) in [
            ("eligible", AckResult::Eligible),
            ("not_eligible", AckResult::NotEligible),
            ("not_found", AckResult::NotFound),
            ("error", AckResult::Error),
            ("not_registered", AckResult::NotRegistered),
        ] {
            let line = format!(r#"{{"type":"ack","id":"u","result":"{text}"}}"#);
            assert_eq!(
                parse_from_pc(line.as_bytes()),
                Ok(PcMsg::Ack {
                    id: "u".into(),
                    result: want,
                    message: None,
                    of: None,
                }),
                "{text}"
            );
        }
        // An old PC's ack is written back without `for`.
        let plain = PcMsg::Ack {
            id: "u".into(),
            result: AckResult::Eligible,
            message: None,
            of: None,
        };
        let v: Value = serde_json::from_slice(&to_line(&plain)).unwrap();
        assert_eq!(v, json!({"type":"ack","id":"u","result":"eligible"}));
        let e =
            parse_from_pc(br#"{"type":"ack","id":"u","result":"eligible","for":"x"}"#).unwrap_err();
        assert!(matches!(e, MessageError::BadFields { .. }), "{e}");
    }

    #[test]
    fn registration_shape() {
        let msg = ReaderMsg::Registration(RegistrationMsg::new(
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "reception-1",
            "2026-11-25T21:00:05Z".into(),
        ));
        let v: Value = serde_json::from_slice(&to_line(&msg)).unwrap();
        assert_eq!(
            v,
            json!({"type":"registration","id":"0f8fad5b-d9cb-469f-a165-70867728950e",
                   "at":"2026-11-25T21:00:05Z","terminal_id":"reception-1","agreed":true})
        );
        // The PC side reads it back; `agreed` is required.
        let line = to_line(&msg);
        assert_eq!(parse_from_reader(&line[..line.len() - 1]), Ok(msg));
        assert!(matches!(
            parse_from_reader(br#"{"type":"registration","id":"u","at":"x","terminal_id":"t"}"#),
            Err(MessageError::BadFields { .. })
        ));
    }

    #[test]
    fn status_shape() {
        let v: Value = serde_json::from_slice(&to_line(&ReaderMsg::Status {
            state: "idle".into(),
            card_present: true,
            outbox: 0,
            failed_devices: Vec::new(),
        }))
        .unwrap();
        assert_eq!(
            v,
            json!({"type":"status","state":"idle","card_present":true,"outbox":0})
        );
    }

    #[test]
    fn bad_lines_are_typed_errors() {
        assert_eq!(parse_from_pc(b"\xff\xfe"), Err(MessageError::NotUtf8));
        assert!(matches!(
            parse_from_pc(b"{nope"),
            Err(MessageError::NotJson(_))
        ));
        assert!(matches!(
            parse_from_pc(b"[1,2]"),
            Err(MessageError::NotJson(_))
        ));
        assert_eq!(parse_from_pc(b"{}"), Err(MessageError::NoType));
        assert_eq!(parse_from_pc(br#"{"type":7}"#), Err(MessageError::NoType));
        assert_eq!(
            parse_from_pc(br#"{"type":"launch"}"#),
            Err(MessageError::UnknownType("launch".into()))
        );
        let e = parse_from_pc(br#"{"type":"ack","result":"eligible"}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `id`"), "{e}");
        let e = parse_from_pc(br#"{"type":"ack","id":"u","result":"maybe"}"#).unwrap_err();
        assert!(matches!(e, MessageError::BadFields { .. }), "{e}");
    }

    #[test]
    fn a_malformed_set_passcode_never_echoes_the_passcode() {
        let e = parse_from_pc(br#"{"type":"set_passcode","account":"a","passcode":9753}"#)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("9753"), "{e}");
        assert!(e.contains("set_passcode"), "{e}");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(
            parse_from_pc(br#"{"type":"cancel","reason":"x"}"#),
            Ok(PcMsg::Cancel)
        );
    }
}
