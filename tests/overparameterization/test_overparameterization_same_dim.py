"""``relu-one-more-neuron`` part (c), the split neuron in the same dimension d = k along a stated
direction delta (docs/overparameterization.md, Lemmas 6-8): the mathematics against high-precision
direct evaluation, what the checker accepts, and what it must reject.  Absent, part (c) changes
nothing (statement, bounds, summary, description are those of the kind without it)."""
from __future__ import annotations

import copy
import math
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from certify.kernel.certificate import CertificateError, NotProven, load_certificate
from certify.kernel.checking import check_data, check_file
from certify.kernel.interval import Interval
from certify.kernel.overparameterization.bounds import same_dimension_bound
from certify.kernel.overparameterization.kind import KIND, rational_enclosure
from certify.overparameterization.prove import build, plan, plan_same_dimension, split_direction, split_hessian

from test_overparameterization import rejected, restate  # one pair of helpers for the kind

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ROOT = Path(__file__).resolve().parents[2]
MIN6 = ROOT / "certificates" / "spurious_minima" / "relu-k06-n06-loss0.02508058.json"
STORED6 = ROOT / "certificates" / "overparameterization" / "relu-k06-n06-loss0.02508058.json"
SAME_DIM = ROOT / "certificates" / "overparameterization" / "same-dimension"
SYMMETRIC_MIN = sorted((ROOT / "certificates" / "spurious_symmetric" / "families").rglob("*.json"))


@pytest.fixture(scope="module")
def _built(minimum6):
    p = plan(minimum6)
    sd = plan_same_dimension(minimum6, p)
    return build(minimum6, p, same_dimension=sd), p, sd


@pytest.fixture
def cert(_built) -> dict:
    return copy.deepcopy(_built[0])


# ------------------------------------------------------------------ high-precision reference


def _f(a, b):
    na = mp.sqrt(mp.fsum(x * x for x in a))
    nb = mp.sqrt(mp.fsum(x * x for x in b))
    c = mp.fsum(x * y for x, y in zip(a, b)) / (na * nb)
    c = min(max(c, mp.mpf(-1)), mp.mpf(1))
    th = mp.acos(c)
    return na * nb * (mp.sin(th) + (mp.pi - th) * c) / (2 * mp.pi)


def loss_mp(U, k: int):
    V = [[mp.mpf(1) if j == i else mp.mpf(0) for j in range(k)] for i in range(k)]
    s = mp.fsum(_f(a, b) for a in U for b in U) - 2 * mp.fsum(_f(a, v) for a in U for v in V)
    s += mp.fsum(_f(a, b) for a in V for b in V)
    return s / 2


def phi_same_dim(W: np.ndarray, i: int, alpha, delta: np.ndarray, t):
    """F_{n+1}(alpha w_i + t delta, (1-alpha) w_i - t delta, others) - F_n(W) in d = k, exactly (mpmath)."""
    n, k = W.shape
    Wm = [[mp.mpf(float(x)) for x in row] for row in W]
    dm = [mp.mpf(float(x)) for x in delta]
    u1 = [alpha * x + t * y for x, y in zip(Wm[i], dm)]
    u2 = [(1 - alpha) * x - t * y for x, y in zip(Wm[i], dm)]
    U = [Wm[j] for j in range(n) if j != i] + [u1, u2]
    return loss_mp(U, k) - loss_mp(Wm, k)


# ------------------------------------------------------------------ the mathematics


def test_hessian_form_lemma6_matches_finite_differences():
    """Lemma 6 (the Gram form used by the kernel) against a 5-point second difference in mpmath."""
    from certify.kernel.overparameterization.bounds import _hessian_form

    mp.mp.dps = 50
    rng = np.random.default_rng(1)
    for _ in range(5):
        u, x, d = rng.normal(size=(3, 4))
        um, xm, dm = ([mp.mpf(float(v)) for v in z] for z in (u, x, d))
        h = mp.mpf("1e-10")
        fs = [_f([a + s * h * b for a, b in zip(um, dm)], xm) for s in (-2, -1, 0, 1, 2)]
        fd = (-fs[0] + 16 * fs[1] - 30 * fs[2] + 16 * fs[3] - fs[4]) / (12 * h * h)
        P = Interval.point
        form = _hessian_form(P(u @ u), P(u @ x), P(u @ d), P(x @ x), P(x @ d), P(d @ d))
        assert abs(float(fd) - float(form.lo)) < 1e-9 * max(1.0, abs(float(fd)))


