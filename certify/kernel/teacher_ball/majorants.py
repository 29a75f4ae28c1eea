"""Second-order majorants of the pair Hessians of the arc-cosine kernel over balls of pairs.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval and numpy.

The loss is a sum of pair terms f(w, v) = |w||v| (sin t + (pi - t) cos t) / (2 pi) (docs/spurious-minima.md);
the Hessian of one pair term in (w, v) is the 2k x 2k matrix

    h(w, v) = [[A(w, v), B(w, v)], [B(w, v)^T, A(v, w)]],   A(w, v) = alpha (I - w^ w^T + n n^T),
    alpha = |v| s / (2 pi |w|),   B(w, v) = ((pi - t) I + s w^ v^T + s n m^T) / (2 pi),

with c = w^.v^, s = sin t, n = (v^ - c w^)/s, m = (w^ - c v^)/s (certify.kernel.teacher_student); below
s n m^T is written n u'^T with u' = w^ - c v^ = s m.

For a pair region R = {(w, v) : |w - w0| <= a, |v - v0| <= b} and a direction delta = (delta_w, delta_v) with
|delta_w| <= a, |delta_v| <= b, this module bounds, for every point of R,

    |y|,   |D y[delta]| <= p a + q b,   |D^2 y[delta, delta]| <= P a^2 + Q a b + R b^2

for every factor y of the formulas (scalars in absolute value, vectors in the Euclidean norm, matrices in
the spectral norm), by the rules (docs/teacher-ball.md, "Majorants"):

* products (scalar, outer, inner, matrix-vector: |x y| <= |x| |y| in these norms):
  D(xy) = Dx y + x Dy,  D^2(xy) = D^2x y + 2 Dx Dy + x D^2y;
* sums: termwise;
* the primitives, with wl <= |w|, vl <= |v|, sl <= s <= sh, |c| <= ch on R and A_ = a/wl, B_ = b/vl:
  |w|: D <= a, D^2 <= a^2/wl (D^2|w| = (|delta_w|^2 - (w^.delta_w)^2)/|w|);  1/|w|: D <= a/wl^2,
  D^2 <= 3 a^2/wl^3;  w^: D <= A_, D^2 <= K3 A_^2 (D^2 w^ = -(2 (w^.d) P d + |P d|^2 w^)/|w|^2, P = I - w^w^T,
  d = delta_w, two orthogonal terms; K3 = 2/sqrt 3);  c: Dc = (v^ - c w^).delta_w/|w| + (w^ - c v^).delta_v/|v|
  so |Dc| <= s (A_ + B_), and |D^2 c| <= (s + |c|)(A_^2 + B_^2) + 2 A_ B_;  s = sqrt(1 - c^2): Ds = -c Dc/s,
  D^2 s = -(Dc)^2/s^3 - c D^2c/s;  pi - t: D = Dc/s, D^2(t) = -D^2c/s - c (Dc)^2/s^3;
  u = v^ - c w^ = (I - w^ w^T) v^ (|u| = s): |Du| <= A_ + B_, |D^2u| <= K3 B_^2 + 2 A_ B_ + ((K3 + 1)|c| + 3s) A_^2
  (derivation at the definition of u in pair_majorants);
  n = u/|u| and m likewise (with w, v swapped), by the unit-vector rule of _unit.
The value ranges on R (_ranges): |w| in [|w0| - a, |w0| + a], the angle within (pi/2)(a/|w0| + b/|v0|) of
the centre's; NotProven unless |w0| > a, |v0| > b and s > 0 on R (then f is C^infinity on R).

Every coefficient is computed in binary64 with each operation rounded upward (nonnegative numbers), so the
results are upper bounds of the exact ones.
"""
from __future__ import annotations

import numpy as np

from ..interval import Interval, NotProven

