//! The pending-event set: a timing wheel for the near future plus a heap for the far future.
//!
//! Order is `(time, insertion sequence)`: events at equal times come out in the order they were pushed.
//!
//! The wheel holds every event with `now <= time < now + width` in per-slot lists, one slot per time; the
//! overflow heap holds the rest, ordered by `(time, seq)`. Why each list is in sequence order:
//! - Overflow events move into the wheel as soon as their time enters the window, in `(time, seq)` order.
//!   That happens when the clock advances, before any event for that time can be pushed directly (a direct
//!   push needs `time < now + width`, and every time that satisfies this after an advance was migrated by
//!   it), so migrated events precede direct ones, and direct pushes append in the order they are made.
//! - When the clock reaches a time, its slot's list is moved, reversed, into the `due` list (popping from its
//!   end yields the first event), and the slot starts empty. Events pushed for the current time while `due`
//!   drains are appended to the slot, and moved only when `due` is empty: they were pushed after everything
//!   in `due`.
//!
//! So events leave in `(time, seq)` order. Push and pop are O(1) amortised for delays shorter than the width;
//! a slot's occupancy bit is written with its first event and read only to find the next time, not per
//! event. A slot's list is one growable block plus, beyond `BLOCK_BYTES`, full blocks from a pool shared by
//! all slots: a list never copies its events to grow, and memory follows the number of pending events rather
//! than the sum of every slot's peak.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Time;

/// Size of the blocks that long slot lists are made of.
const BLOCK_BYTES: usize = 16 << 10;

struct Far<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Far<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Far<E> {}
impl<E> PartialOrd for Far<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Far<E> {
    // Reversed so that the max-heap pops the earliest (time, seq).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// The events of one time, in push order: `full` blocks, then `tail`.
struct Slot<E> {
    full: Vec<Vec<E>>,
    tail: Vec<E>,
}

impl<E> Slot<E> {
    /// Makes room for one more event in a full tail: it doubles up to `block` events, then is filed with
    /// the full blocks and a new one starts, from the pool.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, pool: &mut Vec<Vec<E>>, block: usize) {
        let (len, capacity) = (self.tail.len(), self.tail.capacity());
        if len < capacity {
            return;
        }
        if capacity < block {
            self.tail.reserve_exact((2 * capacity).clamp(16, block) - len);
        } else {
            let fresh = pool.pop().unwrap_or_else(|| Vec::with_capacity(block));
            self.full.push(std::mem::replace(&mut self.tail, fresh));
        }
    }
}

/// Priority queue of events keyed by integer time, FIFO among equal times.
pub struct EventQueue<E> {
    now: Time,
    mask: u64,
    /// Events due at `now`, last one first.
    due: Vec<E>,
    slots: Vec<Slot<E>>,
    /// Events per full block.
    block: usize,
    /// Empty blocks of `block` capacity.
    pool: Vec<Vec<E>>,
    /// One bit per slot: set while the slot holds events.
    occupied: Vec<u64>,
    /// Events in the slots (not counting `due`).
    near: usize,
    far: Overflow<E>,
}

/// The overflow heap, with the insertion sequence that keeps its equal times in order.
struct Overflow<E> {
    heap: BinaryHeap<Far<E>>,
    seq: u64,
}

impl<E> Overflow<E> {
    #[cold]
    #[inline(never)]
    fn push(&mut self, time: Time, event: E) {
        self.seq += 1;
        self.heap.push(Far { time, seq: self.seq, event });
    }
}

/// What filing an event in the wheel touches, borrowed apart from the rest of the queue. A loop that files
/// many events keeps these in registers: read through the queue, they would be read again after every
/// event stored, as the compiler cannot tell that store from a write to the queue's own fields.
struct Filer<'q, E> {
    mask: u64,
    block: usize,
    slots: &'q mut [Slot<E>],
    occupied: &'q mut [u64],
    pool: &'q mut Vec<Vec<E>>,
}

impl<E> Filer<'_, E> {
    /// Files `event` in the slot of `time`, which must lie in the wheel; the caller counts it in `near`.
    #[inline(always)]
    fn put(&mut self, time: Time, event: E) {
        let index = (time & self.mask) as usize;
        let slot = &mut self.slots[index];
        let len = slot.tail.len();
        // One test for the rare cases: the first event of a slot (or of a new block: its bit is set again)
        // and a full tail. The bit is set on the first event only, not on every one.
        if len == 0 || len == slot.tail.capacity() {
            slot.make_room(self.pool, self.block);
            self.occupied[index / 64] |= 1 << (index % 64);
        }
        slot.tail.push(event);
    }
}

