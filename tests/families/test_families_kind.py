"""Claim kind relu-spurious-minimum-family (docs/families.md): valid certificates pass; tampered or wrong ones
are rejected cleanly (NOT PROVEN with a reason, never a checker error)."""
from __future__ import annotations

import copy
import json
import math
import time

import pytest
from helpers import assert_proven, assert_rejected, decide, restate

import families_data as D
from certify.kernel.checking import check_data
from certify.kernel.families.kind import KIND, MAX_PIECES
from certify.publishing import dumps


# ----------------------------------------------------------------------------- acceptance


def test_finite_range_is_proven():
    v = assert_proven(D.finite())
    b = v.bounds
    assert b["k_range"] == [12, 400] and b["pieces"] >= 5
    lo, hi = b["scaled_loss"]  # F_k of Delta S_k for k in [12, 400]: 0.087 ... 0.16
    assert 0.08 < lo < hi < 0.17
    assert b["hessian_min_eigenvalue_lower_bound"] > 0 and b["m_min_eigenvalue_lower_bound"] > 0
    assert "every integer 12 <= k <= 400" in v.message


def test_infinite_range_and_limits_are_proven():
    v = assert_proven(D.tail())
    b = v.bounds
    lo, hi = b["limit_loss"]
    assert lo <= 0.5 - 2 / math.pi**2 <= hi and hi - lo < 1e-9  # k F -> 1/2 - 2/pi^2
    lo, hi = b["limit_hessian_min_eigenvalue"]
    assert lo <= 0.25 - 1 / (2 * math.pi) <= hi and hi - lo < 1e-9  # lambda_min(H) -> 1/4 - 1/(2 pi)
    assert b["k_range"] == [10_000, None]


def test_statement_names_the_claim():
    cert = D.tail()
    words = cert["claim"]["statement"]
    assert "For every integer k >= 10000" in words and "every input dimension d >= k" in words
    assert "converges to a limit in" in words and "k F_k(W*_k)" in words


# ----------------------------------------------------------------------------- the cover (exact checks)


def test_unsorted_breakpoints_rejected():
    cert = D.finite()
    bp = cert["cover"]["breakpoints"]
    bp[1], bp[2] = bp[2], bp[1]
    assert_rejected(cert, "strictly increasing")


def test_empty_piece_rejected():
    cert = D.finite()
    bp = cert["cover"]["breakpoints"]
    bp[2] = bp[1]
    assert_rejected(cert, "strictly increasing")


def test_cover_stopping_short_of_k_min_rejected():
    cert = D.finite()
    cert["claim"]["k_min"] = 11  # the cover was built for k >= 12
    assert_rejected(cert, "stop short of k_min")


def test_cover_not_reaching_k_max_rejected():
    cert = D.finite()
    cert["claim"]["k_max"] = 401
    assert_rejected(cert, "does not reach k_max")


def test_infinite_range_must_start_at_s_zero():
    cert = D.tail()
    cert["cover"]["breakpoints"][0] = 1e-9  # a gap (0, 1e-9): k above 10^18 not covered
    assert_rejected(cert, "start at s = 0")


def test_gap_between_pieces_rejected():
    """Dropping a piece leaves a gap that the breakpoint list cannot express: the neighbouring piece would have to
    cover it, and its data (built for a narrower piece) does not prove it."""
    cert = D.finite()
    cov = cert["cover"]
    i = 3
    del cov["breakpoints"][i + 1]
    for key in ("centers", "slopes", "radii", "natures"):
        del cov[key][i + 1]
    assert_rejected(cert, "piece")


def test_too_many_pieces_refused_quickly():
    cert = D.finite()
    cov = cert["cover"]
    n = MAX_PIECES + 1
    cov["breakpoints"] = [i / (2 * n) for i in range(n + 1)]
    t = time.perf_counter()
    assert_rejected(cert, "number of pieces", "exceeds")
    assert time.perf_counter() - t < 1.0