_INF = np.inf
INV_TWO_PI = float(np.nextafter(1.0 / (2.0 * np.pi), _INF))  # >= 1/(2 pi)  (|fl(1/fl(2 pi)) - 1/(2 pi)| < 1 ulp)
PI_UP = float(np.nextafter(np.pi, _INF))
K3 = 1.1547005383792517  # >= 2/sqrt(3) = max of sqrt(4 x^2 y^2 + y^4) over x^2 + y^2 = 1
assert K3 * K3 * 3.0 >= 4.0


def _u(x):
    """The next binary64 above x (elementwise): an upper bound of the exact result of one operation whose
    round-to-nearest result is x."""
    return np.nextafter(x, _INF)


def _add(*xs):
    """An upper bound of the exact elementwise sum of xs: the first operand as given, then each partial sum
    rounded up (valid for any signs)."""
    acc = np.asarray(xs[0], dtype=np.float64)
    for x in xs[1:]:
        acc = _u(acc + x)
    return acc


def _mul(*xs):
    """An upper bound of the exact elementwise product of xs, for NONNEGATIVE factors only (not checked):
    the first factor as given, then each partial product rounded up."""
    acc = np.asarray(xs[0], dtype=np.float64)
    for x in xs[1:]:
        acc = _u(acc * x)
    return acc


def _div(x, y):
    """x / y for x >= 0, y > 0, rounded up."""
    return _u(np.asarray(x, dtype=np.float64) / y)


class Maj:
    """A majorant: value bound v and coefficient arrays (p, q) of the first and (P, Q, R) of the second
    derivative bounds (module docstring); every field is a nonnegative float array (one entry per pair)."""

    __slots__ = ("v", "p", "q", "P", "Q", "R")

    def __init__(self, v, p=0.0, q=0.0, P=0.0, Q=0.0, R=0.0):
        """Stores the six fields as float64 arrays (broadcastable; the default 0 for a quantity that is constant
        on the region).  Nothing is checked: the callers pass nonnegative bounds."""
        self.v, self.p, self.q, self.P, self.Q, self.R = (np.asarray(x, dtype=np.float64) for x in (v, p, q, P, Q, R))

    def __add__(self, o: "Maj") -> "Maj":
        """A majorant of x + y (same shapes): every field the sum of the two, rounded up (triangle inequality for
        the value and for each derivative)."""
        return Maj(_add(self.v, o.v), _add(self.p, o.p), _add(self.q, o.q), _add(self.P, o.P), _add(self.Q, o.Q),
                   _add(self.R, o.R))

    def __mul__(self, o: "Maj") -> "Maj":
        """A majorant of the product x y for any product with |x y| <= |x| |y| in the norms used (scalar times
        anything, outer, inner, matrix-vector): value v_x v_y; first-derivative coefficients from
        D(xy) = Dx y + x Dy; second from D^2(xy) = D^2x y + 2 Dx Dy + x D^2y, whose cross term 2 |Dx| |Dy| expands
        into 2 p_x p_y (a^2), 2 (p_x q_y + q_x p_y) (a b) and 2 q_x q_y (b^2).  Every field is rounded up (all fields
        nonnegative)."""
        x, y = self, o
        return Maj(_mul(x.v, y.v),
                   _add(_mul(x.p, y.v), _mul(x.v, y.p)), _add(_mul(x.q, y.v), _mul(x.v, y.q)),
                   _add(_mul(x.P, y.v), _mul(2.0, x.p, y.p), _mul(x.v, y.P)),
                   _add(_mul(x.Q, y.v), _mul(2.0, _add(_mul(x.p, y.q), _mul(x.q, y.p))), _mul(x.v, y.Q)),
                   _add(_mul(x.R, y.v), _mul(2.0, x.q, y.q), _mul(x.v, y.R)))

    def scale(self, c: float) -> "Maj":
        """A majorant of kappa y for a constant |kappa| <= c (c >= 0, not checked): every field times c, rounded up."""
        return Maj(*(_mul(c, f) for f in (self.v, self.p, self.q, self.P, self.Q, self.R)))

    def d2(self, a, b):
        """Upper bound of |D^2 y[delta, delta]| for |delta_w| <= a, |delta_v| <= b."""
        return _add(_mul(self.P, a, a), _mul(self.Q, a, b), _mul(self.R, b, b))


