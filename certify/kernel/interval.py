"""Vectorized interval arithmetic in binary64 with proven outward rounding.

TRUSTED (docs/trust.md).  Small on purpose: read it whole.

Theorem used (IEEE 754, round to nearest): for binary64 a, b and
o in {+, -, *, /, sqrt}, the computed r = fl(a o b) satisfies
nextafter(r, -inf) <= a o b <= nextafter(r, +inf) whenever r is finite
(the rounding error is at most half an ulp, and nextafter moves one ulp;
this also holds in the subnormal range).  Every operation below computes
candidate endpoints in round-to-nearest and then moves the lower endpoint
one ulp down and the upper one ulp up, so the result interval contains
every exact value.  numpy's elementwise +, -, *, / and sqrt on float64 are
the IEEE operations.  Reductions are written as loops of such operations,
never as np.sum / matmul (whose order is unspecified).

Any NaN or infinite endpoint, a division by an interval containing 0, or a
square root of an interval reaching below 0 raises NotProven.  ``acos`` is
enclosed with python-flint's arb on exact endpoint values (acos is
decreasing, so the image of [lo, hi] is [acos(hi), acos(lo)]).
"""
from __future__ import annotations

import numpy as np
from flint import arb

from .certificate import NotProven  # noqa: F401  (re-exported)


_INF = np.inf


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, _INF)


def round_down(x):
    """The next binary64 below x (elementwise): below the exact value of an operation whose
    round-to-nearest result is x.  A Python float for a scalar, an array for an array."""
    r = np.nextafter(x, -_INF)
    return float(r) if np.ndim(r) == 0 else r


def round_up(x):
    """The next binary64 above x (elementwise); see round_down."""
    r = np.nextafter(x, _INF)
    return float(r) if np.ndim(r) == 0 else r


def _finite(lo: np.ndarray, hi: np.ndarray, what: str) -> None:
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # .all(): no np.all wrapper cost
        raise NotProven(f"non-finite value in interval computation ({what})")


