"""The ``relu-spurious-minimum-teacher-box`` kind: its enclosures, its covering rule, its corollary,
and above all what it must reject."""
from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import CERTIFICATES, assert_rejected, restate
from helpers import load as load_certificate_json

from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data, check_file
from certify.kernel.interval import Interval
from certify.kernel.teacher_box import kind as tb
from certify.kernel.teacher_student import enclose, free_entries
from certify.spurious_minima import landscape as L

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "certificates" / "teacher_box"
K6 = STORE / "teacher-box-k06.json"


def load(path=K6) -> dict:
    return load_certificate_json(path)


def not_proven(cert: dict, *words: str) -> str:
    """Rejected cleanly as it is (tests/helpers.py)."""
    return assert_rejected(cert, *words, restated=False)


def box_entries(k: int, rho: Fraction) -> list:
    jj, ll = free_entries(k)
    return [[str(Fraction(int(j == l)) - rho), str(Fraction(int(j == l)) + rho)] for j, l in zip(jj, ll)]


@pytest.fixture(scope="module")
def split_cert() -> dict:
    """A proven certificate with 2 sub-boxes (one free entry halved), k = 6, rho = 1/10^7."""
    from certify.teacher_box.prove import build, identity_point, prove_rho

    rho = Fraction(1, 10**7)
    sbs = prove_rho(6, rho, 1, identity_point(6, CERTIFICATES / "spurious_minima"))
    assert sbs is not None and len(sbs) == 2
    return build(6, rho, sbs)


# --------------------------------------------------------------------------- acceptance


def test_stored_k6_certificate_is_proven_with_bounds():
    proof = check_data(load())
    b = proof.bounds
    assert 0.025 < b["loss"][0] <= b["loss"][1] < 0.0251
    assert 0 < b["hessian_min_eigenvalue_lower_bound"] < 0.0047  # <= lambda_min(H) at S = I
    assert 0.19 < b["m_min_eigenvalue_lower_bound"] < 0.2
    assert b["sub_boxes"] == 1
    assert f"d0 = {b['corollary_d0']} for delta = 1/100" in proof.summary and "cited Davidson-Szarek" in proof.summary


def test_split_certificate_is_proven(split_cert):
    proof = check_data(copy.deepcopy(split_cert))
    assert proof.bounds["sub_boxes"] == 2


def test_provenance_is_never_read():
    cert = load()
    before = check_data(copy.deepcopy(cert)).bounds
    cert["provenance"] = {"rho": "1/2", "anything": [1, 2]}
    assert check_data(cert).bounds == before


# --------------------------------------------------------------------------- the enclosures


def _random_teacher(k, scale, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(k, k)) * scale
    return np.eye(k) + (A + A.T) / 2


def test_enclosures_contain_float_values_for_a_general_teacher():
    cert = load()
    x = np.array(cert["sub_boxes"][0]["point"])
    S = _random_teacher(6, 0.05)
    e = enclose(Interval.point(x), teacher=Interval.point(S), want=("loss", "grad", "hess_entries", "m"))
    for got, ref in ((e.loss, L.loss(x[None], S)[0]), (e.grad, L.gradient(x[None], S)[0]),
                     (e.hess_entries, L.hessian(x[None], S)[0]), (e.m_matrix, L.m_matrix(x[None], S)[0])):
        mid = 0.5 * (got.lo + got.hi)
        assert np.abs(mid - ref).max() < 1e-12
        assert np.all(got.hi - got.lo < 1e-12)


def test_sigma_derivatives_match_finite_differences():
    x = np.array(load()["sub_boxes"][0]["point"])
    S = _random_teacher(6, 0.05, seed=1)
    e = enclose(Interval.point(x), teacher=Interval.point(S), want=("dgrad_dteacher", "dloss_dteacher"))
    jj, ll = free_entries(6)
    h = 1e-6
    for t, (j, l) in enumerate(zip(jj, ll)):
        Sp, Sm = S.copy(), S.copy()
        Sp[j, l] += h
        Sp[l, j] = Sp[j, l]
        Sm[j, l] -= h
        Sm[l, j] = Sm[j, l]
        fd_g = (L.gradient(x[None], Sp)[0] - L.gradient(x[None], Sm)[0]).ravel() / (2 * h)
        fd_l = (L.loss(x[None], Sp)[0] - L.loss(x[None], Sm)[0]) / (2 * h)
        assert np.abs(fd_g - 0.5 * (e.dgrad_dteacher.lo[:, t] + e.dgrad_dteacher.hi[:, t])).max() < 1e-8
        assert abs(fd_l - 0.5 * (e.dloss_dteacher.lo[t] + e.dloss_dteacher.hi[t])) < 1e-8