def test_too_much_work_refused_quickly():
    """pieces x parameters of the refinement is limited too: 163 pieces of p = (3, k - 3) (37 parameters)."""
    cert = D.finite()
    cert["claim"]["blocks"] = ["3", "k-3"]
    cert["cover"]["breakpoints"] = [i / 1000 for i in range(164)]
    t = time.perf_counter()
    assert_rejected(cert, "pieces x parameters", "exceeds")
    assert time.perf_counter() - t < 1.0


def test_natures_out_of_order_rejected():
    cert = D.finite()
    cert["cover"]["natures"][0] = "saddle"
    assert_rejected(cert, "natures")


def test_follow_pieces_need_a_claimed_transition():
    cert = D.finite()
    cert["cover"]["natures"][-1] = "follow"
    assert_rejected(cert, "transition")


def test_singular_combination_rejected():
    cert = D.finite()
    cert["equations"]["combination"] = [[1, 1], [1, 1]]
    assert_rejected(cert, "invertible")


def test_reference_off_the_teacher_rejected():
    cert = D.finite()
    cert["unknowns"]["reference"] = [-1, 1]
    assert_rejected(cert, "reference")


def test_blocks_must_grow_with_k():
    cert = D.finite()
    cert["claim"]["blocks"] = ["3"]
    assert_rejected(cert, "grow with k")


@pytest.mark.parametrize("field,value", [("loss_scale", "k2"), ("teacher", "random"), ("input_dimensions", "k"),
                                         ("k_max", "forever"), ("k_min", 1)])
def test_bad_claim_fields_rejected(field, value):
    cert = D.finite()
    cert["claim"][field] = value
    assert_rejected(cert)


def test_nan_in_the_evidence_rejected():
    cert = D.finite()
    text = dumps(cert).replace(repr(cert["cover"]["centers"][0][0]), "NaN", 1)
    assert_rejected(text, restated=False)


def test_limits_required_exactly_for_an_infinite_range():
    cert = D.finite()
    cert["claim"]["limits"] = {"loss": [0, 1], "hessian_min_eigenvalue": [0, 1], "m_min_eigenvalue": [0, 1]}
    assert_rejected(cert, "limits must be null")
    cert = D.tail()
    cert["claim"]["limits"] = None
    assert_rejected(cert, "limits must be an object")


# ----------------------------------------------------------------------------- the proofs (arithmetic)


def test_moved_point_rejected():
    cert = D.finite()
    c = cert["cover"]["centers"][2]
    c[0] += 50 * max(cert["cover"]["radii"][2])
    assert_rejected(cert, "krawczyk")


def test_radius_too_small_rejected():
    cert = D.finite()
    cert["cover"]["radii"][1] = [r * 1e-6 for r in cert["cover"]["radii"][1]]
    assert_rejected(cert, "piece 1")


def test_radius_too_large_rejected():
    cert = D.finite()
    cert["cover"]["radii"][1] = [0.5 for _ in cert["cover"]["radii"][1]]
    assert_rejected(cert)


def test_slope_tampered_rejected():
    cert = D.finite()
    cert["cover"]["slopes"][4] = [x + 50.0 for x in cert["cover"]["slopes"][4]]
    assert_rejected(cert)


def test_wrong_limit_enclosures_rejected():
    for name, value in (("loss", [0.29, 0.2973]), ("hessian_min_eigenvalue", [0.0909, 0.1]),
                        ("m_min_eigenvalue", [0.1, 0.2])):
        cert = D.tail()
        cert["claim"]["limits"][name] = value
        assert_rejected(cert, "limit")


def test_limit_box_away_from_the_limit_rejected():
    cert = D.tail()
    cert["limit"]["center"][0] += 1e-3
    assert_rejected(cert, "s = 0")


# ----------------------------------------------------------------------------- transition (stored certificate)


