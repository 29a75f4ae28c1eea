"""Per-kind check times and the whole-store wall time, in one run.

    .venv/bin/python benchmarks/bench_store.py [--folder certificates] [--jobs 2] [--json OUT]

1. The whole store with `certify check -q -j N FOLDER` in a fresh process (wall time, as a user runs it).
2. Every certificate decided once more in this process, one after the other (`check_file`), timed one
   by one: per kind the number of certificates, the mean, the total and the slowest file.
The machine's load average is printed before and after each part: other processes change the
figures, so compare runs by the ratios measured within one run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", default="certificates")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-store", action="store_true", help="skip part 1 (the whole-store wall time)")
    ap.add_argument("--json", default=None, help="also write the figures as JSON to this file")
    args = ap.parse_args()
    out: dict = {"folder": args.folder, "jobs": args.jobs}
    if not args.skip_store:
        before = load()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "certify", "--no-progress", "check", "-q", "-j", str(args.jobs),
                               args.folder], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        tail = (done.stdout.strip().splitlines() or ["?"])[-1]
        print(f"whole store: certify check -q -j {args.jobs} {args.folder}: {wall:.1f} s wall, exit {done.returncode}, "
              f"'{tail}' (load before {before}, after {load()})")
        out["store_wall_s"] = wall
    from certify.kernel.checking import check_file
    from certify.paths import expand_paths

    files, _ = expand_paths([ROOT / args.folder])
    per = defaultdict(list)
    before = load()
    start = time.perf_counter()
    for f in files:
        t0 = time.perf_counter()
        v = check_file(f)
        per[v.kind].append((time.perf_counter() - t0, str(f.relative_to(ROOT)), v.proven))
    total = time.perf_counter() - start
    print(f"one process, one file after the other: {len(files)} certificates in {total:.1f} s "
          f"(load before {before}, after {load()})")
    print(f"{'kind':40s} {'count':>6s} {'mean ms':>9s} {'total s':>8s}  slowest")
    out["kinds"] = {}
    for kind in sorted(per, key=str):
        rows = per[kind]
        ts = [t for t, _, _ in rows]
        slow = max(rows)
        bad = sum(not ok for _, _, ok in rows)
        print(f"{str(kind):40s} {len(rows):6d} {1000 * sum(ts) / len(ts):9.2f} {sum(ts):8.2f}  "
              f"{slow[1]} ({slow[0]:.2f} s){f'  NOT PROVEN: {bad}' if bad else ''}")
        out["kinds"][str(kind)] = {"count": len(rows), "mean_ms": 1000 * sum(ts) / len(ts), "total_s": sum(ts),
                                   "slowest": slow[1], "slowest_s": slow[0], "not_proven": bad}
    out["serial_total_s"] = total
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
