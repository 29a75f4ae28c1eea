"""Slow checks of the teacher-ball producer and kind (pytest -m slow): the issue's goal at k = 7 as a regression
test, and the first-order constants at k = 10 against a floating-point finite-difference computation."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from helpers import CERTIFICATES

MINIMA = CERTIFICATES / "spurious_minima"  # the S = I minima the producer starts from

from certify.kernel.checking import check_file

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::RuntimeWarning")]


def test_producer_reaches_spectral_radius_1e_minus_3_at_k7(tmp_path):
    from certify.teacher_ball.prove import prove_and_write

    from certify.teacher_ball.prove import file_name

    assert prove_and_write(7, tmp_path, MINIMA, log=lambda *a: None) == "written"
    v = check_file(tmp_path / file_name(7))
    assert v.proven
    assert v.bounds["spectral_radius"] >= 1e-3
    assert v.bounds["corollary_d0"] <= 10**8


def test_first_order_constants_match_finite_differences_at_k10():
    """Lambda1 (a proven upper bound of the matrix variance of Q^T dH Q along the point map) is at least the float
    value computed from finite-difference tangents, and not much larger (it is the same quantity plus rounding)."""
    from certify.kernel.interval import Interval
    from certify.kernel.teacher_ball.kind import _teacher_direction, _weights, centre_bounds
    from certify.kernel.teacher_student import enclose
    from certify.spurious_minima import landscape as L
    from certify.teacher_ball.prove import identity_point

    k = 10
    x0 = identity_point(k, MINIMA)
    cb = centre_bounds(k, x0)
    J, Q, w = cb["J"], cb["Q"], cb["w"]
    I = np.eye(k)
    h = 1e-5
    S1 = np.zeros((k * k, k * k))
    for e in range(w.size):
        dx, dS = J[:, e].reshape(k, k), _teacher_direction(k, e)
        dH = (L.hessian((x0 + h * dx)[None], I + h * dS)[0] - L.hessian((x0 - h * dx)[None], I - h * dS)[0]) / (2 * h)
        Kh = Q.T @ dH @ Q
        S1 += Kh @ Kh / w[e]
    lam1 = math.sqrt(np.linalg.eigvalsh(S1)[-1])
    assert lam1 * (1 - 1e-6) <= cb["Lambda1"] <= lam1 * 1.001
    D = enclose(Interval.point(x0), teacher=Interval.point(I), want=("dgrad_dteacher",)).dgrad_dteacher.mid_rad()[0]
    assert np.abs(L.hessian(x0[None], I)[0] @ J + D).max() < 1e-12  # the point map cancels the first order
    assert Fraction(cb["mu0"]) <= 1 and cb["mu0"] > 0.99
