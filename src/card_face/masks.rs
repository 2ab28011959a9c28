//! Binary masks over a frame, for finding the card's region: Otsu's threshold,
//! the largest connected component, hole filling, opening (erode then dilate, to
//! cut thin bridges such as a light stripe touching the card) and the region a
//! closed edge contour encloses. A mask is a `Vec<bool>` in row order.

use image::GrayImage;

/// Otsu's threshold of the grey image.
pub fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0u64, 0.0f64, 0.0f64, 128u8);
    for (t, &count) in hist.iter().enumerate() {
        w0 += count;
        sum0 += t as f64 * count as f64;
        let w1 = total - w0;
        if w0 == 0 || w1 == 0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0 as f64, (sum_all - sum0) / w1 as f64);
        let between = w0 as f64 * w1 as f64 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The 4-neighbours of pixel `i` in a `w`×`h` grid.
fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// The largest 4-connected component of `mask` as a mask of the same size.
pub fn largest_component(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut label = vec![0u32; mask.len()];
    let (mut best, mut best_size, mut next) = (0u32, 0usize, 1u32);
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        let mut size = 0;
        label[start] = next;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            for j in neighbours(i, w, h) {
                if mask[j] && label[j] == 0 {
                    label[j] = next;
                    stack.push(j);
                }
            }
        }
        if size > best_size {
            (best, best_size) = (next, size);
        }
        next += 1;
    }
    label.iter().map(|&l| l == best && best != 0).collect()
}

/// The pixels not in `mask` that are reachable from the frame's border through
/// pixels not in `mask`.
fn reachable_from_border(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut outside = vec![false; mask.len()];
    let mut stack: Vec<usize> = (0..w)
        .flat_map(|x| [x, (h - 1) * w + x])
        .chain((0..h).flat_map(|y| [y * w, y * w + w - 1]))
        .filter(|&i| !mask[i])
        .collect();
    for &i in &stack {
        outside[i] = true;
    }
    while let Some(i) = stack.pop() {
        for j in neighbours(i, w, h) {
            if !mask[j] && !outside[j] {
                outside[j] = true;
                stack.push(j);
            }
        }
    }
    outside
}

/// Fills holes: pixels not in `mask` and not reachable from the border are set.
pub fn fill_holes(mask: &mut [bool], w: usize, h: usize) {
    let outside = reachable_from_border(mask, w, h);
    for (m, o) in mask.iter_mut().zip(outside) {
        *m = !o;
    }
}

/// How many set pixels each (2r+1)² window centred on a pixel holds (pixels
/// outside the frame count as unset).
fn window_counts(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<u32> {
    let mut integral = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += mask[y * w + x] as u32;
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = vec![0u32; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let at = |xx: usize, yy: usize| integral[yy * (w + 1) + xx];
            out[y * w + x] = at(x1, y1) + at(x0, y0) - at(x0, y1) - at(x1, y0);
        }
    }
    out
}

/// Erosion by a (2r+1)² square.
pub fn erode(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let full = ((2 * r + 1) * (2 * r + 1)) as u32;
    window_counts(mask, w, h, r)
        .into_iter()
        .map(|n| n == full)
        .collect()
}

/// Dilation by a (2r+1)² square.
pub fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    window_counts(mask, w, h, r)
        .into_iter()
        .map(|n| n > 0)
        .collect()
}

/// Opening by a (2r+1)² square: removes everything narrower than 2r+1 pixels.
pub fn open(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    dilate(&erode(mask, w, h, r), w, h, r)
}

/// The region enclosed by the edge pixels `edges`: every pixel not reachable
/// from the border without crossing an edge (edges included).
pub fn enclosed(edges: &[bool], w: usize, h: usize) -> Vec<bool> {
    reachable_from_border(edges, w, h)
        .into_iter()
        .map(|o| !o)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(w: usize, h: usize, (x0, y0, x1, y1): (usize, usize, usize, usize)) -> Vec<bool> {
        (0..w * h)
            .map(|i| (x0..x1).contains(&(i % w)) && (y0..y1).contains(&(i / w)))
            .collect()
    }

    #[test]
    fn opening_cuts_a_thin_bridge_and_keeps_the_block() {
        let (w, h) = (60, 40);
        let mut mask = rect(w, h, (10, 10, 40, 30));
        // A 3-pixel-wide stripe touching the block, running to the right edge.
        for (i, m) in mask.iter_mut().enumerate() {
            if (18..21).contains(&(i / w)) && i % w >= 40 {
                *m = true;
            }
        }
        let opened = open(&mask, w, h, 3);
        assert_eq!(opened, rect(w, h, (10, 10, 40, 30)));
        assert_eq!(largest_component(&mask, w, h), mask);
    }

    #[test]
    fn an_edge_ring_encloses_its_inside_and_holes_fill() {
        let (w, h) = (30, 20);
        let outer = rect(w, h, (5, 5, 25, 15));
        let inner = rect(w, h, (6, 6, 24, 14));
        let ring: Vec<bool> = outer.iter().zip(&inner).map(|(o, i)| *o && !i).collect();
        assert_eq!(enclosed(&ring, w, h), outer);
        let mut holed = ring.clone();
        fill_holes(&mut holed, w, h);
        assert_eq!(holed, outer);
        // A gap in the ring lets the outside in.
        let mut open_ring = ring;
        open_ring[5 * w + 15] = false;
        assert_eq!(
            enclosed(&open_ring, w, h).iter().filter(|&&m| m).count(),
            55
        );
    }

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(20, 10, |x, _| image::Luma([if x < 10 { 40 } else { 200 }]));
        let t = otsu(&img);
        assert!((40..200).contains(&t), "{t}");
    }
}