def test_self_term_lemma7_exact_identities():
    """rho sin(theta) = t |w ^ delta| and S = rho (sin th - th cos th)/(2 pi), with delta NOT orthogonal to w."""
    mp.mp.dps = 40
    w = [mp.mpf(v) for v in ("0.7", "-0.4", "0.3")]
    d = [mp.mpf(v) for v in ("0.2", "0.9", "-0.5")]  # w.d != 0
    al = mp.mpf(1) / 3
    be = 1 - al
    dot = lambda a, b: mp.fsum(x * y for x, y in zip(a, b))  # noqa: E731
    for t in (mp.mpf("1e-3"), mp.mpf("0.05")):
        u1 = [al * a + t * b for a, b in zip(w, d)]
        u2 = [be * a - t * b for a, b in zip(w, d)]
        rho = mp.sqrt(dot(u1, u1) * dot(u2, u2))
        rs = mp.sqrt(dot(u1, u1) * dot(u2, u2) - dot(u1, u2) ** 2)
        P = mp.sqrt(dot(w, w) * dot(d, d) - dot(w, d) ** 2)
        assert abs(rs - t * P) < mp.mpf("1e-30")
        c = al * be * dot(w, w) + t * (be - al) * dot(w, d) - t * t * dot(d, d)
        assert abs(dot(u1, u2) - c) < mp.mpf("1e-30")
        S = (_f(u1, u1) + _f(u2, u2) + 2 * _f(u1, u2)) / 2 - _f(w, w) / 2
        th = mp.atan2(rs, dot(u1, u2))
        assert abs(S - rho * (mp.sin(th) - th * mp.cos(th)) / (2 * mp.pi)) < mp.mpf("1e-30")


@pytest.mark.parametrize("alpha", [Fraction(1, 2), Fraction(1, 5)])
def test_bound_dominates_the_true_loss_and_is_not_vacuous(minimum6, alpha):
    """phi(t) <= Q_c t^2 on (0, t0], phi(t)/t^2 -> delta^T H' delta/(2ab), for a delta NOT orthogonal to w_i."""
    mp.mp.dps = 40
    W = np.array(minimum6["point"])
    i = 4
    delta = split_direction(W, i) + 0.3 * W[i] / np.linalg.norm(W[i])  # a component along w_i
    a = rational_enclosure(alpha)
    al = mp.mpf(alpha.numerator) / alpha.denominator
    t0 = 0.005
    sb = same_dimension_bound(Interval.point(W), i, a, delta, t0)
    Q = float(sb.q.hi)
    assert Q < 0
    curv = sb.curvature
    float_curv = delta @ split_hessian(W, i) @ delta / (2 * float(alpha) * (1 - float(alpha)))
    assert curv.lo <= float_curv + 1e-12 and float_curv - 1e-12 <= curv.hi
    for t in (mp.mpf("1e-4"), mp.mpf(t0) / 3, mp.mpf(t0)):
        phi = phi_same_dim(W, i, al, delta, t)
        assert float(phi / t**2) <= Q
    small = phi_same_dim(W, i, al, delta, mp.mpf("1e-5")) / mp.mpf("1e-10")
    assert abs(float(small) - float(curv.hi)) < 1e-3


def test_first_order_terms_cancel_for_any_direction(minimum6):
    """phi(t) = O(t^2) for a random delta in R^k (homogeneity of g), even though W is only near-critical."""
    mp.mp.dps = 40
    W = np.array(minimum6["point"])
    delta = np.random.default_rng(3).normal(size=W.shape[1])
    curv = delta @ split_hessian(W, 2) @ delta / (2 * 0.25)  # the t^2 coefficient, delta^T H' delta/(2ab)
    for t, tol in (("1e-6", 1e-3), ("1e-4", 1e-2)):  # a first-order term would make phi/t^2 ~ 1/t
        r = phi_same_dim(W, 2, mp.mpf(1) / 2, delta, mp.mpf(t)) / mp.mpf(t) ** 2
        assert abs(float(r) - curv) < tol


def test_positive_curvature_direction_gives_no_bound():
    """At a point where H'_ii has a positive direction, the kernel's curvature is >= 0 there and Q_c > 0."""
    W = np.array([[2.0, 0.3, 0.1], [0.2, 1.8, 0.4], [0.1, 0.5, 2.2]])
    H = split_hessian(W, 0)
    ev, V = np.linalg.eigh(H)
    d = V[:, -1]
    assert ev[-1] > 0
    with pytest.raises(NotProven, match="nothing to claim"):
        same_dimension_bound(Interval.point(W), 0, rational_enclosure(Fraction(1, 2)), d, 1e-3)
    from certify.kernel.overparameterization.bounds import _hessian_form

    P = Interval.point
    w = W[0]
    forms = [_hessian_form(P(w @ w), P(w @ x), P(w @ d), P(x @ x), P(x @ d), P(d @ d)) for x in W[1:]]
    forms_t = [_hessian_form(P(w @ w), P(w[j]), P(w @ d), P(1.0), P(d[j]), P(d @ d)) for j in range(3)]
    assert sum(float(f.lo) for f in forms) - sum(float(f.hi) for f in forms_t) > 0