def _better(x: Maj, y: Maj, a, b) -> Maj:
    """Two majorants of the same quantity: each field (value; first-derivative pair; second-derivative triple)
    is a separate valid bound, so per pair the smaller value, the first-derivative pair smaller at (a, b) and the
    second-derivative triple smaller at (a, b) form a valid majorant."""
    d1x, d1y = _add(_mul(x.p, a), _mul(x.q, b)), _add(_mul(y.p, a), _mul(y.q, b))
    t1 = d1x <= d1y
    t2 = x.d2(a, b) <= y.d2(a, b)
    return Maj(np.minimum(x.v, y.v), np.where(t1, x.p, y.p), np.where(t1, x.q, y.q),
               np.where(t2, x.P, y.P), np.where(t2, x.Q, y.Q), np.where(t2, x.R, y.R))


def _const(v) -> Maj:
    """The majorant of a quantity constant on the region with |value| <= v: all derivative coefficients 0."""
    return Maj(v)


def _swap(m: Maj) -> Maj:
    """The same majorant with the roles of w and v (a and b) exchanged."""
    return Maj(m.v, m.q, m.p, m.R, m.Q, m.P)


def _recip(x: Maj, lo) -> Maj:
    """1/x for x >= lo > 0: D(1/x) = -Dx/x^2, D^2(1/x) = -D^2x/x^2 + 2 (Dx)^2/x^3."""
    il = _div(1.0, lo)
    il2 = _mul(il, il)
    il3 = _mul(il2, il)
    return Maj(il, _mul(x.p, il2), _mul(x.q, il2),
               _add(_mul(x.P, il2), _mul(2.0, x.p, x.p, il3)),
               _add(_mul(x.Q, il2), _mul(4.0, x.p, x.q, il3)),
               _add(_mul(x.R, il2), _mul(2.0, x.q, x.q, il3)))


def _ranges(nw0: Interval, nv0: Interval, c0: Interval, a, b):
    """(wl, wh, vl, vh, sl, sh, ch) on the pair region (module docstring): the angle t between w and v
    differs from the centre's t0 by at most asin(a/|w0|) + asin(b/|v0|) <= (pi/2)(a/|w0| + b/|v0|) (the
    triangle inequality for angles; the ball of radius a around w0 lies in the cone of half-angle
    asin(a/|w0|)), and sin, cos are 1-Lipschitz."""
    wl = np.nextafter(nw0.lo - a, -_INF)
    vl = np.nextafter(nv0.lo - b, -_INF)
    if not (np.all(wl > 0) and np.all(vl > 0)):  # written so that a NaN fails too
        raise NotProven("a neuron may be zero on the region (ball radius not below its norm)")
    wh, vh = _add(nw0.hi, a), _add(nv0.hi, b)
    dt = _mul(PI_UP / 2.0, _add(_div(a, nw0.lo), _div(b, nv0.lo)))
    s0 = (1.0 - c0.sqr()).sqrt()
    sl = np.nextafter(s0.lo - dt, -_INF)
    if not np.all(sl > 0):  # written so that a NaN fails too
        raise NotProven("a pair of neurons may be parallel on the region (sine not bounded away from 0)")
    sh = np.minimum(_add(s0.hi, dt), 1.0)
    ch = np.minimum(_add(c0.mag(), dt), 1.0)
    return wl, wh, vl, vh, sl, sh, ch


