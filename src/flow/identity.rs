//! The identity record the flow hands to the PC link: how the patient was
//! verified ([`Method`]) and what they consented to share ([`Consent`]).

use serde::{Deserialize, Serialize};

/// How the patient's identity was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Face match against the card photo.
    Face,
    /// Card PIN VERIFY.
    Pin,
    /// Staff visual check (目視確認).
    Visual,
    /// Smartphone e-certificate.
    Smartphone,
}

/// One consent item of the 同意画面.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentItem {
    /// 薬剤情報.
    Medication,
    /// 診療情報.
    MedicalHistory,
    /// 手術情報.
    Surgery,
    /// 特定健診等情報.
    HealthCheckup,
}

impl ConsentItem {
    /// The items in the order the screens ask them.
    pub const ALL: [ConsentItem; 4] = [
        ConsentItem::Medication,
        ConsentItem::MedicalHistory,
        ConsentItem::Surgery,
        ConsentItem::HealthCheckup,
    ];
}

/// The patient's consent to share each kind of information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consent {
    /// 薬剤情報.
    pub medication: bool,
    /// 診療情報.
    pub medical_history: bool,
    /// 手術情報.
    pub surgery: bool,
    /// 特定健診等情報.
    pub health_checkup: bool,
}

impl Consent {
    /// Consent to every item (包括同意).
    pub fn all() -> Self {
        Consent {
            medication: true,
            medical_history: true,
            surgery: true,
            health_checkup: true,
        }
    }

    /// Sets the answer for `item`.
    pub fn set(&mut self, item: ConsentItem, yes: bool) {
        match item {
            ConsentItem::Medication => self.medication = yes,
            ConsentItem::MedicalHistory => self.medical_history = yes,
            ConsentItem::Surgery => self.surgery = yes,
            ConsentItem::HealthCheckup => self.health_checkup = yes,
        }
    }

    /// The answer for `item`.
    pub fn get(&self, item: ConsentItem) -> bool {
        match item {
            ConsentItem::Medication => self.medication,
            ConsentItem::MedicalHistory => self.medical_history,
            ConsentItem::Surgery => self.surgery,
            ConsentItem::HealthCheckup => self.health_checkup,
        }
    }
}

/// Whether consent was given in one tap or item by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentMode {
    /// 同意する (包括同意).
    All,
    /// 個別に同意する.
    Individual,
}

/// How the patient wants the prescription issued (処方箋の発行形態), asked after
/// consent when `[policy] prescription_choice` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prescription {
    /// 紙の処方箋.
    Paper,
    /// 電子処方箋.
    Electronic,
}

/// A verified identity, ready for the PC (the link adds time and terminal id).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// UUIDv4, the PC's idempotency key.
    pub id: String,
    /// How the identity was verified.
    pub method: Method,
    /// The user-authentication certificate, DER.
    pub certificate: Vec<u8>,
    /// The card's signature over `id` (PIN and smartphone paths).
    pub card_signature: Option<Vec<u8>>,
    /// Face match score (face path).
    pub face_score: Option<f32>,
    /// The staff account that did the visual check (visual path).
    pub staff_account: Option<String>,
    /// The consent given.
    pub consent: Consent,
    /// How it was given.
    pub consent_mode: ConsentMode,
    /// The 券面AP's issuer-signed birth date and sex, when read and verified.
    pub kenmen: Option<super::KenmenFacts>,
    /// The prescription form chosen (only when the policy asks for it).
    pub prescription: Option<Prescription>,
}
