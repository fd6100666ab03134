//! Protocols written outside dissem, against its public API only (see README.md, "Writing your own
//! protocol").
//!
//! * [`push_sum`]: push-sum averaging as a [`dissem::models::Model`] on the public gossip harness, with its
//!   convergence formula; the binary `dissem-push-sum` is the whole dissem command line with it
//!   registered (`run`, `sweep`, `check`, `plot`, `schema`, `validate` on `model.kind = "push_sum"`).
//! * The binaries `echo` (a hand-written protocol on the bare engine) and `topology` (a topology analysed
//!   with petgraph).

// What a newcomer copies from: every public item is documented.
#![deny(missing_docs)]

pub mod push_sum;

pub use push_sum::PushSum;
