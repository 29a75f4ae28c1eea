"""Benchmark of issue 3 (certified Hermite expansions) and of the checker's resource limits.

Prints
  1. the time to certify each activation (raw and normalized) at its degree N:
     produce = compute every enclosure to relative accuracy 2^-50 + fit the decay bound
     + build the certificate (untrusted producer); check = the trusted checker
     recomputing and deciding it (what `certify check` does after loading the file);
  2. the check time at the corners of the region the checker accepts (its `limits`:
     the slowest files it will decide), each in a fresh process: a full check where the
     producer reaches that corner, else the dominant step (recomputing the expansion);
  3. the largest sigmoid degree the producer can certify within the checker's limits
     (bisection), with its produce and check times.

Usage:  python3 benchmarks/bench_hermite.py [--degree N] [--skip-table] [--skip-limits] [--skip-search]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from certify.hermite import produce  # noqa: E402
from certify.hermite.profiles import PROFILES  # noqa: E402
from certify.kernel.checking import check_data  # noqa: E402
from certify.kernel.hermite import kind as K  # noqa: E402
from certify.kernel.hermite.activations import ACTIVATIONS  # noqa: E402


def certify_once(name: str, degree: int, normalized: bool) -> tuple[float, float, dict]:
    t0 = time.perf_counter()
    result = produce.certificate(name, degree, normalized)
    t1 = time.perf_counter()
    check_data(result.certificate)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, result.certificate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--degree", type=int, default=None, help="degree for part 1 (default: 1000)")
    parser.add_argument("--skip-table", action="store_true", help="skip part 1")
    parser.add_argument("--skip-limits", action="store_true", help="skip part 2")
    parser.add_argument("--skip-search", action="store_true", help="skip part 3")
    args = parser.parse_args()

    print(f"python-flint certify hermite benchmark; cpu count {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    if not args.skip_table:
        table(args)
    if not args.skip_limits:
        limits()
    if not args.skip_search:
        search()
    return 0


def table(args) -> None:
    print(f"{'activation':<22} {'N':>5} {'required N':>10} {'prec bits':>9} {'produce s':>9} {'check s':>8} {'total s':>8}  eps(N) lower end")
    grand = 0.0
    for name in ACTIVATIONS:
        required = PROFILES[name].required_degree
        for normalized in (False, True):
            degree = args.degree if args.degree is not None else produce.default_degree(name)
            p, c, cert = certify_once(name, degree, normalized)
            grand += p + c
            label = name + (" (normalized)" if normalized else "")
            print(f"{label:<22} {degree:>5} {required:>10} {cert['method']['precision_bits']:>9} "
                  f"{p:>9.2f} {c:>8.2f} {p + c:>8.2f}  {cert['claim']['tails'][-1][0]}", flush=True)
    print(f"all 16 certificates: {grand:.1f} s")
    for name in ACTIVATIONS:
        required = PROFILES[name].required_degree
        if required < 1000:
            p, c, _ = certify_once(name, required, False)
            print(f"  at the required N = {required}: {name:<9} produce {p:.2f} s, check {c:.2f} s", flush=True)


def corner(name: str, degree: int, prec: int) -> str:
    """Check time (wall and CPU) of the slowest file at (degree, prec): a full check of a
    certificate produced at this degree with its hint raised to prec, or, where the producer
    cannot reach the corner, the recomputation of the expansion (the dominant step)."""
    from certify.kernel.hermite.expansion import compute_expansion

    act = ACTIVATIONS[name]
    K.check_limits(act, degree, prec)  # the corner is inside the accepted region
    try:
        cert = produce.certificate(name, degree, False).certificate
    except produce.ProduceError:
        cert = None
    wall, cpu = time.perf_counter(), time.process_time()
    if cert is not None and cert["method"]["precision_bits"] <= prec:
        cert = copy.deepcopy(cert)
        cert["method"]["precision_bits"] = prec
        check_data(cert)
        what = "full check, PROVEN"
    else:
        compute_expansion(act, degree, False, prec)
        what = "expansion only (not producible here)"
    return json.dumps([time.perf_counter() - wall, time.process_time() - cpu, what])


CORNERS = [  # (activation, N, precision bits): the corners of K.LIMITS per route
    ("relu", K.MAX_DEGREE, K.MAX_PREC),
    ("gelu", 19000, K.MAX_PREC),
    ("erf", K.MAX_DEGREE, K.MAX_PREC),
    ("softplus", K.FOURIER_MAX_WORK // K.FOURIER_MAX_PREC, K.FOURIER_MAX_PREC),
    ("silu", K.FOURIER_MAX_WORK // K.FOURIER_MAX_PREC, K.FOURIER_MAX_PREC),
    ("tanh", K.FOURIER_MAX_DEGREE, K.FOURIER_MAX_WORK // K.FOURIER_MAX_DEGREE),
    ("sigmoid", K.FOURIER_MAX_DEGREE, K.FOURIER_MAX_WORK // K.FOURIER_MAX_DEGREE),
    ("silu", K.FOURIER_MAX_DEGREE, K.FOURIER_MAX_WORK // K.FOURIER_MAX_DEGREE),
    ("softplus", 2000, K.FOURIER_MAX_WORK // 2000),
]


def limits() -> None:
    print(f"\nchecker limits: {K.LIMITS}")
    print("check time at the corners of the accepted region (fresh process each):")
    here = os.path.dirname(os.path.abspath(__file__))
    for name, degree, prec in CORNERS:
        code = f"import sys; sys.path.insert(0, {here!r}); from bench_hermite import corner; " \
               f"print(corner({name!r}, {degree}, {prec}))"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if proc.returncode:
            print(f"  {name:<9} N = {degree:>5}, {prec:>5} bits: failed: {proc.stderr.strip()[-300:]}")
            continue
        wall, cpu, what = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  {name:<9} N = {degree:>5}, {prec:>5} bits: {wall:6.2f} s wall, {cpu:6.2f} s CPU  ({what}; "
              f"load {os.getloadavg()[0]:.1f})", flush=True)


def search() -> None:
    """The largest sigmoid degree the producer certifies within the checker's limits."""
    print("\nlargest sigmoid degree certifiable within the checker's limits:")

    def fits(n: int) -> bool:
        try:
            p, c, cert = certify_once("sigmoid", n, False)
        except produce.ProduceError as exc:
            print(f"  N = {n:>5}: refused ({exc})", flush=True)
            return False
        print(f"  N = {n:>5}: {cert['method']['precision_bits']} bits, produce {p:6.2f} s + check {c:6.2f} s",
              flush=True)
        return True

    good, bad = 1000, K.FOURIER_MAX_DEGREE + 1
    while bad - good > 50:
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    print(f"largest sigmoid N: about {good} (N = {bad} is refused)")


if __name__ == "__main__":
    raise SystemExit(main())
