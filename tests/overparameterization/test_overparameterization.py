"""``relu-one-more-neuron``: the mathematics (against high-precision direct evaluation), what the
checker accepts, and above all what it must reject."""
from __future__ import annotations

import argparse
import copy
import json
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from certify.kernel.certificate import CertificateError, NotProven, load_certificate
from certify.kernel.checking import check_data, check_file
from certify.kernel.interval import Interval
from certify.kernel.overparameterization.bounds import neuron_quantities, split_bound
from certify.kernel.overparameterization.kind import KIND, parse_alpha, rational_enclosure
from certify.overparameterization.prove import build, plan, round_down
from certify.publishing import PublishError, dumps
from conftest import PUBLISHED_MINIMA

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ROOT = Path(__file__).resolve().parents[2]
MIN6 = ROOT / "certificates" / "spurious_minima" / "relu-k06-n06-loss0.02508058.json"
MIN7 = ROOT / "certificates" / "spurious_minima" / "relu-k07-n07-loss0.02320271.json"
STORED6 = ROOT / "certificates" / "overparameterization" / "relu-k06-n06-loss0.02508058.json"


@pytest.fixture(scope="module")
def _cert6(minimum6):
    p = plan(minimum6)
    return build(minimum6, p), p


@pytest.fixture
def cert(_cert6) -> dict:
    return copy.deepcopy(_cert6[0])


@pytest.fixture
def plan6(_cert6):
    return _cert6[1]


def restate(c: dict) -> dict:
    """Recompute the statement after a change of the claim's fields (so the change itself is tested)."""
    parsed = KIND.parse({key: v for key, v in c.items() if key != "provenance"})
    c["claim"]["statement"] = KIND.statement(parsed)
    return c


def rejected(c: dict, *substrings: str, tmp_path=None) -> str:
    """The certificate is NOT proven: check_data raises a clean error, check_file says not proven."""
    with pytest.raises((CertificateError, NotProven)) as info:
        check_data(c)
    msg = str(info.value)
    for s in substrings:
        assert s.lower() in msg.lower(), f"{s!r} not in {msg!r}"
    if tmp_path is not None:
        path = tmp_path / "bad.json"
        try:
            path.write_text(dumps(c))
        except ValueError:  # NaN cannot be written as JSON: the dict-level check above suffices
            return msg
        v = check_file(path)
        assert not v.proven and "checker error" not in v.message, v.message
    return msg


# ------------------------------------------------------------------ high-precision reference


def _f(a, b):
    na = mp.sqrt(mp.fsum(x * x for x in a))
    nb = mp.sqrt(mp.fsum(x * x for x in b))
    c = mp.fsum(x * y for x, y in zip(a, b)) / (na * nb)
    c = min(max(c, mp.mpf(-1)), mp.mpf(1))
    th = mp.acos(c)
    return na * nb * (mp.sin(th) + (mp.pi - th) * c) / (2 * mp.pi)


def loss_mp(U, k: int, d: int):
    V = [[mp.mpf(1) if j == i else mp.mpf(0) for j in range(d)] for i in range(k)]
    s = mp.fsum(_f(a, b) for a in U for b in U) - 2 * mp.fsum(_f(a, v) for a in U for v in V)
    s += mp.fsum(_f(a, b) for a in V for b in V)
    return s / 2


def split_curve_phi(W: np.ndarray, i: int, alpha, t):
    """F_{n+1}(alpha w_i + t e, (1-alpha) w_i - t e, others) - F_n(W), e the (k+1)-th coordinate."""
    n, k = W.shape
    We = [[mp.mpf(float(x)) for x in row] + [mp.mpf(0)] for row in W]
    u1 = [alpha * x for x in We[i]]
    u2 = [(1 - alpha) * x for x in We[i]]
    u1[-1], u2[-1] = t, -t
    U = [We[j] for j in range(n) if j != i] + [u1, u2]
    return loss_mp(U, k, k + 1) - loss_mp(We, k, k + 1)


# ------------------------------------------------------------------ the mathematics


