//! Packed words shared between threads. A synchronous round whose exchanges run on several threads at
//! once sets bits in words that other threads may be setting too: it borrows its state as atomics for the
//! round ([`as_atomic`]) and sets bits with `fetch_or`, whose result is the same in any order. An event-driven
//! run on parts borrows per-node counts as atomics ([`counts_as_atomic`]) that each part writes for its own nodes
//! and reads for others' (relaxed loads and stores: plain moves).

use std::sync::atomic::{AtomicU32, AtomicU64};

/// `words` as atomic words, for as long as the view is borrowed (what the unstable
/// `AtomicU64::from_mut_slice` does). The exclusive borrow it takes is what makes the view sound: no plain
/// access to the words can happen while threads use it.
#[expect(unsafe_code, reason = "reinterprets exclusively borrowed u64 words as atomics of the same layout")]
pub fn as_atomic<const K: usize>(words: &mut [[u64; K]]) -> &[[AtomicU64; K]] {
    const {
        assert!(size_of::<AtomicU64>() == size_of::<u64>() && align_of::<AtomicU64>() == align_of::<u64>());
    };
    // SAFETY: `AtomicU64` has the size and bit validity of `u64` and (asserted above) its alignment, so
    // `[[AtomicU64; K]]` has the layout of `[[u64; K]]`, with the same length. The returned view holds the
    // exclusive borrow of `words` for its whole lifetime: every access meanwhile goes through the atomics.
    unsafe { &*(std::ptr::from_mut(words) as *const [[AtomicU64; K]]) }
}

/// `counts` as atomic counts, for as long as the view is borrowed (what the unstable
/// `AtomicU32::from_mut_slice` does); see [`as_atomic`].
#[expect(unsafe_code, reason = "reinterprets exclusively borrowed u32 counts as atomics of the same layout")]
pub fn counts_as_atomic(counts: &mut [u32]) -> &[AtomicU32] {
    const {
        assert!(size_of::<AtomicU32>() == size_of::<u32>() && align_of::<AtomicU32>() == align_of::<u32>());
    };
    // SAFETY: as in `as_atomic`, for `AtomicU32` and `u32`.
    unsafe { &*(std::ptr::from_mut(counts) as *const [AtomicU32]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn the_view_sets_the_words_it_was_made_of() {
        let mut words = vec![[0u64, 5], [1, 0]];
        let view = as_atomic(&mut words);
        std::thread::scope(|s| {
            for b in 0..4 {
                s.spawn(move || view[1][0].fetch_or(1 << (b + 1), Ordering::Relaxed));
            }
        });
        assert_eq!(view[0][1].load(Ordering::Relaxed), 5);
        assert_eq!(words, vec![[0, 5], [0b11111, 0]]);
    }
}
