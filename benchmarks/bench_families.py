"""Check time of every family certificate (kind relu-spurious-minimum-family), and what it proves.

    .venv/bin/python benchmarks/bench_families.py [FILE ...] [--repeat N] [--out FILE]

Default: certificates/families/*.json.  Each file is checked in a fresh process (`certify check -q`, so the
time includes start-up and imports) and, after a warm-up, in this process (median of --repeat runs, wall and
CPU).  Prints per file: pieces, the first piece (the cover's reach to k = infinity), the widths of the limit
enclosures and of the transition, and the load average before and after (the machine is shared: ratios
measured within one run are the reliable part).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    from certify.kernel.checking import check_file

    files = [Path(f) for f in args.files] or sorted((ROOT / "certificates" / "families").glob("*.json"))
    lines = [f"bench_families: {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
             f"load average before: {load()}"]
    for f in files:
        d = json.loads(f.read_text(encoding="utf-8"))
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "certify", "check", "-q", str(f)], cwd=ROOT,
                              capture_output=True, text=True)
        fresh = time.perf_counter() - t0
        check_file(f)  # warm-up (imports, caches)
        walls, cpus = [], []
        verdict = None
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            verdict = check_file(f)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        cl, cov = d["claim"], d["cover"]
        bp = cov["breakpoints"]
        nat = cov["natures"]
        rng = f"k >= {cl['k_min']}" if cl["k_max"] == "infinity" else f"{cl['k_min']} <= k <= {cl['k_max']}"
        lines.append(f"{f.relative_to(ROOT) if f.is_absolute() else f}: {'PROVEN' if verdict.proven else 'NOT PROVEN'} "
                     f"(exit {proc.returncode} in a fresh process, {fresh:.2f} s wall incl. start-up); in process "
                     f"median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU")
        first = bp[1]
        lines.append(f"  blocks {cl['blocks']}, {rng}; {len(nat)} pieces ({nat.count('minimum')} minimum, "
                     f"{nat.count('follow')} follow, {nat.count('saddle')} saddle); first piece s in [{bp[0]}, "
                     f"{first:.4g}] = every k >= {1 / first**2:.4g}" if bp[0] == 0 else
                     f"  blocks {cl['blocks']}, {rng}; {len(nat)} pieces")
        if cl.get("limits"):
            for name, (lo, hi) in cl["limits"].items():
                lines.append(f"  limit {name}: [{lo!r}, {hi!r}] (width {hi - lo:.2e})")
        if cl.get("transition"):
            lo, hi = cl["transition"]["k_star"]
            lines.append(f"  transition: k* in [{lo!r}, {hi!r}] (width {hi - lo:.2e}); saddle from "
                         f"k = {cl['transition']['saddle_from']}")
    lines.append(f"load average after: {load()}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
