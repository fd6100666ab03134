//! Random streams. Every draw in a simulation comes from a stream keyed by the scenario seed, the run index and a
//! lane (what the stream is for), so results never depend on threads or the clock: a sequential ChaCha8 stream,
//! or a [`Keyed`] one.
//!
//! A run whose events are handled on several threads at once cannot share one sequential stream: who draws
//! first would decide who gets which number. Its draws come from [`Keyed`] instead, a family of
//! counter-based streams seeded from (seed, run, lane) and indexed by what a draw is for (a node, a message's
//! sender, receiver and time of sending): each index names a short stream of its own, which no other draw
//! touches and which no per-node state has to be loaded to reach. A stream is SplitMix64 started from the
//! family's key (mixed with the index's third part by [`mix64`]) with its first two parts in the bits: each
//! word goes through the whole finaliser, so streams whose starts differ in a few bits (a sender's
//! neighbours) draw unrelated words. (A generator whose first word is a single multiplication, such as wyrand,
//! does not: the top bits of its product move by a nearly fixed step from one neighbour's start to the
//! next, and the delays of a sender's copies came out strongly dependent.)

mod ahead;

use std::convert::Infallible;

pub use rand::{Rng, RngExt};
use rand::{SeedableRng, TryRng};
use rand_chacha::ChaCha8Rng;

pub use ahead::Ahead;

/// The generator every component draws from.
pub type SimRng = ChaCha8Rng;

/// What a stream is used for. Separate lanes keep, for example, the topology of run 3 identical
/// whether or not the protocol of run 3 draws more numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Drawing a random topology (the runner's, per replicate).
    Topology,
    /// A protocol's own choices: peers, timers, forwarding coins (the gossip harness's `Net::rng`).
    Protocol,
    /// The network's latency and loss draws.
    Network,
    /// What a model sets up before its protocol runs: initial values, where nodes or keys go.
    Placement,
}

impl Lane {
    fn tag(self) -> u64 {
        match self {
            Lane::Topology => 0x746f_706f,
            Lane::Protocol => 0x7072_6f74,
            Lane::Network => 0x6e65_7477,
            Lane::Placement => 0x706c_6163,
        }
    }
}

/// SplitMix64's step and finaliser, `z` advanced by 2^64 over the golden ratio and mixed: a bijective mix used to
/// derive keys and child seeds, and the words of a [`KeyedRng`].
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64's increment, 2^64 over the golden ratio (odd).
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Derives a child seed from a parent seed and a sequence of indices, e.g. (sweep seed, point, replicate).
pub fn derive_seed(seed: u64, path: &[u64]) -> u64 {
    extend_seed(mix64(seed), path)
}

/// [`derive_seed`] continued from an already derived seed: `extend_seed(derive_seed(s, a), b)` is
/// `derive_seed(s, a ++ b)`.
fn extend_seed(derived: u64, path: &[u64]) -> u64 {
    path.iter().fold(derived, |acc, &i| mix64(acc ^ mix64(i)))
}

/// The stream for `(seed, run)` in the given lane.
pub fn stream(seed: u64, run: u64, lane: Lane) -> SimRng {
    substream(seed, run, lane, &[])
}

/// A stream of its own for one part of `(seed, run)`'s work in `lane`, named by `path`: for instance the
/// turns of chunk `k` of round `r` take `path = [r, k]`, so that parts can be drawn in any order, or at
/// once on several threads, with the same draws. The empty path is [`stream`] itself.
pub fn substream(seed: u64, run: u64, lane: Lane, path: &[u64]) -> SimRng {
    let mut rng = ChaCha8Rng::seed_from_u64(extend_seed(derive_seed(seed, &[lane.tag()]), path));
    rng.set_stream(run);
    rng
}

/// A family of streams seeded from `(seed, run, lane)`, one per index `(a, b, c)` ([`Keyed::at`]`(c)`
/// [`.stream`](Keyed::stream)`(a, b)`): what a draw is for names its stream, so draws made on several threads
/// in any order are the same draws (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyed {
    key: u64,
}

