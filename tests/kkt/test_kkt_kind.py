"""The kkt-max-margin kind on the claim-kind contract: statement built from the fields, format version 2,
unknown fields at every level, resource limits refused fast and cleanly, one class per architecture."""
from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from helpers import load as load_certificate_json
from helpers import restate

from certify.kernel.certificate import CertificateError
from certify.kernel.checking import check_data, check_file
from certify.kernel.kkt import kind as kkt
from certify.kernel.kkt.kind import CLAIMS, KIND, LIMITS, PROPERTIES
from certify.kernel.kkt.networks import NETWORKS

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certificates" / "kkt"
STORED = sorted(p.name for p in CERTS.glob("*.json"))


def load(name):
    return load_certificate_json(f"kkt/{name}")


def clean_rejection(tmp_path, cert, *fragments, seconds=None):
    """Rejected by `certify check` with the fragments in the message, never a checker error, within `seconds`."""
    p = tmp_path / "c.json"
    p.write_text(json.dumps(cert))
    t = time.perf_counter()
    v = check_file(p)
    dt = time.perf_counter() - t
    assert not v.proven and "checker error" not in v.message, v.message
    for f in fragments:
        assert f in v.message, v.message
    if seconds is not None:
        assert dt < seconds, (dt, v.message)
    return v.message


# ---------------------------------------------------------------- the statement says exactly what is proven


@pytest.mark.parametrize("name", STORED)
def test_stored_statement_names_exactly_the_proven_properties(name):
    cert = load(name)
    words = cert["claim"]["statement"]
    assert words == KIND.statement(KIND.parse(cert))
    for p in CLAIMS:
        assert (PROPERTIES[p] in words) == (p in cert["claim"]["proves"]), (p, words)
    assert cert["version"] == KIND.version == 2


def test_statement_claiming_global_optimum_with_only_the_kkt_property_is_rejected(tmp_path):
    """The hole of issue 7: a certificate proving only `kkt_point` (its own evidence even shows a smaller
    feasible norm) whose statement says theta* is the global optimum."""
    cert = load("relu_wide_angle.json")
    cert["claim"]["proves"] = ["kkt_point"]
    cert["evidence"] = {"kkt_point": cert["evidence"]["kkt_point"]}
    honest = restate(copy.deepcopy(cert))
    assert check_data(honest)  # the KKT property itself is proven
    for lie in ("theta* is the global optimum.",
                honest["claim"]["statement"][:-1] + " and is a global minimizer of (P).",
                honest["claim"]["statement"].replace("is a KKT point", "is a global minimizer")):
        cert["claim"]["statement"] = lie
        clean_rejection(tmp_path, cert, "statement does not match")
    # nor may the statement leave out what the fields say is proven, or say it in other words
    full = load("relu_wide_angle.json")
    full["claim"]["statement"] = honest["claim"]["statement"]
    clean_rejection(tmp_path, full, "statement does not match")


def test_statement_follows_the_fields():
    c = KIND.parse(load("diagonal_depth2.json"))
    words = KIND.statement(c)
    assert "3 examples" in words and "diagonal linear network" in words and "depth L = 2" in words
    assert words.endswith("is a KKT point of (P) (Clarke stationarity with multipliers lambda_i >= 0 and "
                          "complementary slackness), is not a local minimizer of (P) and is not a global "
                          "minimizer of (P).")


# ---------------------------------------------------------------- format version 2; old files


def test_version_1_files_are_rejected_with_a_migration_hint(tmp_path):
    cert = load("diagonal_depth2.json")
    cert["version"] = 1
    msg = clean_rejection(tmp_path, cert, "version 1")
    assert "version 2" in msg
    assert "certify kkt migrate" in KIND.version_help[1]


def test_migrate_rebuilds_a_version_1_file_with_the_same_proof(tmp_path, capsys):
    from certify.cli import main

    v2 = load("relu_clusters_adjusted.json")
    v1 = copy.deepcopy(v2)
    v1["version"] = 1
    v1["claim"]["statement"] = "For the max-margin problem ... satisfies every sub-claim listed in 'proves'."
    del v1["provenance"]["migrated_from"]
    src = tmp_path / "old" / "c.json"
    src.parent.mkdir()
    src.write_text(json.dumps(v1))
    assert main(["kkt", "migrate", str(src), "--out", str(tmp_path / "new")]) == 0
    new = json.loads((tmp_path / "new" / "c.json").read_text())
    assert new["version"] == 2 and new["claim"] == v2["claim"] and new["evidence"] == v2["evidence"]
    assert new["provenance"]["migrated_from"]["statement"] == v1["claim"]["statement"]
    assert check_file(tmp_path / "new" / "c.json").bounds == check_data(v2).bounds
    # never over an existing file without --overwrite; a version-2 file is not "migrated"
    assert main(["kkt", "migrate", str(src), "--out", str(tmp_path / "new")]) == 2
    assert main(["kkt", "migrate", str(tmp_path / "new" / "c.json"), "--out", str(tmp_path / "x")]) == 2
    assert "only version 1 files are migrated" in capsys.readouterr().err
    assert not (tmp_path / "x" / "c.json").exists()


