//! Protocols written outside dissem, against its public API only (see README.md, "Writing your own
//! protocol"). The binaries: `echo` (a hand-written protocol on the bare engine) and `topology` (a
//! topology analysed with petgraph).