def test_joint_box_encloses_sampled_teachers_and_points():
    x = np.array(load()["sub_boxes"][0]["point"])
    T = Interval.around(np.eye(6), 1e-3)
    X = Interval.around(x, 1e-3)
    e = enclose(X, teacher=T, want=("loss", "grad", "hess_entries", "m"))
    rng = np.random.default_rng(2)
    for _ in range(20):
        S = np.eye(6) + rng.uniform(-1e-3, 1e-3, (6, 6))  # the enclosure also covers non-symmetric S
        W = x + rng.uniform(-1e-3, 1e-3, (6, 6))
        assert e.loss.lo <= L.loss(W[None], S)[0] <= e.loss.hi
        assert np.all(e.grad.contains(L.gradient(W[None], S)[0]))
        assert np.all(e.hess_entries.contains(L.hessian(W[None], S)[0]))
        assert np.all(e.m_matrix.contains(L.m_matrix(W[None], S)[0]))


def test_matmul_point_encloses_exact_products():
    rng = np.random.default_rng(3)
    m, p, q = 5, 7, 4
    mid = rng.normal(size=(m, p))
    rad = np.abs(rng.normal(size=(m, p))) * 1e-6
    A = Interval(mid - rad, mid + rad)
    B = rng.normal(size=(p, q))
    C = tb.matmul_point(A, B)
    for _ in range(10):
        a = mid + rng.uniform(-1, 1, size=(m, p)) * rad
        a = np.clip(a, A.lo, A.hi)
        for i in range(m):
            for j in range(q):
                exact = sum(Fraction(a[i, t]) * Fraction(B[t, j]) for t in range(p))
                assert Fraction(C.lo[i, j]) <= exact <= Fraction(C.hi[i, j])


# --------------------------------------------------------------------------- the corollary


def test_corollary_d0_is_a_safe_ceiling():
    import mpmath

    mpmath.mp.dps = 300  # the last rho (63 characters) gives a d0 of 121 digits: still within one of the least
    for k, rho in ((6, Fraction(47, 10**8)), (20, Fraction(1, 1000)), (9, Fraction(1, 3)), (20, Fraction(1, 10**60))):
        d0 = tb.corollary_d0(k, rho)
        t = mpmath.sqrt(2 * mpmath.log(200))
        exact = ((mpmath.sqrt(k) + t) / mpmath.mpf(rho.numerator) * rho.denominator) ** 2
        assert d0 >= exact and d0 - 2 < exact  # the least integer >= the value, or one more
    assert tb.corollary_d0(6, Fraction(1, 1000), Fraction(1, 10)) < tb.corollary_d0(6, Fraction(1, 1000))