def test_migrate_refuses_a_version_1_file_that_proves_nothing(tmp_path, capsys):
    from certify.cli import main

    v1 = load("diagonal_depth2.json")
    v1["version"] = 1
    v1["evidence"]["kkt_point"]["multipliers"][0] = "7"
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(v1))
    assert main(["kkt", "migrate", str(src), "--out", str(tmp_path / "new")]) == 2
    assert "NOT PROVEN" in capsys.readouterr().err and not (tmp_path / "new" / "bad.json").exists()


# ---------------------------------------------------------------- unknown fields at every level


@pytest.mark.parametrize("name, path", [
    ("diagonal_depth2.json", ()),
    ("diagonal_depth2.json", ("claim",)),
    ("diagonal_depth2.json", ("claim", "architecture")),
    ("diagonal_depth2.json", ("claim", "data")),
    ("diagonal_depth2.json", ("claim", "point")),
    ("diagonal_depth2.json", ("evidence",)),
    ("diagonal_depth2.json", ("evidence", "kkt_point")),
    ("diagonal_depth2.json", ("evidence", "not_local_optimum")),
    ("diagonal_depth2.json", ("evidence", "not_local_optimum", "curve")),
    ("diagonal_depth2.json", ("evidence", "not_global_optimum")),
    ("diagonal_depth2.json", ("evidence", "not_global_optimum", "point")),
    ("relu_wide_angle.json", ("evidence", "kkt_point", "clarke_choices", 0)),
    ("linear_depth3.json", ("claim", "architecture")),
    ("linear_depth3.json", ("claim", "point")),
    ("linear_depth3.json", ("evidence", "global_optimum")),
])
def test_unknown_fields_rejected_at_every_level(tmp_path, name, path):
    cert = load(name)
    obj = cert
    for key in path:
        obj = obj[key]
    obj["surplus"] = 1
    clean_rejection(tmp_path, cert, "surplus")


# ---------------------------------------------------------------- resource limits: refused before arithmetic


def diag(d=2, depth=2, n=3):
    return {"format": "certify-certificate", "version": 2, "kind": "kkt-max-margin",
            "claim": {"statement": "s", "architecture": {"type": "diagonal_linear", "input_dim": d, "depth": depth},
                      "data": {"x": [["1"] * d] * n, "y": [1] * n},
                      "point": {"u": [["1"] * d] * depth}, "proves": ["kkt_point"]},
            "evidence": {"kkt_point": {"multipliers": ["0"] * n}}}


def relu(d, m, n):
    """Sizes only (the lists are not filled in: the limits are checked before they are read)."""
    return {"format": "certify-certificate", "version": 2, "kind": "kkt-max-margin",
            "claim": {"statement": "s", "architecture": {"type": "two_layer_relu", "input_dim": d, "width": m},
                      "data": {"x": [["1"] * min(d, 3)] * n, "y": [1] * n},
                      "point": {"w": [], "v": []}, "proves": ["kkt_point"]},
            "evidence": {"kkt_point": {"multipliers": ["0"] * n}}}


def with_curve(cert, degree, coefficient="1"):
    cert["claim"]["proves"] = ["not_local_optimum"]
    u = cert["claim"]["point"]["u"]
    cert["evidence"] = {"not_local_optimum": {"curve": {"u": [[["1"] + [coefficient] * degree for _ in row]
                                                              for row in u]}, "t0": "1/2"}}
    return cert


def test_every_limit_is_listed_and_positive():
    assert set(LIMITS) >= {"input dimension", "width of any layer", "depth", "parameters", "examples",
                           "examples x parameters", "characters per rational", "characters of all rationals",
                           "curve degree", "curve polynomial degree (homogeneity x curve degree)"}
    assert all(type(v) is int and v > 0 for v in LIMITS.values())


