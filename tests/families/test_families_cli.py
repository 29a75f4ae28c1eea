"""`certify families prove|search|report`: outputs only where asked, refusals, and a small certificate written
and re-checked through the pipeline."""
from __future__ import annotations

import json

import families_data as D


def test_prove_requires_out(run_cli):
    rc, out, err = run_cli("families", "prove", "--family", "delta-s-k")
    assert rc == 2 and "--out" in err


def test_prove_refuses_saddle_from_without_transition(run_cli, tmp_path):
    rc, out, err = run_cli("families", "prove", "--family", "delta-s-k", "--no-transition", "--saddle-from", "5",
                           "--out", tmp_path / "x.json")
    assert rc == 2 and "refused" in err
    assert not (tmp_path / "x.json").exists()


def test_search_prints_and_writes_nothing(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli("families", "search", "--family", "delta-s-k", "--k", "1e6,1e4", "--k-from", "5000")
    assert rc == 0 and "lam_min(H)" in out and "0.17747" in out  # F at k = 10 000
    assert list(tmp_path.iterdir()) == []


def test_prove_writes_a_checked_certificate_and_keeps_it_on_a_rerun(run_cli, tmp_path):
    out = tmp_path / "tail.json"
    rc, o, e = run_cli("families", "prove", "--family", "delta-s-k", "--k-min", "40000", "--no-transition",
                       "--out", out)
    assert rc == 0, e
    assert "wrote" in o and out.is_file()
    cert = json.loads(out.read_text())
    assert cert["kind"] == "relu-spurious-minimum-family" and cert["claim"]["k_min"] == 40000
    rc, o, e = run_cli("check", out)
    assert rc == 0 and "PROVEN" in o
    before = out.read_bytes()
    rc, o, e = run_cli("families", "prove", "--family", "delta-s-k", "--k-min", "40000", "--no-transition",
                       "--out", out)
    assert rc == 0 and "exists, kept" in o and out.read_bytes() == before  # a rerun keeps it, computing nothing


def test_report_checks_family_certificates(run_cli, tmp_path):
    from certify.publishing import write_json_atomic

    path = tmp_path / "finite.json"
    write_json_atomic(path, D.finite())
    rc, o, e = run_cli("families", "report", path, "--json", tmp_path / "rows.json")
    assert rc == 0 and o.startswith("PROVEN") and "12 <= k <= 400" in o
    rows = json.loads((tmp_path / "rows.json").read_text())["rows"]
    assert rows[0]["proven"] and rows[0]["bounds"]["k_range"] == [12, 400]


def test_plot_writes_the_png_it_is_asked_for(run_cli, tmp_path):
    from certify.publishing import write_json_atomic

    path = tmp_path / "finite.json"
    write_json_atomic(path, D.finite())
    rc, o, e = run_cli("families", "plot", path, "--out", tmp_path / "f.png")
    assert rc == 0 and (tmp_path / "f.png").stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "finite.json"]


import pytest  # noqa: E402


@pytest.mark.slow
def test_producer_reproduces_the_stored_delta_s_k_certificate():
    """End to end: the producer builds the Delta S_k certificate (every k >= 6, limits, transition) from
    scratch, the kernel proves it, and its claims agree with the stored certificate's."""
    from certify.families.prove import KIND, produce
    from certify.publishing import build_certificate
    from helpers import assert_proven

    claim, evidence, extras = produce("delta-s-k", log=lambda *a: None)
    cert = build_certificate(KIND, claim, evidence, {"test": True})
    v = assert_proven(cert)
    stored = D.stored("delta-s-k")["claim"]
    lo, hi = cert["claim"]["transition"]["k_star"]
    slo, shi = stored["transition"]["k_star"]
    assert max(lo, slo) <= min(hi, shi)  # the two transition enclosures overlap
    for name in ("loss", "hessian_min_eigenvalue"):
        a, b = cert["claim"]["limits"][name]
        c, d = stored["limits"][name]
        assert max(a, c) <= min(b, d)
    assert v.bounds["k_range"] == [6, None]