def _teachers_cli(capsys, *argv):
    """`certify teachers ...` through the kind's own cli_module (independent of other kinds)."""
    import argparse

    from certify.teacher_box.cli import register

    parser = argparse.ArgumentParser(prog="certify teachers")
    register(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args([str(a) for a in argv])
    capsys.readouterr()
    rc = args.func(args)
    out, err = capsys.readouterr()
    return rc, out, err


def test_corollary_cli(capsys, write_json):
    assert tb.KIND.cli_group == "teacher-box" and tb.KIND.cli_aliases == ("teachers",)
    assert tb.KIND.cli_module == "certify.teacher_box.cli"
    rc, out, err = _teachers_cli(capsys, "corollary", K6, "--delta", "1/100")
    assert rc == 0, err
    d0 = check_data(load()).bounds["corollary_d0"]
    assert f"d0 = {d0}" in out
    rc, out, _ = _teachers_cli(capsys, "corollary", K6, "--delta", "1/10")
    assert rc == 0 and f"d0 = {tb.corollary_d0(6, Fraction(load()['claim']['rho']), Fraction(1, 10))}" in out
    bad = load()
    bad["claim"]["rho"] = "1/2"
    rc, out, _ = _teachers_cli(capsys, "corollary", write_json(bad))
    assert rc == 1 and out.startswith("NOT PROVEN")


def test_prove_cli_keeps_an_existing_file_without_searching(capsys, tmp_path):
    """A rerun keeps the existing certificate and runs no search (exit 0, the file untouched)."""
    (tmp_path / "teacher-box-k06.json").write_text("{}")
    rc, out, err = _teachers_cli(capsys, "prove", "--k", "6", "--minima", CERTIFICATES / "spurious_minima",
                                 "--out", tmp_path)
    assert rc == 0 and "exists, kept" in out and "1 already there" in out
    assert (tmp_path / "teacher-box-k06.json").read_text() == "{}"


def test_prove_cli_needs_minima_and_out(capsys, tmp_path, monkeypatch):
    """The S = I minima are an explicit argument: run elsewhere, nothing is looked up silently in the
    current folder; a missing folder is a usage error, and --out is required."""
    from certify.cli import UserError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="--minima"):
        _teachers_cli(capsys, "prove", "--k", "6", "--minima", "certificates/spurious_minima", "--out", tmp_path)
    with pytest.raises(SystemExit):
        _teachers_cli(capsys, "prove", "--k", "6", "--minima", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_prove_cli_reports_a_k_without_minimum(capsys, tmp_path):
    """No S = I certificate for the k asked: nothing produced, said so, exit status 1."""
    (tmp_path / "empty").mkdir()
    rc, out, err = _teachers_cli(capsys, "prove", "--k", "6", "--minima", tmp_path / "empty", "--out", tmp_path / "o")
    assert rc == 1 and "not certified" in out and "nothing produced" in out


# --------------------------------------------------------------------------- what it must reject


def test_rejects_a_box_reaching_singular_teachers():
    cert = load()
    cert["claim"]["rho"] = "1/2"  # S = I - 1/2 (J - I) ... reaches singular matrices
    cert["sub_boxes"][0]["entries"] = box_entries(6, Fraction(1, 2))
    not_proven(restate(cert))


def test_rejects_a_point_whose_gradient_bound_holds_only_near_the_identity():
    cert = load()
    rho = Fraction(cert["claim"]["rho"]) * 20
    cert["claim"]["rho"] = str(rho)
    cert["sub_boxes"][0]["entries"] = box_entries(6, rho)
    msg = not_proven(restate(cert))
    assert "gradient" in msg or "positive definite" in msg


def test_rejects_a_radius_too_small_for_the_teacher_box():
    cert = load()
    cert["sub_boxes"][0]["ball_radius"] = cert["sub_boxes"][0]["ball_radius"] / 100
    not_proven(cert, "gradient")


def test_rejects_a_claimed_radius_below_the_proven_distance():
    cert = load()
    cert["sub_boxes"][0]["radius"] = cert["sub_boxes"][0]["ball_radius"] / 100
    not_proven(cert, "distance")


def test_rejects_a_moved_point():
    cert = load()
    cert["sub_boxes"][0]["point"][0][0] += 1e-3
    not_proven(cert)


def test_rejects_the_global_minimum_as_point():
    cert = load()
    cert["sub_boxes"][0]["point"] = np.eye(6).tolist()
    not_proven(cert)


def split_entry(cert) -> tuple[int, int]:
    """(entry halved, index of the sub-box holding its upper half)."""
    a, b = (sb["entries"] for sb in cert["sub_boxes"])
    (e,) = [e for e in range(len(a)) if a[e] != b[e]]
    upper = 0 if Fraction(a[e][0]) > Fraction(b[e][0]) else 1
    return e, upper


def test_rejects_a_gap_between_sub_boxes(split_cert):
    cert = copy.deepcopy(split_cert)
    e, up = split_entry(cert)
    lo, hi = cert["sub_boxes"][up]["entries"][e]
    cert["sub_boxes"][up]["entries"][e] = [str(Fraction(lo) + Fraction(1, 10**12)), hi]
    not_proven(cert, "gap")


def test_rejects_overlapping_sub_boxes(split_cert):
    cert = copy.deepcopy(split_cert)
    e, up = split_entry(cert)
    lo, hi = cert["sub_boxes"][up]["entries"][e]
    cert["sub_boxes"][up]["entries"][e] = [str(Fraction(lo) - Fraction(1, 10**12)), hi]
    not_proven(cert, "overlapping")


def test_rejects_a_missing_sub_box(split_cert):
    cert = copy.deepcopy(split_cert)
    del cert["sub_boxes"][1]
    not_proven(cert, "cover")


def test_rejects_a_missing_entry_range():
    cert = load()
    lo, hi = cert["sub_boxes"][0]["entries"][3]
    cert["sub_boxes"][0]["entries"][3] = [lo, str((Fraction(lo) + Fraction(hi)) / 2)]
    not_proven(cert, "cover", "ends at")
    cert = load()
    cert["sub_boxes"][0]["entries"][0] = [str(Fraction(cert["sub_boxes"][0]["entries"][0][0]) + 1), "2"]
    not_proven(cert, "cover", "starts at")


def test_rejects_a_duplicated_sub_box_and_a_wrong_entry_count(split_cert):
    cert = copy.deepcopy(split_cert)
    cert["sub_boxes"][1] = copy.deepcopy(cert["sub_boxes"][0])
    not_proven(cert)
    cert = load()
    cert["sub_boxes"][0]["entries"].pop()
    not_proven(cert, "entries")


def test_rejects_cells_of_a_non_product_grid(split_cert):
    """Per entry the pieces tile the range, but the two boxes are the diagonal of a 2 x 2 grid:
    the cells (low, high) and (high, low) of entries (0, 0) and (0, 1) are missing."""
    cert = copy.deepcopy(split_cert)
    e, up = split_entry(cert)
    other = next(f for f in range(len(cert["sub_boxes"][0]["entries"])) if f != e)
    for b in (0, 1):
        lo, hi = cert["sub_boxes"][b]["entries"][other]
        mid = str((Fraction(lo) + Fraction(hi)) / 2)
        cert["sub_boxes"][b]["entries"][other] = [mid, hi] if b == up else [lo, mid]
    not_proven(cert, "cover", "cells")


@pytest.mark.parametrize("field,value,words", [
    ("rho", "-1/1000", "0 < rho < 1"),
    ("rho", "0", "0 < rho < 1"),
    ("rho", "1", "0 < rho < 1"),
    ("rho", "0.001", "rational"),
    ("rho", 0.001, "rational"),
    ("rho", "1/0", "zero denominator"),
    ("rho", "1/" + "9" * 80, "longer"),
    ("k", 7, ""),
    ("k", 1, ">= 2"),
    ("k", 31, "<= 30"),
])
def test_rejects_bad_claim_fields(field, value, words):
    cert = load()
    cert["claim"][field] = value
    not_proven(cert, words)


def test_rejects_a_changed_statement_and_unknown_fields():
    cert = load()
    cert["claim"]["statement"] = cert["claim"]["statement"].replace("strict local minimum", "global minimum")
    not_proven(cert, "statement")
    cert = load()
    cert["sub_boxes"][0]["centre"] = [0]
    not_proven(cert, "unknown field")
    cert = load()
    cert["claim"]["delta"] = "1/100"
    not_proven(cert, "unknown field")
    cert = load()
    cert["extra"] = 1
    not_proven(cert, "unknown field")


@pytest.mark.parametrize("where,value", [
    ("point", float("nan")), ("point", float("inf")), ("point", "0.5"), ("point", True),
    ("ball_radius", float("nan")), ("ball_radius", -1e-6), ("ball_radius", 0.0), ("radius", 2.0),
    ("entries", "nan"), ("entries", float("nan")),
])
def test_rejects_nan_and_malformed_numbers(where, value):
    cert = load()
    sb = cert["sub_boxes"][0]
    if where == "point":
        sb["point"][2][3] = value
    elif where == "entries":
        sb["entries"][0][1] = value
    else:
        sb[where] = value
    not_proven(cert)


def test_rejects_empty_or_oversized_sub_box_lists():
    cert = load()
    cert["sub_boxes"] = []
    not_proven(cert, "non-empty")
    cert = load()
    cert["sub_boxes"] = cert["sub_boxes"] * (tb.MAX_SUB_BOXES + 1)
    not_proven(cert, "limit")


def test_json_nan_literal_rejected(write_json):
    text = K6.read_text().replace('"ball_radius": ', '"ball_radius": NaN, "x": ', 1)
    v = check_file(write_json(text))
    assert not v.proven


def test_centred_radii_contain_sampled_variation():
    from certify.kernel.teacher_box.centred import centred_radii

    x = np.array(load()["sub_boxes"][0]["point"])
    Sc = np.eye(6)
    X = Interval.around(x, 2e-3)
    T = Interval.around(Sc, 1e-3)
    RH, RD = centred_radii(X, T, x, Sc)
    H0 = L.hessian(x[None], Sc)[0]
    e0 = enclose(Interval.point(x), teacher=Interval.point(Sc), want=("dgrad_dteacher",))
    D0 = 0.5 * (e0.dgrad_dteacher.lo + e0.dgrad_dteacher.hi)
    rng = np.random.default_rng(5)
    jj, ll = free_entries(6)
    worst = 0.0
    for _ in range(30):
        W = x + rng.choice([-1.0, 1.0], size=(6, 6)) * 2e-3  # corners: the extreme points
        sig = rng.choice([-1.0, 1.0], size=jj.size) * 1e-3
        S = Sc.copy()
        S[jj, ll] += sig
        S[ll, jj] = S[jj, ll]
        dH = np.abs(L.hessian(W[None], S)[0] - H0)
        e = enclose(Interval.point(W), teacher=Interval.point(S), want=("dgrad_dteacher",))
        dD = np.abs(0.5 * (e.dgrad_dteacher.lo + e.dgrad_dteacher.hi) - D0)
        assert np.all(dH <= RH + 1e-12) and np.all(dD <= RD + 1e-12)
        worst = max(worst, (dH / np.maximum(RH, 1e-300)).max())
    assert worst > 0.05  # the bound is not vacuous-loose (a test that cannot fail is a defect)


def test_centred_radii_refuse_a_centre_outside_the_box():
    from certify.kernel.teacher_box.centred import centred_radii

    x = np.array(load()["sub_boxes"][0]["point"])
    with pytest.raises(NotProven):
        centred_radii(Interval.around(x, 1e-3), Interval.around(np.eye(6), 1e-3), x + 1.0, np.eye(6))