impl Keyed {
    /// The family of `(seed, run)` in `lane`; apart from [`stream`]`(seed, run, lane)` and from other lanes.
    pub fn new(seed: u64, run: u64, lane: Lane) -> Self {
        Keyed { key: derive_seed(seed, &[lane.tag(), KEYED_TAG, run]) }
    }

    /// The family of index `c` within this one (for instance a time): the streams of `(a, b)` within it are
    /// this family's streams of `(a, b, c)`. One mix, made once for the many streams of one `c`.
    #[inline(always)]
    pub fn at(self, c: u64) -> Self {
        Keyed { key: mix64(self.key ^ mix64(c)) }
    }

    /// The stream of index `(a, b)`, for instance a sender and a receiver: SplitMix64 started from the key with
    /// the index in its bits, so that a draw takes one [`mix64`] (cheaper than a ChaCha block for the one or two
    /// words a message draws).
    #[inline(always)]
    pub fn stream(self, a: u32, b: u32) -> KeyedRng {
        KeyedRng { state: self.key ^ (u64::from(a) << 32 | u64::from(b)) }
    }
}

/// Tells [`Keyed`] families apart from [`substream`] paths that start with the same numbers.
const KEYED_TAG: u64 = 0x6b65_7965_6400_0000;

/// One stream of a [`Keyed`] family: SplitMix64 (Steele, Lea and Flood 2014), the state advanced by the
/// golden-ratio constant and each word its image under [`mix64`], which passes BigCrush.
#[derive(Clone, Debug)]
pub struct KeyedRng {
    state: u64,
}

impl TryRng for KeyedRng {
    type Error = Infallible;

    /// The high half of a word.
    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.word() >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.word())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            chunk.copy_from_slice(&self.word().to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

impl KeyedRng {
    /// The next word: [`mix64`] of the state, which then advances by the increment [`mix64`] adds.
    #[inline(always)]
    fn word(&mut self) -> u64 {
        let word = mix64(self.state);
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        word
    }
}

/// Uniform integer in `0..n` by Lemire's multiply-shift with rejection (unbiased, one draw almost always).
#[inline]
pub fn below(rng: &mut (impl Rng + ?Sized), n: u32) -> u32 {
    debug_assert!(n > 0);
    let m = u64::from(rng.next_u32()) * u64::from(n);
    if (m as u32) < n {
        // Rare (probability n / 2^32): only then is the rejection threshold worth its division.
        return Below::new(n).finish(rng, m);
    }
    (m >> 32) as u32
}

/// [`below`] for many draws from one range `0..n`: the same draws, with the rejection threshold computed
/// once (for n near 10^9 a quarter of all draws would otherwise pay a division for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Below {
    n: u32,
    /// 2^32 mod n: a draw whose low half is below it is rejected.
    threshold: u32,
}

impl Below {
    /// Draws from `0..n`; `n` must be positive.
    pub fn new(n: u32) -> Self {
        assert!(n > 0, "an empty range has nothing to draw");
        Below { n, threshold: n.wrapping_neg() % n }
    }

    /// One draw, exactly as `below(rng, n)` would make it.
    #[inline]
    pub fn sample(self, rng: &mut (impl Rng + ?Sized)) -> u32 {
        let m = u64::from(rng.next_u32()) * u64::from(self.n);
        self.finish(rng, m)
    }

