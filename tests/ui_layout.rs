//! Layout acceptance tests for the screens (issue 6): every screen × language ×
//! panel × text mode × params variant is laid out and checked for overflow,
//! clipping, overlap, size and contrast minimums, touch-target sizes and gaps; the
//! rendered frame is checked where the layout says things are.

use embedded_graphics::pixelcolor::Rgb888;
use kaonin::card::NameImage;
use kaonin::flow::{Lang, Screen, ScreenId};
use kaonin::ui::layout::{
    contrast, palette, Element, Rect, Role, Scene, TextBlock, MIN_BODY_PX, MIN_GAP, MIN_TARGET_H,
    MIN_TARGET_W, MIN_TITLE_PX, NAME_SCREENS,
};
use kaonin::ui::{samples, Extras, Hit, Ui, UiOptions};
use kaonin_hal::display::Framebuffer;

const PANELS: [(u32, u32); 3] = [(800, 480), (1024, 600), (720, 1280)];

fn uis() -> Vec<Ui> {
    let mut out = Vec::new();
    for (w, h) in PANELS {
        for large_text in [false, true] {
            let options = UiOptions {
                large_text,
                ..UiOptions::default()
            };
            out.push(Ui::new(w, h, options).expect("ui"));
        }
    }
    out
}

fn every_screen() -> Vec<Screen> {
    Lang::ALL.into_iter().flat_map(samples::variants).collect()
}

fn label(ui: &Ui, s: &Screen) -> String {
    format!(
        "{}x{}{} {} {} {:?} {:?}",
        ui.size().0,
        ui.size().1,
        if ui.options().large_text {
            " large"
        } else {
            ""
        },
        s.id.as_str(),
        s.lang.as_str(),
        s.buttons,
        s.params
    )
}

/// The rectangle an element occupies for the overlap check (text: its ink).
fn footprint(e: &Element) -> Option<Rect> {
    match e {
        Element::Panel { .. } => None,
        Element::Text(t) => Some(t.ink()),
        Element::Target(t) => Some(t.rect),
        Element::Preview { rect, .. } => Some(*rect),
        Element::Photo { rect } => Some(*rect),
        Element::PinDots { rect, .. } => Some(*rect),
        Element::NameImage { rect, .. } => Some(*rect),
        // Sits on the preview by design; checked to stay inside it.
        Element::Badge { .. } => None,
    }
}

/// Name-image sizes to lay out: none, a typical one-line name, a very long and a
/// very tall (odd) image.
fn name_sizes(s: &Screen) -> Vec<Option<(u32, u32)>> {
    if NAME_SCREENS.contains(&s.id) {
        vec![None, Some((300, 64)), Some((2400, 52)), Some((60, 300))]
    } else {
        vec![None]
    }
}

/// The colour under `rect` according to the scene (last panel/target enclosing it).
fn colour_under(scene: &Scene, rect: &Rect) -> Rgb888 {
    let mut colour = palette::BACKGROUND;
    for e in &scene.elements {
        match e {
            Element::Panel { rect: r, color } if r.encloses(rect) => colour = *color,
            Element::Target(t) if t.rect.encloses(rect) => colour = t.fill,
            Element::Badge { rect: r, label } if r.encloses(rect) => colour = label.bg,
            _ => {}
        }
    }
    colour
}

fn check_text(t: &TextBlock, scene: &Scene, what: &str) {
    assert!(
        !t.overflows(),
        "{what}: text {:?} overflows its box {:?} ({}x{} used)",
        t.lines,
        t.rect,
        t.used_width,
        t.used_height()
    );
    let panel = Rect::new(0, 0, scene.width, scene.height);
    assert!(
        panel.encloses(&t.ink()),
        "{what}: text {:?} is clipped by the panel",
        t.lines
    );
    let min = if t.role == Role::Title {
        MIN_TITLE_PX
    } else {
        MIN_BODY_PX
    };
    assert!(
        t.px >= min,
        "{what}: {:?} text {:?} is {} px (< {min})",
        t.role,
        t.lines,
        t.px
    );
    let ratio = contrast(t.fg, t.bg);
    assert!(
        ratio >= 7.0,
        "{what}: contrast {ratio:.1} for {:?}",
        t.lines
    );
    assert_eq!(
        colour_under(scene, &t.ink()),
        t.bg,
        "{what}: text {:?} is drawn on another colour than it was checked against",
        t.lines
    );
    assert!(
        !t.lines.is_empty() && t.lines.iter().all(|l| !l.trim().is_empty()),
        "{what}: empty line in {:?}",
        t.lines
    );
}

