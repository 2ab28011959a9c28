//! Text catalogs (`assets/i18n/<lang>.toml`): one flat table of `section.key` →
//! text per language, checked when the UI starts — every key the screens use must be
//! present, no unknown key is allowed (a typo would otherwise hide a string), and
//! every character must have a glyph in the font.
//!
//! The catalogs are embedded like the fonts, so the binary needs no data files.

use super::font::Fonts;
use super::UiError;
use crate::flow::Lang;
use std::collections::BTreeMap;

/// The keys the screens use. Every catalog has exactly these.
pub const KEYS: &[&str] = &[
    "meta.name",
    "common.status",
    "common.pin_delete",
    "common.preview",
    "button.face",
    "button.pin",
    "button.ok",
    "button.cancel",
    "button.consent_all",
    "button.consent_individual",
    "button.yes",
    "button.no",
    "button.phone",
    "button.lang",
    "button.staff",
    "button.confirm",
    "button.not_patient",
    "button.paper",
    "button.electronic",
    "idle.title",
    "idle.instruction",
    "reading.title",
    "reading.instruction",
    "card_error.title",
    "card_error.not_my_number_card",
    "card_error.unreadable",
    "card_error.certificate_expired",
    "card_error.certificate_invalid",
    "card_error.not_genuine",
    "card_error.kenmen_not_genuine",
    "card_error.not_answering",
    "card_error.phone_not_authenticated",
    "card_error.removed",
    "card_error.reader_fault",
    "card_error.unknown",
    "method_select.title",
    "method_select.instruction",
    "method_select.instruction_face_only",
    "method_select.instruction_pin_only",
    "method_select.instruction_staff",
    "method_select.auto_face",
    "face.title",
    "face.instruction",
    "face.attempts",
    "face.no_face",
    "face.several_faces",
    "face.too_far",
    "face.too_dark",
    "face.mask",
    "face.head_turned",
    "face.hold_still",
    "pin.title",
    "pin.instruction",
    "pin.instruction_phone",
    "pin.tries_left",
    "pin.last_try",
    "pin_locked.title",
    "pin_locked.instruction",
    "visual_armed.title",
    "visual_armed.instruction",
    "visual_armed.banner",
    "visual_armed.confirm_title",
    "visual_armed.confirm_instruction",
    "staff_passcode.title",
    "staff_passcode.instruction",
    "staff_passcode.attempts_left",
    "phone.title",
    "phone.instruction",
    "consent.title",
    "consent.instruction",
    "prescription.title",
    "prescription.instruction",
    "registration.title",
    "registration.instruction",
    "registration.question",
    "registration_sent.title",
    "registration_sent.instruction",
    "consent_items.title",
    "consent_items.instruction",
    "consent_item.medication",
    "consent_item.medical_history",
    "consent_item.surgery",
    "consent_item.health_checkup",
    "sending.title",
    "sending.instruction",
    "done.title",
    "done.instruction",
    "done.title_problem",
    "done.not_eligible",
    "done.not_found",
    "done.error",
    "done.not_registered",
    "done.message",
    "sent_offline.title",
    "sent_offline.instruction",
    "staff_call.title",
    "staff_call.outbox_failed",
    "staff_call.no_method_left",
    "staff_call.device_fault",
    "staff_call.restarting",
    "staff_call.devices",
    "staff_call.separator",
    "device.reader",
    "device.phone_reader",
    "device.camera",
    "device.display",
    "device.input",
    "staff_call.unknown",
    "staff_notice.wrong_passcode",
    "staff_notice.locked_out",
    "card_face.place_flat",
    "card_face.hold_still",
    "card_face.glare",
    "card_face.western_calendar",
    "card_face.unknown_layout",
    "card_face.unreadable",
    "card_face.key_refused",
    "card_face.counter_low",
];

/// The embedded catalog source of `lang`.
pub fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => include_str!("../../assets/i18n/ja.toml"),
        Lang::En => include_str!("../../assets/i18n/en.toml"),
    }
}

/// One language's strings.
#[derive(Debug, Clone)]
pub struct Catalog {
    lang: Lang,
    strings: BTreeMap<String, String>,
}

