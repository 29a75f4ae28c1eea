"""Search for teacher-box certificates (untrusted producer): bisection on rho, a product-grid split
of the teacher box into sub-boxes, Newton re-polishing of the point at each sub-box centre (the
float landscape of certify.spurious_minima.landscape accepts any teacher V), and a radius chosen
from the kernel's own bounds.  Every certificate written is re-checked by the kernel (publish).
"""
from __future__ import annotations

import json
import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..kernel.certificate import NotProven, rational_str
from ..kernel.teacher_student import free_entries
from ..kernel.teacher_box.kind import KIND, SubBox, check_sub_box, sub_box_bounds, sub_box_teacher

def identity_point(k: int, folder: Path) -> np.ndarray:
    """The point of the lowest-loss stored S = I certificate for k (relu-kXX-nXX-loss*.json, in the
    folder or its sub-folders)."""
    files = sorted(folder.rglob(f"relu-k{k:02d}-n{k:02d}-loss*.json"),
                   key=lambda p: float(p.stem.split("loss")[1]))
    if not files:
        raise FileNotFoundError(f"no stored S = I certificate for k = {k} in {folder}")
    return np.array(json.loads(files[0].read_text())["point"], dtype=np.float64)


def grid(k: int, rho: Fraction, split_entries: list[int]) -> list[tuple[tuple, tuple]]:
    """The cells of the product grid: each entry in ``split_entries`` cut in two halves."""
    jj, ll = free_entries(k)
    lo0 = [Fraction(int(j == l)) - rho for j, l in zip(jj, ll)]
    hi0 = [Fraction(int(j == l)) + rho for j, l in zip(jj, ll)]
    cells = [(lo0, hi0)]
    for e in split_entries:
        mid = (lo0[e] + hi0[e]) / 2
        new = []
        for lo, hi in cells:
            a, b = list(lo), list(hi)
            b[e] = mid
            new.append((a, b))
            a, b = list(lo), list(hi)
            a[e] = mid
            new.append((a, b))
        cells = new
    return [(tuple(lo), tuple(hi)) for lo, hi in cells]


def split_order(k: int, x0: np.ndarray | None = None) -> list[int]:
    """Which free entries to halve first: those that move the critical point most (largest column
    sums of |J|, J = -H^{-1} D at S = I), else the diagonal ones first."""
    jj, ll = free_entries(k)
    if x0 is not None:
        from ..kernel.interval import Interval
        from ..kernel.teacher_student import enclose

        e = enclose(Interval.point(x0), teacher=Interval.point(np.eye(k)), want=("hess_entries", "dgrad_dteacher"))
        J = -np.linalg.solve(e.hess_entries.mid_rad()[0], e.dgrad_dteacher.mid_rad()[0])
        return [int(i) for i in np.argsort(-np.abs(J).sum(axis=0), kind="stable")]
    diag = [e for e in range(jj.size) if jj[e] == ll[e]]
    return diag + [e for e in range(jj.size) if jj[e] != ll[e]]


def polish(x0: np.ndarray, S: np.ndarray) -> np.ndarray:
    from ..spurious_minima.search import newton_polish

    W, g = newton_polish(x0[None].copy(), S, 40)
    return W[0]


def prove_cell(k: int, lo, hi, x0: np.ndarray, log=None):
    """A proven SubBox for one cell, or None.  The radius r is iterated to 2.2 g / mu."""
    _, S_c, _ = sub_box_teacher(k, lo, hi)
    x_c = polish(x0, S_c)
    r = 1e-9
    for _ in range(8):
        box = SubBox(lo, hi, x_c, r, 1.0)
        try:
            b = sub_box_bounds(k, box)
        except NotProven:
            return None
        want = 1.1 * b["g"] / b["mu"]
        if b["g"] < 0.9 * b["mu"] * r:
            try:
                res = check_sub_box(k, box)
            except NotProven:
                return None
            R = float(np.nextafter(res["distance_to_critical_point"] * (1 + 2.0**-20), np.inf))
            return SubBox(lo, hi, x_c, r, R)
        if want > 0.5:
            return None
        r = float(2.0 * want)
    return None