def test_zero_neuron_identity_exact(minimum6):
    mp.mp.dps = 40
    W = np.array(minimum6["point"])
    n, k = W.shape
    We = [[mp.mpf(float(x)) for x in row] + [mp.mpf(0)] for row in W]
    base = loss_mp(We, k, k + 1)
    for t in (mp.mpf("1e-3"), mp.mpf("0.01"), mp.mpf("0.3")):
        lhs = loss_mp(We + [[mp.mpf(0)] * k + [t]], k, k + 1) - base
        norm_sum = mp.fsum(mp.sqrt(mp.fsum(mp.mpf(float(x)) ** 2 for x in row)) for row in W)
        rhs = t * (norm_sum - k) / (2 * mp.pi) + t * t / 4
        assert abs(lhs - rhs) < mp.mpf("1e-30")


@pytest.mark.parametrize("alpha", [Fraction(1, 2), Fraction(1, 5), Fraction(3, 4)])
def test_split_bound_dominates_the_true_loss(minimum6, alpha):
    """phi(t) <= t^2 (lam/(2ab) + C_self t + K t^2) at the point, and the bound is not vacuous."""
    mp.mp.dps = 40
    W = np.array(minimum6["point"])
    nq = neuron_quantities(Interval.point(W))
    a = rational_enclosure(alpha)
    al = mp.mpf(alpha.numerator) / alpha.denominator
    for i in (0, 4):
        lam = float(nq.lam.hi[i])
        for t in (1e-3, 1e-2, 3e-2):
            sb = split_bound(nq, i, a, t)
            phi = split_curve_phi(W, i, al, mp.mpf(t))
            bound = float(sb.q.hi) * t * t
            assert phi <= bound, (i, t, float(phi), bound)
            # the leading term is right: phi / t^2 -> lam / (2 a b)
            lead = lam / (2 * float(alpha * (1 - alpha)))
            assert abs(float(phi) / t**2 - lead) <= float(sb.c_self.hi) * t + float(sb.k_cross.hi) * t * t + 1e-9
        # at small t the bound is within a few per cent of the truth
        t = 1e-4
        phi = float(split_curve_phi(W, i, al, mp.mpf(t)))
        assert phi < 0 and float(split_bound(nq, i, a, t).q.hi) * t * t <= 0.98 * phi


def test_self_interaction_coefficient_is_the_exact_cubic_term():
    """C_self(t0) -> 1/(6 pi a^2 b^2 |w|) as t0 -> 0 (Lemma 3), here for one lone neuron."""
    W = np.array([[0.6, 0.3, -0.2]])
    nq = neuron_quantities(Interval.point(W))
    w = float(np.linalg.norm(W[0]))
    for alpha in (Fraction(1, 2), Fraction(1, 3)):
        sb = split_bound(nq, 0, rational_enclosure(alpha), 1e-6)
        a = float(alpha)
        exact = 1 / (6 * np.pi * a * a * (1 - a) ** 2 * w)
        assert exact <= float(sb.c_self.hi) <= exact * (1 + 1e-9)


def test_lambda_matches_the_reference_value(minimum6):
    """lam_i = M_ii - 1/2 agrees with the paper's float value for this class (k = 6 has none; use k = 7)."""
    W = np.array(load_certificate(MIN7)["point"])
    lam = neuron_quantities(Interval.point(W)).lam
    assert abs(float(lam.hi.min()) - (-0.043251742148722905)) < 1e-8
    assert np.all(lam.hi - lam.lo < 1e-12)


def test_global_minimum_identity_nothing_to_claim():
    """W = I: sum |w_i| = k and M_ii = 1/2 exactly; the bounds refuse (students parallel to teachers)."""
    with pytest.raises(NotProven, match="parallel"):
        neuron_quantities(Interval.point(np.eye(6)))
    # unit-norm rows (not parallel to anything): sum |w_i| = k exactly, margin not positive
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 6))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    nq = neuron_quantities(Interval.point(W))
    assert nq.norm_margin.lo <= 0 <= nq.norm_margin.hi


def test_t0_beyond_the_validity_of_lemma3_is_refused(minimum6):
    W = np.array(minimum6["point"])
    nq = neuron_quantities(Interval.point(W))
    big = 0.5 * float(np.linalg.norm(W[0])) + 1e-9  # t0^2 >= ab|w|^2 for alpha = 1/2
    with pytest.raises(NotProven, match="too large"):
        split_bound(nq, 0, rational_enclosure(Fraction(1, 2)), big)


def test_round_down():
    assert round_down(0.0236842, 3) == 0.0236
    assert round_down(0.039, 2) == 0.039
    for x in (1e-7 * np.pi, 0.123456, 7.0):
        assert round_down(x, 3) <= x


