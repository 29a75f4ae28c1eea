"""Time to check every published-record certificate (and the families), in one process.

    .venv/bin/python benchmarks/bench_published.py [FOLDER ...] [--out FILE]

Default folders: certificates/spurious_symmetric/published and certificates/spurious_symmetric/families.
Prints, per folder: files, proven, total seconds, the slowest file, and the per-k maximum for
k = 100, 1000, 10000 where present; the machine's load average beside it (goal of issue 9: all
published certificates under 30 s on the 2-core machine).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT = ["certificates/spurious_symmetric/published", "certificates/spurious_symmetric/families"]


def bench(folder: Path) -> list[str]:
    from certify.kernel.checking import check_file

    files = sorted(folder.rglob("*.json"))
    times = []
    proven = 0
    t_all = time.perf_counter()
    cpu_all = time.process_time()
    for f in files:
        t0 = time.perf_counter()
        v = check_file(f)
        times.append((time.perf_counter() - t0, f))
        proven += bool(v.proven)
    total = time.perf_counter() - t_all
    cpu = time.process_time() - cpu_all
    lines = [f"{folder}: {len(files)} files, {proven} proven, {len(files) - proven} not proven, "
             f"{total:.2f} s wall in one process ({total / max(1, len(files)) * 1e3:.1f} ms per file), "
             f"{cpu:.2f} s CPU ({cpu / max(1, len(files)) * 1e3:.1f} ms per file; the wall time of an idle core)"]
    if times:
        worst = max(times)
        lines.append(f"  slowest: {worst[1].name} {worst[0] * 1e3:.0f} ms")
    for tag in ("k00100", "k01000", "k10000"):
        sel = [t for t, f in times if f"-{tag}-" in f.name]
        if sel:
            lines.append(f"  {tag}: {len(sel)} file(s), max {max(sel) * 1e3:.0f} ms")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", default=DEFAULT)
    ap.add_argument("--out", help="also append the lines to this file")
    args = ap.parse_args(argv)
    lines = [f"[env] {os.cpu_count()} CPUs, python {platform.python_version()}, "
             f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    for folder in args.folders:
        lines += bench(ROOT / folder if not Path(folder).is_absolute() else Path(folder))
    lines.append(f"[env] load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