def _unit(x: Maj, lo) -> Maj:
    """y = x/|x| for |x| >= lo > 0: |D y| <= |Dx|/|x|, |D^2 y| <= |D^2 x|/|x| + K3 |Dx|^2/|x|^2 (K3 = 2/sqrt 3).
    Proof: Dy = P Dx/|x| (P = I - y y^T) and D^2 y = P D^2x/|x| - 2 Dy (y.Dx)/|x| - y (Dy.Dx)/|x|; with
    Dx = alpha y + beta (beta perpendicular to y), the last two terms are orthogonal, of lengths
    2|alpha||beta|/|x|^2 and |beta|^2/|x|^2, and sqrt(4 alpha^2 beta^2 + beta^4) <= K3 (alpha^2 + beta^2)."""
    il = _div(1.0, lo)
    il2 = _mul(il, il)
    return Maj(np.ones_like(il), _mul(x.p, il), _mul(x.q, il),
               _add(_mul(x.P, il), _mul(K3, x.p, x.p, il2)), _add(_mul(x.Q, il), _mul(2.0 * K3, x.p, x.q, il2)),
               _add(_mul(x.R, il), _mul(K3, x.q, x.q, il2)))


def _projector(y: Maj) -> Maj:
    """y y^T (or I - y y^T: the same derivatives and a norm at most 1) for a unit vector y: ||D(y y^T)|| = |Dy| (Dy is orthogonal to y: eigenvalues +-|Dy|), and
    ||D^2(y y^T)|| <= 2 |Dy|^2 + |D^2 y|: with p = |Dy| and b = D^2 y = -p^2 y + b_perp (y.b = -p^2),
    D^2(y y^T) = b y^T + y b^T + 2 Dy Dy^T = diag part (-2 p^2 y y^T + 2 Dy Dy^T, norm 2 p^2) + (b_perp y^T + y b_perp^T,
    norm |b_perp| <= |b|)."""
    return Maj(np.ones_like(y.v), y.p, y.q, _add(y.P, _mul(2.0, y.p, y.p)), _add(y.Q, _mul(4.0, y.p, y.q)),
               _add(y.R, _mul(2.0, y.q, y.q)))