# ------------------------------------------------------------------ acceptance


def test_valid_certificate_is_proven(cert, minimum6, plan6):
    proof = check_data(cert)
    b = proof.bounds
    W = np.array(minimum6["point"])
    k = W.shape[1]
    m1 = k - np.linalg.norm(W, axis=1).sum()
    assert plan6.norm_margin <= b["norm_margin_lower_bound"] <= m1 and m1 - b["norm_margin_lower_bound"] < 1e-9
    lam = float(neuron_quantities(Interval.point(W)).lam.hi[cert["claim"]["neuron"]])
    assert plan6.split_margin <= b["split_margin_lower_bound"] <= -lam + 1e-12
    assert cert["claim"]["neuron"] == 4 and cert["claim"]["alpha"] == "1/2"
    assert b["t0"] == cert["claim"]["t0"] > 0
    assert 0 < b["split_decrease_coefficient"] < 2 * -lam
    assert 0 < b["zero_neuron_descent_up_to"] <= 2 * m1 / np.pi
    lo, hi = b["minimum_loss"]
    assert 0 < lo <= 0.02508058 + 1e-8 and hi >= 0.02508058 - 1e-8
    assert "n=6 -> 7" in proof.summary
    assert "any input dimension d >= k + 1" in cert["claim"]["statement"]


def test_stored_certificate_k6_is_proven():
    v = check_file(STORED6)
    assert v.proven, v.message
    assert v.kind == "relu-one-more-neuron"
    assert v.bounds["split_margin_lower_bound"] > 0.049


def test_other_alpha_and_neuron_accepted(cert):
    c = copy.deepcopy(cert)
    c["claim"]["alpha"] = "1/3"
    c["claim"]["neuron"] = 0
    c["claim"]["t0"] = 0.01
    c["claim"]["split_margin"] = 0.04
    assert check_data(restate(c)).bounds["split_margin_lower_bound"] >= 0.04
    c["claim"]["alpha"] = 0.25  # a binary64 value is accepted too (exact)
    assert check_data(restate(c))


def test_describe_and_show(cert):
    parsed = KIND.parse({k: v for k, v in cert.items() if k != "provenance"})
    text = KIND.describe(parsed)
    assert "split neuron: i = 4" in text and "embedded minimum (relu-spurious-minimum)" in text


# ------------------------------------------------------------------ rejections


def test_rejects_claimed_norm_margin_too_large(cert, tmp_path):
    proven = check_data(copy.deepcopy(cert)).bounds["norm_margin_lower_bound"]
    cert["claim"]["norm_margin"] = float(np.nextafter(proven, 1.0)) * 1.0001
    rejected(restate(cert), "norm_margin", "too large", tmp_path=tmp_path)


def test_rejects_claimed_split_margin_too_large(cert, tmp_path):
    proven = check_data(copy.deepcopy(cert)).bounds["split_margin_lower_bound"]
    cert["claim"]["split_margin"] = proven * 1.0001
    rejected(restate(cert), "split_margin", "too large", tmp_path=tmp_path)


def test_rejects_split_margin_of_a_wrong_neuron(cert, minimum6, tmp_path):
    lam = neuron_quantities(Interval.point(np.array(minimum6["point"]))).lam.hi
    assert -lam.max() < cert["claim"]["split_margin"]  # the weakest neuron has 1/2 - M_ii ~ 0.0485 < 0.0497
    cert["claim"]["neuron"] = int(np.argmax(lam))
    rejected(restate(cert), "split_margin", "too large", tmp_path=tmp_path)


@pytest.mark.parametrize("factor", [2.2, 10.0])
def test_rejects_t0_too_large(cert, plan6, tmp_path, factor):
    cert["claim"]["t0"] = plan6.t_max * factor
    rejected(restate(cert), "t0", "too large", tmp_path=tmp_path)


@pytest.mark.parametrize("t0", [0.0, -0.01, 1.5, "0.01", True, None, 10**400])
def test_rejects_malformed_t0(cert, t0):
    cert["claim"]["t0"] = t0
    rejected(cert, "t0")


@pytest.mark.parametrize("alpha", [0, 1, 0.0, 1.0, -0.5, 1.5, "0", "1", "-1/2", "3/2", "2/2", "abc", "nan",
                                   "1/0", "0.5", " 1/2", "1/2\n", True, None, [0.5], {"p": 1}, float("nan"),
                                   float("inf"), "1/" + "3" * 200])
