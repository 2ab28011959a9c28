//! The card-face screens: guidance on the reading screen and the reason on the
//! method screen, in Japanese and English, fit every panel and text size.

use kaonin::flow::{
    Button, CardFaceGuidance, CardFaceNotice, Lang, Screen, ScreenId, ScreenParams,
};
use kaonin::ui::layout::Element;
use kaonin::ui::{Ui, UiOptions};

const PANELS: [(u32, u32); 3] = [(800, 480), (1024, 600), (720, 1280)];

fn screens(lang: Lang) -> Vec<Screen> {
    let mut out = Vec::new();
    for g in [
        CardFaceGuidance::PlaceFlat,
        CardFaceGuidance::HoldStill,
        CardFaceGuidance::Glare,
    ] {
        out.push(Screen {
            id: ScreenId::Reading,
            lang,
            buttons: vec![],
            params: ScreenParams {
                card_face_guidance: Some(g),
                ..ScreenParams::default()
            },
        });
    }
    for n in [
        CardFaceNotice::WesternCalendar,
        CardFaceNotice::UnknownLayout,
        CardFaceNotice::Unreadable,
        CardFaceNotice::KeyRefused,
        CardFaceNotice::CounterLow,
    ] {
        for buttons in [
            vec![Button::Pin, Button::Cancel, Button::Lang],
            vec![Button::Cancel, Button::Lang],
        ] {
            out.push(Screen {
                id: ScreenId::MethodSelect,
                lang,
                buttons,
                params: ScreenParams {
                    card_face_notice: Some(n),
                    ..ScreenParams::default()
                },
            });
        }
    }
    out
}

#[test]
fn card_face_screens_say_why_and_fit() {
    for (w, h) in PANELS {
        for large_text in [false, true] {
            let ui = Ui::new(
                w,
                h,
                UiOptions {
                    large_text,
                    ..UiOptions::default()
                },
            )
            .unwrap();
            for lang in Lang::ALL {
                let mut details = std::collections::HashSet::new();
                for s in screens(lang) {
                    let c = ui.content(&s);
                    let detail = c.detail.clone().expect("a card-face screen has a detail");
                    details.insert(detail);
                    for e in &ui.scene(&s).elements {
                        if let Element::Text(t) = e {
                            assert!(
                                !t.overflows(),
                                "{w}x{h} large={large_text} {lang:?} {:?}: {:?}",
                                s.params,
                                t.lines
                            );
                        }
                    }
                }
                // Every guidance and every reason has its own words.
                assert_eq!(details.len(), 3 + 5, "{lang:?}");
            }
        }
    }
}

#[test]
fn the_guidance_differs_from_the_reading_instruction() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    for lang in Lang::ALL {
        for s in screens(lang)
            .into_iter()
            .filter(|s| s.id == ScreenId::Reading)
        {
            let c = ui.content(&s);
            assert_ne!(c.detail.as_deref(), Some(c.instruction.as_str()));
        }
    }
}
