//! The pairs of a face evaluation: parsing LFW `pairs.txt` or the CSV format, and
//! scoring every pair once per image (embeddings cached; `--chip-a` turns the first
//! image of each pair into a simulated chip photo first).

use crate::face::{cosine, decode_chip_photo, FaceError, OnnxMatcher, RgbImage, Template};
use crate::sim::photos::{chip_crop, encode_jp2, file_err, pick_face};
use std::collections::HashMap;
use std::path::Path;
use zeroize::Zeroizing;

/// One labelled pair of images.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// First image (the card side with `--chip-a`), with an optional `#k` face index.
    pub a: String,
    /// Second image.
    pub b: String,
    /// Same person?
    pub same: bool,
    /// The cross-validation fold (LFW `pairs.txt` with a `folds size` header: each
    /// fold is `size` genuine then `size` impostor lines), counted from 0.
    pub fold: Option<usize>,
}

/// Parses LFW `pairs.txt` or the CSV format.
pub fn parse_pairs(text: &str) -> Result<Vec<Pair>, FaceError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let lfw = lines
        .iter()
        .skip(1)
        .take(1)
        .all(|l| !l.contains(',') && l.split_whitespace().count() >= 3);
    let is_header = |l: &str| l.split_whitespace().all(|w| w.parse::<u64>().is_ok());
    // `10 300`: ten folds of 300 genuine and 300 impostor pairs.
    let fold_size = match lines
        .first()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
    {
        Some(h) if lfw && h.len() == 2 && is_header(lines[0]) => h[1].parse::<usize>().ok(),
        _ => None,
    }
    .filter(|&n| n > 0);
    let mut pairs = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let err = |why: &str| FaceError::Input(format!("pairs line {}: {why}: {line:?}", n + 1));
        if lfw && !line.contains(',') {
            let f: Vec<&str> = line.split_whitespace().collect();
            let img = |name: &str, idx: &str| -> Result<String, FaceError> {
                let i: u32 = idx.parse().map_err(|_| err("bad image number"))?;
                Ok(format!("{name}/{name}_{i:04}.jpg"))
            };
            match f.as_slice() {
                _ if n == 0 && is_header(line) => {}
                [name, i, j] => pairs.push(Pair {
                    a: img(name, i)?,
                    b: img(name, j)?,
                    same: true,
                    fold: fold_size.map(|k| pairs.len() / (2 * k)),
                }),
                [n1, i, n2, j] => pairs.push(Pair {
                    a: img(n1, i)?,
                    b: img(n2, j)?,
                    same: false,
                    fold: fold_size.map(|k| pairs.len() / (2 * k)),
                }),
                _ => return Err(err("expected `name i j` or `name1 i name2 j`")),
            }
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let [a, b, same] = f.as_slice() else {
            return Err(err("expected image_a,image_b,same"));
        };
        let same = match parse_same(same) {
            Some(same) => same,
            None if n == 0 => continue, // header line
            None => return Err(err("`same` must be 1/0/true/false")),
        };
        pairs.push(Pair {
            a: a.to_string(),
            b: b.to_string(),
            same,
            fold: None,
        });
    }
    if pairs.is_empty() {
        return Err(FaceError::Input("no pairs in the pairs file".into()));
    }
    Ok(pairs)
}

/// The label column of a CSV set: 1/0, true/false, yes/no (any case).
pub(super) fn parse_same(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// Scores of all pairs, split by label.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Same-person scores.
    pub genuine: Vec<f32>,
    /// Different-person scores.
    pub impostor: Vec<f32>,
    /// Images where no face could be found or embedded.
    pub failed_images: Vec<String>,
    /// Pairs skipped because an image failed.
    pub skipped_pairs: usize,
    /// The same scores per cross-validation fold (empty without folds).
    pub folds: Vec<Scores>,
}

impl Scores {
    fn push(&mut self, same: bool, score: f32) {
        if same {
            self.genuine.push(score);
        } else {
            self.impostor.push(score);
        }
    }
}

/// Embeddings of evaluation images, one per image and role (camera, or through the
/// simulated chip photo), kept across pair sets so each image is embedded once.
/// `None` records an image where no face was found or embedded.
pub type EmbeddingCache = HashMap<(String, bool), Option<Zeroizing<Vec<f32>>>>;

/// Embeds every image once and scores every pair.
pub fn score_pairs(
    matcher: &OnnxMatcher,
    pairs: &[Pair],
    root: &Path,
    chip: Option<(u32, u32, usize)>,
) -> Result<Scores, FaceError> {
    score_pairs_cached(matcher, pairs, root, chip, &mut EmbeddingCache::new())
}

