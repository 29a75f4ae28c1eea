"""The random-teacher experiment (untrusted producer): seeded and reproducible, certificates only under --out and
only proven ones, statistics consistent with the certificates, Wilson intervals, read-only report and plot."""
from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
from helpers import assert_proven, assert_rejected

from certify.spurious_minima.random_teachers import experiment as ex

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def cli(capsys, *argv):
    from certify.spurious_minima.cli import register

    parser = argparse.ArgumentParser(prog="certify spurious-minima")
    register(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(["random-teachers", *[str(a) for a in argv]])
    capsys.readouterr()
    rc = args.func(args)
    out, err = capsys.readouterr()
    return rc, out


@pytest.fixture(scope="module")
def cell():
    return ex.run_cell(ex.CellConfig(k=6, d=12, teachers=2, runs=6, seed=1), certify=True, log=lambda *a: None)


def test_cell_statistics_are_consistent(cell):
    lab = cell["labels"]
    assert sum(lab.values()) == cell["runs"] == 12
    assert cell["runs_certified"] <= lab["spurious"]
    assert cell["classes_certified"] <= cell["classes"]
    assert cell["teachers_certified"] <= cell["teachers_with_spurious"] <= cell["teachers"]
    assert sum(t["runs_certified"] for t in cell["per_teacher"]) == cell["runs_certified"]
    assert cell["min_singular_value"] > 0


def test_cells_are_reproducible(cell):
    again = ex.run_cell(ex.CellConfig(k=6, d=12, teachers=2, runs=6, seed=1), certify=False, log=lambda *a: None)
    assert again["labels"] == cell["labels"] and again["classes"] == cell["classes"]


def test_a_certified_class_gives_a_proven_given_teacher_certificate():
    """Search one k = 6, d = 18 teacher until a spurious class appears; its certificate is proven by the kernel
    and tampering with the teacher is rejected."""
    cfg = ex.CellConfig(k=6, d=18, teachers=1, runs=12, seed=3)
    for t in range(6):
        rng = ex.teacher_rng(cfg, t)
        V = ex.sample_teacher(cfg, rng)
        W0 = rng.standard_normal((cfg.runs, 6, 18)) / math.sqrt(18)
        from certify.spurious_minima.search import gradient_descent

        W, _, _ = gradient_descent(W0, V, cfg.lr, cfg.steps, cfg.gd_tol)
        labels, X, loss, lam, lam_m, T = ex.classify_runs(W, V, cfg)
        classes = ex.group_classes(labels, X, loss)
        if classes:
            b = classes[0][0]
            cert, proof = ex.certify_point(V, T, X[b], float(lam[b]), None)
            assert cert is not None, proof
            v = assert_proven(cert)
            assert "teacher 6x18" in v.message
            bad = json.loads(json.dumps(cert))
            bad["claim"]["teacher"][0][0] += 0.05
            assert_rejected(bad)
            return
    pytest.skip("no spurious minimum in the sampled runs")  # pragma: no cover


def test_identity_teacher_rows_and_reduction():
    cfg = ex.CellConfig(k=4, d=8, identity=True)
    V = ex.sample_teacher(cfg, np.random.default_rng(0))
    assert np.array_equal(V[:, :4], np.eye(4)) and not V[:, 4:].any()
    T, Q = ex.reduce_teacher(V)
    assert np.allclose(T, np.eye(4)) and np.allclose(Q @ Q.T, np.eye(4))
    T, Q = ex.reduce_teacher(np.eye(4))
    assert Q is None


def test_wilson_interval():
    lo, hi = ex.wilson(0, 10)
    assert lo == 0.0 and abs(hi - 0.2775) < 1e-3
    lo, hi = ex.wilson(5, 10)
    assert abs(lo - 0.2366) < 1e-3 and abs(hi - 0.7634) < 1e-3
    assert ex.wilson(0, 0) == (0.0, 1.0)


def test_cli_search_writes_statistics_and_no_certificate(capsys, tmp_path):
    stats = tmp_path / "s.json"
    rc, out = cli(capsys, "search", "--k", "6", "--d-factors", "2", "--teachers", "1", "--runs", "3",
                  "--stats", stats)
    assert rc == 0 and "(not certified)" in out
    data = json.loads(stats.read_text())
    assert data["format"] == ex.STATS_FORMAT and len(data["cells"]) == 1
    assert list(tmp_path.iterdir()) == [stats]
    from certify.cli import UserError

    with pytest.raises(UserError, match="exists"):
        cli(capsys, "search", "--k", "6", "--d-factors", "2", "--teachers", "1", "--runs", "3", "--stats", stats)
    rc, out = cli(capsys, "search", "--k", "6", "--d-factors", "2", "--teachers", "1", "--runs", "3",
                  "--stats", stats, "--resume")
    assert rc == 0 and "skipped" in out


def test_cli_prove_needs_out_and_writes_only_proven_certificates(capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli(capsys, "prove", "--k", "6")
    out_dir = tmp_path / "certs"
    rc, out = cli(capsys, "prove", "--k", "6", "--d-factors", "1", "--teachers", "2", "--runs", "6",
                  "--seed", "2", "--out", out_dir)
    assert rc == 0
    from certify.kernel.checking import check_file

    files = sorted(out_dir.rglob("*.json"))
    assert all(check_file(f).proven for f in files)


def test_cli_report_and_plot_read_statistics(capsys, tmp_path, cell):
    pytest.importorskip("matplotlib")
    stats = tmp_path / "s.json"
    stats.write_text(json.dumps({**ex.empty_stats(), "cells": [cell]}))
    rc, out = cli(capsys, "report", stats)
    assert rc == 0 and "| 6 | 12 | random" in out
    png = tmp_path / "p.png"
    rc, out = cli(capsys, "plot", stats, "--out", png)
    assert rc == 0 and png.stat().st_size > 1000
    from certify.publishing import PublishError

    with pytest.raises(PublishError, match="exists"):
        cli(capsys, "plot", stats, "--out", png)  # exists: never overwritten without --overwrite
