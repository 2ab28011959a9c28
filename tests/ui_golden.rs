//! Golden checks that are not brittle: the words of every screen variant (title,
//! instruction, detail, banner, status, button labels) are compared with
//! `tests/golden/ui-text.txt`, so a changed catalog string or a screen showing the
//! wrong text is caught without comparing pixels. Regenerate after an intended
//! change with `UPDATE_GOLDEN=1 cargo test --test ui_golden`.

// Uses the simulators and tools (cargo features `sim`, `tools`, on by default).
#![cfg(feature = "tools")]

use kaonin::flow::{Lang, ScreenId, ScreenParams};
use kaonin::tools::render::render_cli;
use kaonin::ui::content::button_key;
use kaonin::ui::{samples, Ui, UiError, UiOptions};
use std::path::Path;

/// The params that are set, in a form that does not change when fields are added.
fn params(p: &ScreenParams) -> String {
    let mut set = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            set.push(format!("{name}={v}"));
        }
    };
    add("tries_left", p.tries_left.map(|v| v.to_string()));
    add("phone_pin", p.phone_pin.then(|| "true".into()));
    add("guidance", p.guidance.map(|v| format!("{v:?}")));
    add(
        "face_attempt",
        p.face_attempt.map(|(a, b)| format!("{a}/{b}")),
    );
    add("card_error", p.card_error.map(|v| format!("{v:?}")));
    add("consent_item", p.consent_item.map(|v| format!("{v:?}")));
    add("ack", p.ack.map(|v| format!("{v:?}")));
    add(
        "ack_message",
        p.ack_message.as_ref().map(|m| format!("{m:?}")),
    );
    add("staff_reason", p.staff_reason.map(|v| format!("{v:?}")));
    add(
        "failed_devices",
        (!p.failed_devices.is_empty()).then(|| format!("{:?}", p.failed_devices)),
    );
    add("staff_notice", p.staff_notice.map(|v| format!("{v:?}")));
    add("visual_armed", p.visual_armed.then(|| "true".into()));
    add("pin_dots", (p.pin_dots > 0).then(|| p.pin_dots.to_string()));
    add("auto_face_in_s", p.auto_face_in_s.map(|v| v.to_string()));
    add("staff_confirm", p.staff_confirm.then(|| "true".into()));
    add(
        "staff_attempts_left",
        p.staff_attempts_left.map(|v| v.to_string()),
    );
    set.join(" ")
}

fn describe(ui: &Ui) -> String {
    let mut out = String::new();
    for lang in Lang::ALL {
        for s in samples::variants(lang) {
            let c = ui.content(&s);
            let cat = ui.catalog(lang);
            let buttons: Vec<&str> = s.buttons.iter().map(|b| cat.get(button_key(*b))).collect();
            out += &format!(
                "== {} {} {}\n",
                s.id.as_str(),
                lang.as_str(),
                params(&s.params)
            );
            out += &format!("title: {}\ninstruction: {}\n", c.title, c.instruction);
            if let Some(d) = &c.detail {
                out += &format!("detail: {d}\n");
            }
            if let Some(b) = &c.banner {
                out += &format!("banner: {b}\n");
            }
            out += &format!("status: {}\nbuttons: {}\n", c.status, buttons.join(" | "));
            out += &format!("text: {}\n", ui.text(&s));
        }
    }
    out
}

#[test]
fn screen_words_match_the_golden_file() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let actual = describe(&ui);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ui-text.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1 creates it)");
    if expected != actual {
        let diff = expected
            .lines()
            .zip(actual.lines())
            .find(|(e, a)| e != a)
            .map(|(e, a)| format!("expected: {e}\n  actual: {a}"))
            .unwrap_or_else(|| "different length".into());
        panic!("screen text changed; first difference:\n{diff}\n(UPDATE_GOLDEN=1 to accept)");
    }
}

#[test]
fn wording_follows_the_real_readers() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let all = describe(&ui);
    for words in [
        "顔認証",
        "暗証番号",
        "同意する",
        "個別に同意する",
        "薬剤情報",
        "診療情報",
        "手術情報",
        "特定健診等情報",
        "残り 2 回",
        "市区町村窓口",
        "資格情報が確認できませんでした。窓口へお声がけください。",
    ] {
        assert!(all.contains(words), "no screen says {words}");
    }
}

#[test]
fn text_is_one_line_in_the_screen_language() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    for s in samples::variants(Lang::Ja) {
        let t = ui.text(&s);
        assert!(!t.is_empty() && !t.contains('\n'));
        assert!(
            t.chars().any(|c| ('\u{3040}'..='\u{30FF}').contains(&c)),
            "{t}"
        );
    }
    for s in samples::variants(Lang::En) {
        let t = ui.text(&s);
        assert!(!t.contains('\n'));
        // English screens only quote Japanese for the 市区町村窓口 and the PC's message.
        let kana = t
            .chars()
            .filter(|c| ('\u{3040}'..='\u{30FF}').contains(c))
            .count();
        assert!(kana == 0 || s.params.ack_message.is_some(), "{t}");
    }
}

#[test]
fn render_cli_writes_a_png_and_names_unknown_screens() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pin.png");
    render_cli(Some("pin"), false, Some("en"), &out).unwrap();
    let png = image::open(&out).unwrap();
    assert_eq!((png.width(), png.height()), (800, 480));

    let err = render_cli(Some("nope"), false, None, &out).unwrap_err();
    assert!(matches!(err, UiError::UnknownScreen { .. }));
    let message = err.to_string();
    assert!(
        message.contains("nope") && message.contains("consent_items"),
        "{message}"
    );
    let err = render_cli(Some("idle"), false, Some("fr"), &out).unwrap_err();
    assert!(err.to_string().contains("fr"));
    assert!(matches!(
        render_cli(None, false, None, &out),
        Err(UiError::NothingToRender)
    ));
}

#[test]
fn render_all_writes_every_screen_size_and_a_contact_sheet() {
    let dir = tempfile::tempdir().unwrap();
    render_cli(None, true, Some("en"), dir.path()).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // Every screen id, the visual-check screen with a card, the contact sheet.
    assert_eq!(names.len(), 3 * (ScreenId::ALL.len() + 1) + 1);
    assert!(names.contains(&"800x480-staff_confirm-en.png".to_string()));
    assert!(names.contains(&"800x480-staff_passcode-en.png".to_string()));
    assert!(names.contains(&"720x1280-face-en.png".to_string()));
    assert!(names.contains(&"contact-sheet.png".to_string()));
}

#[test]
fn a_too_small_panel_or_missing_font_dir_is_an_error() {
    assert!(matches!(
        Ui::new(320, 240, UiOptions::default()),
        Err(UiError::PanelTooSmall { .. })
    ));
    let options = UiOptions {
        font_dir: Some("/nonexistent/fonts".into()),
        ..UiOptions::default()
    };
    let err = Ui::new(800, 480, options).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/fonts"), "{err}");
    let from_dir = UiOptions {
        font_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fonts")),
        ..UiOptions::default()
    };
    assert!(Ui::new(800, 480, from_dir).is_ok());
}

#[test]
fn pc_messages_are_made_drawable_never_masked_with_dots() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let shown = ui.displayable("𠮷野様\u{7}です");
    assert_eq!(shown, "〓野様 です");
    assert!(!shown.contains('●'));
    let long = "あ".repeat(200);
    let shown = ui.displayable(&long);
    assert!(shown.ends_with('…') && shown.chars().count() == kaonin::ui::MAX_MESSAGE_CHARS + 1);
}