/// [`score_pairs`] with a cache shared between pair sets. Every 1000 new images a
/// progress line goes to stderr.
pub fn score_pairs_cached(
    matcher: &OnnxMatcher,
    pairs: &[Pair],
    root: &Path,
    chip: Option<(u32, u32, usize)>,
    cache: &mut EmbeddingCache,
) -> Result<Scores, FaceError> {
    let mut scores = Scores::default();
    let mut used: HashMap<(String, bool), ()> = HashMap::new();
    for pair in pairs {
        let mut embedding = |name: &str, as_chip: bool| -> Zeroizing<Vec<f32>> {
            let key = (name.to_owned(), as_chip);
            used.insert(key.clone(), ());
            let fresh = cache.len();
            let entry = cache.entry(key).or_insert_with(|| {
                if fresh > 0 && fresh % 1000 == 0 {
                    eprintln!("face-eval: {fresh} images embedded");
                }
                let got = embed_entry(matcher, root, name, as_chip.then_some(chip).flatten());
                got.ok()
            });
            entry.clone().unwrap_or_default()
        };
        let ea = embedding(&pair.a, chip.is_some());
        let eb = embedding(&pair.b, false);
        if ea.is_empty() || eb.is_empty() {
            scores.skipped_pairs += 1;
            continue;
        }
        let s = cosine(&ea, &eb);
        scores.push(pair.same, s);
        if let Some(k) = pair.fold {
            if scores.folds.len() <= k {
                scores.folds.resize_with(k + 1, Scores::default);
            }
            scores.folds[k].push(pair.same, s);
        }
    }
    scores.failed_images = cache
        .iter()
        .filter(|(key, v)| v.is_none() && used.contains_key(*key))
        .map(|((k, chip), _)| {
            if *chip {
                format!("{k} (as chip)")
            } else {
                k.clone()
            }
        })
        .collect();
    scores.failed_images.sort();
    Ok(scores)
}

/// `path#k` → (path, Some(k)).
fn split_selector(name: &str) -> (&str, Option<usize>) {
    match name.rsplit_once('#') {
        Some((path, k)) => match k.parse() {
            Ok(k) => (path, Some(k)),
            Err(_) => (name, None),
        },
        None => (name, None),
    }
}

/// The embedding of one pair entry (optionally through a simulated chip photo).
pub(super) fn embed_entry(
    matcher: &OnnxMatcher,
    root: &Path,
    name: &str,
    chip: Option<(u32, u32, usize)>,
) -> Result<Zeroizing<Vec<f32>>, FaceError> {
    let (path, index) = split_selector(name);
    let path = root.join(path);
    let image = RgbImage::open(&path).map_err(|reason| file_err(&path, reason))?;
    let faces = matcher.detect(&image)?;
    let face = pick_face(&faces, index, &image)
        .ok_or_else(|| FaceError::Input(format!("{name}: no face")))?;
    match chip {
        None => matcher.embed_face(&image, face),
        Some((w, h, bytes)) => {
            let crop = chip_crop(&image, face, w, h);
            let jp2 = encode_jp2(&crop, bytes)?;
            let reference =
                matcher.enroll_image(&RgbImage::from_gray(&decode_chip_photo(&jp2)?))?;
            match reference.template {
                Template::Embedding(e) | Template::Thumbnail(e) => Ok(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_pairs_with_header_and_selectors() {
        let p =
            parse_pairs("image_a,image_b,same\na.jpg#1,b.jpg,1\nc.jpg, d.jpg ,false\n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            Pair {
                a: "a.jpg#1".into(),
                b: "b.jpg".into(),
                same: true,
                fold: None,
            }
        );
        assert!(!p[1].same && p[1].b == "d.jpg");
        assert_eq!(split_selector("x/y.jpg#2"), ("x/y.jpg", Some(2)));
        assert_eq!(split_selector("x#y.jpg"), ("x#y.jpg", None));
    }

    #[test]
    fn lfw_pairs() {
        let p =
            parse_pairs("10 300\nAbel_Pacheco 1 4\nAbdel_Madi_Shabneh 1 Dean_Barker 1\n").unwrap();
        assert_eq!(p[0].a, "Abel_Pacheco/Abel_Pacheco_0001.jpg");
        assert_eq!(p[0].b, "Abel_Pacheco/Abel_Pacheco_0004.jpg");
        assert!(p[0].same && !p[1].same);
        assert_eq!(p[1].b, "Dean_Barker/Dean_Barker_0001.jpg");
        assert_eq!((p[0].fold, p[1].fold), (Some(0), Some(0)));
    }

    #[test]
    fn lfw_folds_from_the_header() {
        let text = "2 1\nA 1 2\nB 1 C 1\nD 1 2\nE 1 F 2\n";
        let folds: Vec<Option<usize>> = parse_pairs(text).unwrap().iter().map(|p| p.fold).collect();
        assert_eq!(folds, vec![Some(0), Some(0), Some(1), Some(1)]);
    }

    #[test]
    fn bad_pairs_are_errors() {
        assert!(parse_pairs("").is_err());
        assert!(parse_pairs("a.jpg,b.jpg\n").is_err());
        assert!(parse_pairs("h1,h2,h3\na.jpg,b.jpg,maybe\n").is_err());
    }
}
