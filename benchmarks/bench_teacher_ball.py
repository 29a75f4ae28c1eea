"""Check times of teacher-ball certificates (and, for comparison, teacher-box ones), one process, one BLAS thread.

    python benchmarks/bench_teacher_ball.py certificates/teacher_ball [more folders or files] [--repeat 3]

Prints per certificate: k, rho, the kernel's verdict, the median wall and CPU time of `check_file`, and the
load average before and after (the machine may be shared: compare within one run)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.kernel.checking import check_file, expand_paths  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    files, missing = expand_paths(args.paths)
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 2
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| file | kind | k | rho | verdict | wall s (median) | CPU s (median) |")
    print("|---|---|---|---|---|---|---|")
    for f in files:
        data = json.loads(Path(f).read_text())
        walls, cpus, v = [], [], None
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            v = check_file(f)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        claim = data.get("claim", {})
        print(f"| {Path(f).name} | {data.get('kind')} | {claim.get('k')} | {claim.get('rho', '')} | "
              f"{'PROVEN' if v.proven else 'NOT PROVEN'} | {statistics.median(walls):.3f} | {statistics.median(cpus):.3f} |",
              flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
