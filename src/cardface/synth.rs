//! Synthetic card faces and captures with ground truth (placeholder).
