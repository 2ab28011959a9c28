//! Capture quality: which detected face is the patient, and whether it is usable —
//! close enough, facing the camera, lit, and not hidden by a mask. Each problem maps to
//! one [`Guidance`] for the patient.
//!
//! The mask check compares the lower face (between the mouth corners, from under the
//! nose to below the mouth) with the skin around the eyes: a mask replaces skin there
//! with cloth of another colour or brightness. It needs no extra model, but it is a
//! heuristic: a thick beard or strong shadow may also read as a mask (the patient is
//! then asked to remove a mask they do not wear and can use the PIN); see docs/face.md.

use super::detect::Detection;
use super::gray::Rect;
use super::rgb::RgbImage;
use crate::flow::Guidance;

/// The thresholds quality is judged by (from `[face]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityLimits {
    /// Smallest eye distance in frame pixels.
    pub min_eye_distance_px: f32,
    /// Largest head-turn measure (see [`head_turn`]).
    pub max_head_turn: f32,
    /// Darkest accepted mean face luma.
    pub min_face_brightness: f32,
}

/// Another face bigger than this share of the patient's makes the scene ambiguous.
const SECOND_FACE_SHARE: f32 = 0.5;
/// Below this eye distance a face is too small even to check for a mask.
const MIN_EYES_FOR_MASK: f32 = 12.0;
/// Lower-face skin share below which the face counts as masked.
const MASK_SKIN_SHARE: f32 = 0.15;
/// A face this much darker than its surroundings is backlit.
const BACKLIT_RATIO: f32 = 0.45;
/// Chroma distance (CbCr) within which a pixel counts as the patient's skin.
const SKIN_CHROMA: f32 = 16.0;

/// What the quality check found, for reports and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QualityFigures {
    /// Faces detected in the frame.
    pub faces: usize,
    /// The patient's eye distance in pixels.
    pub eye_distance: f32,
    /// Head-turn measure.
    pub head_turn: f32,
    /// Mean luma of the face.
    pub brightness: f32,
    /// Share of the lower face that looks like the patient's skin.
    pub lower_face_skin: f32,
    /// Sharpness of the aligned face (`face::sharpness`), when it was aligned.
    pub sharpness: f32,
}

/// The index of the patient among `faces`: the largest face, favouring the centre.
pub fn choose_patient(faces: &[Detection], width: u32, height: u32) -> Option<usize> {
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let diag = (cx * cx + cy * cy).sqrt().max(1.0);
    let weight = |d: &Detection| {
        let fx = d.bbox.x + d.bbox.w / 2.0;
        let fy = d.bbox.y + d.bbox.h / 2.0;
        let off = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt() / diag;
        d.area() * (1.0 - 0.5 * off.min(1.0))
    };
    faces
        .iter()
        .enumerate()
        .max_by(|a, b| weight(a.1).total_cmp(&weight(b.1)))
        .map(|(i, _)| i)
}

/// Judges the patient's face; `Ok` when it can be matched.
pub fn judge(
    image: &RgbImage,
    faces: &[Detection],
    patient: usize,
    limits: &QualityLimits,
    figures: &mut QualityFigures,
) -> Result<(), Guidance> {
    let Some(face) = faces.get(patient) else {
        return Err(Guidance::NoFace);
    };
    figures.faces = faces.len();
    figures.eye_distance = face.eye_distance();
    figures.head_turn = head_turn(face);
    figures.brightness = image.mean_luma(inner_box(face));
    // A mask comes first: whatever else is wrong, a masked face is never matched and
    // the patient must take it off (or use the PIN).
    if figures.eye_distance >= MIN_EYES_FOR_MASK {
        figures.lower_face_skin = lower_face_skin_share(image, face);
        if figures.lower_face_skin < MASK_SKIN_SHARE {
            return Err(Guidance::Mask);
        }
    }
    let crowd = faces
        .iter()
        .enumerate()
        .any(|(i, f)| i != patient && f.area() >= SECOND_FACE_SHARE * face.area());
    if crowd {
        return Err(Guidance::SeveralFaces);
    }
    if figures.eye_distance < limits.min_eye_distance_px {
        return Err(Guidance::TooFar);
    }
    if figures.head_turn > limits.max_head_turn {
        return Err(Guidance::HeadTurned);
    }
    if figures.brightness < limits.min_face_brightness || backlit(image, face, figures.brightness) {
        return Err(Guidance::TooDark);
    }
    Ok(())
}