class Interval:
    """An array of closed intervals [lo, hi] (binary64 endpoints, lo <= hi)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi=None, _checked: bool = False):
        lo = np.asarray(lo, dtype=np.float64)
        hi = lo if hi is None else np.asarray(hi, dtype=np.float64)
        if not _checked:
            _finite(lo, hi, "input")
            if lo.shape != hi.shape or (lo > hi).any():
                raise NotProven("malformed interval (lo > hi or shape mismatch)")
        self.lo = lo
        self.hi = hi

    # -- construction -------------------------------------------------------
    @staticmethod
    def point(x) -> "Interval":
        return Interval(x, x)

    @staticmethod
    def around(x, r) -> "Interval":
        """The box [x - r, x + r] (outward rounded), r >= 0."""
        x = np.asarray(x, dtype=np.float64)
        r = np.asarray(r, dtype=np.float64)
        if np.any(r < 0):
            raise NotProven("negative radius")
        return Interval(_down(x - r), _up(x + r))

    @staticmethod
    def _make(lo, hi, what) -> "Interval":
        _finite(lo, hi, what)
        return Interval(lo, hi, _checked=True)

    # -- shape --------------------------------------------------------------
    @property
    def shape(self):
        return self.lo.shape

    def __getitem__(self, idx) -> "Interval":
        return Interval(self.lo[idx], self.hi[idx], _checked=True)

    def reshape(self, *shape) -> "Interval":
        return Interval(self.lo.reshape(*shape), self.hi.reshape(*shape), _checked=True)

    # -- arithmetic -----------------------------------------------------------
    @staticmethod
    def _coerce(other) -> "Interval":
        return other if isinstance(other, Interval) else Interval.point(other)

    def __neg__(self) -> "Interval":
        return Interval(-self.hi, -self.lo, _checked=True)

    def __add__(self, other) -> "Interval":
        o = Interval._coerce(other)
        return Interval._make(_down(self.lo + o.lo), _up(self.hi + o.hi), "add")

    __radd__ = __add__

    def __sub__(self, other) -> "Interval":
        o = Interval._coerce(other)
        return Interval._make(_down(self.lo - o.hi), _up(self.hi - o.lo), "sub")

    def __rsub__(self, other) -> "Interval":
        return Interval._coerce(other) - self

    def __mul__(self, other) -> "Interval":
        o = Interval._coerce(other)
        p = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
        hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
        return Interval._make(_down(lo), _up(hi), "mul")

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Interval":
        o = Interval._coerce(other)
        if not ((o.lo > 0) | (o.hi < 0)).all():
            raise NotProven("division by an interval that contains 0")
        q = (self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi)
        lo = np.minimum(np.minimum(q[0], q[1]), np.minimum(q[2], q[3]))
        hi = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
        return Interval._make(_down(lo), _up(hi), "div")

    def __rtruediv__(self, other) -> "Interval":
        return Interval._coerce(other) / self

    def sqr(self) -> "Interval":
        """x**2 (tighter than x*x when the interval contains 0)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        hi = np.maximum(a, b)
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b))
        return Interval._make(np.maximum(_down(lo), 0.0), _up(hi), "sqr")

    def sqrt(self) -> "Interval":
        if (self.lo < 0).any():
            raise NotProven("square root of an interval reaching below 0")
        return Interval._make(np.maximum(_down(np.sqrt(self.lo)), 0.0), _up(np.sqrt(self.hi)), "sqrt")

    def acos(self) -> "Interval":
        if (self.lo < -1.0).any() or (self.hi > 1.0).any():
            raise NotProven("acos of an interval leaving [-1, 1]")
        lo = np.empty_like(self.lo)
        hi = np.empty_like(self.hi)
        flat_lo, flat_hi = self.lo.ravel(), self.hi.ravel()
        out_lo, out_hi = lo.reshape(-1), hi.reshape(-1)
        for t in range(flat_lo.size):
            out_lo[t] = _arb_lower(arb(float(flat_hi[t])).acos())
            out_hi[t] = _arb_upper(arb(float(flat_lo[t])).acos())
        return Interval._make(lo, hi, "acos")

    def sum(self, axis: int) -> "Interval":
        """Sum along an axis, as a loop of outward-rounded additions."""
        lo = np.moveaxis(self.lo, axis, 0)
        hi = np.moveaxis(self.hi, axis, 0)
        acc = Interval(lo[0], hi[0], _checked=True)
        for t in range(1, lo.shape[0]):
            acc = acc + Interval(lo[t], hi[t], _checked=True)
        return acc

    def sum_pairwise(self, axis: int) -> "Interval":
        """Sum along an axis by pairwise (tree) summation of outward-rounded additions: sound like
        :meth:`sum` (every step is an interval addition), log2(n) vectorized steps, and usually
        tighter (about log2(n) instead of n widenings of the running sum)."""
        lo = np.moveaxis(self.lo, axis, 0)
        hi = np.moveaxis(self.hi, axis, 0)
        acc = Interval(lo, hi, _checked=True)
        while acc.shape[0] > 1:
            m = acc.shape[0]
            half = m // 2
            paired = acc[:half] + acc[half:2 * half]
            if m % 2:
                paired = Interval(np.concatenate([paired.lo, acc.lo[2 * half:]]),
                                  np.concatenate([paired.hi, acc.hi[2 * half:]]), _checked=True)
            acc = paired
        return acc[0]

    # -- bounds -------------------------------------------------------------
    def mag(self) -> np.ndarray:
        """Upper bound of |x| for x in the interval."""
        return np.maximum(np.abs(self.lo), np.abs(self.hi))

    def mid_rad(self) -> tuple[np.ndarray, np.ndarray]:
        """(m, r) with [lo, hi] contained in [m - r, m + r]."""
        mid = 0.5 * self.lo + 0.5 * self.hi  # exact halvings (no overflow); one rounding in the sum
        rad = _up(np.maximum(_up(self.hi - mid), _up(mid - self.lo)))
        return mid, rad

    def contains(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return (self.lo <= x) & (x <= self.hi)

    def __repr__(self) -> str:
        return f"Interval(lo={self.lo!r}, hi={self.hi!r})"


def _arb_lower(x: arb) -> float:
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.lower())  # lower() is an exact 53-bit value at the default precision
    return v if arb(v) <= x.lower() else float(np.nextafter(v, -_INF))