def test_rejects_alpha_outside_open_unit_interval(cert, alpha):
    cert["claim"]["alpha"] = alpha
    rejected(cert, "alpha")


def test_parse_alpha_exact():
    assert parse_alpha("1/2") == Fraction(1, 2)
    assert parse_alpha(0.1) == Fraction(0.1)  # the binary64 value, exactly
    e = rational_enclosure(Fraction(1, 3))
    assert e.lo < 1 / 3 <= e.hi or e.lo <= 1 / 3 < e.hi
    assert Fraction(float(e.lo)) < Fraction(1, 3) < Fraction(float(e.hi))


@pytest.mark.parametrize("neuron", [-1, 6, 100, 1.0, "0", True, None])
def test_rejects_neuron_out_of_range(cert, neuron):
    cert["claim"]["neuron"] = neuron
    rejected(cert, "neuron")


def test_zero_neuron_part_may_be_left_unclaimed(cert):
    cert["claim"]["norm_margin"] = None
    c = restate(cert)
    assert "(a) Zero neuron: not claimed." in c["claim"]["statement"]
    b = check_data(c).bounds
    assert "norm_margin_lower_bound" not in b and b["split_margin_lower_bound"] > 0
    c["claim"]["statement"] = cert["claim"]["statement"].replace("not claimed", "sum_i |w_i*| < k")
    rejected(c, "statement")


@pytest.mark.parametrize("field", ["norm_margin", "split_margin"])
@pytest.mark.parametrize("value", [0.0, -1e-3, "0.01", None, 7.0, False])
def test_rejects_malformed_margins(cert, field, value):
    if field == "norm_margin" and value is None:
        return  # null: part (a) not claimed (test_zero_neuron_part_may_be_left_unclaimed)
    if field == "norm_margin" and value == 7.0:
        value = 6.5  # > k
    cert["claim"][field] = value
    rejected(cert, field)


def test_rejects_missing_minimum(cert, tmp_path):
    del cert["minimum"]
    rejected(cert, "minimum", tmp_path=tmp_path)


@pytest.mark.parametrize("value", [None, [], "relu-k06.json", 3])
def test_rejects_minimum_not_an_object(cert, value):
    cert["minimum"] = value
    rejected(cert, "minimum")


def test_rejects_changed_minimum_point(cert, tmp_path):
    cert["minimum"]["point"][2][3] += 1e-3  # no longer near a critical point
    rejected(cert, "embedded minimum not proven", tmp_path=tmp_path)


def test_rejects_changed_minimum_statement(cert, tmp_path):
    cert["minimum"]["claim"]["statement"] += " "
    rejected(cert, "embedded minimum", "statement", tmp_path=tmp_path)


def test_rejects_minimum_not_proven_radius(cert, tmp_path):
    cert["minimum"]["radius"] = 1e-300  # the box is too small to contain the critical point
    rejected(cert, "embedded minimum not proven", tmp_path=tmp_path)


def test_rejects_global_minimum_as_embedded_minimum(cert, tmp_path):
    """W = I forged as the 'minimum': its check fails, so nothing is claimed."""
    cert["minimum"]["point"] = np.eye(6).tolist()
    rejected(cert, "embedded minimum not proven", tmp_path=tmp_path)


def test_rejects_unknown_field_inside_minimum(cert, tmp_path):
    cert["minimum"]["extra"] = 1
    rejected(cert, "embedded minimum", "unknown field", tmp_path=tmp_path)


@pytest.mark.parametrize("kind", ["relu-one-more-neuron", "hermite-expansion", "nope", None])
def test_rejects_minimum_of_another_kind(cert, kind):
    cert["minimum"]["kind"] = kind
    rejected(cert, "minimum", "kind")


def test_rejects_nested_self(cert):
    inner = copy.deepcopy(cert)
    cert["minimum"] = inner
    rejected(cert, "minimum: kind must be")


def test_rejects_n_k_mismatch(cert, tmp_path):
    cert["claim"]["n"] = 7
    rejected(cert, "do not match the embedded minimum", tmp_path=tmp_path)
    cert["claim"]["n"] = 6
    cert["claim"]["k"] = 5
    rejected(cert, "do not match", tmp_path=tmp_path)