def prove_rho(k: int, rho: Fraction, j: int, x0: np.ndarray):
    """Sub-boxes proving rho with 2^j cells, or None."""
    cells = grid(k, rho, split_order(k, x0)[:j])
    out = []
    for lo, hi in cells:
        sb = prove_cell(k, lo, hi, x0)
        if sb is None:
            return None
        x0 = sb.point
        out.append(sb)
    return out


def two_digits_down(x: float) -> Fraction:
    """The largest m / 10^q <= x with 10 <= m <= 99."""
    q = -math.floor(math.log10(x)) + 1
    m = math.floor(x * 10**q)
    return Fraction(m, 10**q)


def largest_proven_rho(k: int, lo: float, hi: float, steps: int, stop_ratio: float, prove, log, label: str):
    """Bisection in log scale on rho (two significant digits, two_digits_down) between lo and hi: ``prove(rho)``
    returns a result or None (not proven).  Returns (rho, result) for the largest rho proven; NotProven if
    not even two_digits_down(lo) is.  Stops after ``steps`` trials or when hi/lo < stop_ratio; each trial is
    logged as "  {label}{rho} proven|failed" when ``log``."""
    a, b = lo, hi
    first = two_digits_down(a)
    got = prove(first)
    if got is None:
        raise NotProven(f"k={k}: not even rho = {rational_str(first)} proven")
    best = (first, got)
    for _ in range(steps):
        m = math.sqrt(a * b)
        rho = two_digits_down(m)
        if rho <= best[0]:
            a = m
            continue
        got = prove(rho)
        if got is not None:
            best = (rho, got)
            a = float(rho)
        else:
            b = float(rho)
        if log:
            log(f"  {label}{float(rho):.3g} {'proven' if got else 'failed'}")
        if b / a < stop_ratio:
            break
    return best


def search_rho(k: int, minima: Path, j: int = 0, lo: float = 1e-8, hi: float = 1e-2, steps: int = 10,
               log=print):
    """Bisection (in log scale) on rho, from the lowest-loss S = I certificate for k in ``minima``;
    returns (rho, sub_boxes) for the largest rho proven."""
    x0 = identity_point(k, Path(minima))
    return largest_proven_rho(k, lo, hi, steps, 1.1, lambda rho: prove_rho(k, rho, j, x0), log,
                              f"k={k} 2^{j} sub-boxes: rho=")


def build(k: int, rho: Fraction, sub_boxes, provenance: dict | None = None) -> dict:
    from ..publishing import build_certificate

    claim = {"k": int(k), "rho": rational_str(rho)}
    evidence = {"sub_boxes": [{
        "entries": [[rational_str(a), rational_str(b)] for a, b in zip(sb.lo, sb.hi)],
        "point": [[float(v) for v in row] for row in sb.point],
        "ball_radius": float(sb.ball_radius),
        "radius": float(sb.radius),
    } for sb in sub_boxes]}
    return build_certificate(KIND.name, claim, evidence, provenance)


def file_name(k: int, j: int) -> str:
    return f"teacher-box-k{k:02d}" + (f"-split{2**j}" if j else "") + ".json"


def prove_and_write(k: int, out_dir: Path, minima: Path, j: int = 0, overwrite: bool = False, log=print) -> str:
    """Search rho for k and write the certificate; returns "written" or "exists" (kept: nothing is
    searched).  Raises NotProven / FileNotFoundError / PublishError when nothing could be written."""
    from ..publishing import publish, published_line

    path = Path(out_dir) / file_name(k, j)
    if path.exists() and not overwrite:
        log(f"k={k}: {path} exists, kept (--overwrite to redo)")
        return "exists"
    t = time.time()
    rho, sbs = search_rho(k, minima, j, log=log)
    provenance = {
        "search": "log-bisection on rho (2 significant digits); points Newton-polished at each sub-box "
                  "centre from the lowest-loss S = I certificate; ball radius iterated to 2.2 g / mu",
        "split_entries": j,
        "search_seconds": round(time.time() - t, 1),
    }
    cert = build(k, rho, sbs, provenance)
    proof = publish(cert, path, overwrite=overwrite)
    log(published_line(path, proof))
    return "written"
