"""Benchmarks for the spurious-minima claim kind.

Prints:
1. wall time of `certify check certificates/spurious_minima` (a subprocess,
   as a user runs it) and the per-certificate check times in-process;
2. search throughput at k = 20 (runs x GD steps per second) on numpy, and on
   cupy when a GPU is visible (or --backend cupy);
3. fraction of runs ending in spurious minima and the number of distinct
   classes for k = 6, 10, 15, 20 with 500 runs each (--runs to change,
   --skip-stats to leave out), optionally plotted (--plot PNG).

Usage:  python benchmarks/bench_spurious.py [--runs 500] [--backend numpy|cupy|auto] [--plot out.png]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed_check(paths: list[str]) -> tuple[float, int, str, int]:
    """Wall seconds, exit code, last line and peak RSS (KiB) of `certify check -q PATHS` in a fresh process."""
    import resource

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "certify", "check", "-q", *paths],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    return wall, proc.returncode, last, rss


def bench_check(folder: Path) -> None:
    from certify.kernel.checking import check_file  # noqa: F401
    from certify.paths import expand_paths  # noqa: F401

    search_set = sorted(str(p.relative_to(ROOT)) for p in folder.glob("relu-k*.json"))
    wall, rc, last, rss = _timed_check(search_set)
    print(f"[check] k = 6..20 search certificates ({len(search_set)} files): {wall:.2f} s wall, exit {rc}, {last}")
    wall, rc, last, rss = _timed_check([str(folder.relative_to(ROOT))])
    print(f"[check] `certify check {folder.relative_to(ROOT)}` (all): {wall:.2f} s wall, exit {rc}, {last}; "
          f"peak RSS of the check processes {rss / 1024:.0f} MiB")
    files, _ = expand_paths([folder])
    for f in files:
        t0 = time.perf_counter()
        v = check_file(f)
        print(f"[check]   {f.relative_to(folder)}: {time.perf_counter() - t0:.3f} s "
              f"{'proven' if v.proven else 'NOT PROVEN'}")


def bench_throughput(k: int, backend: str, runs: int = 500, steps: int = 200) -> float:
    import numpy as np

    from certify.arrays import get_xp
    from certify.spurious_minima import landscape as L
    from certify.spurious_minima.search import gradient_descent

    xp = get_xp(backend)
    rng = np.random.default_rng(0)
    W = xp.asarray(rng.standard_normal((runs, k, k)) / np.sqrt(k))
    V = xp.asarray(L.identity_teacher(k))
    gradient_descent(W, V, 5.0 / k, 20, tol=0.0)  # warm-up (and cupy kernel compilation)
    if xp is not np:
        xp.cuda.Stream.null.synchronize()
    t0 = time.perf_counter()
    gradient_descent(W, V, 5.0 / k, steps, tol=0.0)  # tol = 0: every run takes every step
    if xp is not np:
        xp.cuda.Stream.null.synchronize()
    dt = time.perf_counter() - t0
    rate = runs * steps / dt
    print(f"[throughput] k={k} backend={backend}: {runs} runs x {steps} steps in {dt:.2f} s = {rate:.3g} run-steps/s")
    return rate


def bench_stats(ks, runs: int, backend: str, plot: str | None) -> None:
    from certify.spurious_minima.search import SearchConfig, search

    rows = []
    for k in ks:
        t0 = time.perf_counter()
        r = search(SearchConfig(k=k, runs=runs, seed=0, backend=backend, progress=False))
        spurious = [c for c in r.classes if c.label == "spurious"]
        rows.append({"k": k, "spurious_fraction": r.spurious_fraction, "spurious_classes": len(spurious),
                     "labels": {lab: r.labels.count(lab) for lab in set(r.labels)}})
        print(f"[stats] k={k:2d}: {runs} runs, spurious fraction {r.spurious_fraction:.3f}, "
              f"{len(spurious)} distinct classes, outcomes {rows[-1]['labels']}, "
              f"lowest spurious loss {min((c.loss for c in spurious), default=float('nan')):.6f}, "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
    print("[stats] json " + json.dumps(rows))
    if plot:
        from certify.spurious_minima.cli import _plot_fractions

        _plot_fractions(rows, plot)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--ks", default="6,10,15,20")
    ap.add_argument("--backend", default="auto", choices=("numpy", "cupy", "auto"))
    ap.add_argument("--skip-check", action="store_true")
    ap.add_argument("--skip-stats", action="store_true")
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()

    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the certify command does
    print(f"[env] {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    if not args.skip_check:
        bench_check(ROOT / "certificates" / "spurious_minima")
    bench_throughput(20, "numpy")
    from certify.arrays import cupy_available

    if args.backend == "cupy" or (args.backend == "auto" and cupy_available()):
        bench_throughput(20, "cupy")
        bench_throughput(20, "cupy", runs=20000, steps=200)
    if not args.skip_stats:
        backend = "cupy" if (args.backend != "numpy" and cupy_available()) else "numpy"
        bench_stats([int(x) for x in args.ks.split(",")], args.runs, backend, args.plot)


if __name__ == "__main__":
    main()
