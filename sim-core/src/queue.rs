//! The pending-event set: a timing wheel for the near future plus a heap for the far future.
//!
//! Order is `(time, insertion sequence)`: events at equal times come out in the order they were pushed.
//! The wheel holds every event with `time < now + width` in per-slot FIFOs; the overflow heap holds the
//! rest, ordered by `(time, seq)`. Overflow events are moved into the wheel as soon as their time enters
//! the window, which is always before any event for that time can be pushed directly, so FIFO order per
//! slot equals sequence order. Push and pop are O(1) amortised for delays shorter than the width.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::Time;

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

/// Priority queue of events keyed by integer time, FIFO among equal times.
pub struct EventQueue<E> {
    now: Time,
    mask: u64,
    slots: Vec<VecDeque<E>>,
    occupied: Vec<u64>,
    near: usize,
    far: BinaryHeap<Far<E>>,
    seq: u64,
}

impl<E> EventQueue<E> {
    /// A queue whose wheel spans at least `horizon` time units (rounded up to a power of two, at least 64).
    pub fn new(horizon: u64) -> Self {
        let width = horizon.clamp(64, 1 << 16).next_power_of_two();
        EventQueue {
            now: 0,
            mask: width - 1,
            slots: (0..width).map(|_| VecDeque::new()).collect(),
            occupied: vec![0; (width / 64) as usize],
            near: 0,
            far: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Time of the last popped event (no queued event is earlier).
    pub fn now(&self) -> Time {
        self.now
    }

    pub fn len(&self) -> usize {
        self.near + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at `time`, which must not be before `now()`.
    pub fn push(&mut self, time: Time, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        if time - self.now <= self.mask {
            self.put_near(time, event);
        } else {
            self.seq += 1;
            self.far.push(Far { time, seq: self.seq, event });
        }
    }

    fn put_near(&mut self, time: Time, event: E) {
        let slot = (time & self.mask) as usize;
        self.slots[slot].push_back(event);
        self.occupied[slot / 64] |= 1 << (slot % 64);
        self.near += 1;
    }

    fn advance_to(&mut self, time: Time) {
        self.now = time;
        while let Some(top) = self.far.peek() {
            if top.time - self.now > self.mask {
                break;
            }
            let Far { time, event, .. } = self.far.pop().expect("peeked");
            self.put_near(time, event);
        }
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

    /// Removes and returns the earliest event, ties in insertion order.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let time = self.peek_time()?;
        Some(self.pop_at(time))
    }

    /// Removes the earliest event, given its time as `peek_time` returned it (saves a second scan for
    /// callers that peek first).
    pub fn pop_at(&mut self, time: Time) -> (Time, E) {
        debug_assert_eq!(Some(time), self.peek_time());
        if time != self.now {
            // Far events migrate here; they all lie beyond `time` (see the module comment).
            self.advance_to(time);
        }
        let slot = (time & self.mask) as usize;
        let event = self.slots[slot].pop_front().expect("slot marked occupied");
        if self.slots[slot].is_empty() {
            self.occupied[slot / 64] &= !(1 << (slot % 64));
        }
        self.near -= 1;
        (time, event)
    }

    /// The event `k` places behind the next one, if it is due at the same time (for prefetching).
    #[inline]
    pub fn peek_same_time(&self, k: usize) -> Option<&E> {
        self.slots[(self.now & self.mask) as usize].get(k)
    }

    /// Time of the earliest event without removing it.
    pub fn peek_time(&self) -> Option<Time> {
        if self.near > 0 { Some(self.next_near_time()) } else { self.far.peek().map(|f| f.time) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a reference sort by (time, seq): any interleaving of pushes and pops, with delays
        /// both inside and far beyond the wheel, comes out in (time, insertion) order.
        #[test]
        fn matches_reference_order(ops in proptest::collection::vec((0u64..300, any::<bool>()), 1..400)) {
            let mut q = EventQueue::new(64);
            let mut reference: Vec<(Time, usize)> = Vec::new();
            let mut id = 0usize;
            let mut out = Vec::new();
            let mut expected = Vec::new();
            for (delay, pop) in ops {
                if pop {
                    if let Some(ev) = q.pop() { out.push(ev); }
                    if !reference.is_empty() {
                        let i = (0..reference.len()).min_by_key(|&i| reference[i]).unwrap();
                        expected.push(reference.remove(i));
                    }
                } else {
                    let t = q.now() + delay;
                    q.push(t, id);
                    reference.push((t, id));
                    id += 1;
                }
            }
            while let Some(ev) = q.pop() { out.push(ev); }
            reference.sort();
            expected.extend(reference);
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
}