def test_rejects_unknown_fields(cert, tmp_path):
    c = copy.deepcopy(cert)
    c["extra"] = 1
    rejected(c, "unknown field", tmp_path=tmp_path)
    c = copy.deepcopy(cert)
    c["claim"]["d"] = 7
    rejected(c, "unknown field", tmp_path=tmp_path)


@pytest.mark.parametrize("field", ["n", "k", "neuron", "alpha", "t0", "norm_margin", "split_margin"])
def test_rejects_missing_claim_field(cert, field):
    del cert["claim"][field]
    rejected(cert, field)


def test_rejects_changed_statement(cert, tmp_path):
    cert["claim"]["statement"] = cert["claim"]["statement"].replace("saddle", "local maximum")
    rejected(cert, "statement", tmp_path=tmp_path)


def test_rejects_stale_statement_after_field_change(cert, tmp_path):
    cert["claim"]["t0"] = cert["claim"]["t0"] / 2  # a weaker, true claim: but the statement says more
    rejected(cert, "statement", tmp_path=tmp_path)


def test_provenance_is_not_read(cert):
    cert["provenance"] = {"anything": [1, 2, 3]}
    cert["minimum"]["provenance"] = {"x": "y"}
    assert check_data(cert)


# ------------------------------------------------------------------ producer CLI


def _run(*argv):
    from certify.overparameterization.cli import register

    p = argparse.ArgumentParser(prog="certify overparam")
    v = p.add_subparsers(dest="verb", required=True)
    register(v)
    args = p.parse_args([str(a) for a in argv])
    return args.func(args)


def test_cli_prove_and_report(tmp_path, capsys):
    src = tmp_path / "minima"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / MIN6.name).write_bytes(MIN6.read_bytes())
    (src / "notes.json").write_text(json.dumps({"format": "something else"}))
    out = tmp_path / "out"
    assert _run("prove", src, "--out", out) == 0
    made = out / "sub" / MIN6.name
    v = check_file(made)
    assert v.proven, v.message
    assert "skipped" in capsys.readouterr().out
    before = made.read_bytes()
    assert _run("prove", src, "--out", out) == 0  # a rerun keeps it (and decides nothing again)
    assert made.read_bytes() == before and "already in" in capsys.readouterr().out
    assert _run("prove", src / "sub" / MIN6.name, "--out", out / "sub", "--overwrite", "--alpha", "1/3",
                "--neuron", "1") == 0
    c = load_certificate(made)
    assert c["claim"]["alpha"] == "1/3" and c["claim"]["neuron"] == 1
    md = tmp_path / "table.md"
    png = tmp_path / "plot.png"
    assert _run("report", out, "--markdown", md, "--plot", png, "--full") == 0
    text = md.read_text()
    assert "| 6 |" in text and "smallest proven" in text
    assert png.stat().st_size > 1000


def test_cli_rejects_bad_alpha(tmp_path):
    from certify.cli import UserError

    for bad in ("0", "1", "abc", "-1/2"):
        with pytest.raises(UserError):
            _run("prove", MIN6, "--out", tmp_path, f"--alpha={bad}")


def test_registered_in_the_cli_group():
    from certify.kernel.registry import BUILTIN_KINDS, get_kind

    assert BUILTIN_KINDS["relu-one-more-neuron"] == "certify.kernel.overparameterization.kind:KIND"
    k = get_kind("relu-one-more-neuron")
    assert k.cli_group == "overparameterization" and k.cli_aliases == ("overparam",)
    assert k.cli_module == "certify.overparameterization.cli"


@pytest.mark.slow
def test_every_stored_certificate_is_proven():
    files = sorted((ROOT / "certificates" / "overparameterization").rglob("*.json"))
    assert len(files) >= 40
    for f in files:
        v = check_file(f)
        assert v.proven, f"{f}: {v.message}"