impl<E> EventQueue<E> {
    /// A queue whose wheel spans at least `horizon` time units (rounded up to a power of two, at least 64).
    pub fn new(horizon: u64) -> Self {
        let width = horizon.clamp(64, 1 << 16).next_power_of_two();
        EventQueue {
            now: 0,
            mask: width - 1,
            due: Vec::new(),
            slots: (0..width).map(|_| Slot { full: Vec::new(), tail: Vec::new() }).collect(),
            block: (BLOCK_BYTES / size_of::<E>().max(1)).max(16),
            pool: Vec::new(),
            occupied: vec![0; (width / 64) as usize],
            near: 0,
            far: Overflow { heap: BinaryHeap::new(), seq: 0 },
        }
    }

    /// Time of the last popped event (no queued event is earlier).
    pub fn now(&self) -> Time {
        self.now
    }

    pub fn len(&self) -> usize {
        self.due.len() + self.near + self.far.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at `time`, which must not be before `now()`.
    #[inline(always)]
    pub fn push(&mut self, time: Time, event: E) {
        self.extend([(time, event)]);
    }

    /// The wheel's slots and what filing in them needs.
    #[inline(always)]
    fn filer(&mut self) -> Filer<'_, E> {
        let EventQueue { mask, block, slots, occupied, pool, .. } = self;
        Filer { mask: *mask, block: *block, slots, occupied, pool }
    }

    /// Time of the earliest event without removing it.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        if self.due.is_empty() { self.next_time() } else { Some(self.now) }
    }

    /// Removes and returns the earliest event, ties in insertion order.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        if self.due.is_empty() {
            let time = self.next_time()?;
            self.take_slot(time);
        }
        self.due.pop().map(|event| (self.now, event))
    }

    /// Removes and returns the next event due at `now()` that the clock has already reached: `None` when
    /// only [`EventQueue::pop`] can tell the next one (it may move the clock; events pushed for `now()`
    /// after the clock reached it also come out of it). For a loop that checks a time limit only when the
    /// clock moves.
    #[inline]
    pub fn pop_due(&mut self) -> Option<E> {
        self.due.pop()
    }

    /// The event `k` places behind the next one, if it is already known to be due at the same time (for
    /// prefetching).
    #[inline]
    pub fn peek_same_time(&self, k: usize) -> Option<&E> {
        self.due.len().checked_sub(k + 1).map(|i| &self.due[i])
    }

    /// The earliest time with events outside `due`.
    #[inline(never)]
    fn next_time(&self) -> Option<Time> {
        if self.near > 0 { Some(self.next_near_time()) } else { self.far.heap.peek().map(|f| f.time) }
    }

    /// First occupied slot at or after `now`, as an absolute time.
    fn next_near_time(&self) -> Time {
        let width = self.mask + 1;
        let start = (self.now & self.mask) as usize;
        let words = self.occupied.len();
        let (w0, b0) = (start / 64, start % 64);
        let first = self.occupied[w0] & (!0u64 << b0);
        let slot = if first != 0 {
            w0 * 64 + first.trailing_zeros() as usize
        } else {
            (1..=words)
                .map(|k| (w0 + k) % words)
                .find_map(|w| {
                    let bits = if w == w0 { self.occupied[w] & !(!0u64 << b0) } else { self.occupied[w] };
                    (bits != 0).then(|| w * 64 + bits.trailing_zeros() as usize)
                })
                .expect("near events exist")
        };
        let offset = (slot as u64).wrapping_sub(start as u64) & (width - 1);
        self.now + offset
    }

    /// Moves the clock to `time` (the earliest event's, `due` being empty) and its slot's events to `due`.
    #[inline(never)]
    fn take_slot(&mut self, time: Time) {
        self.now = time;
        // Far events migrate here; they all lie at or beyond `time` (see the module comment).
        while let Some(top) = self.far.heap.peek() {
            if top.time - self.now > self.mask {
                break;
            }
            let Far { time, event, .. } = self.far.heap.pop().expect("peeked");
            self.filer().put(time, event);
            self.near += 1;
        }
        let index = (time & self.mask) as usize;
        let slot = &mut self.slots[index];
        self.occupied[index / 64] &= !(1 << (index % 64));
        self.due.extend(slot.tail.drain(..).rev());
        for mut block in slot.full.drain(..).rev() {
            self.due.extend(block.drain(..).rev());
            self.pool.push(block);
        }
        self.near -= self.due.len();
    }
}

