"""Floating-point study (untrusted, no proof): how far the S = I spurious minimum and lambda_min(H) move when
the teacher moves to a random symmetric S with ||S - I||_2 = rho.

For each k: the lowest-loss stored S = I minimum x0 (Newton-polished), lambda0 = lambda_min(H(x0)), the point map
J = -H^{-1} D and its norm on the Frobenius ball; then for 20 random symmetric E (Gaussian, scaled to
||E||_2 = rho) Newton from x0 + J sigma(E) for S = I + E: the largest |x*_S - x0|, the largest relative drop of
lambda_min(H), and how many S still have a minimum there (Newton converged, H and M positive definite).

    python benchmarks/measure_teacher_ball.py --k 6,7,8,10,12,14,17,20 [--rho 1e-4,1e-3,3e-3,1e-2,3e-2]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from certify.kernel.interval import Interval  # noqa: E402
from certify.kernel.teacher_student import enclose, free_entries  # noqa: E402
from certify.spurious_minima import landscape as L  # noqa: E402
from certify.spurious_minima.search import newton_polish  # noqa: E402
from certify.teacher_ball.prove import identity_point  # noqa: E402


def study(k: int, rhos: list[float], samples: int = 20, seed: int = 0) -> list[str]:
    I = np.eye(k)
    x0 = identity_point(k)
    H0 = L.hessian(x0[None], I)[0]
    lam0 = float(np.linalg.eigvalsh(H0)[0])
    D = enclose(Interval.point(x0), teacher=Interval.point(I), want=("dgrad_dteacher",)).dgrad_dteacher.mid_rad()[0]
    J = -np.linalg.solve(H0, D)
    jj, ll = free_entries(k)
    w = np.where(jj == ll, 1.0, 2.0)
    normJ = float(np.linalg.norm(J / np.sqrt(w), 2))
    rows = []
    rng = np.random.default_rng(seed)
    for rho in rhos:
        moves, drops, ok, fro = [], [], 0, []
        for _ in range(samples):
            A = rng.normal(size=(k, k))
            E = (A + A.T) / 2
            E *= rho / np.linalg.norm(E, 2)
            S = I + E
            xt = x0 + (J @ E[jj, ll]).reshape(k, k)
            with np.errstate(all="ignore"):
                W, g = newton_polish(xt[None].copy(), S, 40)
            fro.append(np.linalg.norm(E))
            try:
                lam = float(np.linalg.eigvalsh(L.hessian(W, S)[0])[0])
                lam_m = float(np.linalg.eigvalsh(L.m_matrix(W, S)[0])[0])
            except np.linalg.LinAlgError:
                continue
            if g[0] < 1e-10 and lam > 0 and lam_m > 0:
                ok += 1
            moves.append(float(np.linalg.norm(W[0] - x0)))
            drops.append((lam0 - lam) / lam0)
        rows.append(f"| {k} | {lam0:.3g} | {normJ:.3g} | {rho:g} | {np.mean(fro):.2g} | {max(moves):.2g} | "
                    f"{max(drops):.2g} | {ok}/{samples} |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", default="6,7,8,10,12,14,17,20")
    ap.add_argument("--rho", default="1e-4,1e-3,3e-3,1e-2,3e-2")
    args = ap.parse_args()
    print("| k | lambda_min(H) at S = I | norm of J on the Frobenius ball | ||S - I||_2 | mean ||S - I||_F | "
          "max |x*_S - x0| | max relative drop of lambda_min(H) | still a minimum |")
    print("|---|---|---|---|---|---|---|---|")
    for k in (int(x) for x in args.k.split(",")):
        for row in study(k, [float(r) for r in args.rho.split(",")]):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
