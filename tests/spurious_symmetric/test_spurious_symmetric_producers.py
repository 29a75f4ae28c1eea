"""The compact (symmetric) producer side of spurious minima: float machinery against the dense
landscape, Newton polish, family continuation, symmetric certificates, `prove --from`, and the
CLI fixes (refused options, output checks before work, k = 1, 2, the plot).  UNTRUSTED code under test;
the kernel kind itself is tested in its own files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from certify.spurious_symmetric import compact as C
from conftest import PUBLISHED_MINIMA
from certify.spurious_minima import landscape as L

DATA = str(PUBLISHED_MINIMA)
K7 = {"k": 7, "p": [1, 6], "vals": [[-0.6327039049152542, 0.2616910758354652, 0.0],
                                     [0.18599104632000957, 0.9969227987935689, -0.035080155932389]]}


def _published(pred):
    from pathlib import Path

    data = json.loads(Path(DATA).read_text())
    return next(c for c in data["classes"] if pred(c))


def _random_point(p, seed):
    rng = np.random.default_rng(seed)
    m = len(p)
    v = rng.standard_normal((m, m + 1)) * 0.4
    v[np.arange(m), np.arange(m)] += 1.0
    v[np.array(p) == 1, m] = 0.0
    return v


CASES = [([1, 6], None), ([2, 3], 1), ([2, 1, 3], 2), ([3], 3), ([1, 1, 4], 4), ([4, 4], 5)]


def _point(p, seed):
    return np.array(K7["vals"]) if seed is None else _random_point(p, seed)


# --------------------------------------------------------------------------- float machinery vs dense


@pytest.mark.parametrize("p,seed", CASES)
def test_compact_loss_gradient_hessian_match_dense(p, seed):
    vals = _point(p, seed)
    k = sum(p)
    W = C.dense_matrix(p, vals)
    V = L.identity_teacher(k)
    theta = C.to_params(p, vals)
    assert C.to_vals(p, theta).shape == vals.shape
    assert abs(C.loss(p, theta) - L.loss(W[None], V)[0]) < 1e-13
    U = C.orbit_matrix(p)
    assert U.shape == (k * k, C.dimension(p))
    np.testing.assert_allclose(U.sum(axis=0), C.orbit_sizes(p))
    g_dense = L.gradient(W[None], V)[0].ravel()
    np.testing.assert_allclose(C.gradient(p, theta), U.T @ g_dense, atol=1e-12)
    # the dense gradient of a G_p-fixed point is G_p-fixed (symmetric criticality, float)
    np.testing.assert_allclose(U @ ((U.T @ g_dense) / C.orbit_sizes(p)), g_dense, atol=1e-12)
    assert abs(C.dense_gradient_norm(p, theta) - np.linalg.norm(g_dense)) < 1e-12
    H = L.hessian(W[None], V)[0]
    Hc = U.T @ H @ U
    np.testing.assert_allclose(C.hessian(p, theta), Hc, atol=1e-8 * np.abs(Hc).max())


@pytest.mark.parametrize("p,seed", CASES)
def test_block_spectra_are_the_dense_spectrum(p, seed):
    """Every eigenvalue of the k^2 x k^2 Hessian is an eigenvalue of the refined compact Hessian and
    conversely; the same for M (float)."""
    vals = _point(p, seed)
    k = sum(p)
    W = C.dense_matrix(p, vals)
    V = L.identity_teacher(k)
    dense = np.linalg.eigvalsh(L.hessian(W[None], V)[0])
    blocks = C.hessian_spectrum(p, vals)
    gap = lambda a, b: np.max(np.min(np.abs(a[:, None] - b[None, :]), axis=1))  # noqa: E731
    scale = max(1.0, np.abs(dense).max())
    assert gap(dense, blocks) < 1e-7 * scale and gap(blocks, dense) < 1e-7 * scale
    assert abs(blocks[0] - dense[0]) < 1e-7 * scale
    dm = np.linalg.eigvalsh(L.m_matrix(W[None], V)[0])
    cm = C.m_spectrum(p, vals)
    assert gap(dm, cm) < 1e-12 and gap(cm, dm) < 1e-12
    # the restricted spectrum is part of the full one
    assert gap(C.restricted_spectrum(p, vals), dense) < 1e-7 * scale


def test_refine_is_the_same_point():
    p, vals = [2, 1, 3], _random_point([2, 1, 3], 7)
    q, vq, parent = C.refine(p, vals)
    assert sum(q) == sum(p) and len(parent) == len(q)
    # the same k x k matrix up to the order of indices, which refine keeps (blocks split in place)
    np.testing.assert_array_equal(C.dense_matrix(q, vq), C.dense_matrix(p, vals))


def test_newton_polishes_published_class_to_rounding_level():
    pol = C.newton(K7["p"], K7["vals"])
    assert pol.grad_norm < 1e-14
    W = C.dense_matrix(K7["p"], pol.vals)
    assert np.linalg.norm(L.gradient(W[None], L.identity_teacher(7))[0]) < 1e-14
    assert abs(pol.loss - 0.0232027149) < 1e-9
    assert pol.vals[0, 2] == 0.0  # unused entry of a singleton block stays 0


def test_newton_three_blocks():
    c = _published(lambda c: c["k"] == 20 and len(c["p"]) == 3)
    pol = C.newton(c["p"], c["vals"])
    assert pol.grad_norm < 1e-13
    s = C.summary(c["p"], pol.vals)
    assert abs(s["hessian_min_eigenvalue"] - c["reported_min_hessian_eigenvalue"]) < 1e-6


def test_compact_cost_is_flat_in_k():
    """k = 10 000 in compact form: O(m^3) work, no k x k array."""
    import time

    t0 = time.perf_counter()
    vals = np.array([[-0.9994663, 0.00019995, 0.0], [0.000128295, 1.0000000251, -1.2834e-08]])
    pol = C.newton([1, 9999], vals)
    assert pol.grad_norm < 1e-10
    assert time.perf_counter() - t0 < 5.0


# --------------------------------------------------------------------------- families


def test_delta_s_k_minus_1_matches_reference_table():
    """Loss and lambda_min (float reference figures, docs/results/families.md) of the Delta S_{k-1} family."""
    from certify.spurious_symmetric.families import blocks, continue_family

    pts = continue_family("delta-s-k-minus-1", [5, 6, 7, 20, 100])
    table = {6: (0.025081, 0.0047004), 7: (0.023203, 0.01406), 20: (0.011276, 0.05509), 100: (0.0027417, 0.0782)}
    for k, (loss, lam) in table.items():
        s = C.summary(blocks("delta-s-k-minus-1", k), pts[k].vals)
        assert abs(s["loss"] - loss) < 1e-6 * max(1, 10 * loss / loss), (k, s)
        assert abs(s["hessian_min_eigenvalue"] - lam) < 1e-4, (k, s)
    s5 = C.summary(blocks("delta-s-k-minus-1", 5), pts[5].vals)
    assert abs(s5["loss"] - 0.026970) < 1e-6 and s5["hessian_min_eigenvalue"] < 0  # a saddle at k = 5


def test_delta_s_k_matches_stored_dense_family():
    from certify.spurious_symmetric.families import continue_family

    pts = continue_family("delta-s-k", [6, 7])
    assert abs(pts[6].loss - 0.05566858) < 1e-8 and abs(pts[7].loss - 0.06221098) < 1e-8


def test_family_rejects_unknown_and_small_k():
    from certify.spurious_symmetric.families import blocks, continue_family

    with pytest.raises(ValueError):
        blocks("delta-s-nothing", 5)
    with pytest.raises(ValueError):
        continue_family("delta-s-k", [2])


# --------------------------------------------------------------------------- symmetric certificates


needs_kind = pytest.mark.skipif(
    not __import__("certify.spurious_symmetric.symmetric", fromlist=["x"]).kernel_available(),
    reason="the trusted kind relu-spurious-minimum-symmetric is not registered")


@needs_kind
def test_certify_compact_minimum_and_write(tmp_path):
    from certify.kernel.checking import check_file
    from certify.spurious_symmetric.symmetric import certify_compact, file_name, write

    o = certify_compact(K7["p"], K7["vals"])
    assert o.nature == "minimum", o.reason
    assert o.bounds["hessian_min_eigenvalue_lower_bound"] > 0.014
    name = file_name(o.k, o.p, o.estimates["loss"])
    assert name == "relu-sym-k007-p1-6-loss0.02320271.json"
    path = write(o, tmp_path / name, overwrite=False, log=lambda s: None)
    assert path is not None and check_file(path).proven
    before = path.read_bytes()
    assert write(o, path, overwrite=False, log=lambda s: None) is None  # never over an existing file
    assert "exists" in o.reason and path.read_bytes() == before


@needs_kind
def test_certify_compact_saddle_at_k5():
    from certify.spurious_symmetric.families import continue_family
    from certify.spurious_symmetric.symmetric import certify_compact

    pts = continue_family("delta-s-k-minus-1", [5])
    o = certify_compact([1, 4], pts[5].vals)
    assert o.nature == "saddle", o.reason
    assert o.bounds["negative_curvature_upper_bound"] < 0


@needs_kind
def test_certify_compact_global_minimum_is_not_spurious():
    from certify.spurious_symmetric.symmetric import certify_compact

    # W = I: p = (3), diagonal 1, off-diagonal 0 (the global minimum; nothing to certify)
    o = certify_compact([3], [[1.0, 0.0]], polish_first=False)
    assert not o.certified and "global minimum" in o.reason


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def symmetric_cli(capsys):
    """certify.cli.main for `certify spurious-symmetric ...`."""
    import certify.cli as cli

    def run(*args):
        capsys.readouterr()
        try:
            rc = cli.main(["spurious-symmetric", *[str(a) for a in args]])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return rc, out, err

    return run


@needs_kind
def test_prove_from_compact_entry_and_record_file(symmetric_cli, tmp_path):
    from certify.kernel.checking import check_file
    from certify.paths import expand_paths

    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps(K7))
    rc, out, err = symmetric_cli("prove", "--from", entry, "--out", tmp_path / "one")
    assert rc == 0, err
    files = sorted((tmp_path / "one").glob("*.json"))
    assert [f.name for f in files] == ["relu-sym-k007-p1-6-loss0.02320271.json"]
    before = files[0].read_bytes()
    rc, out, err = symmetric_cli("prove", "--from", entry, "--out", tmp_path / "one")
    assert rc == 0 and "exists, kept" in out and "1 already there" in out  # kept, not certified again
    assert files[0].read_bytes() == before
    rec = tmp_path / "rec.json"
    c3 = _published(lambda c: c["k"] == 19 and len(c["p"]) == 3)
    rec.write_text(json.dumps({"source": "test", "classes": [K7, c3]}))
    rc, out, err = symmetric_cli("prove", "--from", rec, "--out", tmp_path / "rec")
    assert rc == 0, out + err
    assert sorted(p.parent.name for p in (tmp_path / "rec").rglob("*.json")) == ["k007", "k019"]
    files, missing = expand_paths([tmp_path / "rec"])
    verdicts = [check_file(f) for f in files]
    assert len(verdicts) == 2 and all(v.proven for v in verdicts) and not missing


@pytest.mark.parametrize("text,msg", [
    ("{\"p\": [1, 6]}", "cannot read points"),
    ("{\"p\": [1, 6], \"vals\": [[1, 2]]}", "2 x 3"),
    ("[[1, 2], [3]]", "spurious-minima prove"),
    ("\"hello\"", "cannot read points"),
    ("{\"classes\": [{\"p\": [2], \"vals\": [[1, 0]], \"k\": 3}]}", "sum(p)"),
])
def test_prove_from_bad_files_exit_2(symmetric_cli, tmp_path, text, msg):
    src = tmp_path / "bad.json"
    src.write_text(text)
    rc, out, err = symmetric_cli("prove", "--from", src, "--out", tmp_path / "o")
    assert rc == 2 and msg in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.parametrize("args,bad", [
    (["--from", "x.json", "--k", "7"], "--k"),
    (["--from", "x.json", "--family", "delta-s-k"], "one source"),
    ([], "one source"),
])
def test_sources_and_options_refused(symmetric_cli, tmp_path, args, bad):
    rc, out, err = symmetric_cli("prove", *args, "--out", tmp_path / "o")
    assert rc == 2 and bad in err and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- stored certificates (completeness)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "certificates" / "spurious_symmetric" / "published"
FAMILIES = ROOT / "certificates" / "spurious_symmetric" / "families"


def test_published_record_is_complete():
    """One certificate per published class: the (k, p) counts of the files equal those of the data file
    (a deleted or renamed certificate fails here; the contract test checks that each one is proven)."""
    from collections import Counter
    from pathlib import Path

    data = json.loads(Path(DATA).read_text())
    want = Counter((c["k"], "-".join(map(str, c["p"]))) for c in data["classes"])
    have = Counter()
    for f in PUBLISHED.rglob("*.json"):
        k = int(f.parent.name[1:])
        tag = f.name.split("-p", 1)[1].split("-loss", 1)[0]
        assert f.name.startswith(f"relu-sym-k{k:03d}-p") and not f.name.endswith("-saddle.json"), f
        have[(k, tag)] += 1
    assert have == want


@pytest.mark.parametrize("family,tag", [("delta-s-k-minus-1", lambda k: f"1-{k - 1}"), ("delta-s-k", str)])
def test_family_certificates_and_threshold(family, tag):
    """Every k = 6..100 and the six large k are stored as minima; k = 5 as a proven saddle, k = 6 as a
    proven minimum (the smallest k where the family is a minimum)."""
    from certify.kernel.checking import check_file
    from certify.spurious_symmetric.families import DEFAULT_KS

    folder = FAMILIES / family
    names = {f.name for f in folder.glob("*.json")}
    for k in DEFAULT_KS:
        assert any(n.startswith(f"relu-sym-k{k:05d}-p{tag(k)}-loss") and not n.endswith("-saddle.json")
                   for n in names), (family, k)
    (saddle,) = folder.glob(f"relu-sym-k00005-p{tag(5)}-loss*-saddle.json")
    (minimum,) = [f for f in folder.glob(f"relu-sym-k00006-p{tag(6)}-loss*.json")]
    vs, vm = check_file(saddle), check_file(minimum)
    assert vs.proven and "saddle" in vs.message, vs.message
    assert vm.proven and "minimum" in vm.message and "every d >= k" in vm.message, vm.message


# --------------------------------------------------------------------------- reporting


def test_compare_search_fisher_tests():
    pytest.importorskip("scipy")
    from certify.spurious_symmetric.record import compare_search

    same = compare_search([{"k": 7, "runs": 500, "global": 473}], {"7": 473})
    assert same["rows"][0]["p_value"] == pytest.approx(1.0)
    far = compare_search([{"k": 7, "runs": 500, "global": 300}, {"k": 8, "runs": 500, "global_runs": 443}],
                         {"7": 473, "8": 443})
    assert far["rows"][0]["p_value"] < 1e-10 and far["rows"][1]["p_value"] == pytest.approx(1.0)
    assert far["pooled_p_value"] < 1e-8
    none = compare_search([{"k": 40, "runs": 500, "global": 0}], {})  # k missing: no published global run
    assert none["rows"][0]["published"] == 0 and none["rows"][0]["p_value"] == pytest.approx(1.0)


def test_per_k_table_and_page_list_failures_and_saddles():
    from certify.spurious_symmetric.record import exceptional_rows, per_k_table, record_page

    def row(k, nature, path, lam=None, loss=(0.1, 0.1), reason=None):
        b = {"loss": list(loss)}
        if lam is not None:
            b["hessian_min_eigenvalue_lower_bound"] = lam
        if nature == "saddle":
            b["negative_curvature_upper_bound"] = -0.01
        return {"index": k, "k": k, "p": [1, k - 1], "nature": nature, "path": path, "bounds": b, "reason": reason,
                "reported_min_hessian_eigenvalue": 0.001, "loss_estimate": loss[0]}

    rows = [row(7, "minimum", "a", 0.02, (0.2, 0.3)), row(7, "minimum", "b", 0.01, (0.1, 0.15)),
            row(8, "saddle", "c"), row(8, None, None, reason="no radius worked")]
    table = per_k_table(rows)
    assert table[0] == {"k": 7, "published": 2, "certified_minima": 2, "certified_saddles": 0, "not_certified": 0,
                        "min_lambda": 0.01, "loss_lo": 0.1, "loss_hi": 0.3}
    assert table[1]["certified_saddles"] == 1 and table[1]["not_certified"] == 1 and table[1]["min_lambda"] is None
    page = record_page(table, exceptional_rows(rows), None, {})
    assert "4 classes published; 2 certified spurious strict local minima; 1 certified saddles; 1 not certified" in page
    assert "no radius worked" in page and "Classes proven to be saddles" in page


def test_prove_family_small_k_refused(symmetric_cli, tmp_path):
    rc, out, err = symmetric_cli("prove", "--family", "delta-s-k-minus-1", "--k", "2-6", "--out", tmp_path / "o")
    assert rc == 2 and "at least 3" in err and not (tmp_path / "o").exists()


@needs_kind
def test_prove_family_writes_saddle_and_minimum(symmetric_cli, tmp_path):
    from certify.kernel.checking import check_file

    rc, out, err = symmetric_cli("prove", "--family", "delta-s-k", "--k", "5,6,1000", "--out", tmp_path)
    assert rc == 0, out + err
    names = sorted(f.name for f in tmp_path.glob("*.json"))
    assert names == ["relu-sym-k00005-p5-loss0.04770838-saddle.json", "relu-sym-k00006-p6-loss0.05566858.json",
                     "relu-sym-k01000-p1000-loss0.16853332.json"]
    assert all(check_file(tmp_path / n).proven for n in names)
