"""The trusted checker for ``relu-spurious-minimum`` certificates: what it
accepts (with which bounds) and, above all, what it must reject."""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest

from certify.kernel.certificate import CertificateError
from certify.kernel.checking import check_data, check_file
from certify.kernel.contract import Proven
from certify.kernel.definite import min_eigenvalue_lower_bound
from certify.kernel.interval import Interval, NotProven
from certify.kernel.registry import BUILTIN_KINDS, get_kind
from certify.kernel.spurious_minima import kind as spurious_kind
from certify.kernel.spurious_minima.kind import KIND, SpuriousMinimumClaim
from certify.kernel.teacher_student import enclose
from certify.publishing import dumps
from certify.spurious_minima import landscape as L
from certify.spurious_minima.prove import build


def statement(n: int, k: int, all_dims: bool) -> str:
    """The exact statement the kind requires for these claim fields."""
    return KIND.statement(SpuriousMinimumClaim(n, k, all_dims, np.zeros((n, k)), 0.1))


# overflow/invalid-value warnings are expected where non-finite results must be refused
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

V6 = L.identity_teacher(6)


# --------------------------------------------------------------------------- the valid certificate


def test_valid_certificate_is_proven_with_bounds(valid_cert, spurious_point):
    proof = check_data(valid_cert)
    assert isinstance(proof, Proven)
    b = proof.bounds
    lo, hi = b["loss"]
    f = float(L.loss(spurious_point[None], V6)[0])
    assert 0 < lo <= f <= hi
    assert hi - lo < 1e-10
    assert abs(lo - 0.02508058) < 1e-8
    lam = np.linalg.eigvalsh(L.hessian(spurious_point[None], V6)[0])[0]
    assert 0 < b["hessian_min_eigenvalue_lower_bound"] <= lam
    assert b["hessian_min_eigenvalue_lower_bound"] > 0.5 * lam
    lam_m = np.linalg.eigvalsh(L.m_matrix(spurious_point[None], V6)[0])[0]
    assert 0 < b["m_min_eigenvalue_lower_bound"] <= lam_m
    assert 0 <= b["distance_to_critical_point"] < 1e-9
    assert b["distance_to_critical_point"] < valid_cert["radius"]
    assert 0 < b["gradient_norm_at_point"] < 1e-12
    assert "every d >= k" in proof.summary and "n=6" in proof.summary


def test_valid_certificate_via_file_and_cli(valid_cert, write_json, run_cli):
    path = write_json(valid_cert, "good.json")
    v = check_file(path)
    assert v.proven and v.kind == "relu-spurious-minimum"
    rc, out, err = run_cli("check", path)
    assert rc == 0
    assert out.splitlines()[0].startswith("PROVEN")
    assert "1 proven, 0 not proven" in out
    assert err == ""


def test_valid_certificate_for_d_equals_k_only(valid_cert):
    valid_cert["claim"]["input_dimensions"] = "k"
    valid_cert["claim"]["statement"] = statement(6, 6, False)
    proof = check_data(valid_cert)
    assert "m_min_eigenvalue_lower_bound" not in proof.bounds
    assert "d = k" in proof.summary


def test_checker_does_not_trust_provenance(valid_cert):
    before = check_data(copy.deepcopy(valid_cert)).bounds
    valid_cert["provenance"] = {"loss_estimate": -1.0, "hessian_min_eigenvalue_estimate": 100.0}
    assert check_data(valid_cert).bounds == before