def pair_majorants(nw0: Interval, nv0: Interval, c0: Interval, a, b) -> dict:
    """Majorants over the pair regions (arrays over pairs): centre norms |w0|, |v0| and cosine c0 (Intervals),
    radii a, b (arrays).  Returns {"A": A(w, v), "B": B(w, v), "A2": A(v, w)} as Maj (spectral norms), and the
factors {"vs": |v| s, "pmt": pi - t} of the matrix M (their first-derivative coefficients bound their change
over the region by the mean-value theorem: |y(z) - y(z0)| <= p |w - w0| + q |v - v0|)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    wl, wh, vl, vh, sl, sh, ch = _ranges(nw0, nv0, c0, a, b)
    one = np.ones_like(wl)
    zero = np.zeros_like(wl)
    iwl, ivl = _div(one, wl), _div(one, vl)
    nw = Maj(wh, one, zero, iwl, zero, zero)
    nv = Maj(vh, zero, one, zero, zero, ivl)
    # w^ = w/|w| (|Dw| <= a, D^2 w = 0): the unit rule, or directly |D^2 w^| <= K3 A_^2
    what = Maj(one, iwl, zero, _mul(K3, iwl, iwl), zero, zero)
    vhat = Maj(one, zero, ivl, zero, zero, _mul(K3, ivl, ivl))
    # c = w^.v^: |Dc| <= s (A_ + B_);  D^2 c = D^2w^.v^ + 2 Dw^.Dv^ + w^.D^2v^ with
    # |D^2w^.v^| = |2 (w^.d) (P d).v^ + |P d|^2 c| / |w|^2 <= (s + |c|) A_^2  ((P d).v^ = d.(v^ - c w^), |v^ - c w^| = s)
    t1 = _add(ch, sh)
    c = Maj(ch, _mul(sh, iwl), _mul(sh, ivl), _mul(t1, iwl, iwl), _mul(2.0, iwl, ivl), _mul(t1, ivl, ivl))
    # (A_ + B_)^2 as coefficients
    sq = (_mul(iwl, iwl), _mul(2.0, iwl, ivl), _mul(ivl, ivl))
    isl = _div(one, sl)
    # s: |Ds| <= |c| (A_ + B_);  |D^2 s| <= ((A_ + B_)^2 + |c| |D^2 c|) / s
    s = Maj(sh, _mul(ch, iwl), _mul(ch, ivl),
            _mul(_add(sq[0], _mul(ch, c.P)), isl), _mul(_add(sq[1], _mul(ch, c.Q)), isl),
            _mul(_add(sq[2], _mul(ch, c.R)), isl))
    # pi - t: |D| <= A_ + B_;  |D^2| <= (|D^2 c| + |c| (A_ + B_)^2) / s
    pmt = Maj(np.full_like(wl, PI_UP), iwl, ivl,
              _mul(_add(c.P, _mul(ch, sq[0])), isl), _mul(_add(c.Q, _mul(ch, sq[1])), isl),
              _mul(_add(c.R, _mul(ch, sq[2])), isl))
    # u = v^ - c w^ = (I - w^ w^T) v^ (|u| = s):  Du = P_w Dv^ - Dw^ c - w^ (Dw^.v^), and Dw^ is orthogonal to
    # w^ with |Dw^.v^| = |Dw^.u| <= s |Dw^|, so |Du| <= B_ + sqrt(c^2 + s^2) A_ = A_ + B_;
    # D^2u = P_w D^2v^ - 2 D(w^ w^T) Dv^ - D^2(w^ w^T) v^ with ||D(w^ w^T)|| = |Dw^| and
    # D^2(w^ w^T) v^ = c b + w^ (b.v^) + 2 Dw^ (Dw^.v^) (b = D^2 w^, |b| <= K3 A_^2, |b.v^| <= (s + |c|) A_^2):
    # |D^2 u| <= K3 B_^2 + 2 A_ B_ + ((K3 + 1)|c| + 3 s) A_^2
    tu = _add(_mul(_add(K3, 1.0), ch), _mul(3.0, sh))
    u = Maj(sh, iwl, ivl, _mul(tu, iwl, iwl), _mul(2.0, iwl, ivl), _mul(K3, ivl, ivl))
    # u' = w^ - c v^: the same with w and v exchanged
    u2 = Maj(sh, iwl, ivl, _mul(K3, iwl, iwl), _mul(2.0, iwl, ivl), _mul(tu, ivl, ivl))
    n = _unit(u, sl)
    m = _unit(u2, sl)
    inv_w, inv_v = _recip(nw, wl), _recip(nv, vl)
    # A = alpha (I - w^ w^T + n n^T) = (|v| / (2 pi |w|)) (s (I - w^ w^T) + n u^T)   (s n = u)
    beta = (nv * inv_w).scale(INV_TWO_PI)
    beta2 = (nw * inv_v).scale(INV_TWO_PI)
    alpha = beta * s
    alpha2 = beta2 * s
    P2 = _const(np.full_like(wl, 2.0))
    Pw = _projector(what) + _projector(n)  # I - w^ w^T + n n^T: norm 2, the derivatives of the two projectors
    Pv = _projector(vhat) + _projector(m)
    A = _better(beta * (s * _projector(what) + n * u), alpha * Maj(P2.v, Pw.p, Pw.q, Pw.P, Pw.Q, Pw.R), a, b)
    A2 = _better(beta2 * (s * _projector(vhat) + m * u2), alpha2 * Maj(P2.v, Pv.p, Pv.q, Pv.P, Pv.Q, Pv.R), a, b)
    B = (pmt + s * what * vhat + n * u2).scale(INV_TWO_PI)  # s n m^T = n u'^T (s m = u' = w^ - c v^)
    return {"A": A, "B": B, "A2": A2, "vs": nv * s, "pmt": pmt}
