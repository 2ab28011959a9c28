//! Touch mapping: synthetic evdev taps (raw 12-bit controller coordinates, also
//! rotated) go through the touchscreen driver's decoder and `Ui::hit`, and land on
//! the button or key under them — on every screen, panel and text mode, including
//! the scrambled PIN pad.

use kaonin::flow::{Lang, Screen, ScreenId};
use kaonin::ui::layout::Rect;
use kaonin::ui::{samples, Hit, Ui, UiOptions, ORDERED_PAD};
use kaonin_drivers::touch::{tap_events, TouchCalibration, TouchDecoder};

const RAW_MAX: i32 = 4095;

fn calibrations() -> [TouchCalibration; 2] {
    let plain = TouchCalibration {
        x: (0, RAW_MAX),
        y: (0, RAW_MAX),
        mt: None,
        swap_xy: false,
        invert_x: false,
        invert_y: false,
    };
    // A controller mounted rotated: its X runs down the panel, Y runs right to left.
    let rotated = TouchCalibration {
        swap_xy: true,
        invert_x: true,
        ..plain
    };
    [plain, rotated]
}

/// The raw controller coordinates that `cal` maps to panel pixel (x, y).
fn raw_for(cal: &TouchCalibration, panel: (u32, u32), (x, y): (i32, i32)) -> (i32, i32) {
    let x = if cal.invert_x {
        panel.0 as i32 - 1 - x
    } else {
        x
    };
    let y = if cal.invert_y {
        panel.1 as i32 - 1 - y
    } else {
        y
    };
    let rx = (x as i64 * RAW_MAX as i64 / (panel.0 as i64 - 1)) as i32;
    let ry = (y as i64 * RAW_MAX as i64 / (panel.1 as i64 - 1)) as i32;
    if cal.swap_xy {
        (ry, rx)
    } else {
        (rx, ry)
    }
}

/// Sends a tap at panel (x, y) through the decoder, returns what the UI says it hit.
fn tap(ui: &Ui, screen: &Screen, cal: &TouchCalibration, point: (i32, i32)) -> Option<Hit> {
    let panel = ui.size();
    let mut decoder = TouchDecoder::new(panel, *cal);
    let (rx, ry) = raw_for(cal, panel, point);
    let taps: Vec<(i32, i32)> = tap_events(rx, ry)
        .into_iter()
        .filter_map(|e| decoder.feed(e))
        .collect();
    assert_eq!(taps.len(), 1, "one tap per touch");
    let (x, y) = taps[0];
    assert!(
        (x - point.0).abs() <= 1 && (y - point.1).abs() <= 1,
        "decoded {x},{y} for {point:?}"
    );
    ui.hit(screen, x, y)
}

fn centre(r: &Rect) -> (i32, i32) {
    (r.x + r.w / 2, r.y + r.h / 2)
}

fn check_every_target(ui: &Ui, screen: &Screen) {
    let scene = ui.scene(screen);
    for cal in calibrations() {
        for t in scene.targets() {
            // Centre and near each corner of every target.
            let r = t.rect;
            for p in [
                centre(&r),
                (r.x + 4, r.y + 4),
                (r.right() - 5, r.bottom() - 5),
            ] {
                assert_eq!(
                    tap(ui, screen, &cal, p),
                    Some(t.hit),
                    "{} at {p:?}",
                    screen.id.as_str()
                );
            }
        }
        // The title and status text are not buttons.
        let title = scene.title().unwrap().ink();
        assert_eq!(tap(ui, screen, &cal, (title.x + 2, title.y + 2)), None);
        assert_eq!(tap(ui, screen, &cal, (2, ui.size().1 as i32 - 3)), None);
    }
}

#[test]
fn taps_land_on_the_buttons_of_every_screen() {
    for (w, h) in [(800, 480), (1024, 600), (720, 1280)] {
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
                for screen in samples::variants(lang) {
                    check_every_target(&ui, &screen);
                }
            }
        }
    }
}

#[test]
fn the_ordered_pin_pad_is_a_phone_layout() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let screen = samples::sample(ScreenId::Pin, Lang::Ja);
    assert_eq!(ui.pin_pad(), ORDERED_PAD);
    let scene = ui.scene(&screen);
    let key = |hit: Hit| scene.targets().find(|t| t.hit == hit).unwrap().rect;
    // 1 2 3 on the first row left to right, 0 under 8, delete left of 0.
    assert!(
        key(Hit::Digit(1)).x < key(Hit::Digit(2)).x && key(Hit::Digit(2)).x < key(Hit::Digit(3)).x
    );
    assert_eq!(key(Hit::Digit(1)).y, key(Hit::Digit(3)).y);
    assert_eq!(key(Hit::Digit(0)).x, key(Hit::Digit(8)).x);
    assert!(key(Hit::Digit(0)).y > key(Hit::Digit(8)).y);
    assert_eq!(key(Hit::Delete).y, key(Hit::Digit(0)).y);
    assert!(key(Hit::Delete).x < key(Hit::Digit(0)).x);
}

#[test]
fn the_scrambled_pin_pad_maps_taps_to_the_digits_drawn() {
    let ui = Ui::new(
        800,
        480,
        UiOptions {
            scrambled_pin: true,
            ..UiOptions::default()
        },
    )
    .unwrap();
    let screen = samples::sample(ScreenId::Pin, Lang::En);
    let mut orders = std::collections::HashSet::new();
    for _ in 0..8 {
        ui.shuffle_pin_pad();
        let pad = ui.pin_pad();
        let mut sorted = pad;
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "each digit once");
        orders.insert(pad);
        let scene = ui.scene(&screen);
        for t in scene.targets() {
            // What is drawn on a key is what a tap on it types.
            if let Hit::Digit(d) = t.hit {
                assert_eq!(t.label.joined(), d.to_string());
            }
        }
        check_every_target(&ui, &screen);
    }
    assert!(orders.len() > 1, "the pad never changed order");
    assert!(orders.iter().any(|o| *o != ORDERED_PAD));
}

#[test]
fn the_scrambled_pad_changes_when_the_pin_screen_appears_and_not_while_typing() {
    let ui = Ui::new(
        800,
        480,
        UiOptions {
            scrambled_pin: true,
            ..UiOptions::default()
        },
    )
    .unwrap();
    let pin = samples::sample(ScreenId::Pin, Lang::Ja);
    let idle = samples::sample(ScreenId::Idle, Lang::Ja);
    let mut fb = kaonin_hal::display::Framebuffer::new(800, 480);
    let mut orders = std::collections::HashSet::new();
    for _ in 0..6 {
        ui.render(&idle, &mut fb);
        ui.render(&pin, &mut fb);
        let order = ui.pin_pad();
        // Typing redraws the same screen: the keys must not move under the finger.
        for typed in 1..4 {
            ui.set_pin_typed(typed);
            ui.render(&pin, &mut fb);
            assert_eq!(ui.pin_pad(), order);
        }
        orders.insert(order);
    }
    assert!(
        orders.len() > 1,
        "the pad kept one order across pin screens"
    );
}