/// The name box (when a name image is given on a name screen) and the countdown
/// badge (face screen) are where they belong.
fn check_extras(scene: &Scene, s: &Screen, name: Option<(u32, u32)>, what: &str) {
    let panel = Rect::new(0, 0, scene.width, scene.height);
    match (scene.name_image(), name) {
        (Some((rect, image)), Some((w, h))) => {
            assert!(NAME_SCREENS.contains(&s.id), "{what}: name on {:?}", s.id);
            assert!(panel.encloses(&rect) && rect.encloses(&image), "{what}");
            assert!(image.w > 0 && image.h >= 8, "{what}: name image {image:?}");
            // The aspect ratio is kept (within a pixel of rounding).
            let expected_w = image.h as i64 * w as i64 / h as i64;
            assert!(
                (image.w as i64 - expected_w).abs() <= 1 + w as i64 / h as i64,
                "{what}: name image {image:?} distorts {w}x{h}"
            );
            // Above the instruction.
            let body = scene.texts().find(|t| t.role == Role::Body).unwrap();
            assert!(
                rect.bottom() <= body.ink().y,
                "{what}: name box under the text"
            );
        }
        (None, Some(_)) => assert!(!NAME_SCREENS.contains(&s.id), "{what}: no name box"),
        (Some(_), None) => panic!("{what}: a name box without a name image"),
        (None, None) => {}
    }
    let badge = scene.elements.iter().find_map(|e| match e {
        Element::Badge { rect, label } => Some((*rect, label)),
        _ => None,
    });
    if let Some((rect, label)) = badge {
        let (preview, frame) = scene.preview().expect("badge without a preview");
        assert!(preview.encloses(&rect), "{what}: badge leaves the preview");
        assert!(
            rect.encloses(&label.ink()),
            "{what}: badge text leaves the badge"
        );
        // The badge stays clear of the elliptical face frame: the badge point nearest
        // the ellipse's centre lies outside it.
        let (a, b) = (frame.w as f64 / 2.0, frame.h as f64 / 2.0);
        let (cx, cy) = (frame.x as f64 + a, frame.y as f64 + b);
        let px = cx.clamp(rect.x as f64, rect.right() as f64);
        let py = cy.clamp(rect.y as f64, rect.bottom() as f64);
        let inside = ((px - cx) / a).powi(2) + ((py - cy) / b).powi(2);
        assert!(
            inside > 1.0,
            "{what}: badge {rect:?} covers the face frame {frame:?}"
        );
        let (failed, allowed) = s.params.face_attempt.unwrap();
        assert_eq!(label.joined(), allowed.saturating_sub(failed).to_string());
    } else {
        assert!(
            s.id != ScreenId::Face || s.params.face_attempt.is_none(),
            "{what}: no countdown"
        );
    }
}

fn gap_between(a: &Rect, b: &Rect) -> i32 {
    let dx = (b.x - a.right()).max(a.x - b.right());
    let dy = (b.y - a.bottom()).max(a.y - b.bottom());
    dx.max(dy)
}