/// How far the head is turned, 0 (frontal) to 1 and more (profile, or tilted far
/// up/down, or rolled), from the five landmarks.
pub fn head_turn(face: &Detection) -> f32 {
    let [le, re, nose, lm, rm] = face.landmarks;
    let dist = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let eyes = dist(le, re).max(1e-3);
    // Yaw: the nose moves towards one eye.
    let (dl, dr) = (dist(nose, le), dist(nose, re));
    let yaw = (dl - dr).abs() / dl.max(dr).max(1e-3);
    // Pitch: the nose's height between the eye line and the mouth line (about 0.5).
    let eye_y = (le[1] + re[1]) / 2.0;
    let mouth_y = (lm[1] + rm[1]) / 2.0;
    let span = (mouth_y - eye_y).abs().max(1e-3);
    let pitch = (((nose[1] - eye_y) / span) - 0.5).abs() * 1.5;
    // Roll: the eye line's slope; alignment corrects it, so only extreme roll counts.
    let roll = ((re[1] - le[1]) / eyes).abs().atan() / std::f32::consts::FRAC_PI_2;
    yaw.max(pitch).max((roll - 0.25).max(0.0) * 2.0)
}

/// The central part of the face box (skin, not background or hair).
fn inner_box(face: &Detection) -> Rect {
    let b = face.bbox;
    Rect {
        x: b.x + b.w * 0.25,
        y: b.y + b.h * 0.3,
        w: b.w * 0.5,
        h: b.h * 0.5,
    }
}

/// Whether the face is much darker than the scene around it.
fn backlit(image: &RgbImage, face: &Detection, face_luma: f32) -> bool {
    let b = face.bbox;
    let around = Rect {
        x: b.x - b.w,
        y: b.y - b.h * 0.5,
        w: b.w * 3.0,
        h: b.h * 2.0,
    };
    let scene = image.mean_luma(around);
    face_luma < 100.0 && face_luma < BACKLIT_RATIO * scene
}

/// The patient's skin: the nose bridge between the eyes and the cheeks just under
/// each eye (above where a mask's top edge sits; hair and brows stay out).
fn skin_reference(image: &RgbImage, face: &Detection) -> Option<[f32; 3]> {
    let [le, re, ..] = face.landmarks;
    let d = face.eye_distance();
    let mid = [(le[0] + re[0]) / 2.0, (le[1] + re[1]) / 2.0];
    let patch = |cx: f32, cy: f32, w: f32, h: f32| Rect {
        x: cx - w / 2.0,
        y: cy - h / 2.0,
        w,
        h,
    };
    let patches = [
        patch(mid[0], mid[1], 0.25 * d, 0.2 * d),
        patch(le[0], le[1] + 0.3 * d, 0.25 * d, 0.15 * d),
        patch(re[0], re[1] + 0.3 * d, 0.25 * d, 0.15 * d),
    ];
    let mut px: Vec<[f32; 3]> = patches
        .iter()
        .flat_map(|r| image.region_ycbcr(*r))
        .collect();
    if px.len() < 4 {
        return None;
    }
    let mut channel = |c: usize| {
        let mut v: Vec<f32> = px.iter_mut().map(|p| p[c]).collect();
        super::rgb::median(&mut v)
    };
    Some([channel(0), channel(1), channel(2)])
}

