"""Benchmark of issue 3 (certified Hermite expansions).

Prints
  1. the time to certify each activation (raw and normalized) at its degree N:
     produce = compute every enclosure to relative accuracy 2^-50 + fit the decay bound
     + build the certificate (untrusted producer); check = the trusted checker
     recomputing and deciding it (what `certify check` does after loading the file);
  2. the largest N for which the sigmoid is certified (produce + check) within the
     budget (default 60 s): doubling from 1000, then bisection to 2.5 % accuracy; each trial runs in a fresh process stopped at the budget.

Usage:  python3 benchmarks/bench_hermite.py [--budget 60] [--degree N] [--skip-search]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from certify.checking import check_data  # noqa: E402
from certify.hermite import produce  # noqa: E402
from certify.hermite.activations import ACTIVATIONS  # noqa: E402


def certify_once(name: str, degree: int, normalized: bool) -> tuple[float, float, dict]:
    t0 = time.perf_counter()
    result = produce.certificate(name, degree, normalized)
    t1 = time.perf_counter()
    check_data(result.certificate)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, result.certificate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds for the sigmoid degree search")
    parser.add_argument("--degree", type=int, default=None, help="degree for part 1 (default: 1000)")
    parser.add_argument("--skip-search", action="store_true", help="only part 1")
    parser.add_argument("--skip-table", action="store_true", help="only part 2")
    args = parser.parse_args()

    print(f"python-flint certify hermite benchmark; cpu count {os.cpu_count()}")
    if not args.skip_table:
        table(args)
    if args.skip_search:
        return 0
    search(args.budget)
    return 0


def table(args) -> None:
    print(f"{'activation':<22} {'N':>5} {'required N':>10} {'prec bits':>9} {'produce s':>9} {'check s':>8} {'total s':>8}  eps(N) lower end")
    grand = 0.0
    for name, act in ACTIVATIONS.items():
        for normalized in (False, True):
            degree = args.degree if args.degree is not None else produce.default_degree(name)
            p, c, cert = certify_once(name, degree, normalized)
            grand += p + c
            label = name + (" (normalized)" if normalized else "")
            print(f"{label:<22} {degree:>5} {act.required_degree:>10} {cert['method']['precision_bits']:>9} "
                  f"{p:>9.2f} {c:>8.2f} {p + c:>8.2f}  {cert['claim']['tails'][-1][0]}", flush=True)
    print(f"all 16 certificates: {grand:.1f} s")
    for name, act in ACTIVATIONS.items():
        if act.required_degree < 1000:
            p, c, _ = certify_once(name, act.required_degree, False)
            print(f"  at the required N = {act.required_degree}: {name:<9} produce {p:.2f} s, check {c:.2f} s", flush=True)


def search(budget: float) -> None:
    print(f"\nlargest sigmoid degree certified (produce + check) within {budget:g} s:")
    timings: dict[int, float] = {}

    def fits(n: int) -> bool:
        """One trial in a fresh process, killed at the budget (a failing trial costs <= budget)."""
        code = ("import sys, json; sys.path.insert(0, %r); from bench_hermite import certify_once; "
                "p, c, _ = certify_once('sigmoid', %d, False); print(json.dumps([p, c]))"
                % (os.path.dirname(os.path.abspath(__file__)), n))
        try:
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=budget + 5)
        except subprocess.TimeoutExpired:
            timings[n] = float("inf")
            print(f"  N = {n:>6}: more than {budget:g} s (stopped)", flush=True)
            return False
        p, c = json.loads(proc.stdout.strip().splitlines()[-1])
        timings[n] = p + c
        print(f"  N = {n:>6}: produce {p:7.2f} s + check {c:7.2f} s = {p + c:7.2f} s", flush=True)
        return p + c <= budget

    good, bad = 0, None
    n = 1000
    while bad is None:
        if fits(n):
            good, n = n, 2 * n
        else:
            bad = n
    while bad - good > max(50, good // 40):
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    print(f"largest sigmoid N within {budget:g} s: {good} ({timings[good]:.1f} s; N = {bad} took "
          f"{'more than %g' % budget if timings[bad] == float('inf') else '%.1f' % timings[bad]} s)")


if __name__ == "__main__":
    raise SystemExit(main())
