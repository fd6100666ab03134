//! A stream read ahead in batches ([`Ahead`]), with the ChaCha8 block function sixteen blocks at a time
//! where the CPU has AVX-512.

use std::convert::Infallible;

use rand::{Rng, TryRng};

use super::{RUN, SimRng, WordRuns};

/// Words per batch: 16 ChaCha blocks of 16 words.
const BATCH: usize = 256;

/// A stream's words read ahead in batches of 256: the same words in the same order as the stream gives
/// them (to [`Rng::next_u32`](rand::Rng::next_u32), `next_u64` and `fill_bytes` alike), for long runs of
/// draws such as the turns of a chunk. On CPUs with AVX-512 a batch is generated sixteen blocks at a time
/// (the stream's own generator makes four at a time, in three times the instructions per word).
/// Reading ahead moves the stream on: the words of a batch not yet taken are lost with the `Ahead`.
pub struct Ahead {
    source: Source,
    /// The batch, as the stream's little-endian bytes.
    words: [[u8; 4]; BATCH],
    /// Words of the batch already taken.
    at: usize,
}

/// Where the batches come from.
#[expect(clippy::large_enum_variant, reason = "one per long run of draws, beside a batch of 1 KiB")]
enum Source {
    /// Generated here, from the stream's key and stream number; the next batch starts at block `block`.
    Wide { seed: [u8; 32], stream: u64, block: u64 },
    /// Drawn from the stream.
    Plain(SimRng),
}

impl Ahead {
    /// `rng`'s words from where it stands: generated here when it stands at a block boundary and the CPU
    /// can, else drawn from it.
    pub fn new(rng: SimRng) -> Self {
        Self::generated_if(wide::available(), rng)
    }

    /// [`Ahead::new`], generating the batches here only if `wide` (only where [`wide::available`]): tests
    /// take both sources on one machine.
    pub(super) fn generated_if(wide: bool, rng: SimRng) -> Self {
        let pos = rng.get_word_pos();
        let source = if wide && pos.is_multiple_of(16) {
            Source::Wide { seed: rng.get_seed(), stream: rng.get_stream(), block: (pos / 16) as u64 }
        } else {
            Source::Plain(rng)
        };
        Ahead { source, words: [[0; 4]; BATCH], at: BATCH }
    }

    #[inline(never)]
    fn refill(&mut self) {
        match &mut self.source {
            Source::Wide { seed, stream, block } => {
                wide::blocks(seed, *stream, *block, &mut self.words);
                *block = block.wrapping_add(BATCH as u64 / 16);
            }
            Source::Plain(rng) => rng.fill_bytes(self.words.as_flattened_mut()),
        }
        self.at = 0;
    }

    #[inline(always)]
    fn word(&mut self) -> u32 {
        if self.at == BATCH {
            self.refill();
        }
        let w = u32::from_le_bytes(self.words[self.at]);
        self.at += 1;
        w
    }
}

impl TryRng for Ahead {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.word())
    }

    /// Two words, the first one low (as the stream makes them).
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let low = self.word();
        Ok(u64::from(self.word()) << 32 | u64::from(low))
    }

    /// Whole words in order; a last partial word is taken whole, its unused bytes lost (as the stream does).
    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let mut done = 0;
        while done < dst.len() {
            if self.at == BATCH {
                self.refill();
            }
            let left = &self.words.as_flattened()[self.at * 4..];
            let len = left.len().min(dst.len() - done);
            dst[done..done + len].copy_from_slice(&left[..len]);
            self.at += len.div_ceil(4);
            done += len;
        }
        Ok(())
    }
}

impl WordRuns for Ahead {
    /// Up to the end of the batch, where they lie.
    #[inline(always)]
    fn run<'w>(&'w mut self, _: &'w mut [[u8; 4]; RUN], most: usize) -> &'w [[u8; 4]] {
        if self.at == BATCH {
            self.refill();
        }
        let run = &self.words[self.at..BATCH.min(self.at + most)];
        self.at += run.len();
        run
    }
}