def _arb_upper(x: arb) -> float:
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.upper())
    return v if arb(v) >= x.upper() else float(np.nextafter(v, _INF))


def pi() -> Interval:
    """An enclosure of pi."""
    p = arb.pi()
    return Interval(_arb_lower(p), _arb_upper(p))


# ----------------------------------------------------------------------------- norms


def sum_upper(values: np.ndarray) -> float:
    """An upper bound of the exact sum of the given binary64 values (1-D)."""
    acc = 0.0
    for v in np.asarray(values, dtype=np.float64).ravel():
        acc = float(_up(np.float64(acc) + np.float64(v)))
    if not np.isfinite(acc):
        raise NotProven("non-finite sum")
    return acc


def norm2_upper(x: Interval) -> float:
    """Upper bound of sup ||x||_2 over the interval vector (all entries)."""
    m = x.mag().ravel()
    sq = _up(m * m)
    s = sum_upper(sq)
    return float(_up(np.sqrt(s)))


def row_sums_upper(a: np.ndarray) -> np.ndarray:
    """Upper bounds of the exact row sums of a nonnegative binary64 matrix."""
    a = np.asarray(a, dtype=np.float64)
    acc = np.zeros(a.shape[0])
    for t in range(a.shape[1]):
        acc = _up(acc + a[:, t])
    if not np.all(np.isfinite(acc)):
        raise NotProven("non-finite row sum")
    return acc


def norm2_upper_nonneg(r: np.ndarray) -> float:
    """Upper bound of ||R||_2 for a nonnegative matrix R: max(||R||_1, ||R||_inf)
    (since ||R||_2 <= sqrt(||R||_1 ||R||_inf))."""
    r = np.asarray(r, dtype=np.float64)
    if r.size == 0:
        return 0.0
    return float(max(row_sums_upper(r).max(), row_sums_upper(r.T).max()))


# ------------------------------------------------------------ positive definiteness

