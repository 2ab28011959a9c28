//! The process's C heap (glibc `malloc`, which Rust's allocator uses on Linux): how
//! it hands freed memory back to the kernel.
//!
//! The face and OCR networks allocate tens of MiB of short-lived tensors per frame,
//! each worker thread in its own malloc arena. glibc's default raises its mmap
//! threshold after the first large free, so later tensors come from the arenas and
//! their pages stay resident after use: two readers' working sets add up, and the
//! daemon's resident memory climbs far above what it holds. [`release_free`] gives
//! the free pages of every arena back (`malloc_trim(0)`); the workers call it after
//! each face attempt and each card-face read, so the peak is one reader's working
//! set above the resident models, not the sum of both (docs/board.md, "Memory").
//!
//! Elsewhere than glibc it does nothing.

#![allow(unsafe_code)]

/// Returns the free pages of every malloc arena to the kernel; true if any were.
pub fn release_free() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks glibc's own arenas under their locks and
        // releases pages no allocation uses; it takes no pointer from us.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn freed_arena_memory_is_released() {
        // 64 MiB in blocks under the mmap threshold: they come from an arena, and
        // once freed (and the arena's top kept by one survivor) only a trim hands
        // their pages back.
        let mut blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![i as u8; 64 << 10]).collect();
        let survivor = blocks.pop();
        drop(blocks);
        assert!(release_free(), "64 MiB freed, nothing released");
        assert_eq!(survivor.map(|b| b[0]), Some((1023 % 256) as u8));
    }
}