def test_valid_certificate_subprocess(valid_cert, write_json, run_subprocess):
    path = write_json(valid_cert, "good.json")
    res = run_subprocess("check", path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("PROVEN")


# --------------------------------------------------------------------------- rejections: the mathematics


def test_reject_moved_point(valid_cert, assert_rejected):
    valid_cert["point"][2][3] += 1e-3
    assert_rejected(valid_cert, "gradient norm", "radius too small")


def test_reject_radius_too_small(valid_cert, assert_rejected):
    valid_cert["radius"] = 1e-17
    assert_rejected(valid_cert, "gradient norm", "not below")


def test_reject_radius_too_large_for_the_hessian_bound(valid_cert, assert_rejected):
    valid_cert["radius"] = 1e-3
    assert_rejected(valid_cert, "hessian not proven positive definite")


@pytest.mark.parametrize("radius", [0.3, 0.5])
def test_reject_huge_radius(valid_cert, assert_rejected, radius):
    valid_cert["radius"] = radius
    v = assert_rejected(valid_cert)
    assert any(s in v.message.lower() for s in ("parallel", "hessian", "zero"))


@pytest.mark.parametrize("exp", [-40, -30, -24])
def test_reject_saddle_point(saddle_point, assert_rejected, exp):
    cert = build(saddle_point, 2.0**exp, True, {})
    assert_rejected(cert, "hessian not proven positive definite")
    cert = build(saddle_point, 2.0**exp, False, {})
    assert_rejected(cert, "hessian not proven positive definite")


@pytest.mark.parametrize("perturbation", [0.0, 1e-9, 1e-6])
@pytest.mark.parametrize("exp", [-40, -20, -10])
def test_reject_global_minimum(global_point, assert_rejected, perturbation, exp):
    rng = np.random.default_rng(0)
    W = global_point + perturbation * rng.standard_normal(global_point.shape)
    v = assert_rejected(build(W, 2.0**exp, False, {}))
    assert any(s in v.message.lower() for s in ("parallel", "gradient", "hessian", "global"))


def test_reject_when_loss_not_proven_positive(valid_cert, assert_rejected, monkeypatch):
    """The last line of defence against a global minimum: a loss enclosure that
    reaches 0 must not be proven (simulated by widening the real enclosure)."""
    real = spurious_kind.enclose

    def widened(X, want=("loss", "grad", "hess", "m")):
        out = real(X, want)
        if out.loss is not None:
            out.loss = Interval(-1e-3, float(out.loss.hi))
        return out

    monkeypatch.setattr(spurious_kind, "enclose", widened)
    assert_rejected(valid_cert, "loss", "not proven > 0", "global minimum")


def test_reject_all_dimensions_when_m_not_positive_definite(valid_cert, assert_rejected, monkeypatch):
    """No critical point with H > 0 but M not > 0 was found (searches for
    (n, k) up to (6, 6) and n = k - 1 only found M > 0), so this simulates it:
    the real enclosures, with M replaced by the enclosure of M at a point
    where M is indefinite."""
    W = np.array([[1.0, 0.2, 0.1], [0.05, 0.03, 0.02], [0.1, 0.9, 0.3]])
    assert np.linalg.eigvalsh(L.m_matrix(W[None], L.identity_teacher(3))[0])[0] < 0
    bad_m = enclose(Interval.point(W), want=("m",)).m_matrix
    bad_m = Interval(np.kron(np.eye(2), bad_m.lo), np.kron(np.eye(2), bad_m.hi))  # 6 x 6
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(bad_m)
    real = spurious_kind.enclose

    def swapped(X, want=("loss", "grad", "hess", "m")):
        out = real(X, want)
        if out.m_matrix is not None:
            out.m_matrix = bad_m
        return out

    monkeypatch.setattr(spurious_kind, "enclose", swapped)
    assert_rejected(valid_cert, "M not proven positive definite", "every d >= k")
    valid_cert["claim"]["input_dimensions"] = "k"  # the d = k claim does not need M
    valid_cert["claim"]["statement"] = statement(6, 6, False)
    assert check_data(valid_cert).bounds["hessian_min_eigenvalue_lower_bound"] > 0


def test_reject_fewer_students_than_teachers(assert_rejected):
    from certify.spurious_minima.search import newton_polish

    W, g = newton_polish(np.ones((1, 1, 2)), L.identity_teacher(2), 30)
    point = W[0]
    # sanity: this is the global minimum of the n = 1 problem (grid search)
    a = np.linspace(-2, 2, 201)
    grid = np.stack(np.meshgrid(a, a), -1).reshape(-1, 1, 2)
    with np.errstate(all="ignore"):
        grid_loss = np.nanmin(L.loss(grid, L.identity_teacher(2)))
    assert L.loss(W, L.identity_teacher(2))[0] <= grid_loss
    with pytest.raises(CertificateError, match="n >= k"):  # the producer refuses to build it ...
        build(point, 2.0**-30, False, {})
    cert = build(np.array([[1.0, 0.3], [0.2, 1.1]]), 2.0**-30, False, {})  # ... so write it by hand
    cert["claim"]["n"] = 1
    cert["claim"]["statement"] = statement(1, 2, False)
    cert["point"] = [[float(x) for x in point[0]]]
    assert_rejected(cert, "n >= k")  # ... and the checker refuses it


# --------------------------------------------------------------------------- rejections: malformed data


def _text_with_first_point_value(cert: dict, literal: str) -> str:
    text = dumps(cert)
    first = repr(cert["point"][0][0])
    assert first in text
    return text.replace(first, literal, 1)


@pytest.mark.parametrize("literal,what", [("NaN", "non-finite"), ("Infinity", "non-finite"),
                                          ("-Infinity", "non-finite"), ("1e999", "non-finite"),
                                          ("-1e999", "non-finite")])
def test_reject_non_finite_point_values(valid_cert, assert_rejected, literal, what):
    assert_rejected(_text_with_first_point_value(valid_cert, literal), what)


@pytest.mark.parametrize("literal", ["NaN", "1e999", "Infinity"])
def test_reject_non_finite_radius(valid_cert, assert_rejected, literal):
    text = dumps(valid_cert).replace('"radius": %r' % valid_cert["radius"], '"radius": %s' % literal)
    assert literal in text
    assert_rejected(text, "non-finite")


@pytest.mark.parametrize("value,what", [("0.5", "expected a number"), (True, "expected a number"),
                                        (False, "expected a number"), (None, "expected a number"),
                                        ([0.5], "expected a number"), ({"x": 0.5}, "expected a number")])
def test_reject_wrong_type_in_point(valid_cert, assert_rejected, value, what):
    valid_cert["point"][1][4] = value
    assert_rejected(valid_cert, what, "point[1][4]")


@pytest.mark.parametrize("value", ["3.7e-9", True, None, [1e-6], 0, 0.0, -1e-6, 0.6, 1.0])
def test_reject_bad_radius(valid_cert, assert_rejected, value):
    valid_cert["radius"] = value
    assert_rejected(valid_cert, "radius")


@pytest.mark.parametrize("field,value,what", [
    ("k", True, "claim.k"), ("k", "6", "claim.k"), ("k", None, "claim.k"), ("k", 6.0, "claim.k"),
    ("k", 0, "claim.k"), ("k", -6, "claim.k"),
    ("n", False, "claim.n"), ("n", "6", "claim.n"), ("n", None, "claim.n"), ("n", 0, "claim.n"),
    ("teacher", "gaussian", "teacher"), ("teacher", None, "teacher"), ("teacher", 1, "teacher"),
    ("input_dimensions", "some", "input_dimensions"), ("input_dimensions", "K", "input_dimensions"),
    ("input_dimensions", True, "input_dimensions"), ("input_dimensions", None, "input_dimensions"),
    ("input_dimensions", 6, "input_dimensions"),
])
def test_reject_bad_claim_fields(valid_cert, assert_rejected, field, value, what):
    valid_cert["claim"][field] = value
    assert_rejected(valid_cert, what)


@pytest.mark.parametrize("claim", [None, [], "claim", 1, True])
def test_reject_claim_not_an_object(valid_cert, assert_rejected, claim):
    valid_cert["claim"] = claim
    assert_rejected(valid_cert, "claim")


def test_reject_wrong_shape_rows(valid_cert, assert_rejected):
    valid_cert["claim"]["n"] = 7  # claims 7 students, the point has 6 rows
    assert_rejected(valid_cert, "point", "expected length 7")


def test_reject_wrong_shape_columns(valid_cert, assert_rejected):
    valid_cert["claim"]["k"] = 5  # the claimed k disagrees with the data (6 columns)
    assert_rejected(valid_cert, "point[0]", "expected length 5")


def test_reject_ragged_rows(valid_cert, assert_rejected):
    valid_cert["point"][3] = valid_cert["point"][3][:5]
    assert_rejected(valid_cert, "point[3]", "expected length 6")
    valid_cert["point"][3] = valid_cert["point"][2] + [0.1]
    assert_rejected(valid_cert, "point[3]", "expected length 6")


@pytest.mark.parametrize("point", [None, 0.5, "[[1]]", [], [0.5] * 36, {"0": [0.5] * 6}])
def test_reject_point_not_a_matrix(valid_cert, assert_rejected, point):
    valid_cert["point"] = point
    assert_rejected(valid_cert, "point")


def test_reject_consistent_but_transposed_shape(valid_cert, assert_rejected):
    """n and k both changed consistently with a reshaped point: it is a different
    (here: non-critical) point and must not be proven."""
    flat = [x for row in valid_cert["point"] for x in row]
    valid_cert["claim"]["n"], valid_cert["claim"]["k"] = 4, 9
    valid_cert["point"] = [flat[9 * i: 9 * i + 9] for i in range(4)]
    assert_rejected(valid_cert)


def test_reject_too_many_parameters(valid_cert, assert_rejected):
    """Limits (checked before any arithmetic): n*k <= 10000 (k = n = 100), n <= 200."""
    valid_cert["claim"]["n"] = 10001
    assert_rejected(valid_cert, "10000")
    valid_cert["claim"]["n"] = 201
    assert_rejected(valid_cert, "n (students)", "200")
    valid_cert["claim"]["n"], valid_cert["claim"]["k"] = 101, 101
    assert_rejected(valid_cert, "exceeds", "10000")
    valid_cert["claim"]["n"], valid_cert["claim"]["k"] = 200, 51
    assert_rejected(valid_cert, "exceeds", "n*k")


@pytest.mark.parametrize("path", ["format", "version", "kind", "claim", "claim.k", "claim.n", "claim.teacher",
                                  "claim.input_dimensions", "point", "radius"])
def test_reject_missing_field(valid_cert, assert_rejected, path):
    obj = valid_cert
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj[p]
    del obj[parts[-1]]
    assert_rejected(valid_cert, parts[-1])


def test_reject_unknown_version(valid_cert, assert_rejected):
    valid_cert["version"] = 2
    assert_rejected(valid_cert, "format version 2", "reads version 1")


@pytest.mark.parametrize("version", ["1", 1.0, True, None])
def test_reject_non_integer_version(valid_cert, assert_rejected, version):
    valid_cert["version"] = version
    assert_rejected(valid_cert, "version", "integer")


def test_reject_wrong_format(valid_cert, assert_rejected):
    valid_cert["format"] = "certify-certificat"
    assert_rejected(valid_cert, "format")


@pytest.mark.parametrize("kind", ["relu-spurious-maximum", "", "RELU-SPURIOUS-MINIMUM", "certify.cli"])
def test_reject_unknown_kind(valid_cert, assert_rejected, kind):
    valid_cert["kind"] = kind
    assert_rejected(valid_cert, "unknown certificate kind")


def test_reject_kind_not_a_string(valid_cert, assert_rejected):
    valid_cert["kind"] = ["relu-spurious-minimum"]
    assert_rejected(valid_cert, "kind")


def test_kind_mismatch_in_checker(valid_cert, assert_rejected):
    """A relu-spurious-minimum certificate relabelled as another registered kind is not
    read as that kind: its fields are refused before any arithmetic."""
    valid_cert["kind"] = "hermite-expansion"
    with pytest.raises(CertificateError):
        check_data(valid_cert)
    assert_rejected(valid_cert)


@pytest.mark.parametrize("key", ["radius", "point", "kind", "claim"])
def test_reject_duplicate_keys(valid_cert, assert_rejected, key):
    text = dumps(valid_cert)
    value = json.dumps(valid_cert[key])
    dup = text.rstrip().rstrip("}") + f', "{key}": {value}' + "}\n"
    assert json.loads(dup)[key] == valid_cert[key]  # plain json would accept it silently
    assert_rejected(dup, "duplicate key", key)


def test_reject_duplicate_key_inside_claim(valid_cert, assert_rejected):
    text = dumps(valid_cert).replace('"teacher": "identity"', '"teacher": "identity", "teacher": "identity"', 1)
    assert_rejected(text, "duplicate key", "teacher")


@pytest.mark.parametrize("text", ["", "{", "[]", "null", "{\"format\": \"certify-certificate\"", "\x00"])
def test_reject_invalid_json(assert_rejected, text):
    assert_rejected(text)


def test_reject_non_utf8_file(valid_cert, assert_rejected):
    raw = dumps(valid_cert).encode("utf-8").replace(b'"identity"', b'"identit\xe9"')
    assert_rejected(raw, "UTF-8")


def test_every_checker_error_is_not_proven(valid_cert, write_json, monkeypatch):
    """An unexpected exception inside the checker is 'not proven', never a pass."""
    def boom(X, want=()):
        raise ZeroDivisionError("simulated internal error")

    monkeypatch.setattr(spurious_kind, "enclose", boom)
    v = check_file(write_json(valid_cert))
    assert not v.proven and "ZeroDivisionError" in v.message


def test_checker_must_return_proven(valid_cert, monkeypatch):
    monkeypatch.setattr(KIND, "check", lambda claim: True)
    with pytest.raises(NotProven, match="no proof"):
        check_data(valid_cert)


# --------------------------------------------------------------------------- the CLI on folders


def test_check_folder_with_good_and_bad(valid_cert, write_json, run_cli, tmp_path):
    write_json(valid_cert, "certs/a_good.json")
    bad = copy.deepcopy(valid_cert)
    bad["radius"] = 1e-17
    write_json(bad, "certs/sub/b_bad.json")
    (tmp_path / "certs" / "notes.txt").write_text("not a certificate")
    rc, out, err = run_cli("check", tmp_path / "certs")
    assert rc == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("PROVEN") and "a_good.json" in lines[0]
    assert lines[1].startswith("NOT PROVEN") and "b_bad.json" in lines[1] and "gradient norm" in lines[1]
    assert lines[2] == "1 proven, 1 not proven"
    assert "Traceback" not in out + err
    # quiet mode prints only the failure and the total
    rc, out, err = run_cli("check", "-q", tmp_path / "certs")
    assert rc == 1 and len(out.splitlines()) == 2 and "b_bad.json" in out


def test_check_empty_folder_and_missing_path(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    rc, out, err = run_cli("check", tmp_path / "empty")
    assert rc != 0 and "no *.json" in out + err and "0 proven, 1 not proven" in out
    rc, out, err = run_cli("check", tmp_path / "missing.json")
    assert rc != 0 and "no such file" in out + err
    assert "Traceback" not in out + err


def test_check_without_paths_is_a_usage_error(run_cli):
    rc, out, err = run_cli("check")
    assert rc == 2 and "error" in err


def test_check_bad_file_subprocess(valid_cert, write_json, run_subprocess, tmp_path):
    bad = write_json(_text_with_first_point_value(valid_cert, "NaN"), "bad.json")
    res = run_subprocess("check", bad)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stdout.startswith("NOT PROVEN") and "non-finite" in res.stdout
    res = run_subprocess("show", bad)
    assert res.returncode != 0 and "Traceback" not in res.stderr + res.stdout


# --------------------------------------------------------------------------- certify show


def test_show_valid_certificate(valid_cert, write_json, run_cli):
    path = write_json(valid_cert)
    rc, out, err = run_cli("show", path)
    assert rc == 0
    assert "relu-spurious-minimum" in out and "format version 1" in out
    assert "n=6 students" in out and "every d >= k" in out and "radius" in out
    assert "certify check" in out
    assert f"{valid_cert['point'][0][0]:.6f}"[:6] in out


@pytest.mark.parametrize("mutate", [
    lambda c: c.__setitem__("point", [[1.0]]),
    lambda c: c.__setitem__("radius", "x"),
    lambda c: c["claim"].__setitem__("k", "six"),
    lambda c: c.__setitem__("kind", "nope"),
    lambda c: c.__setitem__("version", 7),
])
def test_show_malformed_certificate_fails_cleanly(valid_cert, write_json, run_cli, mutate):
    mutate(valid_cert)
    rc, out, err = run_cli("show", write_json(valid_cert))
    assert rc != 0
    assert "cannot show" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("text", ["{", "[]", '{"a": NaN}'])
def test_show_invalid_json_fails_cleanly(write_json, run_cli, text):
    rc, out, err = run_cli("show", write_json(text))
    assert rc != 0 and "cannot show" in out and "Traceback" not in out + err


def test_show_missing_file(run_cli, tmp_path):
    rc, out, err = run_cli("show", tmp_path / "none.json")
    assert rc != 0 and "cannot" in out


def test_checkers_registry_names_this_kind():
    assert BUILTIN_KINDS["relu-spurious-minimum"] == "certify.kernel.spurious_minima.kind:KIND"
    assert get_kind("relu-spurious-minimum") is KIND
    assert KIND.name == "relu-spurious-minimum"


def test_reject_huge_integer_cleanly(valid_cert, assert_rejected):
    valid_cert["point"][0][0] = 10**400
    assert_rejected(valid_cert, "point[0][0]")
    valid_cert["point"][0][0] = 0.5
    valid_cert["radius"] = -(10**400)
    assert_rejected(valid_cert, "radius")


def test_fuzzed_certificates_are_rejected_cleanly_or_really_critical(spurious_point, saddle_point):
    """Random corruptions of real points: every verdict is a clean 'not proven'
    (never an internal error), and whatever is proven is true in floating point: Newton's method
    from the point finds a critical point within the radius, with a positive definite Hessian."""
    import warnings

    from certify.spurious_minima.search import newton_polish

    rng = np.random.default_rng(2024)
    proven = rejected = 0
    for it in range(300):
        base = spurious_point if it % 3 else saddle_point
        W = base.copy()
        kind = it % 6
        if kind == 0:
            W = W * 10.0 ** rng.uniform(-300, 300)
        elif kind == 1:
            W = W + 10.0 ** rng.uniform(-16, -1) * rng.standard_normal(W.shape)
        elif kind == 2:
            W = rng.standard_normal(W.shape) * 10.0 ** rng.uniform(-3, 3)
        elif kind == 3:
            W[rng.integers(6)] = rng.choice([0.0, 1e-300, 5e-324])
        elif kind == 4:
            W[rng.integers(6), rng.integers(6)] = rng.choice([5e-324, 1e-310, -0.0, 1e308, -1e308])
        else:
            i = rng.integers(6)
            W[(i + 1) % 6] = W[i] * rng.choice([1.0, -1.0, 2.0, 1 + 2.0**-52])
        radius = float(2.0 ** rng.uniform(-60, -1))
        cert = build(W, radius, bool(rng.integers(2)), {})
        try:
            check_data(cert)
        except (NotProven, CertificateError):
            rejected += 1
            continue
        proven += 1
        # the claim is true: Newton from the point finds a critical point within the radius, a minimum
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            Wc, g = newton_polish(W[None], V6, 40)
            assert g[0] < 1e-12
            assert np.linalg.norm(Wc[0] - W) <= radius
            assert np.linalg.eigvalsh(L.hessian(Wc, V6)[0])[0] > 0
            assert L.loss(Wc, V6)[0] > 1e-3
    assert rejected > 250


def test_gradient_condition_is_exactly_mu_r(valid_cert):
    """Condition (2) of the box argument, |g| < mu r (certify.kernel.box_argument), at its boundary:
    radii of 0.7 |g|/mu must be rejected and 1.5 |g|/mu accepted (mu is stable at tiny radii)."""
    b = check_data(valid_cert).bounds
    g, mu = b["gradient_norm_at_point"], b["hessian_min_eigenvalue_lower_bound"]
    valid_cert["radius"] = 0.7 * g / mu
    with pytest.raises(NotProven, match="gradient norm"):
        check_data(valid_cert)
    valid_cert["radius"] = 1.5 * g / mu
    b2 = check_data(valid_cert).bounds
    assert abs(b2["hessian_min_eigenvalue_lower_bound"] - mu) < 1e-3 * mu
    assert b2["distance_to_critical_point"] <= valid_cert["radius"]


def test_bounds_at_a_perturbed_point_are_sound(spurious_class):
    """Perturb the minimum x* by ~1e-9: the certificate (radius 2^-18) is still
    proven, and its bounds hold for the true x* (the polished point)."""
    rng = np.random.default_rng(0)
    x_star = spurious_class.point
    W = x_star + 1e-9 * rng.standard_normal(x_star.shape)
    proof = check_data(build(W, 2.0**-18, False, {}))
    b = proof.bounds
    assert np.linalg.norm(W - x_star) <= b["distance_to_critical_point"] < 2.0**-18
    assert b["gradient_norm_at_point"] >= np.linalg.norm(L.gradient(W[None], V6)[0]) * (1 - 1e-6)
    lo, hi = b["loss"]
    assert lo <= spurious_class.loss <= hi
    assert hi - lo > 1e-15  # the g^2 / (2 mu) term is visible here


def test_reject_statement_that_does_not_match_the_fields(valid_cert, assert_rejected):
    """The words cannot overstate the claim: 'every d >= k' text on a d = k claim is rejected."""
    valid_cert["claim"]["input_dimensions"] = "k"  # statement still says 'for every input dimension'
    assert_rejected(valid_cert, "statement does not match")


def test_reject_unknown_fields(valid_cert, assert_rejected):
    valid_cert["claim"]["also_global_for_n_plus_one"] = True
    assert_rejected(valid_cert, "unknown field", "also_global_for_n_plus_one")


def test_reject_unknown_top_level_field(valid_cert, assert_rejected):
    valid_cert["hessian_lower_bound"] = 1.0  # a number the checker would have to take on trust
    assert_rejected(valid_cert, "unknown field", "hessian_lower_bound")


# --------------------------------------------------------------------------- the dense Hessian enclosure


def _mp_hessian(W, prec=60):
    """The Hessian of F at W (teacher I_k) from the reference closed forms, in mpmath
    (an implementation independent of the checker's block decomposition)."""
    import mpmath

    with mpmath.workprec(prec * 4):
        n, k = len(W), len(W[0])
        w = [mpmath.matrix([mpmath.mpf(float(x)) for x in row]) for row in W]
        e = [mpmath.matrix([mpmath.mpf(1) if j == q else mpmath.mpf(0) for q in range(k)]) for j in range(k)]
        I = mpmath.eye(k)

        def parts(a, b):
            na, nb = mpmath.norm(a), mpmath.norm(b)
            ah, bh = a / na, b / nb
            c = (ah.T * bh)[0]
            s = mpmath.sqrt(1 - c * c)
            th = mpmath.acos(c)
            nwv = (bh - c * ah) / s
            mwv = (ah - c * bh) / s
            return na, nb, ah, bh, c, s, th, nwv, mwv

        def dwg(a, b):
            na, nb, ah, bh, c, s, th, nwv, mwv = parts(a, b)
            return nb * s / (2 * mpmath.pi * na) * (I - ah * ah.T + nwv * nwv.T)

        def dvg(a, b):
            na, nb, ah, bh, c, s, th, nwv, mwv = parts(a, b)
            return ((mpmath.pi - th) * I + s * (ah * bh.T + nwv * mwv.T)) / (2 * mpmath.pi)

        H = np.zeros((n * k, n * k))
        for i in range(n):
            Hii = I * mpmath.mpf(0.5)
            for i2 in range(n):
                if i2 != i:
                    Hii += dwg(w[i], w[i2])
                    blk = dvg(w[i], w[i2])
                    H[i * k:(i + 1) * k, i2 * k:(i2 + 1) * k] = [[float(blk[p, q]) for q in range(k)] for p in range(k)]
            for j in range(k):
                Hii -= dwg(w[i], e[j])
            H[i * k:(i + 1) * k, i * k:(i + 1) * k] = [[float(Hii[p, q]) for q in range(k)] for p in range(k)]
        return H


def _random_point(seed, n, k):
    return np.random.default_rng(seed).standard_normal((n, k)) / np.sqrt(k) + 0.3 * np.eye(n, k)


@pytest.mark.parametrize("n,k", [(1, 3), (2, 2), (4, 3), (3, 5), (6, 6)])
def test_dense_hessian_point_enclosure_contains_the_hessian(n, k):
    W = _random_point(10 * n + k, n, k)
    enc = enclose(Interval.point(W), want=("hess",)).hess
    H = _mp_hessian(W)
    dev = np.abs(H - enc.mid)
    assert np.all(dev <= enc.rad_norm)
    assert np.linalg.norm(H - enc.mid, 2) <= enc.rad_norm
    assert enc.rad_norm < 1e-11  # rounding level, not a useless bound
    assert np.array_equal(enc.mid, enc.mid.T)


@pytest.mark.parametrize("n,k", [(4, 3), (5, 5)])
def test_dense_hessian_box_enclosure_contains_the_hessian_everywhere(n, k):
    """At corners and random points of a box of half-width 1e-6: the Hessian H(x) satisfies
    |H(x) - mid| <= R with ||R||_2 <= rad_norm, so ||H(x) - mid||_2 <= rad_norm; and the bound is
    not absurdly loose (the test fails if rad_norm were 100 times too small)."""
    r = 1e-6
    W = _random_point(7 * n + k, n, k)
    enc = enclose(Interval.around(W, r), want=("hess",)).hess
    rng = np.random.default_rng(1)
    worst = 0.0
    samples = [W + r * rng.choice([-1.0, 1.0], size=W.shape) for _ in range(3)]
    samples += [W + r * rng.uniform(-1, 1, size=W.shape) for _ in range(2)]
    for S in samples:
        D = _mp_hessian(S) - enc.mid
        worst = max(worst, np.linalg.norm(D, 2))
        assert np.all(np.abs(D) <= enc.rad_norm)
    assert worst <= enc.rad_norm
    assert worst > enc.rad_norm / 200


def test_dense_hessian_matches_the_float_landscape_at_a_stored_minimum():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "certificates/spurious_minima/relu-k10-n10-loss0.01870219.json"
    cert = json.loads(path.read_text())
    W = np.array(cert["point"])
    enc = enclose(Interval.around(W, cert["radius"]), want=("hess",)).hess
    H = L.hessian(W[None], L.identity_teacher(10))[0]
    assert np.max(np.abs(H - enc.mid)) < 1e-12
    assert np.linalg.norm(H - enc.mid, 2) <= enc.rad_norm


def _exact_gram(w, v):
    """sum_l w_l v_l v_l^T with Fractions, w (m,), v (m, k)."""
    m, k = v.shape
    out = [[Fraction(0)] * k for _ in range(k)]
    for l in range(m):
        wl = Fraction(float(w[l]))
        for p in range(k):
            vp = Fraction(float(v[l, p]))
            for q in range(k):
                out[p][q] += wl * vp * Fraction(float(v[l, q]))
    return out


@pytest.mark.parametrize("scale", [1.0, 1e-150, 1e-300, 1e30])
def test_gram_enclosure_contains_exact_rational_sums(scale):
    """The BLAS midpoint-radius lemma: for random interval data and random points inside the
    intervals (corners included), the exact rational sum lies in mid +- err."""
    from certify.kernel.teacher_student import gram_enclosure

    rng = np.random.default_rng(int(-np.log10(scale)) + 50)
    n, m, k = 3, 7, 4
    wm = rng.standard_normal((n, m)) * scale
    wr = np.abs(rng.standard_normal((n, m))) * 1e-6 * scale
    wr[0] = 0.0  # exact weights too
    vm = rng.standard_normal((n, m, k))
    vr = np.abs(rng.standard_normal((n, m, k))) * 1e-9
    vr[1] = 0.0
    mid, err = gram_enclosure(wm, wr, vm, vr)
    assert np.all(err >= 0) and np.all(np.isfinite(err))
    for trial in range(4):
        if trial == 0:
            w, v = wm, vm
        else:
            w = wm + wr * rng.choice([-1.0, 1.0], size=wm.shape)
            v = vm + vr * rng.uniform(-1, 1, size=vm.shape)
        for i in range(n):
            exact = _exact_gram(w[i], v[i])
            for p in range(k):
                for q in range(k):
                    assert abs(exact[p][q] - Fraction(float(mid[i, p, q]))) <= Fraction(float(err[i, p, q]))


def test_gram_enclosure_error_is_not_useless():
    from certify.kernel.teacher_student import gram_enclosure

    rng = np.random.default_rng(3)
    wm = rng.standard_normal((2, 50))
    vm = rng.standard_normal((2, 50, 5))
    mid, err = gram_enclosure(wm, np.zeros_like(wm), vm, np.zeros_like(vm))
    assert np.max(err) < 1e-12
    assert np.max(np.abs(mid - np.einsum("il,ilp,ilq->ipq", wm, vm, vm))) <= np.max(err)


def test_dense_hessian_refuses_huge_factors():
    """Factors above 2^50 (here 1/s for two almost parallel students) are refused: the
    rounding analysis assumes them bounded."""
    W = _random_point(5, 3, 3)
    W[1] = W[0] * (1 + 1e-17) + 1e-17
    with pytest.raises(NotProven):
        enclose(Interval.point(W), want=("hess",))


@pytest.mark.slow
def test_dense_check_above_the_old_cap():
    """k = n = 60 (old cap: n k <= 2500): a published class (Safran-Yehudai-Shamir 2021),
    polished by one float Newton step, is proven by the dense check."""
    from conftest import PUBLISHED_MINIMA as data

    cls = [c for c in json.loads(data.read_text())["classes"] if c["k"] == 60][0]
    p, vals = cls["p"], cls["vals"]
    k, m = sum(p), len(p)
    blk = np.repeat(np.arange(m), p)
    A = np.array([[vals[blk[r]][blk[c]] if blk[r] != blk[c] else (vals[blk[r]][blk[r]] if r == c else vals[blk[r]][m])
                   for c in range(k)] for r in range(k)])
    W = A.T.copy()
    V = L.identity_teacher(k)
    W = W - np.linalg.solve(L.hessian(W[None], V)[0], L.gradient(W[None], V)[0].reshape(-1)).reshape(k, k)
    proof = check_data(build(W, 2.0**-28, True, {}))
    assert proof.bounds["hessian_min_eigenvalue_lower_bound"] > 0
    assert proof.bounds["hessian_min_eigenvalue_lower_bound"] <= cls["reported_min_hessian_eigenvalue"] * (1 + 1e-6)