# ------------------------------------------------------------------ the checker: acceptance


def test_accepts_and_reports_part_c(cert, _built):
    _, p, sd = _built
    proof = check_data(copy.deepcopy(cert))
    b = proof.bounds
    assert b["same_dimension_t0"] == sd["t0"]
    assert b["same_dimension_curvature_margin"] >= sd["curvature_margin"] > 0.2
    assert b["same_dimension_decrease_coefficient"] > 0
    assert "(c) d = k" in proof.summary
    assert "(c) Same dimension" in cert["claim"]["statement"]
    assert set(b) <= set(KIND.bounds)
    assert "same dimension d = k" in KIND.describe(KIND.parse({k: v for k, v in cert.items() if k != "provenance"}))


def test_absent_or_null_is_byte_identical_to_the_stored_certificate(cert):
    stored = load_certificate(STORED6)
    proof_stored = check_data(copy.deepcopy(stored))
    parsed = KIND.parse({k: v for k, v in stored.items() if k != "provenance"})
    assert parsed.same_dimension is None
    assert KIND.statement(parsed) == stored["claim"]["statement"]
    assert not any(key.startswith("same_dimension") for key in proof_stored.bounds)
    assert "(c)" not in proof_stored.summary and "same dimension" not in KIND.describe(parsed)
    nulled = copy.deepcopy(stored)
    nulled["claim"]["same_dimension"] = None
    p2 = check_data(nulled)
    assert p2.summary == proof_stored.summary and p2.bounds == proof_stored.bounds
    # removing (c) from a (c) certificate without restating: the statement no longer matches
    c = copy.deepcopy(cert)
    del c["claim"]["same_dimension"]
    rejected(c, "statement")


# ------------------------------------------------------------------ the checker: rejection


def test_rejects_direction_parallel_to_w(cert, minimum6, tmp_path):
    W = np.array(minimum6["point"])
    cert["claim"]["same_dimension"]["direction"] = [float(v) for v in W[cert["claim"]["neuron"]]]
    rejected(restate(cert), "(c)", "not proven", "nothing to claim", tmp_path=tmp_path)


def test_rejects_nearly_parallel_direction_with_tiny_curvature(cert, minimum6, tmp_path):
    W = np.array(minimum6["point"])
    i = cert["claim"]["neuron"]
    d = W[i] / np.linalg.norm(W[i]) + 1e-3 * split_direction(W, i)
    cert["claim"]["same_dimension"]["direction"] = [float(v) for v in d]
    rejected(restate(cert), "(c)", tmp_path=tmp_path)  # curvature ~ -2e-7: margin 0.236 too large


def test_rejects_too_large_t0(cert, tmp_path):
    cert["claim"]["same_dimension"]["t0"] = 0.5
    rejected(restate(cert), "(c)", "t0", tmp_path=tmp_path)
    cert["claim"]["same_dimension"]["t0"] = 0.065  # the proven t_max is ~ 0.0599
    rejected(restate(cert), "t0 = 0.065 is too large", "does not prove descent", tmp_path=tmp_path)


def test_rejects_too_large_curvature_margin(cert, tmp_path):
    cert["claim"]["same_dimension"]["curvature_margin"] = 0.25  # proven 0.2363
    rejected(restate(cert), "curvature_margin 0.25 is too large", tmp_path=tmp_path)


@pytest.mark.parametrize("bad, words", [
    (lambda d: [float("nan")] + d[1:], ("direction",)),
    (lambda d: [0.0] * len(d), ("zero vector",)),
    (lambda d: d[:-1], ("length",)),
    (lambda d: d + [0.0], ("length",)),
    (lambda d: [str(v) for v in d], ("direction",)),
    (lambda d: "1,2,3", ("direction",)),
])
def test_rejects_malformed_direction(cert, bad, words, tmp_path):
    cert["claim"]["same_dimension"]["direction"] = bad(cert["claim"]["same_dimension"]["direction"])
    c = copy.deepcopy(cert)
    with pytest.raises((CertificateError, NotProven)) as info:
        restate(c)
    for w in words:
        assert w in str(info.value)
    rejected(cert, *words, tmp_path=tmp_path)


