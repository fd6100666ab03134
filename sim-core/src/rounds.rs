//! Synchronous rounds: the fast path for protocols defined in rounds ("a round is when every node has
//! taken the initiative once"). No event queue; the protocol advances its whole state one round at a time.

use crate::rng::SimRng;

/// Whether to run another round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Done,
}

/// A protocol that advances in lock-step rounds.
pub trait RoundProtocol {
    /// Runs round `round` (1-based) and says whether the protocol has finished.
    fn round(&mut self, round: u32, rng: &mut SimRng) -> Flow;
}

/// How a round-based run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundsEnd {
    /// Rounds executed.
    pub rounds: u32,
    /// False when `max_rounds` was reached before the protocol said it was done.
    pub finished: bool,
}

/// Runs rounds 1, 2, … until the protocol is done or `max_rounds` have run.
pub fn run_rounds<P: RoundProtocol + ?Sized>(protocol: &mut P, rng: &mut SimRng, max_rounds: u32) -> RoundsEnd {
    for round in 1..=max_rounds {
        if protocol.round(round, rng) == Flow::Done {
            return RoundsEnd { rounds: round, finished: true };
        }
    }
    RoundsEnd { rounds: max_rounds, finished: max_rounds == 0 }
}