fn check_scene(ui: &Ui, s: &Screen, name: Option<(u32, u32)>) {
    let what = format!("{} name {name:?}", label(ui, s));
    let scene = ui.scene_with_name(s, name);
    check_extras(&scene, s, name, &what);
    let panel = Rect::new(0, 0, scene.width, scene.height);
    for t in scene.texts() {
        check_text(t, &scene, &what);
    }
    // Nothing overlaps anything else (a button label is part of its button).
    let boxes: Vec<(usize, Rect)> = scene
        .elements
        .iter()
        .enumerate()
        .filter_map(|(i, e)| footprint(e).map(|r| (i, r)))
        .collect();
    for (i, a) in &boxes {
        assert!(
            panel.encloses(a),
            "{what}: element {i} {a:?} leaves the panel"
        );
        for (j, b) in &boxes {
            if i < j {
                assert!(
                    !a.overlaps(b),
                    "{what}: elements {:?} and {:?} overlap",
                    scene.elements[*i],
                    scene.elements[*j]
                );
            }
        }
    }
    // Touch targets: big enough, far enough apart, label inside.
    let targets: Vec<_> = scene.targets().collect();
    for t in &targets {
        assert!(
            t.rect.w >= MIN_TARGET_W && t.rect.h >= MIN_TARGET_H,
            "{what}: target {:?} is {}x{}",
            t.hit,
            t.rect.w,
            t.rect.h
        );
        assert!(
            t.rect.encloses(&t.label.ink()),
            "{what}: label {:?} leaves its button",
            t.label.lines
        );
        assert!(contrast(t.border, palette::BACKGROUND) >= 3.0);
    }
    for (i, a) in targets.iter().enumerate() {
        for b in &targets[i + 1..] {
            let gap = gap_between(&a.rect, &b.rect);
            assert!(
                gap >= MIN_GAP,
                "{what}: {:?} and {:?} are {gap} px apart",
                a.hit,
                b.hit
            );
        }
    }
    let big_buttons = targets
        .iter()
        .filter(|t| matches!(t.hit, Hit::Button(b) if !b.is_corner()))
        .count();
    assert!(big_buttons <= 3, "{what}: {big_buttons} buttons");
    for b in &s.buttons {
        assert!(
            targets.iter().any(|t| t.hit == Hit::Button(*b)),
            "{what}: no target for {b:?}"
        );
    }
    if matches!(s.id, ScreenId::Pin | ScreenId::StaffPasscode) {
        for d in 0..10 {
            let n = targets.iter().filter(|t| t.hit == Hit::Digit(d)).count();
            assert_eq!(n, 1, "{what}: digit {d}");
        }
        assert!(targets.iter().any(|t| t.hit == Hit::Delete));
    }
    // The visual-check screen with a card shows the chip photo, on the panel.
    if s.params.staff_confirm {
        let photo = scene.photo().expect("chip photo box");
        assert!(
            Rect::new(0, 0, scene.width, scene.height).encloses(&photo),
            "{what}"
        );
        assert!(
            photo.w >= scene.width / 5 || photo.w >= 150,
            "{what}: photo {photo:?} is not large"
        );
    }
    // The title is non-empty and in the top band (at most 30 % of the height, even
    // with two lines of large text).
    let title = scene.title().expect("title");
    assert!(!title.joined().trim().is_empty(), "{what}: empty title");
    assert!(
        title.ink().bottom() <= scene.height * 3 / 10,
        "{what}: title {:?} not at the top",
        title.ink()
    );
    // No character of the content was lost by line breaking or fitting.
    let content = ui.content(s);
    let strip = |x: &str| x.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let shown = strip(&scene.texts().map(|t| t.joined()).collect::<String>());
    let parts = [
        Some(&content.title),
        Some(&content.instruction),
        content.detail.as_ref(),
        content.banner.as_ref(),
        Some(&content.status),
    ];
    for part in parts.into_iter().flatten() {
        assert!(
            shown.contains(&strip(part)),
            "{what}: {part:?} is not shown in full"
        );
    }
}

#[test]
fn every_screen_fits_every_panel_in_every_language_and_text_mode() {
    let screens = every_screen();
    assert!(screens.len() > 2 * ScreenId::ALL.len());
    for ui in uis() {
        for s in &screens {
            for name in name_sizes(s) {
                check_scene(&ui, s, name);
            }
        }
    }
}

#[test]
fn large_text_mode_makes_text_larger() {
    let normal = Ui::new(800, 480, UiOptions::default()).unwrap();
    let large = Ui::new(
        800,
        480,
        UiOptions {
            large_text: true,
            ..UiOptions::default()
        },
    )
    .unwrap();
    let s = samples::sample(ScreenId::Reading, Lang::Ja);
    let body = |ui: &Ui| {
        ui.scene(&s)
            .texts()
            .find(|t| t.role == Role::Body)
            .map(|t| t.px)
            .unwrap()
    };
    assert!(
        body(&large) >= body(&normal) + 4,
        "{} vs {}",
        body(&large),
        body(&normal)
    );
}

fn ink_pixels(fb: &Framebuffer, r: Rect, bg: Rgb888) -> usize {
    (r.y..r.bottom())
        .flat_map(|y| (r.x..r.right()).map(move |x| (x, y)))
        .filter(|&(x, y)| fb.pixel(x as u32, y as u32).is_some_and(|p| p != bg))
        .count()
}

