//! The Scribe-paper-sized ALM experiment, run once (each phase takes seconds, so criterion's repeated
//! sampling would add nothing): a transit-stub underlay of 5,020 routers, 100,000 overlay nodes on
//! Chord, one group of everyone plus 1,000 groups of Zipf-distributed sizes, every metric.
//! Target: under 30 s on 2 cores. Prints the time of each phase and the peak resident memory.
//!
//! `cargo bench -p dissem-benches --bench scribe`

#![expect(clippy::disallowed_types, reason = "a benchmark measures wall-clock time")]

use std::time::Instant;

use models::alm::{self, AlmParams, GroupParams, Source, ZipfGroups};
use sim_core::rng::{Lane, stream};
use sim_core::topology::generators::{TransitStubParams, transit_stub};
use sim_core::underlay::Underlay;

fn main() {
    let start = Instant::now();
    let params = TransitStubParams { hosts: 100_000, ..TransitStubParams::default() };
    let ts = transit_stub(&params, &mut stream(1, 0, Lane::Topology)).expect("valid parameters");
    let routers = ts.routers;
    let built = start.elapsed();
    let underlay = Underlay::new(ts.graph.into(), ts.hosts).expect("connected underlay");
    let table = start.elapsed();
    let alm_params = AlmParams {
        groups: vec![GroupParams { name: Some("everyone".into()), ..GroupParams::default() }],
        zipf_groups: Some(ZipfGroups { count: 1_000, exponent: 1.25, largest: None, source: Source::Root }),
        ..AlmParams::default()
    };
    alm_params.validate("model", &underlay).expect("valid parameters");
    let out = alm::run(&alm_params, &underlay, 1, 0);
    let done = start.elapsed();
    println!(
        "scribe-scale: {routers} routers, {} overlay nodes, {} groups",
        underlay.len(),
        out.get("all.groups").unwrap_or(0.0)
    );
    println!(
        "  underlay {:.2} s, distance table {:.2} s, trees and metrics {:.2} s, total {:.2} s (target < 30 s)",
        built.as_secs_f64(),
        (table - built).as_secs_f64(),
        (done - table).as_secs_f64(),
        done.as_secs_f64()
    );
    for name in
        ["all.members", "all.link_stress_max", "all.stretch_mean", "all.ip.link_stress_max", "all.usage_ratio_ip"]
    {
        println!("  {name} = {}", out.get(name).unwrap_or(f64::NAN));
    }
    // Peak resident set size, from the kernel's accounting for this process (Linux).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!("  peak memory: {}", line.trim_start_matches("VmHWM:").trim());
    }
}