@pytest.mark.parametrize("make, fragment", [
    (lambda: diag(d=kkt.MAX_INPUT_DIM + 1), "must be <="),  # input dimension
    (lambda: diag(depth=kkt.MAX_DEPTH + 1), "must be <="),  # depth (the depth-1000 curves)
    (lambda: diag(depth=1000), "must be <="),
    (lambda: relu(2, kkt.MAX_WIDTH + 1, 1), "must be <="),  # width
    (lambda: relu(1000, 1000, 1), "parameters"),  # 10^6 parameters
    (lambda: relu(10**4, 10**4, 1), "must be <="),  # the 10^4 x 10^4 instance
    (lambda: diag(d=1, n=kkt.MAX_EXAMPLES + 1), "examples"),
    (lambda: relu(100, 19, 200), "examples x parameters"),
    (lambda: with_curve(diag(), kkt.MAX_CURVE_DEGREE + 1), "1 to 17"),
    (lambda: with_curve(diag(depth=kkt.MAX_DEPTH), 5), "curve polynomial degree"),
    (lambda: with_curve(diag(d=1, n=1), 16, "1/" + "7" * 1000), "characters"),  # digits per rational
    (lambda: with_curve(diag(d=50, depth=2, n=1), 16, "1/" + "7" * 97), "long rationals"),
])
def test_resource_limits_refused_fast_and_cleanly(tmp_path, make, fragment):
    msg = clean_rejection(tmp_path, make(), fragment, seconds=1.0)
    assert "limit" in msg or "must be <=" in msg


def test_digits_and_total_size_limits(tmp_path):
    cert = diag(d=1, n=1)
    cert["claim"]["point"]["u"][0][0] = "1/" + "3" * (kkt.MAX_DIGITS - 1)  # just over the per-rational limit
    clean_rejection(tmp_path, cert, "exceeds this checker's limit", seconds=1.0)
    cert = diag(d=1, n=1)
    cert["claim"]["point"]["u"][0][0] = "1/" + "3" * 8000  # the 8000-digit numbers
    clean_rejection(tmp_path, cert, "exceeds this checker's limit", seconds=1.0)
    cert = diag(d=60, n=1)
    cert["claim"]["point"]["u"] = [["1/" + "3" * 900] * 60] * 2  # 108,000 characters of long rationals
    clean_rejection(tmp_path, cert, "long rationals", "characters in total", seconds=1.0)
    cert = diag(d=1000, n=100)  # 200,000 examples x parameters (at that limit) ...
    cert["claim"]["data"]["x"] = [["1/33"] * 1000] * 100  # ... with 400,000 characters of short rationals
    clean_rejection(tmp_path, cert, "400000 characters in total", seconds=1.0)
    cert = diag(d=200, n=40)
    cert["evidence"]["kkt_point"]["multipliers"] = ["1/" + "7" * 990] * 40  # 400 params x (39,680 + 5000)^2
    clean_rejection(tmp_path, cert, "parameters (400) x (characters of long rationals (39680)", seconds=1.0)
    cert["evidence"]["kkt_point"]["multipliers"] = ["1/7777"] * 40  # short rationals: within the limits
    restate(cert)
    assert "complementary slackness" in clean_rejection(tmp_path, cert, seconds=5.0)  # the check is reached


def test_sturm_work_limit_refuses_before_the_sturm_sequence(tmp_path):
    # margin polynomial of degree 64 with ~5000-bit coefficients: over the Sturm budget
    cert = with_curve(diag(d=1, depth=4, n=1), 16, "1/" + "7" * 400)
    restate(cert)
    clean_rejection(tmp_path, cert, "Sturm work limit", seconds=5.0)


def test_limits_accept_the_stored_certificates_with_room():
    for name in STORED:
        c = KIND.parse(load(name))
        assert c.network.n_params * 10 <= kkt.MAX_PARAMETERS and c.n * 10 <= kkt.MAX_EXAMPLES


# ---------------------------------------------------------------- one class per architecture


def test_one_class_per_architecture_in_both_registries():
    from certify.kkt.architectures import SEARCH_NETWORKS

    assert set(NETWORKS) == set(SEARCH_NETWORKS) == {"two_layer_relu", "diagonal_linear", "fully_connected_linear"}
    for name, cls in SEARCH_NETWORKS.items():
        assert cls.exact_class is NETWORKS[name] and cls.name == NETWORKS[name].name == name


def test_no_string_branches_on_architecture_names_outside_the_registries():
    import ast

    names = set(NETWORKS)
    files = list((ROOT / "certify" / "kkt").glob("*.py")) + list((ROOT / "certify" / "kernel" / "kkt").glob("*.py"))
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
                assert not (set(consts) & names), f"{f.name}:{node.lineno} compares with an architecture name"


def test_search_errors_are_exceptions_not_strings():
    import ast

    for f in (ROOT / "certify" / "kkt").glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
                text = ast.unparse(node.returns)
                assert "str |" not in text and "| str" not in text, f"{f.name}: {node.name} -> {text}"