/// Schedules each `(time, event)` in turn, as [`EventQueue::push`] on each would: a row of sends in one loop,
/// with the clock and the wheel's shape read once rather than once per event.
impl<E> Extend<(Time, E)> for EventQueue<E> {
    #[inline(always)]
    fn extend<I: IntoIterator<Item = (Time, E)>>(&mut self, events: I) {
        let EventQueue { now, mask, block, slots, occupied, pool, near, far, .. } = self;
        let mut wheel = Filer { mask: *mask, block: *block, slots, occupied, pool };
        let mut filed = 0;
        for (time, event) in events {
            debug_assert!(time >= *now, "event scheduled in the past");
            if time - *now <= wheel.mask {
                wheel.put(time, event);
                filed += 1;
            } else {
                far.push(time, event);
            }
        }
        *near += filed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An event large enough that blocks hold only 16 of them, so that short runs fill several blocks.
    #[derive(Debug, PartialEq)]
    struct Bulky(usize, [u8; 2048]);

    /// Pushes and pops as `ops` say (a delay to push at, or a pop), and returns the popped events beside the
    /// order a reference sort by (time, seq) gives.
    fn popped_and_expected<E: std::fmt::Debug + PartialEq>(
        ops: &[(u64, bool)],
        event: impl Fn(usize) -> E,
    ) -> [Vec<(Time, E)>; 2] {
        let mut q = EventQueue::new(64);
        let mut reference: Vec<(Time, usize)> = Vec::new();
        let mut id = 0usize;
        let mut out = Vec::new();
        let mut expected = Vec::new();
        for &(delay, pop) in ops {
            if pop {
                if let Some(ev) = q.pop() {
                    out.push(ev);
                }
                if !reference.is_empty() {
                    let i = (0..reference.len()).min_by_key(|&i| reference[i]).unwrap();
                    expected.push(reference.remove(i));
                }
            } else {
                let t = q.now() + delay;
                q.push(t, event(id));
                reference.push((t, id));
                id += 1;
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(ev) = q.pop() {
            out.push(ev);
        }
        reference.sort();
        expected.extend(reference);
        [out, expected.into_iter().map(|(t, id)| (t, event(id))).collect()]
    }

    proptest! {
        /// Against a reference sort by (time, seq): any interleaving of pushes and pops, with delays of zero,
        /// inside and far beyond the wheel, and runs of equal times longer than a block, comes out in
        /// (time, insertion) order.
        #[test]
        fn matches_reference_order(
            ops in proptest::collection::vec((prop_oneof![0u64..3, 0u64..300], prop::bool::weighted(0.3)), 1..600)
        ) {
            let [out, expected] = popped_and_expected(&ops, |id| id);
            prop_assert_eq!(out, expected);
            let [out, expected] = popped_and_expected(&ops, |id| Bulky(id, [0; 2048]));
            prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn far_events_keep_fifo_with_near_ones() {
        let mut q = EventQueue::new(64);
        q.push(1000, "far-first");
        q.push(999, "before");
        assert_eq!(q.pop(), Some((999, "before")));
        q.push(1000, "near-second");
        assert_eq!(q.pop(), Some((1000, "far-first")));
        assert_eq!(q.pop(), Some((1000, "near-second")));
        assert_eq!(q.pop(), None);
    }

    /// A queue of events `0..n` due at time 5, then event `n` at time `later`.
    fn burst_then_one(n: u32, later: Time) -> EventQueue<u32> {
        let mut q = EventQueue::new(64);
        for id in 0..n {
            q.push(5, id);
        }
        q.push(later, n);
        q
    }

    /// `pop_due` yields the events the clock has reached, in order, and leaves to `pop` those pushed for
    /// the current time after it was reached (they come after the rest) and those of later times.
    #[test]
    fn pop_due_stops_where_the_clock_must_move() {
        let mut q = burst_then_one(3, 7);
        assert_eq!(q.pop_due(), None);
        assert_eq!(q.pop(), Some((5, 0)));
        q.push(5, 4);
        assert_eq!((q.pop_due(), q.pop_due(), q.pop_due()), (Some(1), Some(2), None));
        assert_eq!(q.pop(), Some((5, 4)));
        assert_eq!(q.pop_due(), None);
        assert_eq!(q.pop(), Some((7, 3)));
        assert!(q.is_empty());
    }

    #[test]
    fn lookahead_sees_the_events_due_next() {
        let mut q = burst_then_one(40, 6);
        assert_eq!(q.pop(), Some((5, 0)));
        assert_eq!((q.peek_same_time(0), q.peek_same_time(16)), (Some(&1), Some(&17)));
        // Only events known to be due at the current time are shown.
        assert_eq!(q.peek_same_time(38), Some(&39));
        assert_eq!(q.peek_same_time(39), None);
    }
}