#[test]
fn rendered_title_and_status_are_where_the_layout_puts_them() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    for lang in Lang::ALL {
        for s in samples::all(lang) {
            let what = format!("{} {}", s.id.as_str(), lang.as_str());
            let mut fb = Framebuffer::new(800, 480);
            ui.render(&s, &mut fb);
            let scene = ui.scene(&s);
            let title = scene.title().unwrap();
            let ink = ink_pixels(&fb, title.ink(), title.bg);
            assert!(ink > 200, "{what}: only {ink} title pixels");
            // Anti-aliased: some pixels lie between the text and background colours.
            let ink_box = title.ink();
            let mixed = (ink_box.y..ink_box.bottom())
                .flat_map(|y| (ink_box.x..ink_box.right()).map(move |x| (x, y)))
                .filter_map(|(x, y)| fb.pixel(x as u32, y as u32))
                .filter(|p| *p != title.fg && *p != title.bg)
                .count();
            assert!(mixed > 20, "{what}: title not anti-aliased");
            // Right of the title text, the band is plain (nothing drawn past the ink).
            let after = Rect::new(ink_box.right() + 2, ink_box.y, 6, ink_box.h);
            assert_eq!(
                ink_pixels(&fb, after, title.bg),
                0,
                "{what}: ink right of the title"
            );
            let status = scene.texts().find(|t| t.role == Role::Status).unwrap();
            assert!(
                status.rect.y > 480 * 3 / 4,
                "{what}: status line not at the bottom"
            );
            assert!(
                ink_pixels(&fb, status.ink(), status.bg) > 100,
                "{what}: no status text"
            );
        }
    }
}

#[test]
fn pin_digits_show_only_as_dots() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let s = samples::sample(ScreenId::Pin, Lang::Ja);
    let scene = ui.scene(&s);
    let Some(Element::PinDots { rect, total, .. }) = scene
        .elements
        .iter()
        .find(|e| matches!(e, Element::PinDots { .. }))
        .cloned()
    else {
        panic!("no pin dots");
    };
    assert_eq!(total, 4);
    let mut empty = Framebuffer::new(800, 480);
    ui.render_pin_progress(&s, 0, &mut empty);
    let mut two = Framebuffer::new(800, 480);
    ui.render_pin_progress(&s, 2, &mut two);
    let dots = |fb: &Framebuffer| ink_pixels(fb, rect, palette::BACKGROUND);
    assert!(
        dots(&two) > dots(&empty) + 200,
        "typed digits are not shown as dots"
    );
    // Only the dots change: no digit appears anywhere else.
    let only_dots_changed = (0..480u32)
        .flat_map(|y| (0..800u32).map(move |x| (x, y)))
        .filter(|&(x, y)| empty.pixel(x, y) != two.pixel(x, y))
        .all(|(x, y)| rect.contains(x as i32, y as i32));
    assert!(
        only_dots_changed,
        "typing changed pixels outside the dot row"
    );
}

#[test]
fn face_preview_is_drawn_inside_its_box_under_the_face_frame() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let s = samples::sample(ScreenId::Face, Lang::Ja);
    let scene = ui.scene(&s);
    let Some(Element::Preview { rect, frame }) = scene
        .elements
        .iter()
        .find(|e| matches!(e, Element::Preview { .. }))
        .cloned()
    else {
        panic!("no preview");
    };
    assert!(rect.encloses(&frame));
    let data = vec![0xC0u8; 640 * 480 * 3];
    let camera =
        kaonin_hal::camera::Frame::new(640, 480, kaonin_hal::camera::PixelFormat::Rgb8, data)
            .unwrap();
    let mut fb = Framebuffer::new(800, 480);
    ui.render_with_preview(&s, Some(&camera), &mut fb);
    let grey = Rgb888::new(0xC0, 0xC0, 0xC0);
    let at = |fb: &Framebuffer, x: i32, y: i32| fb.pixel(x as u32, y as u32);
    assert_eq!(at(&fb, rect.x + 3, rect.y + 3), Some(grey));
    assert_eq!(at(&fb, rect.right() - 1, rect.bottom() - 1), Some(grey));
    assert_ne!(at(&fb, rect.x - 3, rect.y + 3), Some(grey));
    assert_ne!(at(&fb, rect.right() + 1, rect.y + 3), Some(grey));
    assert_eq!(
        at(&fb, frame.x + 2, frame.y + frame.h / 2),
        Some(palette::FACE_FRAME)
    );
    let mut without = Framebuffer::new(800, 480);
    ui.render_with_preview(&s, None, &mut without);
    assert_eq!(at(&without, rect.x + 3, rect.y + 3), Some(palette::PREVIEW));
}