def test_cross_remainder_constant_is_tight_for_a_nearly_parallel_student():
    """Lemma 4's student bound rho^2/(8 s0) is attained as rho -> 0: with a second student at angle
    ~0.02 from w, the true cross remainder is between 0.5 K t^4 and K t^4 (K from the kernel)."""
    mp.mp.dps = 50
    w = np.array([0.7, 0.5, 0.4])
    x = np.array([0.7, 0.5, 0.4]) + 0.02 * np.array([0.5, -0.7, 0.0])  # s0 ~ 0.017
    W = np.stack([w, x])
    nq = neuron_quantities(Interval.point(W))
    alpha = mp.mpf(1) / 2
    wn = mp.sqrt(mp.fsum(mp.mpf(float(v)) ** 2 for v in w))
    for t in (mp.mpf("1e-4"), mp.mpf("3e-4")):
        phi = split_curve_phi(W, 0, alpha, t)
        # the exact self-interaction (Lemma 3) and the exact quadratic term
        rho = mp.sqrt((alpha * (1 - alpha) * wn**2 - t * t) ** 2 + t * t * wn**2)
        th = mp.atan2(t * wn, alpha * (1 - alpha) * wn**2 - t * t)
        S = rho / (2 * mp.pi) * (mp.sin(th) - th * mp.cos(th))
        lam = mp.mpf(float(nq.lam.mid_rad()[0][0]))
        cross_rem = phi - S - t * t * lam / (2 * alpha * (1 - alpha))
        K = float(split_bound(nq, 0, rational_enclosure(Fraction(1, 2)), float(t)).k_cross.hi)
        assert 0.5 * K * float(t) ** 4 <= float(cross_rem) <= K * float(t) ** 4


# ------------------------------------------------------------------ symmetric (compact) minima

DATA = PUBLISHED_MINIMA
K7_CLASS = {"k": 7, "p": [1, 6], "vals": [[-0.6327039049152542, 0.2616910758354652, 0.0],
                                          [0.18599104632000957, 0.9969227987935689, -0.035080155932389]]}


def _compact_classes():
    from certify.overparameterization.report import compact_to_point

    classes = [K7_CLASS]
    data = json.loads(DATA.read_text())["classes"]
    classes += data[::150] + [c for c in data if len(c["p"]) >= 3][:3]
    return [(tuple(c["p"]), np.array(c["vals"]), compact_to_point(c["p"], c["vals"])) for c in classes]


def test_compact_quantities_equal_the_dense_ones():
    from certify.kernel.overparameterization.bounds import compact_neuron_quantities

    for p, vals, W in _compact_classes():
        dn = neuron_quantities(Interval.point(W))
        cn = compact_neuron_quantities(p, Interval.point(vals))
        first = np.cumsum((0,) + p[:-1])  # the first neuron of each block
        for a, b in ((dn.lam, cn.lam), (dn.cross_sum, cn.cross_sum), (dn.norms, cn.norms)):
            da, db = a[first], b
            assert np.all(da.lo <= db.hi + 1e-12) and np.all(db.lo <= da.hi + 1e-12), p
            assert np.all(db.hi - db.lo < 1e-9)
        m1, m2 = dn.norm_margin, cn.norm_margin
        assert m1.lo <= m2.hi and m2.lo <= m1.hi and m2.hi - m2.lo < 1e-10
        # every neuron of a block has the block's values
        for b, (start, size) in enumerate(zip(first, p)):
            assert np.allclose(dn.lam.hi[start:start + size], cn.lam.hi[b], atol=1e-12)


def test_compact_quantities_over_a_box_contain_the_dense_ones():
    """The whole-array compact evaluation over a box of compact values (blocks of sizes 1, 2, 3 and
    larger, m up to 4) encloses the dense quantities at corners and random points of that box."""
    from certify.kernel.overparameterization.bounds import compact_neuron_quantities
    from certify.overparameterization.report import compact_to_point

    rng = np.random.default_rng(7)
    for p in ((1, 6), (2, 5), (3, 1, 2), (2, 2, 1, 4), (7,)):
        m = len(p)
        vals = 0.2 * rng.standard_normal((m, m + 1))
        vals[np.arange(m), np.arange(m)] += 1.0
        vals[np.array(p) == 1, m] = 0.0
        box = Interval.around(vals, 1e-5)  # the unused entries (p_b = 1) too, as the kind's box has them
        cn = compact_neuron_quantities(p, box)
        first = np.cumsum((0,) + p[:-1])
        for pt in (box.lo, box.hi, vals, box.lo + rng.random(vals.shape) * (box.hi - box.lo)):
            pt = pt.copy()
            pt[np.array(p) == 1, m] = 0.0
            dn = neuron_quantities(Interval.point(compact_to_point(list(p), pt.tolist())))
            for a, b in ((dn.lam, cn.lam), (dn.cross_sum, cn.cross_sum), (dn.norms, cn.norms)):
                mid = 0.5 * (a.lo[first] + a.hi[first])
                assert np.all(b.lo - 1e-12 <= mid) and np.all(mid <= b.hi + 1e-12), p
            mid = 0.5 * (dn.norm_margin.lo + dn.norm_margin.hi)
            assert cn.norm_margin.lo - 1e-11 <= mid <= cn.norm_margin.hi + 1e-11
        assert np.all(cn.lam.hi - cn.lam.lo < 1e-3)