/// The AVX-512 forms of ChaCha8 blocks and of [`Below::fill_skipping`](super::Below::fill_skipping)'s draws.
#[cfg(target_arch = "x86_64")]
pub(super) mod wide {
    use std::arch::x86_64::{
        __m512i, _mm_set_epi32, _mm512_add_epi32, _mm512_broadcast_i32x4, _mm512_cmpge_epu32_mask,
        _mm512_mask_add_epi32, _mm512_mask_blend_epi32, _mm512_mask_cmpge_epu32_mask, _mm512_mask_storeu_epi32,
        _mm512_maskz_compress_epi32, _mm512_maskz_loadu_epi32, _mm512_mul_epu32, _mm512_mullo_epi32, _mm512_rol_epi32,
        _mm512_set_epi64, _mm512_set1_epi32, _mm512_setr_epi32, _mm512_shuffle_epi32, _mm512_shuffle_i32x4,
        _mm512_srli_epi64, _mm512_storeu_si512, _mm512_xor_si512,
    };

    use super::BATCH;

    /// Whether this CPU has AVX-512F, and POPCNT (for the count of a mask), which the wide forms use (std
    /// caches the answers).
    #[inline]
    pub fn available() -> bool {
        is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("popcnt")
    }

    /// ChaCha8 blocks `block..block + 16` of key `seed` and stream `stream`, as the little-endian bytes of
    /// their words in stream order (what rand_chacha's `ChaCha8Rng` gives at word `16 block` of `stream`).
    /// Only where [`available`].
    #[expect(unsafe_code, reason = "calls the AVX-512 block function, after checking that the CPU has it")]
    pub fn blocks(seed: &[u8; 32], stream: u64, block: u64, out: &mut [[u8; 4]; BATCH]) {
        assert!(available(), "AVX-512 blocks on a CPU without AVX-512");
        // SAFETY: the CPU has AVX-512F, the one feature `blocks_avx512` enables, checked above.
        unsafe { blocks_avx512(seed, stream, block, out) }
    }

    /// [`Below::fill_skipping`](crate::rng::Below::fill_skipping) on the words `words` of the stream, 16 at a
    /// time: Lemire's draws from `0..n` (a word is rejected when the low half of its product with n is
    /// below `threshold`), the accepted ones in order, draw i skipping over `first + i`, stored from
    /// `out[done]` on. `words` must fit: at most `out.len() - done`. Returns `done` plus the draws made.
    /// Only where [`available`].
    #[expect(unsafe_code, reason = "calls the AVX-512 draws, after checking that the CPU has their features")]
    pub fn draws_skipping(
        n: u32,
        threshold: u32,
        first: u32,
        words: &[[u8; 4]],
        out: &mut [u32],
        done: usize,
    ) -> usize {
        assert!(available(), "AVX-512 draws on a CPU without AVX-512");
        assert!(words.len() <= out.len() - done, "{} words for {} draws", words.len(), out.len() - done);
        // SAFETY: the CPU has AVX-512F and POPCNT, the features `draws_skipping_avx512` enables, and the words
        // fit, all checked above.
        unsafe { draws_skipping_avx512(n, threshold, first, words, out, done) }
    }

