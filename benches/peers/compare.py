#!/usr/bin/env python3
"""Runs dissem and the yardsticks of ../shared/peers on the same inputs, interleaved, and prints the ratios.

Absolute times drift on a shared machine; ratios measured side by side in one run hold. Each workload runs
`--rounds` times, dissem and its yardstick alternating (which goes first alternates too); the table shows medians
of the whole-process wall time and of the peak resident memory (from wait4), and dissem's time over the
yardstick's.

Workloads (dissem at --threads 1):
  flood     full flooding on one random 8-regular graph read from an edge list (written once by gen_regular.py,
            networkx), uniform latency 1..100, against floor_flood.c (plain C: parse, CSR, wheel, bitset).
            The message counts must agree: 2|E| - (N - 1).
  pushpull  synchronous push-pull anti-entropy on a complete graph until every node has the update, against
            numpy_antientropy.py (vectorised NumPy); rounds are printed side by side (both random).
  generate  (with --generate; networkx takes minutes) a random 8-regular graph: `dissem validate` (generation,
            CSR, the flood's connectivity check) against gen_regular.py writing to /dev/null.

Needs a C compiler, and a Python with numpy and networkx for the yardsticks:
  python3 -m venv /tmp/yard && /tmp/yard/bin/pip install numpy networkx
  benches/peers/compare.py --python /tmp/yard/bin/python
Not part of `cargo test`. Inputs and the compiled floor go to --work (kept, so a second run skips them).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(cmd):
    """Runs `cmd`; returns (wall seconds, peak RSS in MiB, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err.read()}{out.read()}")
        return wall, usage.ru_maxrss / 1024, out.read()


def scenario(work, name, body):
    path = work / f"{name}.json"
    path.write_text(json.dumps({"name": name, "seed": 1, **body}, indent=2))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", type=Path, default=REPO.parent / "shared" / "peers", help="the yardsticks' folder")
    ap.add_argument("--python", default=sys.executable, help="a Python with numpy and networkx")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--dissem", type=Path, help="a dissem binary (default: cargo build --release)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/dissem-peers"), help="inputs and compiled floor")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved runs per workload")
    ap.add_argument("--nodes", type=int, default=1_000_000, help="N of the flood's graph")
    ap.add_argument("--pushpull", type=int, nargs="*", default=[1_000_000, 10_000_000], help="N of push-pull")
    ap.add_argument("--generate", action="store_true", help="also time generating the graph (networkx: minutes)")
    args = ap.parse_args()

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    if args.dissem is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "dissem"], cwd=REPO, check=True)
        args.dissem = REPO / "target" / "release" / "dissem"
    dissem = [str(args.dissem), "--threads", "1"]
    floor = work / "floor_flood"
    if not floor.exists():
        subprocess.run([args.cc, "-O2", "-march=native", "-o", floor, args.peers / "floor_flood.c"], check=True)
    check = subprocess.run([args.python, "-c", "import numpy, networkx"], capture_output=True)
    if check.returncode != 0:
        sys.exit(f"{args.python} lacks numpy or networkx; see the set-up lines in {__file__}")

    n = args.nodes
    edges = work / f"rr8-{n}.txt"
    if not edges.exists():
        print(f"writing {edges} with networkx (minutes for 10^6 nodes)...", flush=True)
        subprocess.run([args.python, args.peers / "gen_regular.py", str(n), edges], check=True)
    expected = 2 * 4 * n - (n - 1)

    workloads = []
    flood = scenario(work, f"flood-{n}", {
        "topology": {"kind": "edge_list", "path": str(edges)},
        "network": {"latency": {"kind": "uniform", "min": 1, "max": 100}},
        "model": {"kind": "flooding", "source": 0},
    })

    def flood_messages(out):
        return int(re.search(r"^messages\s+(\d+)", out, re.M).group(1))

    def floor_messages(out):
        return int(re.search(r"delivered=(\d+)", out).group(1))

    workloads.append((f"flood, 8-regular N={n:,} from an edge list", "C floor_flood",
                      dissem + ["run", str(flood)], [str(floor), str(edges), str(n)],
                      flood_messages, floor_messages, "messages"))
    for m in args.pushpull:
        pp = scenario(work, f"pushpull-{m}", {
            "topology": {"kind": "complete", "nodes": m},
            "model": {"kind": "anti_entropy", "mode": "push_pull"},
        })
        workloads.append((f"push-pull anti-entropy, complete N={m:,}", "NumPy",
                          dissem + ["run", str(pp)],
                          [args.python, str(args.peers / "numpy_antientropy.py"), "pushpull", str(m)],
                          lambda out: float(re.search(r"^rounds\s+([\d.]+)", out, re.M).group(1)),
                          lambda out: float(re.search(r"rounds=(\d+)", out).group(1)), "rounds"))
    if args.generate:
        gen = scenario(work, f"generate-{n}", {
            "topology": {"kind": "random_regular", "nodes": n, "degree": 8},
            "model": {"kind": "flooding", "source": 0},
        })
        workloads.append((f"generate random 8-regular N={n:,}", "networkx",
                          dissem + ["validate", str(gen)],
                          [args.python, str(args.peers / "gen_regular.py"), str(n), "/dev/null"],
                          None, None, None))

    print(f"{args.rounds} interleaved rounds; medians of whole-process wall time and peak RSS\n")
    header = f"{'workload':<48} {'dissem':>16} {'yardstick':>26} {'time ratio':>11}  check"
    print(header)
    print("-" * len(header))
    for name, peer, ours, theirs, our_value, their_value, what in workloads:
        times, mems, values = ([], []), ([], []), ([], [])
        rounds = 1 if peer == "networkx" else args.rounds
        for r in range(rounds):
            order = [(0, ours), (1, theirs)] if r % 2 == 0 else [(1, theirs), (0, ours)]
            for side, cmd in order:
                wall, rss, out = run(cmd)
                times[side].append(wall)
                mems[side].append(rss)
                if what:
                    values[side].append((our_value, their_value)[side](out))
        t = [statistics.median(x) for x in times]
        m = [statistics.median(x) for x in mems]
        note = ""
        if what == "messages":
            ok = all(v == expected for v in values[0] + values[1])
            note = f"{what} {values[0][0]:,} = {values[1][0]:,}" + ("" if ok else "  MISMATCH")
        elif what:
            note = f"{what} {statistics.mean(values[0]):.2f} vs {statistics.mean(values[1]):.2f}"
        print(f"{name:<48} {t[0]:7.2f} s {m[0]:5.0f} MiB  {peer:>12} {t[1]:7.2f} s {m[1]:5.0f} MiB"
              f" {t[0] / t[1]:10.3g}x  {note}", flush=True)


if __name__ == "__main__":
    main()