    /// Fills `out` with `map(i, draw)` for the next `out.len()` draws, exactly as many calls of
    /// [`Below::sample`] would make them, without a test that a branch predictor could miss: what the caller
    /// makes of each draw, in the same loop. A word of the stream is accepted or rejected by its value alone,
    /// and each draw takes words up to the first accepted one: so the draws are the accepted words in order,
    /// and taking as many words as draws are still missing never takes a word too many. `map` also sees the
    /// rare words that are then rejected (with the index of the draw that overwrites them), so it must not
    /// count on seeing draws only.
    #[inline]
    #[expect(
        unsafe_code,
        reason = "the store of each draw is in bounds by the loop's invariant, unchecked in the hot loop"
    )]
    pub fn fill_map(self, out: &mut [u32], rng: &mut impl WordRuns, map: impl Fn(usize, u32) -> u32) {
        let mut buffer = [[0u8; 4]; RUN];
        let mut done = 0;
        while done < out.len() {
            let want = (out.len() - done).min(RUN);
            for word in rng.run(&mut buffer, want) {
                let m = u64::from(u32::from_le_bytes(*word)) * u64::from(self.n);
                // Written whether accepted or not (a rejected word is overwritten by the next).
                let draw = map(done, (m >> 32) as u32);
                // SAFETY: `done < out.len()`. The run starts with `done + want <= out.len()`, each of its
                // words adds at most 1 to `done`, and this is at most its `want`-th word (a run has at most
                // `want`): so fewer than `want` words were accepted before it. (The compiler cannot see this
                // through the conditional increment, and the check would cost two of the loop's instructions.)
                *unsafe { out.get_unchecked_mut(done) } = draw;
                done += usize::from(m as u32 >= self.threshold);
            }
        }
    }

    /// [`Below::fill_map`]'s draws with draw `i` skipping over `first + i`: draws `u` from `0..n` become
    /// `u + (u >= first + i)`, a uniform value of `0..=n` other than `first + i` (a node's random other node).
    /// On CPUs with AVX-512, sixteen words at a time.
    #[inline]
    pub fn fill_skipping(self, first: u32, out: &mut [u32], rng: &mut impl WordRuns) {
        self.fill_skipping_with(ahead::wide::available(), first, out, rng);
    }

    /// [`Below::fill_skipping`] with AVX-512 if `wide` (only where [`ahead::wide::available`]), else with the
    /// portable loop: the same draws either way (tests run both on one machine).
    #[inline(always)]
    fn fill_skipping_with(self, wide: bool, first: u32, out: &mut [u32], rng: &mut impl WordRuns) {
        if wide {
            let mut buffer = [[0u8; 4]; RUN];
            let mut done = 0;
            while done < out.len() {
                let want = (out.len() - done).min(RUN);
                let words = rng.run(&mut buffer, want);
                done = ahead::wide::draws_skipping(self.n, self.threshold, first, words, out, done);
            }
        } else {
            self.fill_map(out, rng, |i, u| other_than(first + i as u32, u));
        }
    }

    /// Lemire's rejection step for the product `m` of a draw and n; the high half is the value.
    #[inline]
    fn finish(self, rng: &mut (impl Rng + ?Sized), mut m: u64) -> u32 {
        while (m as u32) < self.threshold {
            m = u64::from(rng.next_u32()) * u64::from(self.n);
        }
        (m >> 32) as u32
    }
}

/// The `u`-th node of the complete graph other than `v`: `u` below `v`, `u + 1` from `v` on.
#[inline(always)]
pub(crate) fn other_than(v: u32, u: u32) -> u32 {
    u + u32::from(u >= v)
}

/// Longest run of words [`WordRuns::run`] is asked for.
const RUN: usize = 64;

/// A stream whose words [`Below::fill_map`] reads in runs, where they lie if they lie in a batch of their
/// own ([`Ahead`]), else copied out of the stream.
pub trait WordRuns: Rng {
    /// The next words of the stream, taken: at least one and at most `most` (≤ 64); in `buffer`, or
    /// where they lie.
    fn run<'w>(&'w mut self, buffer: &'w mut [[u8; 4]; RUN], most: usize) -> &'w [[u8; 4]];
}

impl WordRuns for SimRng {
    #[inline]
    fn run<'w>(&'w mut self, buffer: &'w mut [[u8; 4]; RUN], most: usize) -> &'w [[u8; 4]] {
        self.fill_bytes(buffer[..most].as_flattened_mut());
        &buffer[..most]
    }
}