_U = 2.0**-53  # unit roundoff of binary64
_ETA = 2.0**-1074  # smallest positive subnormal
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
    the interval matrix h.  Raises NotProven if positivity cannot be proven."""
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


def gamma_upper(m: int) -> float:
    """An upper bound of gamma_m = m u / (1 - m u) (Higham), for m u < 1/2."""
    if not 0 <= m * _U < 0.5:
        raise NotProven("too many operations for the gamma_m rounding bound")
    return float(_up(_up(2.0 * m) * _U))  # m u / (1 - m u) <= 2 m u when m u <= 1/2


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
        return self.mid.shape

    @property
    def lo(self) -> np.ndarray:
        return _down(self.mid - self.rad_norm)

    @property
    def hi(self) -> np.ndarray:
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


def estimate_min_eigenvalue(mid: np.ndarray, tol: float = 0.0, iterations: int = 80, seed: int = 0) -> float | None:
    """UNTRUSTED estimate of lambda_min(mid) for a symmetric matrix (it only chooses the shift of
    Rump's test; soundness never depends on it).  Small matrices: eigvalsh.  Large ones: a float32
    blocked Cholesky factor L of mid - s0 I (s0 = 0, else small negative shifts) drives Lanczos on
    (L L^T)^{-1}; the Ritz vector is scored by its Rayleigh quotient with the float64 matrix
    (>= lambda_min up to rounding, accurate to second order in the vector).  Stops when the
    estimate moves less than ``tol``.  Returns None when no factor could be formed."""
    n = mid.shape[0]
    if n <= 1000:
        with np.errstate(all="ignore"):
            try:
                return float(np.linalg.eigvalsh(mid)[0])
            except np.linalg.LinAlgError:
                return None
    scale = float(np.mean(np.abs(np.diag(mid)))) or 1.0
    for s0 in (0.0, -1e-6 * scale, -1e-4 * scale, -1e-2 * scale):
        a32 = mid.astype(np.float32)
        a32[np.arange(n), np.arange(n)] -= np.float32(s0)
        solver = _Float32CholeskySolver.factor(a32, bs=256 if n <= 4096 else 512)
        if solver is not None:
            return _lanczos_min_ritz(mid, solver.solve, iterations, seed, tol)
    return None


def _lanczos_min_ritz(mid: np.ndarray, apply_inverse, iterations: int, seed: int, tol: float) -> float | None:
    """Lanczos (full reorthogonalization) on an approximate inverse of mid; the Ritz vector of its
    largest Ritz value is scored by its Rayleigh quotient with mid itself (float64).  Untrusted."""
    n = mid.shape[0]
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis = [q]
    alphas: list[float] = []
    betas: list[float] = []
    theta_prev = None
    theta = None
    for it in range(1, iterations + 1):
        w = apply_inverse(basis[-1][:, None])[:, 0]
        if not np.all(np.isfinite(w)):
            break
        alphas.append(float(basis[-1] @ w))
        Q = np.array(basis)
        w -= Q.T @ (Q @ w)  # full reorthogonalization, twice
        w -= Q.T @ (Q @ w)
        beta = float(np.linalg.norm(w))
        if it % 4 == 0 or beta == 0.0 or it == iterations:
            T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
            vals, vecs = np.linalg.eigh(T)
            y = Q.T @ vecs[:, -1]
            y /= np.linalg.norm(y)
            theta = float(y @ (mid @ y))
            if theta_prev is not None and abs(theta - theta_prev) <= max(tol, 1e-13 * abs(theta)):
                break
            theta_prev = theta
        if beta == 0.0:
            break
        betas.append(beta)
        basis.append(w / beta)
    return theta


class _Float32CholeskySolver:
    """(L L^T)^{-1} X for a lower-triangular float32 L, by blocked substitution (numpy has no
    triangular solve): inverses of the diagonal blocks, then matrix products.  Untrusted."""

    def __init__(self, lower: np.ndarray, inverses: list, bs: int):
        self.L = lower
        self.n = lower.shape[0]
        self.bs = bs
        self.starts = list(range(0, self.n, bs))
        self.inv = inverses

    @classmethod
    def factor(cls, a: np.ndarray, bs: int = 512) -> "_Float32CholeskySolver | None":
        """Blocked right-looking Cholesky of the float32 array a, in place (its lower triangle
        becomes L; the strict upper triangle is left as it was and never read).  float32 products
        (sgemm) do the bulk of the work.  None if a pivot block is not positive definite."""
        n = a.shape[0]
        inverses = []
        for s in range(0, n, bs):
            e = min(n, s + bs)
            try:
                l11 = np.linalg.cholesky(a[s:e, s:e].astype(np.float64))
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(l11)):
                return None
            a[s:e, s:e] = l11
            inv = np.linalg.inv(l11).astype(np.float32)
            inverses.append(inv)
            if e < n:
                a[e:, s:e] = a[e:, s:e] @ inv.T  # L21 = A21 L11^{-T}
                l21 = a[e:, s:e]
                for r in range(e, n, bs):  # A22 -= L21 L21^T, lower block triangle only
                    re = min(n, r + bs)
                    a[r:re, e:re] -= l21[r - e:re - e] @ l21[:re - e].T
        return cls(a, inverses, bs)

    def solve(self, x: np.ndarray) -> np.ndarray:
        L, bs = self.L, self.bs
        y = np.empty(x.shape, dtype=np.float32)
        for b, s in enumerate(self.starts):
            e = min(self.n, s + bs)
            rhs = x[s:e].astype(np.float32)
            if s:
                rhs -= L[s:e, :s] @ y[:s]
            y[s:e] = self.inv[b] @ rhs
        z = np.empty_like(y)
        for b in range(len(self.starts) - 1, -1, -1):
            s = self.starts[b]
            e = min(self.n, s + bs)
            rhs = y[s:e].copy()
            if e < self.n:
                rhs -= L[e:, s:e].T @ z[e:]
            z[s:e] = self.inv[b].T @ rhs
        return z.astype(np.float64)


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
