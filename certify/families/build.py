"""Building a cover: pieces of s chosen adaptively until the kernel's per-piece proofs all succeed.

UNTRUSTED.  Calls the kernel's public per-piece functions (certify.kernel.families.cover) to find out
which pieces pass, splits the others, and tunes the Krawczyk radii; the final certificate is decided by
the kernel as a whole (KIND.check) when it is published.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from certify.kernel.certificate import NotProven
from certify.kernel.families import cover as K
from certify.kernel.families.system import Pattern
from certify.kernel.interval import Interval

from . import continuation as C


@dataclass
class Cover:
    breakpoints: np.ndarray
    centers: np.ndarray
    slopes: np.ndarray
    radii: np.ndarray
    natures: list


def _pieces(bp: np.ndarray, centers, slopes, radii) -> K.Pieces:
    return K.Pieces(bp[:-1].copy(), bp[1:].copy(), centers, slopes, radii)


def _robust(fn, idx: np.ndarray):
    """Run fn(indices) -> dict of per-piece arrays on a batch; where the kernel refuses the whole batch
    (NotProven for one bad piece), split the batch and mark single bad pieces as failed (None)."""
    try:
        return {int(i): v for i, v in zip(idx, fn(idx))}
    except (NotProven, FloatingPointError, np.linalg.LinAlgError):
        if idx.size == 1:
            return {int(idx[0]): None}
        h = idx.size // 2
        out = _robust(fn, idx[:h])
        out.update(_robust(fn, idx[h:]))
        return out


class Builder:
    """Adaptive cover of an s-range for a family (all pieces of one nature).  Pieces are handled as
    arrays (lo, hi) of s-intervals; the kernel's per-piece functions do not need them contiguous."""

    def __init__(self, pat: Pattern, grid: np.ndarray, psis: np.ndarray, loss_power: int, log=print):
        self.pat, self.grid, self.psis, self.loss_power, self.log = pat, grid, psis, loss_power, log

    def lines(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Secant lines: through the curve's points at both ends of each piece (so the lines of two
        neighbouring pieces meet on the curve); the point at the centre s_c is on that line."""
        a, _ = C.points(self.pat, self.grid, self.psis, lo)
        b, _ = C.points(self.pat, self.grid, self.psis, hi)
        sc = np.minimum(np.maximum(0.5 * lo + 0.5 * hi, lo), hi)
        slope = (b - a) / (hi - lo)[:, None]
        return a + (sc - lo)[:, None] * slope, slope

    def _krawczyk(self, lo, hi, centers, slopes, r) -> K.KrawczykResult:
        """The kernel's Krawczyk test piece by piece (robust to pieces the kernel refuses outright)."""
        N, n = centers.shape

        def run(idx):
            res = K.krawczyk(self.pat, K.Pieces(lo[idx], hi[idx], centers[idx], slopes[idx], r[idx]))
            return [(res.ok[j], res.offset.lo[j], res.offset.hi[j], res.margin[j]) for j in range(idx.size)]

        got = _robust(run, np.arange(N))
        ok = np.zeros(N, dtype=bool)
        olo = np.full((N, n), -1e300)
        ohi = np.full((N, n), 1e300)
        margin = np.full(N, -np.inf)
        for i, v in got.items():
            if v is not None:
                ok[i], olo[i], ohi[i], margin[i] = v
        return K.KrawczykResult(ok, Interval(olo, ohi), margin)

    def radii(self, lo, hi, centers, slopes, rounds: int = 14):
        """Krawczyk radii per piece: grow r to 1.6 |K| until K lies inside.  Returns (r, ok, result)."""
        r = np.maximum(1e-13, 1e-14 * np.abs(centers))
        res = None
        for _ in range(rounds):
            res = self._krawczyk(lo, hi, centers, slopes, r)
            size = np.maximum(np.abs(res.offset.lo), np.abs(res.offset.hi))
            need = np.maximum(r, 1.6 * size)
            if np.all(res.ok):
                return r, res.ok, res
            grow = ~res.ok[:, None]
            r = np.minimum(np.where(grow, np.maximum(need, 2.0 * r), r), 1.0)
        return r, res.ok & np.all(r < 1.0, axis=1), res

    def _connect_need(self, bp, centers, slopes, size, r) -> np.ndarray:
        """Radii the joints need: at each shared breakpoint one piece's enclosure must lie in the other's box
        (the kernel accepts either); where neither holds, grow the box that needs the smaller increase."""
        sc = np.minimum(np.maximum(0.5 * bp[:-1] + 0.5 * bp[1:], bp[:-1]), bp[1:])
        need = np.zeros_like(centers)
        here = centers[:-1] + (bp[1:-1] - sc[:-1])[:, None] * slopes[:-1]
        there = centers[1:] + (bp[1:-1] - sc[1:])[:, None] * slopes[1:]
        gap = np.abs(here - there)
        right = 1.02 * (gap + size[:-1]) + 1e-15  # what r_(i+1) needs
        left = 1.02 * (gap + size[1:]) + 1e-15  # what r_i needs
        fine = np.all(right < r[1:], axis=1) | np.all(left < r[:-1], axis=1)
        grow_right = ~fine & (np.max(right / r[1:], axis=1) <= np.max(left / r[:-1], axis=1))
        grow_left = ~fine & ~grow_right
        need[1:] = np.where(grow_right[:, None], right, 0.0)
        need[:-1] = np.maximum(need[:-1], np.where(grow_left[:, None], left, 0.0))
        return need

    def check(self, lo, hi, centers, slopes, radii, kr, nature: str) -> np.ndarray:
        """Per piece: does the kernel's curvature test of the nature pass?"""
        N = centers.shape[0]
        good = np.nonzero(kr.ok)[0]
        ok = np.zeros(N, dtype=bool)
        if nature == "follow":
            ok[good] = True
            return ok

        def run(idx):
            pc = K.Pieces(lo[idx], hi[idx], centers[idx], slopes[idx], radii[idx])
            cu = K.curvatures(self.pat, pc, kr.offset[idx], self.loss_power)
            T = pc.t_interval()
            delta = np.maximum(np.abs(T.lo), np.abs(T.hi))
            out = []
            for j in range(idx.size):
                try:
                    if nature == "minimum":
                        K.pencil_lower_bound(cu.C_c[j], cu.C_1[j], cu.C_2[j], float(delta[j]))
                        K.pencil_lower_bound(cu.M_c[j], cu.M_1[j], cu.M_2[j], float(delta[j]))
                        out.append(bool(cu.loss.lo[j] > 0))
                    else:
                        out.append(bool(K.negative_curvature_upper(cu.C_c[j], cu.C_1[j], cu.C_2[j], T[j]) < 0))
                except NotProven:
                    out.append(False)
            return out

        for i, v in _robust(run, good).items():
            ok[i] = bool(v)
        return ok

    def evaluate(self, lo: np.ndarray, hi: np.ndarray, nature: str):
        """Per piece (lo[i], hi[i]): (ok, (center, slope, radius))."""
        centers, slopes = self.lines(lo, hi)
        radii, ok, kr = self.radii(lo, hi, centers, slopes)
        ok = ok & self.check(lo, hi, centers, slopes, radii, kr, nature)
        return ok, [(centers[i], slopes[i], radii[i]) for i in range(lo.size)]

    def cover(self, bp: np.ndarray, nature: str, max_rounds: int = 60, min_width: float = 1e-14) -> Cover:
        """Split failing pieces in halves until every piece passes (raises if a piece gets too thin).
        Only new pieces are evaluated in a round; then the joints are connected (radii grown where
        needed, the grown pieces checked again)."""
        done: dict = {}  # (a, b) -> (center, slope, radius)
        bp = np.array(bp, dtype=np.float64)
        for rnd in range(max_rounds):
            keys = list(zip(bp[:-1], bp[1:]))
            todo = [i for i, key in enumerate(keys) if key not in done]
            if todo:
                lo = np.array([keys[i][0] for i in todo])
                hi = np.array([keys[i][1] for i in todo])
                ok, data = self.evaluate(lo, hi, nature)
                bad = []
                for j, i in enumerate(todo):
                    if ok[j]:
                        done[keys[i]] = data[j]
                    else:
                        bad.append(i)
                bad = np.array(bad, dtype=int)
            else:
                bad = self._connect(bp, done, nature)
                if bad is None:
                    c, w, r = (np.array([done[k][j] for k in keys]) for j in range(3))
                    return Cover(bp, c, w, r, [nature] * (bp.size - 1))
            self.log(f"  {nature}: round {rnd}: {bp.size - 1} pieces, {len(bad)} to split")
            if len(bad) == 0:
                continue
            if np.any(bp[bad + 1] - bp[bad] < min_width):
                raise RuntimeError(f"{nature}: a piece at s = {bp[bad[0]]!r} cannot be proven even when tiny")
            for i in bad:
                done.pop(keys[i], None)
            bp = np.unique(np.concatenate([bp, 0.5 * (bp[bad] + bp[bad + 1])]))
        raise RuntimeError(f"{nature}: no cover after {max_rounds} rounds")

    def _connect(self, bp: np.ndarray, done: dict, nature: str):
        """Grow radii where neighbouring pieces would not connect and re-check those pieces; returns None
        when everything connects (done updated), else the indices of pieces to split."""
        keys = list(zip(bp[:-1], bp[1:]))
        c, w, r = (np.array([done[k][j] for k in keys]) for j in range(3))
        lo, hi = bp[:-1], bp[1:]
        for _ in range(6):
            kr = self._krawczyk(lo, hi, c, w, r)
            size = np.maximum(np.abs(kr.offset.lo), np.abs(kr.offset.hi))
            need = self._connect_need(bp, c, w, size, r)
            grow = np.any(need > r, axis=1)
            if not np.any(grow) and np.all(kr.ok):
                idx = np.nonzero(np.array([not np.array_equal(done[k][2], r[i]) for i, k in enumerate(keys)]))[0]
                if idx.size:
                    sub = K.KrawczykResult(kr.ok[idx], kr.offset[idx], kr.margin[idx])
                    ok = self.check(lo[idx], hi[idx], c[idx], w[idx], r[idx], sub, nature)
                    if not np.all(ok):
                        return idx[~ok]
                for i, k in enumerate(keys):
                    done[k] = (c[i], w[i], r[i])
                return None
            if not np.all(kr.ok):
                return np.nonzero(~kr.ok)[0]
            r = np.where(grow[:, None], np.maximum(r, need), r)
        return np.nonzero(grow)[0]


