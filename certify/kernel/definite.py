"""Proven positive definiteness: Rump's floating-point Cholesky test, for interval matrices and for
large symmetric matrices given by a midpoint and a bound on the norm of their radius.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval (outward rounding, norms) and
certify.kernel.eigen_estimate (an UNTRUSTED estimate of the smallest eigenvalue that only chooses
the shift to test: every shift is decided by Rump's theorem alone, so a wrong estimate can only
make a proof fail, never pass), and numpy.
"""
from __future__ import annotations

import numpy as np

from .eigen_estimate import estimate_min_eigenvalue
from .interval import SMALLEST_SUBNORMAL as _ETA, UNIT_ROUNDOFF as _U, Interval, NotProven, norm2_upper_nonneg, sum_upper
from .interval import round_down as _down, round_up as _up

_MAX_ENTRY = 2.0**400  # Rump's test refuses larger entries (no overflow inside Cholesky)


def symmetric_part(h: Interval) -> Interval:
    """Intersect H with its transpose: still contains every symmetric matrix of H."""
    lo = np.maximum(h.lo, h.lo.T)
    hi = np.minimum(h.hi, h.hi.T)
    if np.any(lo > hi):
        raise NotProven("interval matrix contains no symmetric matrix")
    return Interval(lo, hi, _checked=True)


def cholesky_succeeds(mid: np.ndarray, rad_norm: float, shift: float) -> bool:
    """Rump's isspd test (BIT 2006): True proves that every symmetric matrix
    A with |A - mid| <= R, ||R||_2 <= rad_norm, satisfies A - shift*I > 0.

    Theorem (Rump 2006, Thm 2.3 with the radius added by Weyl): let B be
    symmetric with positive diagonal, n x n, and
    c >= gamma_{n+1}/(1-gamma_{n+1}) trace(B) + 4n(2(n+1) + max B_ii) eta.
    If floating-point Cholesky (any order, FMA or not) succeeds on B - cI,
    then B is positive definite.  We take B = mid - shift*I rounded down on
    the diagonal (B <= mid - shift*I), use the larger constant
    2(n+2)u trace(B) + 8n(2(n+1) + max B_ii) eta >= the above for n u < 1/4,
    and add rad_norm, so B - cI succeeding gives lambda_min(B) > rad_norm,
    hence lambda_min(A - shift*I) > 0 for every A in the interval matrix.

    Rump's theorem assumes that no overflow occurs in the factorization.  LAPACK
    implementations test a pivot with ``ajj <= 0``, which a NaN (from inf - inf or
    0 * inf after an overflow) passes, so ``np.linalg.cholesky`` can "succeed" on an
    indefinite matrix and return inf/NaN entries.  We therefore require every entry
    of B - cI to be at most 2^400 in magnitude and the computed factor G to be
    finite.  Then no overflow can have occurred: a completed factorization has
    sum_k g_jk^2 <= b_jj (1 + small), so |g_jk| <= 2^201 and every product and
    partial sum formed by any Cholesky variant is below n 2^402 << 2^1024 (and a
    non-finite value, once formed, propagates into G).

    False also for an empty, non-finite or not exactly symmetric ``mid``, for n u >= 1/4 and when a
    diagonal entry of B is not positive; a non-finite trace of B (overflow, or a NaN shift) raises
    NotProven (from sum_upper) instead of returning False.
    """
    mid = np.asarray(mid, dtype=np.float64)
    n = mid.shape[0]
    if n == 0 or not np.all(np.isfinite(mid)) or not np.array_equal(mid, mid.T):
        return False
    if n * _U >= 0.25:
        return False
    diag = _down(np.diag(mid) - shift)
    if np.any(diag <= 0):
        return False
    trace = sum_upper(diag)
    maxdiag = float(diag.max())
    c = _up(_up(2.0 * (n + 2)) * _U * trace)  # products by powers of two / small ints
    c = _up(c + _up(_up(8.0 * n * _up(2.0 * (n + 1) + maxdiag)) * _ETA))
    c = float(_up(c + rad_norm))
    b = mid.copy()
    np.fill_diagonal(b, _down(diag - c))
    if not np.all(np.isfinite(b)) or not np.all(np.abs(b) <= _MAX_ENTRY):
        return False
    try:
        g = np.linalg.cholesky(b)
    except np.linalg.LinAlgError:
        return False
    if not np.all(np.isfinite(g)):  # a NaN pivot passes LAPACK's "ajj <= 0" test
        return False
    return True


