//! A fixed-size set of small integers, one bit each: node flags that must stay in cache on large graphs
//! (N/8 bytes, where a `Vec<bool>` takes N).

/// Bits `0..len`, all clear at first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn new(len: u32) -> Self {
        BitSet { words: vec![0; (len as usize).div_ceil(64)] }
    }

    #[inline]
    pub fn get(&self, i: u32) -> bool {
        self.words[(i / 64) as usize] >> (i % 64) & 1 == 1
    }

    /// Sets bit `i`; returns whether it was clear.
    #[inline]
    pub fn set(&mut self, i: u32) -> bool {
        let w = &mut self.words[(i / 64) as usize];
        let bit = 1u64 << (i % 64);
        let was_clear = *w & bit == 0;
        *w |= bit;
        was_clear
    }

    #[inline]
    pub fn clear(&mut self, i: u32) {
        self.words[(i / 64) as usize] &= !(1u64 << (i % 64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_clear_across_words() {
        let mut b = BitSet::new(130);
        assert!(b.set(129) && !b.set(129));
        assert!(b.get(129) && !b.get(128) && !b.get(63));
        assert!(b.set(63));
        b.clear(129);
        assert!(!b.get(129) && b.get(63));
    }
}