/// Share of the lower face (upper lip and chin, between the mouth corners; the lips
/// themselves are left out) whose colour is close to the skin reference. 1 when there
/// is no reference (cannot judge: not called a mask).
pub fn lower_face_skin_share(image: &RgbImage, face: &Detection) -> f32 {
    let Some([ry, rcb, rcr]) = skin_reference(image, face) else {
        return 1.0;
    };
    let [_, _, nose, lm, rm] = face.landmarks;
    let d = face.eye_distance();
    let mouth_y = (lm[1] + rm[1]) / 2.0;
    let left = lm[0].min(rm[0]);
    let width = (lm[0].max(rm[0]) - left).max(1.0);
    let band = |top: f32, bottom: f32| Rect {
        x: left,
        y: top,
        w: width,
        h: (bottom - top).max(1.0),
    };
    let upper_lip = band(nose[1] + 0.08 * d, mouth_y - 0.12 * d);
    let chin = band(mouth_y + 0.18 * d, mouth_y + 0.45 * d);
    let px: Vec<[f32; 3]> = [upper_lip, chin]
        .iter()
        .flat_map(|r| image.region_ycbcr(*r))
        .collect();
    if px.is_empty() {
        return 1.0;
    }
    let colour = image.is_colour();
    let skin = px
        .iter()
        .filter(|&&[y, cb, cr]| {
            let luma_ok = y > 0.4 * ry && y < 1.6 * ry + 20.0;
            let chroma = ((cb - rcb).powi(2) + (cr - rcr).powi(2)).sqrt();
            luma_ok && (!colour || chroma < SKIN_CHROMA)
        })
        .count();
    skin as f32 / px.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(landmarks: [[f32; 2]; 5], bbox: Rect) -> Detection {
        Detection {
            score: 0.9,
            bbox,
            landmarks,
        }
    }

    fn frontal(x: f32, size: f32) -> Detection {
        let k = size / 112.0;
        let marks = super::super::align::TEMPLATE_112.map(|[px, py]| [x + px * k, 100.0 + py * k]);
        face(
            marks,
            Rect {
                x,
                y: 100.0,
                w: size,
                h: size,
            },
        )
    }

    #[test]
    fn frontal_template_is_not_turned() {
        assert!(head_turn(&frontal(0.0, 112.0)) < 0.1);
    }

    #[test]
    fn nose_beside_an_eye_is_turned() {
        let mut f = frontal(0.0, 112.0);
        f.landmarks[2] = [40.0, 150.0];
        assert!(head_turn(&f) > 0.45, "{}", head_turn(&f));
    }

    #[test]
    fn largest_centred_face_is_the_patient() {
        let faces = [
            frontal(0.0, 60.0),
            frontal(250.0, 120.0),
            frontal(500.0, 80.0),
        ];
        assert_eq!(choose_patient(&faces, 640, 480), Some(1));
        assert_eq!(choose_patient(&[], 640, 480), None);
    }

    fn skin_image(lower: [u8; 3]) -> (RgbImage, Detection) {
        let f = frontal(100.0, 224.0);
        let mut px = vec![0u8; 640 * 480 * 3];
        let mask_top = (f.landmarks[2][1] + 10.0) as usize;
        for (i, p) in px.chunks_exact_mut(3).enumerate() {
            let y = i / 640;
            p.copy_from_slice(if y > mask_top {
                &lower
            } else {
                &[200, 150, 120]
            });
        }
        (RgbImage::new(640, 480, px).unwrap(), f)
    }

    #[test]
    fn skin_coloured_lower_face_is_not_a_mask() {
        let (img, f) = skin_image([190, 140, 112]);
        assert!(lower_face_skin_share(&img, &f) > 0.9);
    }

    #[test]
    fn white_blue_and_black_masks_are_masks() {
        for colour in [[235, 235, 235], [120, 180, 230], [25, 25, 30]] {
            let (img, f) = skin_image(colour);
            let share = lower_face_skin_share(&img, &f);
            assert!(share < MASK_SKIN_SHARE, "{colour:?}: {share}");
        }
    }

    #[test]
    fn second_large_face_asks_to_come_alone() {
        let (img, _) = skin_image([190, 140, 112]);
        let faces = [frontal(50.0, 200.0), frontal(330.0, 190.0)];
        let limits = QualityLimits {
            min_eye_distance_px: 10.0,
            max_head_turn: 0.5,
            min_face_brightness: 10.0,
        };
        let mut fig = QualityFigures::default();
        assert_eq!(
            judge(&img, &faces, 0, &limits, &mut fig),
            Err(Guidance::SeveralFaces)
        );
    }

    #[test]
    fn small_face_is_too_far() {
        let (img, _) = skin_image([190, 140, 112]);
        let faces = [frontal(300.0, 40.0)];
        let limits = QualityLimits {
            min_eye_distance_px: 28.0,
            max_head_turn: 0.5,
            min_face_brightness: 10.0,
        };
        let mut fig = QualityFigures::default();
        assert_eq!(
            judge(&img, &faces, 0, &limits, &mut fig),
            Err(Guidance::TooFar)
        );
    }
}