def test_compact_quantities_refuse_parallel_and_zero_neurons():
    from certify.kernel.overparameterization.bounds import compact_neuron_quantities

    for p, vals, what in (((1, 6), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "parallel"),  # W = I
                          ((2, 5), [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "zero"),
                          ((3, 4), [[0.5, 0.1, 0.5], [0.1, 1.0, 0.2]], "parallel")):  # d = o: block-3 neurons equal
        with pytest.raises(NotProven, match=what):
            compact_neuron_quantities(p, Interval.around(np.array(vals), 1e-9))


def test_compact_radii():
    from certify.kernel.overparameterization.kind import _compact_radii

    r = _compact_radii((1, 6), 1.0)
    assert r.shape == (2, 3)
    # D: x[0][1] = 6, x[1][0] = 6, d[0] = 1, d[1] = 6, o[0] unused (1), o[1] = 30
    expect = 1 / np.sqrt(np.array([[1.0, 6.0, 1.0], [6.0, 6.0, 30.0]]))
    assert np.all(r >= expect) and np.all(r <= expect * (1 + 1e-15))


@pytest.fixture(scope="module")
def _sym7():
    from certify.spurious_symmetric.symmetric import certify_compact

    out = certify_compact(K7_CLASS["p"], K7_CLASS["vals"])
    assert out.nature == "minimum", out.reason
    p = plan(out.cert)
    return out.cert, build(out.cert, p)


@pytest.fixture
def sym_cert(_sym7):
    return copy.deepcopy(_sym7[1])


def test_symmetric_minimum_accepted_and_agrees_with_dense(sym_cert, _cert6):
    b = check_data(sym_cert).bounds
    dense = plan(load_certificate(MIN7))
    dense_b = check_data(build(load_certificate(MIN7), dense)).bounds
    assert abs(b["norm_margin_lower_bound"] - dense_b["norm_margin_lower_bound"]) < 1e-9
    assert abs(b["split_margin_lower_bound"] - dense_b["split_margin_lower_bound"]) < 1e-9
    assert "block 1 (blocks p = [1, 6]" in sym_cert["claim"]["statement"]


def test_symmetric_rejects_block_out_of_range(sym_cert):
    sym_cert["claim"]["neuron"] = 2  # only blocks 0 and 1
    rejected(sym_cert, "neuron")


def test_symmetric_rejects_saddle_as_minimum(sym_cert):
    from certify.kernel.registry import get_kind

    m = sym_cert["minimum"]
    m["claim"]["nature"] = "saddle"
    sk = get_kind(m["kind"])
    m["claim"]["statement"] = sk.statement(sk.parse({a: v for a, v in m.items() if a != "provenance"}))
    rejected(sym_cert, "saddle")


def test_symmetric_rejects_changed_values(sym_cert):
    sym_cert["minimum"]["values"][1][1] += 1e-4
    rejected(sym_cert, "embedded minimum not proven")


def test_symmetric_rejects_claim_too_large(sym_cert):
    sym_cert["claim"]["norm_margin"] = 0.0183  # proven 0.018271...
    rejected(restate(sym_cert), "norm_margin", "too large")


def test_through_the_certify_cli(run_cli, tmp_path, cert, assert_rejected):
    rc, out, err = run_cli("check", STORED6)
    assert rc == 0 and out.startswith("PROVEN") and "1/2 - M_ii >=" in out
    rc, out, err = run_cli("overparam", "prove", MIN6, "--out", tmp_path)
    assert rc == 0, err
    assert check_file(tmp_path / MIN6.name).proven
    rc, out, err = run_cli("overparameterization", "prove", MIN6, "--out", tmp_path)
    assert rc == 0 and "already in" in out and "1 already there" in out
    cert["claim"]["split_margin"] = 0.06
    assert_rejected(restate(cert), "split_margin", "too large")
