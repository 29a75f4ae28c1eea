"""Benchmark for KKT certificates (issue 4).

Prints
1. the time to check all KKT certificates under certificates/kkt (trusted checker, exact rationals);
2. the largest instance (examples x parameters) that search + certification handles within 60 s,
   for two families of two-layer ReLU instances:
   * wide-angle: the two unit examples (1, 0), (-7/25, 24/25) (labels +1), width m = 4, 8, 16, ...
   * random-unit: n rational unit vectors in Q^3 (labels +1, data seed 0), width 2n, n = 2, 3, 4, ...
   * clusters (data adjustment): n examples around 2 random unit centres in R^3 plus Gaussian noise,
     rounded to 1/100 (certify.kkt.instances.clusters_dataset, data seed 4), width 5, search with
     adjust_data=True (the certified instance is the adjusted data; max relative change reported),
     n = 8, 16, 24, 32, 48, 64, 96, 128.
   A size counts when `search` (GD from seeds 0, 1, ... until one works) returns a certificate that
   the trusted checker accepts, all within the budget.

Usage:  python3 benchmarks/bench_kkt.py [--budget 60] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction as F
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certify.checking import check_data, check_paths  # noqa: E402
from certify.kkt.instances import clusters_dataset, random_unit_dataset  # noqa: E402
from certify.kkt.networks import Architecture, Data  # noqa: E402
from certify.kkt.search import search  # noqa: E402


def time_checks() -> None:
    t = time.perf_counter()
    verdicts, missing = check_paths([ROOT / "certificates" / "kkt"])
    dt = time.perf_counter() - t
    ok = sum(v.proven for v in verdicts)
    print(f"check all KKT certificates: {ok}/{len(verdicts)} proven in {dt * 1000:.1f} ms")
    for v in verdicts:
        print(f"  {v.line()[:110]}")


def attempt(arch: Architecture, data: Data, budget: float, adjust: bool = False) -> tuple[bool, float, str]:
    t = time.perf_counter()
    out = search(arch, data, seeds=range(0, 10_000), time_limit=budget, steps=4000, lr=0.01, init_scale=0.5,
                 adjust_data=adjust)
    ok = out.ok
    if ok:
        check_data(out.certificate)  # certification by the trusted checker (raises if not proven)
    dt = time.perf_counter() - t
    info = f"seed {out.seed}" if ok else out.message
    if ok:
        info += ", claims " + "+".join(out.certificate["claim"]["proves"])
        adj = out.certificate.get("provenance", {}).get("data_adjustment")
        if adj:
            info += f", data adjusted: max relative change {adj['max_relative_change']:.1e}"
    return ok and dt <= budget, dt, info


def scale(name: str, sizes, make, budget: float, adjust: bool = False, stop_on_fail: bool = True) -> None:
    best = None
    for size in sizes:
        arch, data = make(size)
        ok, dt, info = attempt(arch, data, budget, adjust)
        n, p = len(data.y), arch.n_params
        print(f"  {name} size {size}: {n} examples x {p} parameters = {n * p}: "
              f"{'certified' if ok else 'FAILED'} in {dt:.1f} s ({info})", flush=True)
        if not ok:
            if stop_on_fail:
                break
            continue
        best = (n, p)
    if best:
        print(f"{name}: largest instance certified within {budget:.0f} s: {best[0]} examples x {best[1]} "
              f"parameters = {best[0] * best[1]}")
    else:
        print(f"{name}: no instance certified within {budget:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="few sizes only")
    args = ap.parse_args()
    time_checks()
    wide = Data([[F(1), F(0)], [F(-7, 25), F(24, 25)]], [1, 1])
    widths = [4, 8, 16] if args.quick else [4, 8, 16, 32, 64, 128, 256]
    scale("wide-angle", widths, lambda m: (Architecture("two_layer_relu", 2, width=m), wide), args.budget)
    ns = [2, 3] if args.quick else [2, 3, 4, 5, 6, 8, 10, 12, 16]
    scale("random-unit", ns, lambda n: (Architecture("two_layer_relu", 3, width=2 * n),
                                         random_unit_dataset(n, 3, 0, labels="positive")), args.budget)
    cs = [8, 16] if args.quick else [8, 16, 24, 32, 48, 64, 96, 128]
    scale("clusters (adjusted data)", cs, lambda n: (Architecture("two_layer_relu", 3, width=5),
                                                    clusters_dataset(n, 3, 4)), args.budget, adjust=True,
          stop_on_fail=False)


if __name__ == "__main__":
    main()