/// Bernoulli draw with probability `p` (exact for p = 0 and p = 1).
#[inline]
pub fn chance(rng: &mut (impl Rng + ?Sized), p: f64) -> bool {
    if p >= 1.0 {
        true
    } else if p <= 0.0 {
        false
    } else {
        // 53 random bits give a uniform double in [0, 1).
        ((rng.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
    }
}

/// Uniform double in [0, 1).
#[inline]
pub fn unit(rng: &mut (impl Rng + ?Sized)) -> f64 {
    ((rng.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64)
}

/// Step `i` of a partial Fisher–Yates shuffle: swaps `pool[i]` with a uniform element of `pool[i..]` and
/// returns it. Steps `0..k` leave a uniform `k`-subset of the pool, in uniform order, in `pool[..k]`,
/// whatever order the pool started in (so one pool serves many draws). Callers that draw something else
/// per picked element take the steps themselves; the others use [`partial_shuffle`].
#[inline]
pub fn shuffle_step<'p, T>(pool: &'p mut [T], i: usize, rng: &mut SimRng) -> &'p T {
    let rest = u32::try_from(pool.len() - i).expect("pools of more than 2^32 elements are not sampled");
    let j = i + below(rng, rest) as usize;
    pool.swap(i, j);
    &pool[i]
}

/// A uniform `k`-subset of `pool`, in uniform order: `pool[..k]` after `k` steps of [`shuffle_step`].
pub fn partial_shuffle<'p, T>(pool: &'p mut [T], k: usize, rng: &mut SimRng) -> &'p mut [T] {
    for i in 0..k {
        shuffle_step(pool, i, rng);
    }
    &mut pool[..k]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = stream(7, 3, Lane::Protocol);
        let mut b = stream(7, 3, Lane::Protocol);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn runs_and_lanes_differ() {
        let first = |s, r, l| stream(s, r, l).next_u64();
        assert_ne!(first(7, 0, Lane::Protocol), first(7, 1, Lane::Protocol));
        assert_ne!(first(7, 0, Lane::Protocol), first(7, 0, Lane::Topology));
        assert_ne!(first(7, 0, Lane::Protocol), first(8, 0, Lane::Protocol));
    }

    #[test]
    fn substreams_are_apart_from_their_stream_and_each_other() {
        let first = |path: &[u64]| substream(7, 0, Lane::Protocol, path).next_u64();
        assert_eq!(first(&[]), stream(7, 0, Lane::Protocol).next_u64());
        let firsts = [first(&[]), first(&[1, 0]), first(&[1, 1]), first(&[0, 1]), first(&[2, 0])];
        for (i, a) in firsts.iter().enumerate() {
            assert!(firsts[i + 1..].iter().all(|b| a != b), "{firsts:?}");
        }
        assert_ne!(
            substream(7, 0, Lane::Protocol, &[1, 0]).next_u64(),
            substream(7, 1, Lane::Protocol, &[1, 0]).next_u64()
        );
        assert_eq!(extend_seed(derive_seed(3, &[4]), &[5, 6]), derive_seed(3, &[4, 5, 6]));
    }

    /// `Below` is `below` with the threshold computed ahead: the same values, and the stream left at the same
    /// place, one draw at a time or filling runs, for ranges where rejections are frequent (3·2^30: one
    /// word in four is rejected) or rare.
    #[test]
    fn below_sampler_draws_what_below_draws() {
        for n in [1, 2, 7, 1000, 999_999_999, 3 << 30, u32::MAX] {
            let (mut a, mut b) = (stream(3, 1, Lane::Protocol), stream(3, 1, Lane::Protocol));
            let sampler = Below::new(n);
            for _ in 0..2000 {
                assert_eq!(sampler.sample(&mut a), below(&mut b, n), "n = {n}");
            }
            assert_eq!(a.next_u32(), b.next_u32());
            // In runs of every length up to two blocks, starting anywhere in the stream's buffer; mapped
            // with the draw's index.
            for len in 0..130 {
                let mut filled = vec![0; len];
                sampler.fill_map(&mut filled, &mut a, |_, draw| draw);
                let drawn: Vec<u32> = (0..len).map(|_| below(&mut b, n)).collect();
                assert_eq!(filled, drawn, "n = {n}, {len} draws");
                sampler.fill_map(&mut filled, &mut a, |i, draw| draw ^ i as u32);
                let drawn: Vec<u32> = (0..len).map(|i| below(&mut b, n) ^ i as u32).collect();
                assert_eq!(filled, drawn, "n = {n}, {len} mapped draws");
                assert_eq!(a.next_u32(), b.next_u32());
            }
        }
    }

    /// `fill_skipping` by either path (AVX-512 where the CPU has it, else a note says it went unchecked, and the
    /// portable loop) draws what `sample` draws, skipped over each node, and leaves the stream where it leaves
    /// it: from the stream and from either source of an [`Ahead`], for random bounds (a third of them 3·2^30,
    /// where one word in four is rejected, a third at most 100, where draws often hit their node), lengths up
    /// to 300 (partial runs of 16 words, runs across a batch of 256) and starts anywhere in a batch.
    #[test]
    fn fill_skipping_paths_draw_alike() {
        let paths = ahead::tests::sources();
        let mut pick = stream(12, 0, Lane::Placement);
        for generated in ahead::tests::sources() {
            let rng = stream(5, 2, Lane::Protocol);
            let mut plain = rng.clone();
            let mut copied: Vec<SimRng> = paths.iter().map(|_| rng.clone()).collect();
            let mut ahead: Vec<Ahead> = paths.iter().map(|_| Ahead::generated_if(generated, rng.clone())).collect();
            for _ in 0..300 {
                // Nodes `0..=n`, initiators from `first` on: no sum overflows. Small n draw the initiators
                // themselves often (where the skip shows).
                let n = match below(&mut pick, 3) {
                    0 => 3 << 30,
                    1 => 1 + below(&mut pick, 100),
                    _ => 1 + below(&mut pick, u32::MAX - 301),
                };
                let (sampler, first, len) = (Below::new(n), below(&mut pick, n), below(&mut pick, 301) as usize);
                for _ in 0..below(&mut pick, 40) {
                    plain.next_u32();
                    copied.iter_mut().for_each(|r| _ = r.next_u32());
                    ahead.iter_mut().for_each(|r| _ = r.next_u32());
                }
                let expected: Vec<u32> = (0..len)
                    .map(|i| {
                        let u = sampler.sample(&mut plain);
                        u + u32::from(u >= first + i as u32)
                    })
                    .collect();
                for (k, &wide) in paths.iter().enumerate() {
                    let mut out = vec![0; len];
                    sampler.fill_skipping_with(wide, first, &mut out, &mut copied[k]);
                    assert_eq!(out, expected, "wide {wide}, n = {n}, {len} draws from the stream");
                    assert_eq!(copied[k].get_word_pos(), plain.get_word_pos(), "wide {wide}, n = {n}, {len} draws");
                    sampler.fill_skipping_with(wide, first, &mut out, &mut ahead[k]);
                    assert_eq!(out, expected, "wide {wide}, n = {n}, {len} draws ahead (generated: {generated})");
                }
            }
            let next = plain.next_u32();
            assert!(copied.iter_mut().all(|r| r.next_u32() == next));
            assert!(ahead.iter_mut().all(|r| r.next_u32() == next));
        }
    }

    /// A keyed stream is a function of its family and index alone, and streams of neighbouring indices,
    /// times, runs and lanes differ.
    #[test]
    fn keyed_streams_are_their_index() {
        let words = |k: Keyed, c, a, b| {
            let mut r = k.at(c).stream(a, b);
            [r.next_u64(), r.next_u64()]
        };
        let k = Keyed::new(7, 3, Lane::Network);
        assert_eq!(words(k, 5, 1, 2), words(Keyed::new(7, 3, Lane::Network), 5, 1, 2));
        let others = [
            words(k, 5, 2, 1),
            words(k, 5, 1, 3),
            words(k, 6, 1, 2),
            words(Keyed::new(7, 4, Lane::Network), 5, 1, 2),
            words(Keyed::new(7, 3, Lane::Protocol), 5, 1, 2),
        ];
        assert!(others.iter().all(|w| *w != words(k, 5, 1, 2)), "{others:?}");
    }

    /// The first draw of each keyed stream, over neighbouring indices (a sender's receivers at one time, and
    /// one pair's streams over time), is uniform: 7 values, 70,000 draws, each count Binomial(70000, 1/7) with
    /// sd ≈ 92.6, so ±5 sd = ±463; and the first two words of a stream are uncorrelated (their top bits agree in
    /// half the streams: Binomial(70000, 1/2), sd ≈ 132, ±5 sd = ±661).
    #[test]
    fn keyed_draws_are_uniform_over_neighbouring_indices() {
        let k = Keyed::new(1, 0, Lane::Network);
        let (mut counts, mut agree) = ([0i64; 7], 0i64);
        for i in 0..70_000u32 {
            let mut r =
                if i % 2 == 0 { k.at(u64::from(i / 1000)).stream(3, i) } else { k.at(u64::from(i)).stream(3, 4) };
            counts[below(&mut r, 7) as usize] += 1;
            agree += i64::from(r.next_u64() >> 63 == r.next_u64() >> 63);
        }
        assert!(counts.iter().all(|c| (c - 10_000).abs() < 463), "{counts:?}");
        assert!((agree - 35_000).abs() < 661, "{agree}");
    }

    /// The first draws of neighbouring streams are independent: pairs (draw of (a, b), draw of (a, b + 1)),
    /// and likewise (a + 1, b), binned 10 × 10, against the uniform 1,000 a cell: Pearson's χ² with 99 degrees
    /// of freedom has mean 99 and sd √198 ≈ 14.1, so mean + 6 sd ≈ 183.4. (Streams started by wyrand from the
    /// index in the key's bits gave χ² ≈ 321,000 for a sender's neighbours.)
    #[test]
    fn keyed_draws_of_neighbouring_indices_are_independent() {
        let keys = Keyed::new(9, 2, Lane::Network).at(17);
        let first = |a, b| below(&mut keys.stream(a, b), 10) as usize;
        for next in [|a, b| (a, b + 1), |a, b| (a + 1, b)] {
            let mut cells = [[0u32; 10]; 10];
            for (a, b) in (0..1000u32).flat_map(|a| (0..100).map(move |b| (a * 977, a * 131 + b))) {
                let (c, d) = next(a, b);
                cells[first(a, b)][first(c, d)] += 1;
            }
            let chi2: f64 = cells.as_flattened().iter().map(|&n| (f64::from(n) - 1000.0).powi(2) / 1000.0).sum();
            assert!(chi2 < 183.4, "χ² = {chi2}");
        }
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut rng = stream(1, 0, Lane::Protocol);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[below(&mut rng, 7) as usize] += 1;
        }
        // Each count is Binomial(70000, 1/7): sd ≈ 92.6, so ±5 sd = ±463.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 463, "{counts:?}");
        }
    }

    /// Every 2-subset of 4 elements is equally likely (6 subsets, 60,000 draws: each count is
    /// Binomial(60000, 1/6), sd ≈ 91, so ±5 sd = ±456), from a pool reused across draws.
    #[test]
    fn partial_shuffle_draws_uniform_subsets() {
        let mut rng = stream(2, 0, Lane::Placement);
        let mut pool = [0u32, 1, 2, 3];
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..60_000 {
            let mut pick = partial_shuffle(&mut pool, 2, &mut rng).to_vec();
            pick.sort_unstable();
            *counts.entry(pick).or_insert(0i64) += 1;
        }
        assert_eq!(counts.len(), 6);
        assert!(counts.values().all(|&c| (c - 10_000).abs() < 456), "{counts:?}");
    }
}