    /// [`draws_skipping`]: per 16 words, the products' halves from two even/odd multiplies, the accepted
    /// draws packed to the front (compress) in order, then each shifted past its own initiator.
    #[target_feature(enable = "avx512f,popcnt")]
    #[expect(unsafe_code, reason = "masked AVX-512 loads from `words` and stores into `out`, in bounds")]
    fn draws_skipping_avx512(
        n: u32,
        threshold: u32,
        first: u32,
        words: &[[u8; 4]],
        out: &mut [u32],
        mut done: usize,
    ) -> usize {
        let (nv, tv, one) = (_mm512_set1_epi32(n as i32), _mm512_set1_epi32(threshold as i32), _mm512_set1_epi32(1));
        let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for run in words.chunks(16) {
            let live = ((1u32 << run.len()) - 1) as u16;
            // SAFETY: the lanes of `live` are the `run.len()` words of `run`; masked-off lanes are not read.
            let x = unsafe { _mm512_maskz_loadu_epi32(live, run.as_ptr().cast()) };
            let even = _mm512_mul_epu32(x, nv);
            let odd = _mm512_mul_epu32(_mm512_srli_epi64::<32>(x), nv);
            let draws = _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64::<32>(even), odd);
            let accepted = _mm512_mask_cmpge_epu32_mask(live, _mm512_mullo_epi32(x, nv), tv);
            let packed = _mm512_maskz_compress_epi32(accepted, draws);
            let skipped = _mm512_add_epi32(_mm512_set1_epi32(first.wrapping_add(done as u32) as i32), lane);
            let q = _mm512_mask_add_epi32(packed, _mm512_cmpge_epu32_mask(packed, skipped), packed, one);
            let count = accepted.count_ones() as usize;
            // SAFETY: `count` ≤ `run.len()` lanes from `out[done]`; the runs before took as many draws as
            // words at most, and all words fit in `out[done..]` (checked by the caller).
            unsafe { _mm512_mask_storeu_epi32(out.as_mut_ptr().add(done).cast(), ((1u32 << count) - 1) as u16, q) };
            done += count;
        }
        done
    }

    /// [`blocks`] in four sets of four blocks, each set a row of the ChaCha state per register (lane k of
    /// a register is block k of the set); the sets run side by side, for instruction-level parallelism.
    #[target_feature(enable = "avx512f")]
    #[expect(unsafe_code, reason = "stores the blocks with unaligned AVX-512 stores into `out`")]
    fn blocks_avx512(seed: &[u8; 32], stream: u64, block: u64, out: &mut [[u8; 4]; BATCH]) {
        let key = |i: usize| i32::from_le_bytes(seed[4 * i..4 * i + 4].try_into().expect("4 bytes"));
        // "expand 32-byte k"
        let a0 = _mm512_broadcast_i32x4(_mm_set_epi32(0x6b20_6574, 0x7962_2d32, 0x3320_646e, 0x6170_7865));
        let b0 = _mm512_broadcast_i32x4(_mm_set_epi32(key(3), key(2), key(1), key(0)));
        let c0 = _mm512_broadcast_i32x4(_mm_set_epi32(key(7), key(6), key(5), key(4)));
        // Per lane: the 64-bit block counter, then the 64-bit stream.
        let s = stream as i64;
        let d0: [__m512i; 4] = std::array::from_fn(|set| {
            let c = block.wrapping_add(4 * set as u64);
            let at = |k: u64| c.wrapping_add(k) as i64;
            _mm512_set_epi64(s, at(3), s, at(2), s, at(1), s, at(0))
        });
        let (mut a, mut b, mut c, mut d) = ([a0; 4], [b0; 4], [c0; 4], d0);
        macro_rules! quarter {
            () => {
                for i in 0..4 {
                    a[i] = _mm512_add_epi32(a[i], b[i]);
                    d[i] = _mm512_rol_epi32::<16>(_mm512_xor_si512(d[i], a[i]));
                    c[i] = _mm512_add_epi32(c[i], d[i]);
                    b[i] = _mm512_rol_epi32::<12>(_mm512_xor_si512(b[i], c[i]));
                    a[i] = _mm512_add_epi32(a[i], b[i]);
                    d[i] = _mm512_rol_epi32::<8>(_mm512_xor_si512(d[i], a[i]));
                    c[i] = _mm512_add_epi32(c[i], d[i]);
                    b[i] = _mm512_rol_epi32::<7>(_mm512_xor_si512(b[i], c[i]));
                }
            };
        }
        // ChaCha8: four double rounds, columns then diagonals (rows b, c, d turned by 1, 2, 3 words).
        for _ in 0..4 {
            quarter!();
            for i in 0..4 {
                b[i] = _mm512_shuffle_epi32::<0x39>(b[i]);
                c[i] = _mm512_shuffle_epi32::<0x4e>(c[i]);
                d[i] = _mm512_shuffle_epi32::<0x93>(d[i]);
            }
            quarter!();
            for i in 0..4 {
                b[i] = _mm512_shuffle_epi32::<0x93>(b[i]);
                c[i] = _mm512_shuffle_epi32::<0x4e>(c[i]);
                d[i] = _mm512_shuffle_epi32::<0x39>(d[i]);
            }
        }
        for i in 0..4 {
            let (a, b, c, d) = (
                _mm512_add_epi32(a[i], a0),
                _mm512_add_epi32(b[i], b0),
                _mm512_add_epi32(c[i], c0),
                _mm512_add_epi32(d[i], d0[i]),
            );
            // Rows of four blocks to blocks of four rows.
            let ab01 = _mm512_shuffle_i32x4::<0b01_00_01_00>(a, b);
            let cd01 = _mm512_shuffle_i32x4::<0b01_00_01_00>(c, d);
            let ab23 = _mm512_shuffle_i32x4::<0b11_10_11_10>(a, b);
            let cd23 = _mm512_shuffle_i32x4::<0b11_10_11_10>(c, d);
            let blocks = [
                _mm512_shuffle_i32x4::<0b10_00_10_00>(ab01, cd01),
                _mm512_shuffle_i32x4::<0b11_01_11_01>(ab01, cd01),
                _mm512_shuffle_i32x4::<0b10_00_10_00>(ab23, cd23),
                _mm512_shuffle_i32x4::<0b11_01_11_01>(ab23, cd23),
            ];
            for (k, v) in blocks.into_iter().enumerate() {
                let words = &mut out[16 * (4 * i + k)..][..16];
                // SAFETY: `words` is 16 words, 64 bytes, exclusively borrowed: what one unaligned store writes.
                unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), v) };
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) mod wide {
    use super::BATCH;

    pub fn available() -> bool {
        false
    }

    pub fn blocks(_: &[u8; 32], _: u64, _: u64, _: &mut [[u8; 4]; BATCH]) {
        unreachable!("no wide blocks on this target")
    }

    pub fn draws_skipping(_: u32, _: u32, _: u32, _: &[[u8; 4]], _: &mut [u32], _: usize) -> usize {
        unreachable!("no wide draws on this target")
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::rng::{Below, Lane, stream};

    /// The sources to test on this machine: drawn from the stream, and generated here where the CPU can (else
    /// a note says that the wide source went unchecked).
    pub(in crate::rng) fn sources() -> Vec<bool> {
        if wide::available() {
            vec![false, true]
        } else {
            eprintln!("note: no AVX-512F and POPCNT on this CPU, the wide path is not checked");
            vec![false]
        }
    }

    /// The batches are the stream's words, whatever way they are taken (draws of [`Below::fill_map`] too),
    /// from either source, from block boundaries and from within blocks, across batches and across a block
    /// counter that carries into its high word.
    #[test]
    fn ahead_gives_the_streams_words() {
        for generated in sources() {
            for (seed, run, start) in [(1, 0, 0), (7, 3, 5), (9, 1 << 40, 16 * ((1 << 32) - 3)), (2, 5, 16 * 1000 + 3)]
            {
                let mut rng = stream(seed, 0, Lane::Protocol);
                rng.set_stream(run);
                rng.set_word_pos(start);
                let (mut ahead, mut plain) = (Ahead::generated_if(generated, rng.clone()), rng);
                assert_eq!(matches!(ahead.source, Source::Wide { .. }), generated && start % 16 == 0);
                for len in [0, 1, 3, 4, 5, 64, 255, 300, 1000] {
                    let (mut x, mut y) = (vec![0u8; len], vec![0u8; len]);
                    ahead.fill_bytes(&mut x);
                    plain.fill_bytes(&mut y);
                    assert_eq!(x, y, "seed {seed}, {len} bytes");
                    for _ in 0..len {
                        assert_eq!(ahead.next_u32(), plain.next_u32(), "seed {seed}");
                    }
                    assert_eq!(ahead.next_u64(), plain.next_u64(), "seed {seed}");
                    // In runs where the words lie (3·2^30: one word in four is rejected).
                    let (mut x, mut y) = (vec![0u32; len.min(64)], vec![0u32; len.min(64)]);
                    Below::new(3 << 30).fill_map(&mut x, &mut ahead, |_, d| d);
                    Below::new(3 << 30).fill_map(&mut y, &mut plain, |_, d| d);
                    assert_eq!(x, y, "seed {seed}, {len} draws");
                }
            }
        }
    }

    /// Where the CPU has AVX-512, its blocks are ChaCha8's, at any block and stream (else a note says so).
    #[test]
    fn wide_blocks_are_chacha8_blocks() {
        if !sources().contains(&true) {
            return;
        }
        for (seed, run, block) in [(1, 0, 0), (3, u64::MAX, 7), (4, 12, (1 << 32) - 5), (5, 1, u64::MAX - 3)] {
            let mut rng = stream(seed, run, Lane::Network);
            rng.set_word_pos(u128::from(block) * 16);
            let mut wide = [[0; 4]; BATCH];
            wide::blocks(&rng.get_seed(), rng.get_stream(), block, &mut wide);
            let mut plain = [[0; 4]; BATCH];
            rng.fill_bytes(plain.as_flattened_mut());
            assert_eq!(wide, plain, "seed {seed}, block {block}");
        }
    }
}