impl Catalog {
    /// Parses and checks a catalog against [`KEYS`] and the font.
    pub fn parse(lang: Lang, text: &str, fonts: &Fonts) -> Result<Catalog, UiError> {
        let bad = |reason: String| UiError::Catalog {
            lang: lang.as_str().to_string(),
            reason,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut strings = BTreeMap::new();
        for (section, value) in table {
            let toml::Value::Table(entries) = value else {
                return Err(bad(format!("`{section}` must be a table")));
            };
            for (key, value) in entries {
                let name = format!("{section}.{key}");
                let toml::Value::String(s) = value else {
                    return Err(bad(format!("`{name}` must be a string")));
                };
                strings.insert(name, s);
            }
        }
        if let Some(missing) = KEYS.iter().find(|k| !strings.contains_key(**k)) {
            return Err(bad(format!("missing key `{missing}`")));
        }
        if let Some(extra) = strings.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(format!("unknown key `{extra}`")));
        }
        for (key, s) in &strings {
            if let Some(c) = s.chars().find(|&c| !fonts.has_glyph(c)) {
                return Err(bad(format!(
                    "`{key}` uses {c:?} (U+{:04X}), which the font lacks",
                    c as u32
                )));
            }
        }
        Ok(Catalog { lang, strings })
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text of `key` (one of [`KEYS`]; a checked catalog has them all).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn fonts() -> &'static Fonts {
        static FONTS: OnceLock<Fonts> = OnceLock::new();
        FONTS.get_or_init(|| Fonts::load(None).expect("embedded fonts"))
    }

    fn reason(result: Result<Catalog, UiError>) -> String {
        match result {
            Err(UiError::Catalog { reason, .. }) => reason,
            other => panic!("expected a catalog error, got {other:?}"),
        }
    }

    #[test]
    fn shipped_catalogs_are_complete_and_drawable() {
        for lang in Lang::ALL {
            let cat = Catalog::parse(lang, source(lang), fonts()).unwrap();
            for key in KEYS {
                assert!(
                    !cat.get(key).trim().is_empty(),
                    "{key} is empty in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn the_files_on_disk_are_the_embedded_ones() {
        for lang in Lang::ALL {
            let path = format!(
                "{}/assets/i18n/{}.toml",
                env!("CARGO_MANIFEST_DIR"),
                lang.as_str()
            );
            assert_eq!(std::fs::read_to_string(path).unwrap(), source(lang));
        }
    }

    #[test]
    fn a_missing_key_is_an_error() {
        let text = source(Lang::Ja).replace("pin_delete = ", "pin_erase = ");
        let r = reason(Catalog::parse(Lang::Ja, &text, fonts()));
        assert!(r.contains("common.pin_delete"), "{r}");
    }

    #[test]
    fn an_unknown_key_is_an_error() {
        let text = format!("{}\n[extra]\nword = \"x\"\n", source(Lang::En));
        let r = reason(Catalog::parse(Lang::En, &text, fonts()));
        assert!(r.contains("extra.word"), "{r}");
    }

    #[test]
    fn a_glyph_the_font_lacks_is_an_error() {
        // 𠮷 (U+20BB7) is outside JIS X 0208 and not in the shipped subset.
        let text =
            source(Lang::Ja).replace("title = \"読み取り中です\"", "title = \"𠮷読み取り中です\"");
        let r = reason(Catalog::parse(Lang::Ja, &text, fonts()));
        assert!(r.contains("reading.title") && r.contains("U+20BB7"), "{r}");
    }

    #[test]
    fn non_strings_and_bad_toml_are_errors() {
        let text = source(Lang::En).replace("ok = \"OK\"", "ok = 1");
        assert!(reason(Catalog::parse(Lang::En, &text, fonts())).contains("button.ok"));
        assert!(!reason(Catalog::parse(Lang::En, "[meta", fonts())).is_empty());
    }

    #[test]
    fn placeholders_are_filled() {
        let cat = Catalog::parse(Lang::Ja, source(Lang::Ja), fonts()).unwrap();
        assert_eq!(cat.fill("pin.tries_left", &[("n", "2")]), "残り 2 回");
    }
}
