"""Mean check time of the symmetric kind, and the one-more-neuron kind's own work on symmetric minima.

    .venv/bin/python benchmarks/bench_symmetric.py [--folder certificates] [--limit N] [--profile OUT]

1. Every stored ``relu-spurious-minimum-symmetric`` certificate decided in this process
   (``check_text`` on the file's text, so reading from disk is not timed), one after the other:
   count, mean wall time (and CPU time of this process, less sensitive to the machine's load), median and
   slowest, per nature/m.
2. For every stored ``relu-one-more-neuron`` certificate with an embedded symmetric minimum: the
   kind's OWN work only -- ``quantities`` (compact_neuron_quantities over the box of the minimum's
   proven distance) and ``split_bound`` -- with the embedded minimum's check done once beforehand
   (not timed: another part of the code caches it).
The machine's load average is printed before and after; compare runs made in the same session.
With ``--profile OUT`` part 1 runs under cProfile and the statistics are written to OUT.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", default="certificates")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files of each part (0: all)")
    ap.add_argument("--profile", default=None, help="run part 1 under cProfile; write the stats here")
    ap.add_argument("--skip-overparam", action="store_true")
    args = ap.parse_args()

    from certify.kernel.checking import check_data, check_text, parse_claim

    from certify.paths import expand_paths
    from certify.kernel.overparameterization.bounds import split_bound
    from certify.kernel.overparameterization.kind import quantities, rational_enclosure

    files, _ = expand_paths([ROOT / args.folder])
    sym, over = [], []
    for f in files:
        text = f.read_text(encoding="utf-8")
        if '"relu-spurious-minimum-symmetric"' not in text:
            continue
        cert = json.loads(text)
        if cert.get("kind") == "relu-spurious-minimum-symmetric":
            sym.append((f, text, cert))
        elif cert.get("kind") == "relu-one-more-neuron":
            over.append((f, cert))
    if args.limit:
        sym, over = sym[:args.limit], over[:args.limit]

    # part 1
    for _, text, _ in sym[:5]:  # warm the caches of the first patterns (lru caches stay warm anyway)
        check_text(text)
    prof = None
    if args.profile:
        import cProfile
        prof = cProfile.Profile()
    before = load()
    times, cpu, groups, bad = [], [], defaultdict(list), 0
    if prof:
        prof.enable()
    for f, text, cert in sym:
        c0, t0 = time.process_time(), time.perf_counter()
        v = check_text(text, str(f))
        dt = time.perf_counter() - t0
        cpu.append(time.process_time() - c0)
        times.append((dt, str(f.relative_to(ROOT))))
        bad += not v.proven
        c = cert["claim"]
        groups[(c["nature"], len(c["blocks"]))].append(dt)
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    if times:
        ts = [t for t, _ in times]
        print(f"relu-spurious-minimum-symmetric: {len(ts)} certificates, mean {1000 * statistics.mean(ts):.2f} ms, "
              f"median {1000 * statistics.median(ts):.2f} ms, total {sum(ts):.2f} s, slowest {max(times)[1]} "
              f"({1000 * max(times)[0]:.1f} ms), not proven: {bad}; CPU time mean {1000 * statistics.mean(cpu):.2f} ms "
              f"(load before {before}, after {load()})")
        for key in sorted(groups):
            g = groups[key]
            print(f"   nature={key[0]:8s} m={key[1]}: {len(g):5d} certificates, "
                  f"mean {1000 * statistics.mean(g):.2f} ms")

    if args.skip_overparam or not over:
        return 0
    # part 2: the one-more-neuron kind's own work (the embedded minimum decided once, untimed)
    prepared = []
    for f, cert in over:
        data = {key: value for key, value in cert.items() if key != "provenance"}
        _, claim = parse_claim(copy.deepcopy(data))
        dist = check_data(copy.deepcopy(claim.minimum)).bounds["distance_to_critical_point"]
        prepared.append((claim, dist))
    before = load()
    own, own_cpu = [], []
    for claim, dist in prepared:
        c0, t0 = time.process_time(), time.perf_counter()
        nq = quantities(claim.point, claim.blocks, dist)
        split_bound(nq, claim.neuron, rational_enclosure(claim.alpha), claim.t0)
        own.append(time.perf_counter() - t0)
        own_cpu.append(time.process_time() - c0)
    print(f"relu-one-more-neuron (symmetric minimum), own work (quantities + split_bound): {len(own)} "
          f"certificates, mean {1000 * statistics.mean(own):.3f} ms, max {1000 * max(own):.2f} ms, CPU time mean "
          f"{1000 * statistics.mean(own_cpu):.3f} ms "
          f"(load before {before}, after {load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
