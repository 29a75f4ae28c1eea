"""The box argument: from a Hessian bound on a ball and a small gradient at its centre to a unique,
strict local minimum inside the ball, with its distance and loss bounds.

TRUSTED (docs/trust.md).  The one statement of this theorem in the kernel: the dense, symmetric and
teacher-box kinds all conclude through it (:func:`box_argument`, :func:`gradient_condition`).

Theorem (docs/spurious-minima.md, Theorem 1).  Let B be the closed Euclidean ball of radius r around
x~ in a Euclidean space (R^{n k} with the Euclidean norm, or a fixed-point space with the Frobenius
norm), F twice continuously differentiable on B with H(x) >= mu I, mu > 0, for every x in B, and
|grad F(x~)| <= g.  If g < mu r, then F has exactly one critical point x* in B; it is a strict local
minimum, |x* - x~| <= g / mu, and F(x~) - g^2 / (2 mu) <= F(x*) <= F(x~).

Why the factor is mu r (not mu r / 2).  F is mu-strongly convex on the convex set B, so it has one
minimiser x* over the compact B, characterised by the variational inequality
<grad F(x*), y - x*> >= 0 for all y in B; with y = x~, <grad F(x*), x* - x~> <= 0.  Strong
monotonicity of grad F on B gives
    mu |x* - x~|^2 <= <grad F(x*) - grad F(x~), x* - x~> <= -<grad F(x~), x* - x~> <= g |x* - x~|,
so |x* - x~| <= g / mu < r: x* is interior, hence grad F(x*) = 0; a second critical point in B would
contradict strict monotonicity; H(x*) > 0 makes x* a strict local minimum; and
F(x*) >= F(x~) + <grad F(x~), x* - x~> + mu |x* - x~|^2 / 2 >= F(x~) - g^2 / (2 mu).
(Comparing F on the sphere with F(x~) instead, F(x) >= F(x~) - g r + mu r^2 / 2, proves the same only
for g < mu r / 2; the kernel used that weaker form for the dense and symmetric kinds before, and
every certificate it accepted then satisfies the condition here too.)
"""
from __future__ import annotations

from .interval import Interval, NotProven
from .interval import round_down as _down, round_up as _up


def gradient_condition(g: float, mu: float, radius: float) -> bool:
    """True proves g < mu * radius (the product rounded down); mu and radius must be positive."""
    return mu > 0 and radius > 0 and g < _down(mu * radius)


def box_argument(g: float, mu: float, radius: float, loss_at_point: Interval) -> tuple[float, float, float]:
    """The theorem's conclusion: given |grad F(x~)| <= g, H >= mu I (mu > 0) on the ball of radius
    ``radius`` around x~, and F(x~) in ``loss_at_point``: if g < mu r, returns (dist, loss_lo, loss_hi)
    with |x* - x~| <= dist and F(x*) in [loss_lo, loss_hi], each rounded outward; raises NotProven
    otherwise."""
    if not gradient_condition(g, mu, radius):
        raise NotProven(f"gradient norm {g:.3e} is not below mu*r = {mu * radius:.3e}: "
                        "the ball may not contain a critical point (radius too small)")
    return _up(g / mu), loss_lower_bound(float(loss_at_point.lo), g, mu), float(loss_at_point.hi)


def loss_lower_bound(loss_lo: float, g: float, mu: float) -> float:
    """A binary64 lower bound of loss_lo - g^2 / (2 mu) (the theorem's lower bound of F(x*))."""
    return _down(loss_lo - _up(_up(g * g) / _down(2.0 * mu)))


def spurious_minimum_bounds(g: float, mu: float, radius: float, loss_at_point: Interval) -> dict:
    """The box argument for a spurious minimum: its bounds (loss [lo, hi] of F(x*), mu, |x* - x~|, g)
    under the names every minimum kind reports; NotProven unless g < mu r and F(x*) > 0 is proven (a
    loss that may be 0 may be a global minimum)."""
    dist, loss_lo, loss_hi = box_argument(g, mu, radius, loss_at_point)
    if not loss_lo > 0.0:
        raise NotProven(f"loss at the critical point not proven > 0 (lower bound {loss_lo:.3e}): "
                        "may be a global minimum")
    return {"loss": [loss_lo, loss_hi], "hessian_min_eigenvalue_lower_bound": mu,
            "distance_to_critical_point": dist, "gradient_norm_at_point": g}


def every_input_dimension(m_lower_bound, bounds: dict) -> str:
    """Theorem 2 of docs/spurious-minima.md (every input dimension d >= k): ``m_lower_bound()`` proves
    M >= mu_M I on the whole box (so at the critical point); records mu_M in ``bounds`` and returns the
    summary's fragment; NotProven otherwise."""
    try:
        mu_m = m_lower_bound()
    except NotProven:
        raise NotProven("M not proven positive definite on the box: the claim for every d >= k "
                        "is not proven") from None
    bounds["m_min_eigenvalue_lower_bound"] = mu_m
    return f", lambda_min(M) >= {mu_m:.4g}"