def min_eigenvalue_lower_bound(h: Interval, target: float | None = None) -> float:
    """A proven lower bound mu > 0 of lambda_min over all symmetric matrices in
    the (square) interval matrix h.  Raises NotProven if positivity cannot be proven.

    mu is the first of a list of candidate shifts, chosen from ``target`` (an untrusted estimate of
    lambda_min of the midpoint; numpy's eigvalsh when omitted), for which :func:`cholesky_succeeds`
    proves A - mu I > 0 for every symmetric A in h; the estimate only chooses, Rump's test decides."""
    s = symmetric_part(h)
    mid, rad = s.mid_rad()
    rad_norm = norm2_upper_nonneg(rad)
    if target is None:
        target = float(np.linalg.eigvalsh(mid)[0]) if np.all(np.isfinite(mid)) else 0.0
    n = mid.shape[0]
    margin = 2.0 * (rad_norm + 2.0 * (n + 2) * _U * float(np.abs(np.diag(mid)).sum()))
    candidates = [target - margin, 0.999 * target - margin, 0.99 * target - margin]
    candidates += [target * 0.5**j for j in range(1, 60)]
    for shift in candidates:
        if shift > 0 and cholesky_succeeds(mid, rad_norm, shift):
            return float(shift)
    raise NotProven("positive definiteness could not be proven (Cholesky test failed)")


# ------------------------------------------------- large symmetric matrices: midpoint and radius norm


class SymmetricMidRad:
    """A symmetric interval matrix given by its midpoint and a bound on its radius.

    It stands for every symmetric A with |A - mid| <= R entrywise for some
    (unknown) nonnegative matrix R with ||R||_2 <= rad_norm.  Only ``mid``
    (n x n, exactly symmetric) is stored: a producer proves a bound on ||R||_2
    (e.g. max row sum of a symmetric R) without forming R.  Since every entry of
    a nonnegative R is at most ||R||_2, [mid - rad_norm, mid + rad_norm] also
    encloses every entry (``lo``/``hi``, formed on demand)."""

    __slots__ = ("mid", "rad_norm")

    def __init__(self, mid: np.ndarray, rad_norm: float):
        """Check and store ``mid`` (square, finite, exactly symmetric) and ``rad_norm`` (finite, >= 0);
        NotProven otherwise.  A float64 ``mid`` is not copied: the caller must not change it afterwards
        (:func:`cholesky_succeeds_midrad` overwrites its diagonal during the test and restores it)."""
        mid = np.asarray(mid, dtype=np.float64)
        rad_norm = float(rad_norm)
        if mid.ndim != 2 or mid.shape[0] != mid.shape[1]:
            raise NotProven("SymmetricMidRad needs a square matrix")
        if not (np.isfinite(rad_norm) and rad_norm >= 0.0):
            raise NotProven("radius norm bound is not a finite nonnegative number")
        if not _finite_and_symmetric(mid):
            raise NotProven("midpoint matrix is not finite and exactly symmetric")
        self.mid = mid
        self.rad_norm = rad_norm

    @property
    def shape(self):
        """(n, n): the shape of the midpoint."""
        return self.mid.shape

    @property
    def lo(self) -> np.ndarray:
        """Entrywise lower bounds of every matrix in the set: mid - rad_norm rounded down (every entry of a
        nonnegative R is at most ||R||_2).  Formed on each access; not checked for overflow."""
        return _down(self.mid - self.rad_norm)

    @property
    def hi(self) -> np.ndarray:
        """Entrywise upper bounds of every matrix in the set: mid + rad_norm rounded up (see :attr:`lo`)."""
        return _up(self.mid + self.rad_norm)


def _finite_and_symmetric(a: np.ndarray, tile: int = 512) -> bool:
    """Exact symmetry and finiteness, checked tile by tile (no n x n temporary)."""
    n = a.shape[0]
    for r0 in range(0, n, tile):
        r1 = min(n, r0 + tile)
        if not np.all(np.isfinite(a[r0:r1])):
            return False
        for c0 in range(r0 + tile, n, tile):
            c1 = min(n, c0 + tile)
            if not np.array_equal(a[r0:r1, c0:c1], a[c0:c1, r0:r1].T):
                return False
        if not np.array_equal(a[r0:r1, r0:r1], a[r0:r1, r0:r1].T):
            return False
    return True