def join(parts: list[Cover]) -> Cover:
    """Concatenate covers whose breakpoints meet."""
    bp = parts[0].breakpoints
    cen, slo, rad, nat = [parts[0].centers], [parts[0].slopes], [parts[0].radii], list(parts[0].natures)
    for p in parts[1:]:
        if p.breakpoints[0] != bp[-1]:
            raise ValueError("covers do not meet")
        bp = np.concatenate([bp, p.breakpoints[1:]])
        cen.append(p.centers)
        slo.append(p.slopes)
        rad.append(p.radii)
        nat += p.natures
    return Cover(bp, np.concatenate(cen), np.concatenate(slo), np.concatenate(rad), nat)


def geometric(a: float, b: float, towards_b: bool, first: float, cap: float, ratio: float = 2.0) -> np.ndarray:
    """Breakpoints of [a, b] whose widths are ``first`` at the target end (b if towards_b, else a) and grow by
    ``ratio`` away from it, capped at ``cap``."""
    L = b - a
    widths = []
    w = first
    while sum(widths) + w < L:
        widths.append(w)
        w = min(w * ratio, cap)
    widths.append(L - sum(widths))
    if len(widths) > 1 and widths[-1] < 0.5 * widths[-2]:  # no sliver at the far end
        widths[-2] += widths.pop()
    widths = np.array(widths)
    if towards_b:
        widths = widths[::-1]
    pts = a + np.concatenate([[0.0], np.cumsum(widths)])
    pts[0], pts[-1] = a, b
    return pts


def s_of_k(k: float) -> float:
    return 1.0 / math.sqrt(k)