def _near_transition(cert: dict, keep: int) -> dict:
    """The last ``keep`` pieces of a stored transition certificate (minimum, follow, saddle pieces around k*),
    as a finite-range certificate whose pieces are all labelled 'minimum', claimed for 5 <= k <= k_max."""
    cov = cert["cover"]
    bp = cov["breakpoints"][-(keep + 1):]
    cert["cover"] = {"breakpoints": bp, **{key: cov[key][-keep:] for key in ("centers", "slopes", "radii")},
                     "natures": ["minimum"] * keep}
    cert["claim"].update({"k_min": 5, "k_max": int(1 / bp[0] ** 2), "transition": None, "limits": None})
    cert["limit"] = None
    return cert


def test_minimum_claimed_on_the_saddle_side_rejected():
    """Delta S_k turns from saddle to minimum at k* = 5.7638...: a cover whose 'minimum' pieces reach below k*
    (the follow and saddle pieces relabelled) is not proven positive definite there."""
    cert = _near_transition(D.stored("delta-s-k"), 40)
    assert_rejected(cert, "not proven positive definite")


def test_k_star_claimed_sharper_than_proven_rejected():
    cert = D.stored("delta-s-k")
    lo, hi = cert["claim"]["transition"]["k_star"]
    cert["claim"]["transition"]["k_star"] = [lo, lo + (hi - lo) / 4]
    assert_rejected(cert, "do not reach k_star")


def test_transition_above_k_min_rejected():
    cert = D.stored("delta-s-k")
    cert["claim"]["transition"]["k_star"] = [5.5, 6.5]
    assert_rejected(cert, "k_star[1] <= k_min")



# ----------------------------------------------------------------------------- every stored certificate

# Each stored certificate is checked whole by tests/core/test_contract.py (every file under certificates/ PROVEN);
# here each one also gets two cheap tamperings of its own: its limit point moved (the Krawczyk test at s = 0 fails,
# a third of a second, before any piece) and its transition claimed sharper than its pieces reach (refused before
# any arithmetic).
STORED = sorted(p.name[: -len("-every-k.json")] for folder in (D.STORE, D.EXTENDED) for p in folder.glob("*-every-k.json"))
EXTENDED = sorted(D.EXTENDED.glob("*-every-k.json"))


def test_the_stores_hold_what_the_docs_say():
    # the quick store keeps the whole-store check near 20 s; the rest of p = (a, k - a) lives in the extended store
    assert {p.name for p in D.STORE.glob("*.json")} >= {"delta-s-k-every-k.json", "four-k-minus-4-every-k.json"}
    assert len(EXTENDED) == 8


def test_extended_manifest_lists_exactly_the_extended_files():
    # hashes only (cheap): a changed, added or deleted file of the extended store fails the default suite;
    # the checks themselves run in the slow suite below (and `certify check --manifest` on that manifest)
    from certify.manifest import load_manifest, plan, sha256_file

    manifest = load_manifest(D.EXTENDED.parent / "MANIFEST.json")
    files, missing = plan(manifest)
    assert not missing
    assert {f.resolve() for f in files} == {(manifest.root / rel).resolve() for rel in manifest.entries}
    for rel, entry in manifest.entries.items():
        assert sha256_file(manifest.root / rel) == entry.sha256, rel
        assert entry.verdict == "PROVEN"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXTENDED, ids=lambda p: p.name)
def test_extended_certificate_proven(path):
    # tests/core/test_contract.py and the plugin check every file under certificates/; the extended store
    # (certificates-extended/, about 6 s of checking per file) is checked here, in the slow suite
    assert_proven(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", STORED)
def test_stored_moved_limit_point_rejected(name):
    cert = D.stored(name)
    cert["limit"]["center"][0] += 1e-3
    assert_rejected(cert, "s = 0")


@pytest.mark.parametrize("name", STORED)
def test_stored_k_star_claimed_sharper_than_proven_rejected(name):
    cert = D.stored(name)
    lo, hi = cert["claim"]["transition"]["k_star"]
    cert["claim"]["transition"]["k_star"] = [lo, lo + (hi - lo) / 4]
    assert_rejected(cert, "do not reach k_star")