def _max_abs(a: np.ndarray) -> float:
    """max |a_ij| over the array (0.0 for an empty one) without forming |a|.  A NaN entry is not detected
    (the caller passes a finite array)."""
    return float(max(np.max(a), -np.min(a))) if a.size else 0.0


def _rump_constant(diag: np.ndarray, rad_norm: float) -> float:
    """The constant c of cholesky_succeeds for the diagonal ``diag`` of B (all > 0)."""
    n = diag.shape[0]
    trace = sum_upper(diag)
    maxdiag = float(diag.max())
    c = _up(_up(2.0 * (n + 2)) * _U * trace)
    c = _up(c + _up(_up(8.0 * n * _up(2.0 * (n + 1) + maxdiag)) * _ETA))
    return float(_up(c + rad_norm))


def _cholesky_finite(a: np.ndarray) -> bool:
    """Floating-point Cholesky of the symmetric a (numpy/LAPACK); True when it completes with a
    finite factor.  The factor is checked in row blocks and then dropped."""
    try:
        g = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    ok = True
    for r0 in range(0, g.shape[0], 256):
        if not np.all(np.isfinite(g[r0:r0 + 256])):
            ok = False
            break
    del g
    return ok


def cholesky_succeeds_midrad(a: SymmetricMidRad, shift: float) -> bool:
    """Rump's test, exactly as :func:`cholesky_succeeds` (same theorem, same constant, same
    overflow guard), on ``a.mid`` *in place*: the diagonal is replaced by
    B_ii - c (rounded down), the factorization runs, and the diagonal is restored
    (also on failure).  True proves lambda_min(A) > shift for every A in ``a``.
    Memory: the factorization's own copies only (numpy: two n x n arrays)."""
    mid = a.mid
    n = mid.shape[0]
    if n == 0 or n * _U >= 0.25 or not np.isfinite(shift):
        return False
    d0 = np.diag(mid).copy()
    diag = _down(d0 - shift)
    if np.any(diag <= 0) or not np.all(np.isfinite(diag)):
        return False
    try:
        c = _rump_constant(diag, a.rad_norm)
    except NotProven:  # the trace overflows
        return False
    newdiag = _down(diag - c)
    if not np.all(np.isfinite(newdiag)) or _max_abs(mid) > _MAX_ENTRY or float(np.max(np.abs(newdiag))) > _MAX_ENTRY:
        return False
    idx = np.arange(n)
    try:
        mid[idx, idx] = newdiag
        return _cholesky_finite(mid)
    finally:
        mid[idx, idx] = d0


def min_eigenvalue_lower_bound_midrad(a: SymmetricMidRad) -> float:
    """A proven lower bound mu > 0 of lambda_min(A) for every A in ``a`` (Rump's test in place on
    the midpoint).  The shift is chosen from an untrusted estimate of lambda_min(mid) (no full
    eigendecomposition for large matrices); each shift is decided by Rump's test alone.
    Raises NotProven if positivity cannot be proven."""
    mid = a.mid
    n = mid.shape[0]
    rump = 2.0 * (n + 2) * _U * float(np.abs(np.diag(mid)).sum())
    target = estimate_min_eigenvalue(mid, tol=0.01 * a.rad_norm + 0.02 * rump)
    if target is None or not np.isfinite(target) or target <= 0:
        raise NotProven("positive definiteness could not be proven (Cholesky test failed)")
    margin = 2.0 * (a.rad_norm + rump)  # the shift rule of min_eigenvalue_lower_bound
    candidates = [target - 1.1 * a.rad_norm - 1.25 * rump,
                  target - margin, 0.999 * target - margin, 0.99 * target - margin]
    candidates += [target * 0.5**j for j in range(1, 60)]
    for shift in candidates:
        if shift > 0 and cholesky_succeeds_midrad(a, shift):
            return float(shift)
    raise NotProven("positive definiteness could not be proven (Cholesky test failed)")
