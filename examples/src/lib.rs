//! Protocols written outside dissem, against its public API only (see README.md, "Writing your own
//! protocol").
//!
//! * [`push_sum`]: push-sum averaging as a [`dissem::models::Model`] on the public gossip harness, with its
//!   convergence formula; the binary `dissem-push-sum` is the whole dissem command line with it
//!   registered (`run`, `sweep`, `check`, `plot`, `schema`, `validate` on `model.kind = "push_sum"`).
//! * [`ttl_push`]: fanout push with a TTL, a protocol whose nodes act only for a while after they hear a
//!   rumor, with an exact reach formula that holds in rounds and event-driven alike; the binary
//!   `dissem-ttl-push` registers it.
//! * The binaries `echo` (a hand-written protocol on the bare engine) and `topology` (a topology analysed
//!   with petgraph).

// What a newcomer copies from: every public item is documented.
#![deny(missing_docs)]

pub mod push_sum;
pub mod ttl_push;

pub use push_sum::PushSum;
pub use ttl_push::TtlPush;