@pytest.mark.parametrize("field, value", [("t0", 0.0), ("t0", -0.01), ("t0", 2.0), ("t0", float("inf")),
                                          ("curvature_margin", 0.0), ("curvature_margin", -1.0),
                                          ("t0", "0.01"), ("curvature_margin", None)])
def test_rejects_bad_numbers(cert, field, value, tmp_path):
    cert["claim"]["same_dimension"][field] = value
    rejected(cert, f"same_dimension.{field}", tmp_path=tmp_path)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_extreme_directions_are_refused_cleanly(cert, scale, tmp_path):
    """Overflow / underflow in the enclosure: a clean NOT PROVEN, never a traceback or a pass."""
    d = cert["claim"]["same_dimension"]["direction"]
    cert["claim"]["same_dimension"]["direction"] = [v * scale for v in d]
    rejected(restate(cert), tmp_path=tmp_path)


def test_rejects_unknown_and_missing_fields(cert, tmp_path):
    c = copy.deepcopy(cert)
    c["claim"]["same_dimension"]["neuron"] = 3
    rejected(c, "unknown field", "'neuron'", tmp_path=tmp_path)
    c = copy.deepcopy(cert)
    del c["claim"]["same_dimension"]["t0"]
    rejected(c, "t0", tmp_path=tmp_path)
    c = copy.deepcopy(cert)
    c["claim"]["same_dimension"] = [1.0, 2.0]
    rejected(c, "same_dimension", tmp_path=tmp_path)


def test_rejects_changed_statement(cert, tmp_path):
    c = copy.deepcopy(cert)
    c["claim"]["same_dimension"]["t0"] = cert["claim"]["same_dimension"]["t0"] / 2  # smaller: true, but not restated
    rejected(c, "statement", tmp_path=tmp_path)
    c = copy.deepcopy(cert)
    c["claim"]["statement"] = c["claim"]["statement"].replace("(hence in every d >= k)", "(hence in every d >= 1)")
    rejected(c, "statement", tmp_path=tmp_path)
    c = copy.deepcopy(cert)
    c["claim"]["same_dimension"]["direction"][0] = math.nextafter(c["claim"]["same_dimension"]["direction"][0], 1.0)
    # delta is referenced by the statement (claim.same_dimension.direction), so a changed delta is a new claim
    # that is decided on its own: here a one-ulp change is still proven
    assert check_data(c).bounds["same_dimension_t0"] == cert["claim"]["same_dimension"]["t0"]


def test_rejects_part_c_on_a_symmetric_minimum(tmp_path):
    from certify.overparameterization.prove import is_minimum

    src = next((f for f in SYMMETRIC_MIN if is_minimum(f)), None)
    if src is None:  # pragma: no cover
        pytest.skip("no symmetric minimum stored")
    stored = ROOT / "certificates" / "overparameterization" / src.relative_to(ROOT / "certificates" / "spurious_symmetric")
    c = load_certificate(stored)
    c.pop("provenance", None)
    c["claim"]["same_dimension"] = {"direction": [1.0] + [0.0] * (c["claim"]["k"] - 1), "t0": 0.01,
                                    "curvature_margin": 0.01}
    rejected(c, "only supported for a dense", tmp_path=tmp_path)


# ------------------------------------------------------------------ stored certificates


@pytest.mark.slow
def test_every_stored_same_dimension_certificate_is_proven():
    files = sorted(SAME_DIM.rglob("*.json"))
    assert len(files) == 50
    for f in files:
        v = check_file(f)
        assert v.proven, f"{f}: {v.message}"
        cert = load_certificate(f)
        assert cert["claim"].get("same_dimension") is not None


# ------------------------------------------------------------------ producer CLI


def _run(*argv) -> int:
    import argparse

    from certify.overparameterization.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def test_cli_same_dimension_writes_proven_part_c_and_skips_symmetric(tmp_path, capsys):
    src = tmp_path / "minima"
    src.mkdir()
    (src / MIN6.name).write_bytes(MIN6.read_bytes())
    sym = next((f for f in SYMMETRIC_MIN), None)
    if sym is not None:
        (src / sym.name).write_bytes(sym.read_bytes())
    out = tmp_path / "out"
    assert _run("prove", src, "--out", out, "--same-dimension") == 0
    made = out / MIN6.name
    v = check_file(made)
    assert v.proven, v.message
    assert "same_dimension_t0" in v.bounds
    assert load_certificate(made)["claim"]["same_dimension"]["t0"] > 0
    if sym is not None:
        assert not (out / sym.name).exists() and "skipped 1" in capsys.readouterr().out
    # the report does not count a (c) certificate twice beside the (a)/(b) one of the same minimum
    from certify.overparameterization.report import rows_of

    assert rows_of([out])[0] == []
