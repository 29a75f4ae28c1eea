"""Benchmark of the dense spurious-minimum check (kind ``relu-spurious-minimum``).

Prints one table: for k = n = 50 and 100, the time and peak memory of the trusted check
(kernel API ``certify.kernel.checking.check_data``), and the time of ONE float64 Cholesky
(numpy.linalg.cholesky) of a matrix of the same size (n k x n k), measured in the same
subprocess after the check; the ratio check / Cholesky; the machine load (1-minute
load average) before and after each figure.  "check s" is the first check in a fresh process
(what `certify check` costs), "warm s" the same check repeated in that process.  Optionally (``--all``) the time of checking every
stored certificate under certificates/spurious_minima/ (not published/ nor families/) with this
tree and, with ``--before TREE``, with an older checkout (old API certify.checking.check_file).

Points: k = 50 is certificates/spurious_minima/gpu-search/relu-k50-n50-loss0.02975782.json.
k = 100 is built here (untrusted, once, cached in --cache): the first k = 100 class of
Safran-Yehudai-Shamir 2021 (data/sys2021-minima.json), expanded from its compact
(p, vals) form to W = A^T, polished by one float Newton step (certify.spurious_minima.landscape),
radius 2^-27.

Every measurement runs in its own subprocess (``ru_maxrss`` is that process's peak RSS, which
includes the Python interpreter and numpy, about 0.1 GB), with OPENBLAS_NUM_THREADS=1 unless
--threads says otherwise (the CLI's default).

Usage:  python benchmarks/bench_dense_check.py [--sizes 50 100] [--all] [--before /tmp/before_tree]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
K50 = ROOT / "certificates/spurious_minima/gpu-search/relu-k50-n50-loss0.02975782.json"
DATA = ROOT / "data" / "sys2021-minima.json"


def load() -> str:
    return "%.2f" % os.getloadavg()[0]


# --------------------------------------------------------------------------- the k = 100 point


def build_k100(path: Path) -> Path:
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from certify.spurious_minima import landscape as L
    from certify.spurious_minima.prove import build

    data = json.loads(DATA.read_text())
    cls = [c for c in data["classes"] if c["k"] == 100][0]
    p, vals = cls["p"], cls["vals"]
    k, m = sum(p), len(p)
    blk = np.repeat(np.arange(m), p)
    A = np.empty((k, k))
    for r in range(k):
        for c in range(k):
            i, j = blk[r], blk[c]
            A[r, c] = vals[i][j] if i != j else (vals[i][i] if r == c else vals[i][m])
    W = A.T.copy()
    V = L.identity_teacher(k)
    G = L.gradient(W[None], V)[0].reshape(-1)
    H = L.hessian(W[None], V)[0]
    W = W - np.linalg.solve(H, G).reshape(k, k)
    del H
    cert = build(W, 2.0**-27, True, {"source": "sys2021-minima.json, first k = 100 class, p = %s, "
                                               "one Newton step (benchmarks/bench_dense_check.py)" % p})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cert))
    return path


# --------------------------------------------------------------------------- one measurement per subprocess

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, %(root)r)
import numpy as np
from certify.kernel.checking import check_data
from certify.kernel.certificate import load_certificate
cert = load_certificate(%(path)r)
n, k = cert["claim"]["n"], cert["claim"]["k"]
out = {"n": n, "k": k, "load_before": os.getloadavg()[0]}
t = time.perf_counter()
try:
    proof = check_data(cert)
    out["proven"] = True
    out["mu"] = proof.bounds["hessian_min_eigenvalue_lower_bound"]
except Exception as exc:
    out["proven"] = False
    out["why"] = str(exc)
out["check_s"] = time.perf_counter() - t
out["check_peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
t = time.perf_counter()
try:
    check_data(cert)
except Exception:
    pass
out["warm_s"] = time.perf_counter() - t  # the same check again (imports, arb and BLAS warmed up)
out["load_mid"] = os.getloadavg()[0]
N = n * k
rng = np.random.default_rng(0)
a = rng.uniform(-1.0, 1.0, (N, N))
a += a.T
a[np.arange(N), np.arange(N)] += 2.0 * N  # diagonally dominant: positive definite
t = time.perf_counter()
g = np.linalg.cholesky(a)
out["cholesky_s"] = time.perf_counter() - t
out["load_after"] = os.getloadavg()[0]
print(json.dumps(out))
"""


def measure(path: Path, threads: str) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    code = CHILD % {"root": str(ROOT), "path": str(path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


ALL = r"""
import glob, json, os, sys, time
sys.path.insert(0, %(tree)r)
if %(old)r:
    from certify.checking import check_file
else:
    from certify.kernel.checking import check_file
root = %(folder)r
files = sorted(f for f in glob.glob(root + "/**/*.json", recursive=True)
               if not any(part in ("published", "families") for part in os.path.relpath(f, root).split(os.sep)))
t = time.perf_counter()
proven = sum(check_file(f).proven for f in files)
print(json.dumps({"files": len(files), "proven": proven, "seconds": time.perf_counter() - t}))
"""


def check_all(tree: Path, old: bool, threads: str) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, PYTHONPATH=str(tree))
    code = ALL % {"tree": str(tree), "old": old, "folder": str(ROOT / "certificates/spurious_minima")}
    before = load()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["load"] = f"{before} -> {load()}"
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100], choices=[50, 100])
    ap.add_argument("--threads", default="1", help="OPENBLAS_NUM_THREADS for the measurements (default 1)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/certify-bench/relu-k100-sys2021.json"))
    ap.add_argument("--all", action="store_true", help="also time checking all stored spurious-minima certificates")
    ap.add_argument("--before", type=Path, help="an older checkout to time --all with (old API)")
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} CPUs; `uptime`: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"OPENBLAS_NUM_THREADS={args.threads}\n")
    rows = []
    for k in args.sizes:
        path = K50 if k == 50 else build_k100(args.cache)
        r = measure(path, args.threads)
        rows.append(r)
    hdr = (f"{'k=n':>4} {'N=nk':>6} {'proven':>6} {'check s':>8} {'warm s':>7} {'peak GiB':>8} {'B/entry':>7} "
           f"{'chol s':>7} {'ratio':>6} {'warm':>5}  load (before/mid/after)")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        N = r["n"] * r["k"]
        per = r["check_peak_gib"] * 2**30 / N**2
        print(f"{r['k']:>4} {N:>6} {str(r['proven']):>6} {r['check_s']:>8.2f} {r['warm_s']:>7.2f} "
              f"{r['check_peak_gib']:>8.2f} {per:>7.1f} {r['cholesky_s']:>7.2f} {r['check_s'] / r['cholesky_s']:>6.2f} "
              f"{r['warm_s'] / r['cholesky_s']:>5.2f}  "
              f"{r['load_before']:.2f}/{r['load_mid']:.2f}/{r['load_after']:.2f}")
        if not r["proven"]:
            print("      not proven:", r.get("why"))
    if args.all:
        print()
        res = check_all(ROOT, False, args.threads)
        print(f"all stored certificates (this tree):  {res['proven']}/{res['files']} proven in {res['seconds']:.1f} s  "
              f"(load {res['load']})")
        if args.before:
            res = check_all(args.before, True, args.threads)
            print(f"all stored certificates (--before):   {res['proven']}/{res['files']} proven in {res['seconds']:.1f} s  "
                  f"(load {res['load']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
