"""Benchmark for KKT certificates (issues 4 and 7).

Prints
1. the time to check all KKT certificates under certificates/kkt (trusted checker, exact rationals);
1b. (--limits) the time to decide adversarial files at the checker's resource limits (docs/kkt.md, "Limits");
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

Usage:  python3 benchmarks/bench_kkt.py [--budget 60] [--quick] [--limits-only]
"""
from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction as F
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certify.kernel.checking import check_data, check_paths  # noqa: E402
from certify.kernel.kkt.kind import KIND  # noqa: E402
from certify.kernel.kkt.networks import Data  # noqa: E402
from certify.kkt.architectures import SearchNetwork, make_network  # noqa: E402
from certify.kkt.instances import clusters_dataset, random_unit_dataset  # noqa: E402
from certify.kkt.search import search  # noqa: E402


def time_checks() -> None:
    t = time.perf_counter()
    verdicts, missing = check_paths([ROOT / "certificates" / "kkt"])
    dt = time.perf_counter() - t
    ok = sum(v.proven for v in verdicts)
    print(f"check all KKT certificates: {ok}/{len(verdicts)} proven in {dt * 1000:.1f} ms")
    for v in verdicts:
        print(f"  {v.line()[:110]}")


def _adversarial() -> dict:
    """Files at the resource limits, built to reach the expensive steps (all decided: most NOT PROVEN)."""
    import random

    rng = random.Random(0)

    def big(chars):  # a rational of about `chars` characters, unrelated denominators
        h = (chars - 1) // 2
        return f"{rng.randrange(10**(h - 1), 10**h)}/{rng.randrange(10**(h - 1), 10**h)}"

    def cert(claim, evidence):
        c = {"format": "certify-certificate", "version": 2, "kind": "kkt-max-margin", "claim": claim,
             "evidence": evidence}
        c["claim"]["statement"] = KIND.statement(KIND.parse(c))
        return c

    def diag_lambda(n, d):  # stationarity: n multipliers of 1000 characters, pairwise unrelated denominators
        return cert({"architecture": {"type": "diagonal_linear", "input_dim": d, "depth": 2},
                     "data": {"x": [["1"] * d] * n, "y": [1] * n},
                     "point": {"u": [["1"] * d, [f"1/{d}"] * d]}, "proves": ["kkt_point"]},
                    {"kkt_point": {"multipliers": [big(1000) for _ in range(n)]}})

    def relu_many(n, d, m):  # examples x parameters at the limit, feasible, every example active
        return cert({"architecture": {"type": "two_layer_relu", "input_dim": d, "width": m},
                     "data": {"x": [["1"] + ["0"] * (d - 1)] * n, "y": [1] * n},
                     "point": {"w": [["1"] + ["0"] * (d - 1)] * m, "v": [f"1/{m}"] * m},
                     "proves": ["kkt_point", "not_global_optimum"]},
                    {"kkt_point": {"multipliers": [f"1/{n}"] * n},
                     "not_global_optimum": {"point": {"w": [["1"] + ["0"] * (d - 1)] * m, "v": [f"1/{m}"] * m}}})

    def curve(chars):  # a degree-64 margin polynomial just within the Sturm work limit
        return cert({"architecture": {"type": "diagonal_linear", "input_dim": 1, "depth": 4},
                     "data": {"x": [["1"]], "y": [1]}, "point": {"u": [["1"]] * 4}, "proves": ["not_local_optimum"]},
                    {"not_local_optimum": {"curve": {"u": [[["1"] + [big(chars) for _ in range(16)]]
                                                           for _ in range(4)]}, "t0": "1/1000"}})

    def diag_small(n, d):  # many multipliers 1/p with distinct 4-digit primes
        primes = [p for p in range(1009, 10000) if all(p % q for q in range(2, int(p ** 0.5) + 1))][:n]
        return cert({"architecture": {"type": "diagonal_linear", "input_dim": d, "depth": 2},
                     "data": {"x": [["1"] * d] * n, "y": [1] * n},
                     "point": {"u": [["1"] * d, [f"1/{d}"] * d]}, "proves": ["kkt_point"]},
                    {"kkt_point": {"multipliers": [f"1/{p}" for p in primes]}})

    return {"stationarity: 40 multipliers x 1000 chars, 260 parameters": lambda: diag_lambda(40, 130),
            "stationarity: 1000 multipliers 1/p (4-digit primes), 200 parameters": lambda: diag_small(1000, 100),
            "stationarity: 1000 multipliers 1/p (4-digit primes), 40 parameters": lambda: diag_small(1000, 20),
            "stationarity: 14 multipliers x 1000 chars, 1000 parameters": lambda: diag_lambda(14, 500),
            "outputs+gradients: 2000 examples x 100 parameters": lambda: relu_many(2000, 9, 10),
            "outputs+gradients: 20 examples x 10000 parameters": lambda: relu_many(20, 999, 10),
            "curve: depth 4, degree 16, 200-char coefficients": lambda: curve(200)}


def time_limits() -> None:
    print("deciding adversarial files at the resource limits (goal: well under 30 s each):")
    for name, make in _adversarial().items():
        c = make()
        t = time.perf_counter()
        try:
            check_data(c)
            verdict = "PROVEN"
        except Exception as exc:  # noqa: BLE001
            verdict = f"{type(exc).__name__}: {str(exc)[:70]}"
        print(f"  {name}: {time.perf_counter() - t:.2f} s ({verdict})", flush=True)


def attempt(arch: SearchNetwork, data: Data, budget: float, adjust: bool = False) -> tuple[bool, float, str]:
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
    ap.add_argument("--limits-only", action="store_true", help="only the check times (stored and at the limits)")
    args = ap.parse_args()
    time_checks()
    time_limits()
    if args.limits_only:
        return
    wide = Data(((F(1), F(0)), (F(-7, 25), F(24, 25))), (1, 1))
    widths = [4, 8, 16] if args.quick else [4, 8, 16, 32, 64, 128, 256]
    scale("wide-angle", widths, lambda m: (make_network("two_layer_relu", 2, width=m), wide), args.budget)
    ns = [2, 3] if args.quick else [2, 3, 4, 5, 6, 8, 10, 12, 16]
    scale("random-unit", ns, lambda n: (make_network("two_layer_relu", 3, width=2 * n),
                                         random_unit_dataset(n, 3, 0, labels="positive")), args.budget)
    cs = [8, 16] if args.quick else [8, 16, 24, 32, 48, 64, 96, 128]
    scale("clusters (adjusted data)", cs, lambda n: (make_network("two_layer_relu", 3, width=5),
                                                    clusters_dataset(n, 3, 4)), args.budget, adjust=True,
          stop_on_fail=False)


if __name__ == "__main__":
    main()
