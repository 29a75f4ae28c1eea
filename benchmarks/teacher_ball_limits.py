"""What limits the proven teacher-ball radius at one k (untrusted, no proof): the kernel's bounds against
floating-point truth, and the radius the producer would reach if the remainders were smaller.

    python benchmarks/teacher_ball_limits.py truth --k 6 --rho 0.0025
    python benchmarks/teacher_ball_limits.py whatif --k 6 --scale 1,1 0.5,0.5 0.05,0.05 0,0

``truth``: at the Frobenius radius rho, the kernel's bounds (Lambda1 rho, rem_H, 1/2 Lambda_G rho^2, ||Q|| rem_g,
rem_g) next to floating-point values over sigma on the sphere ||sigma||_W = rho (200 random sigma, then
Nelder-Mead from 3 random starts): the smallest lambda_min(Q^T H(x~(sigma)) Q), the largest |Q^T grad F| at
x~(sigma), and the largest third-order Taylor remainder of phi(sigma) = grad F_S(sigma)(x~(sigma)), Euclidean
and in the Q metric (degree-4 fit of phi(t sigma), t in {-1, -1/2, 0, 1/2, 1}: cubic plus quartic part).

``whatif``: the producer's search (shells included) with rem_H and rem_g multiplied by the given factors
(factor_H,factor_g[,factor_G2[,factor_x]]; the optional two scale the exact second-order gradient term
Lambda_G rho^2 / 2, which a quadratic point map would remove, and the first-order y term c_x r): the largest rho_F
it would prove.  Factors 0,0 mean exact second-order Hessian and third-
order gradient terms with nothing left to bound, and show what the first-order terms (Lemma B) allow.
"""
from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import certify.teacher_ball.prove as pr  # noqa: E402
from certify.kernel.teacher_ball import kind as tb  # noqa: E402
from certify.kernel.teacher_student import free_entries  # noqa: E402
from certify.spurious_minima import landscape as L  # noqa: E402

MINIMA = ROOT / "certificates" / "spurious_minima"


def truth(k: int, rho: float, seed: int = 0) -> None:
    from scipy.optimize import minimize

    x0 = pr.identity_point(k, MINIMA)
    cb = tb.centre_bounds(k, x0)
    J, Q, w = cb["J"], cb["Q"], cb["w"]
    jj, ll = free_entries(k)
    b = tb.region_bounds(cb, Fraction(rho).limit_denominator(10**9), 1e-12)

    def teacher(s):
        S = np.eye(k)
        S[jj, ll] += s
        S[ll, jj] = S[jj, ll]
        return S

    def phi(s):
        return L.gradient((x0 + (J @ s).reshape(k, k))[None], teacher(s))[0].ravel()

    ts = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    V = np.vander(ts, 5, increasing=True)

    def values(s):
        S = teacher(s)
        xt = x0 + (J @ s).reshape(k, k)
        lam = float(np.linalg.eigvalsh(Q.T @ L.hessian(xt[None], S)[0] @ Q)[0])
        g = float(np.linalg.norm(Q.T @ phi(s)))
        C = np.linalg.solve(V, np.array([phi(t * s) for t in ts]))
        r3 = C[3] + C[4]
        return lam, g, float(np.linalg.norm(r3)), float(np.linalg.norm(Q.T @ r3))

    def sphere(s):
        return s * rho / np.sqrt((w * s * s).sum())

    rng = np.random.default_rng(seed)
    best = [np.inf, 0.0, 0.0, 0.0]
    for _ in range(200):
        v = values(sphere(rng.normal(size=len(w))))
        best = [min(best[0], v[0]), *(max(a, c) for a, c in zip(best[1:], v[1:]))]
    for i, sign in ((0, 1.0), (1, -1.0), (2, -1.0), (3, -1.0)):
        for _ in range(3):
            res = minimize(lambda s: sign * values(sphere(s))[i], rng.normal(size=len(w)), method="Nelder-Mead",
                           options={"maxiter": 1500})
            v = values(sphere(res.x))[i]
            best[i] = min(best[i], v) if i == 0 else max(best[i], v)
    print(f"k = {k}, rho_F = {rho:g}: kernel bounds (y-ball radius -> 0) | floating point (max over sigma)")
    print(f"  Lambda1 rho       {b['Lambda1'] * rho:.3g}  | min lambda_min(Q^T H(x~) Q) {best[0]:.3g} (drop {1 - best[0]:.3g})")
    print(f"  rem_H             {b['rem_H']:.3g}")
    print(f"  1/2 Lambda_G rho^2 {0.5 * b['Lambda_G'] * rho ** 2:.3g} | max |Q^T grad F(x~)| {best[1]:.3g}")
    print(f"  ||Q|| rem_g       {b['normQ'] * b['rem_g']:.3g} | max |Q^T R3| {best[3]:.3g}")
    print(f"  rem_g             {b['rem_g']:.3g} | max |R3| {best[2]:.3g}")
    print(f"  c_x               {b['c_x']:.4g}")


def whatif(k: int, scales: list[tuple[float, ...]]) -> None:
    original = tb.region_bounds
    for f in scales:
        fH, fg, f2, fx = (tuple(f) + (1.0, 1.0))[:4]

        def scaled(cb, rho, r, fH=fH, fg=fg, f2=f2, fx=fx):
            b = dict(original(cb, rho, r))
            rho_f = float(rho)
            b["mu"] = b["mu"] + (1 - fH) * b["rem_H"] + (1 - fx) * b["c_x"] * r
            b["g"] = b["g"] - (1 - fg) * b["normQ"] * b["rem_g"] - (1 - f2) * 0.5 * b["Lambda_G"] * rho_f ** 2
            return b

        pr.region_bounds = scaled
        try:
            _, rho, r, m, _ = pr.search_rho(k, MINIMA, log=None)
        finally:
            pr.region_bounds = original
        print(f"k = {k}: rem_H x {fH:g}, rem_g x {fg:g}, Lambda_G rho^2/2 x {f2:g}, c_x x {fx:g}: rho_F = {float(rho):.2g} (rho_k = {float(rho) / k ** 0.5:.2g}; "
              f"{m} shells)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("truth")
    t.add_argument("--k", type=int, default=6)
    t.add_argument("--rho", type=float, default=0.0025)
    wi = sub.add_parser("whatif")
    wi.add_argument("--k", type=int, default=6)
    wi.add_argument("--scale", nargs="+", default=["1,1", "0.5,0.5", "0.05,0.05", "0,0"])
    args = ap.parse_args()
    if args.cmd == "truth":
        truth(args.k, args.rho)
    else:
        whatif(args.k, [tuple(float(x) for x in s.split(",")) for s in args.scale])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