#[test]
fn typed_digits_follow_set_pin_typed_and_reset_on_other_screens() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let pin = samples::sample(ScreenId::Pin, Lang::Ja);
    let mut explicit = Framebuffer::new(800, 480);
    ui.render_pin_progress(&pin, 3, &mut explicit);
    let mut stored = Framebuffer::new(800, 480);
    ui.set_pin_typed(3);
    ui.render(&pin, &mut stored);
    assert!(
        stored == explicit,
        "set_pin_typed(3) + render differs from render_pin_progress(3)"
    );
    ui.render(&samples::sample(ScreenId::Idle, Lang::Ja), &mut stored);
    ui.render(&pin, &mut stored);
    let mut none = Framebuffer::new(800, 480);
    ui.render_pin_progress(&pin, 0, &mut none);
    assert!(stored == none, "typed digits survived another screen");
}

/// `r` grown by `d` on every side.
fn grown(r: Rect, d: i32) -> Rect {
    Rect::new(r.x - d, r.y - d, r.w + 2 * d, r.h + 2 * d)
}

#[test]
fn nothing_is_drawn_outside_the_elements_of_the_scene() {
    // Every pixel that is not the plain colour of its band must belong to a text,
    // a button, the preview or the PIN dots: the drawing matches the checked layout.
    // Every variant at 800×480; the samples and showcase on the other panels.
    for (w, h) in PANELS {
        let ui = Ui::new(w, h, UiOptions::default()).unwrap();
        let screens = if (w, h) == (800, 480) {
            every_screen()
        } else {
            Lang::ALL
                .into_iter()
                .flat_map(|l| samples::all(l).into_iter().chain(samples::showcase(l)))
                .collect()
        };
        // A name image with ink everywhere, so any misplaced pixel shows.
        let name =
            NameImage::new(320, 64, (0..320 * 64).map(|i| (i % 7 * 40) as u8).collect()).unwrap();
        // A chip photo with ink everywhere (the visual-check screen).
        let photo = kaonin_hal::camera::Frame::new(
            300,
            400,
            kaonin_hal::camera::PixelFormat::Gray8,
            (0..300 * 400).map(|i| (i % 5 * 50) as u8).collect(),
        )
        .unwrap();
        for s in screens {
            let what = label(&ui, &s);
            let scene = ui.scene_with_name(&s, Some((320, 64)));
            let mut fb = Framebuffer::new(w, h);
            let extras = Extras {
                preview: None,
                name: Some(&name),
                photo: Some(&photo),
            };
            ui.render_with(&s, extras, &mut fb);
            // The plain colour of each pixel (panels painted in order), and a mask
            // of where elements may draw.
            let (wi, hi) = (w as i32, h as i32);
            let mut plain = vec![palette::BACKGROUND; (w * h) as usize];
            let mut allowed = vec![false; (w * h) as usize];
            let paint = |r: Rect, f: &mut dyn FnMut(usize)| {
                for y in r.y.max(0)..r.bottom().min(hi) {
                    for x in r.x.max(0)..r.right().min(wi) {
                        f((y * wi + x) as usize);
                    }
                }
            };
            for e in &scene.elements {
                match e {
                    Element::Panel { rect, color } => paint(*rect, &mut |i| plain[i] = *color),
                    Element::Text(t) => paint(grown(t.ink(), 3), &mut |i| allowed[i] = true),
                    Element::Badge { rect, .. } => paint(*rect, &mut |i| allowed[i] = true),
                    other => {
                        if let Some(r) = footprint(other) {
                            paint(r, &mut |i| allowed[i] = true);
                        }
                    }
                }
            }
            for (i, pixel) in fb.pixels().iter().enumerate() {
                if *pixel != plain[i] && !allowed[i] {
                    let (x, y) = (i as i32 % wi, i as i32 / wi);
                    panic!("{what}: stray pixel at ({x}, {y})");
                }
            }
        }
    }
}

#[test]
fn pin_dots_from_the_screen_params_are_drawn() {
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let mut pin = samples::sample(ScreenId::Pin, Lang::En);
    pin.params.pin_dots = 3;
    let mut from_params = Framebuffer::new(800, 480);
    ui.render(&pin, &mut from_params);
    let mut explicit = Framebuffer::new(800, 480);
    ui.render_pin_progress(&pin, 3, &mut explicit);
    assert!(from_params == explicit);
    let mut none = Framebuffer::new(800, 480);
    ui.render_pin_progress(&pin, 0, &mut none);
    assert!(from_params != none);
}
