"""`certify spurious-minima prove|search` options: outputs checked before work, options that do not apply
refused, one source of points at a time, external dense points (the producer shape, certify/producer_cli.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from certify.spurious_symmetric import compact as C

K7_P = [1, 6]
K7_VALS = [[-0.6327039049152542, 0.2616910758354652, 0.0], [0.18599104632000957, 0.9969227987935689, -0.035080155932389]]


@pytest.fixture
def spurious_cli(capsys):
    """certify.cli.main for `certify spurious-minima ...`."""
    import certify.cli as cli

    def run(*args):
        capsys.readouterr()
        try:
            rc = cli.main(["spurious-minima", *[str(a) for a in args]])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_prove_out_existing_file_is_a_usage_error(spurious_cli, tmp_path):
    f = tmp_path / "taken.json"
    f.write_text("keep me")
    rc, out, err = spurious_cli("prove", "--k", "6", "--runs", "300", "--out", f)
    assert rc == 2 and "is a file" in err and "Traceback" not in err
    assert f.read_text() == "keep me"
    rc, out, err = spurious_cli("prove", "--family", "delta-s-k", "--k", "6", "--out", f)
    assert rc == 2 and "is a file" in err


def test_prove_out_unwritable_checked_before_work(spurious_cli, tmp_path):
    import os
    import time

    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        t0 = time.perf_counter()
        rc, out, err = spurious_cli("prove", "--k", "20", "--runs", "500", "--out", ro / "sub")
        assert rc == 2 and "cannot write" in err
        assert time.perf_counter() - t0 < 5  # refused before the search
    finally:
        os.chmod(ro, 0o700)


def test_search_outputs_checked_before_work(spurious_cli, tmp_path):
    import time

    taken = tmp_path / "summary.json"
    taken.write_text("[]")
    t0 = time.perf_counter()
    rc, out, err = spurious_cli("search", "--k", "20", "--runs", "500", "--json", taken)
    assert rc == 2 and "exists" in err and "--overwrite" in err
    assert time.perf_counter() - t0 < 5 and "k=20" not in out
    rc, out, err = spurious_cli("search", "--k", "20", "--runs", "500", "--plot", tmp_path, "--overwrite")
    assert rc == 2 and "folder" in err


@pytest.mark.parametrize("k", ["1", "2", "1-2"])
def test_symmetric_family_small_k_is_clean(spurious_cli, tmp_path, k):
    rc, out, err = spurious_cli("prove", "--family", "delta-s-k", "--k", k, "--out", tmp_path)
    assert rc == 1 and "Traceback" not in err and "error" not in err
    assert "global minimum" in out and "0 certificate(s) written" in out and "nothing produced" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,bad", [
    (["--candidates", "c.json", "--k", "7"], "--k"),
    (["--candidates", "c.json", "--runs", "9"], "--runs"),
    (["--from", "x.json", "--seed", "1"], "--seed"),
    (["--from", "x.json", "--k", "7"], "--k"),
    (["--family", "delta-s-k", "--runs", "10"], "--runs"),
    (["--family", "delta-s-k", "--max-per-k", "2"], "--max-per-k"),
])
def test_options_that_do_not_apply_are_refused(spurious_cli, tmp_path, args, bad):
    rc, out, err = spurious_cli("prove", *args, "--out", tmp_path / "o")
    assert rc == 2 and bad in err and ("does not apply" in err or "do not apply" in err)
    assert not (tmp_path / "o").exists()


def test_two_sources_refused(spurious_cli, tmp_path):
    rc, out, err = spurious_cli("prove", "--from", "a.json", "--family", "delta-s-k", "--out", tmp_path)
    assert rc == 2 and "alternatives" in err


def test_fractions_plot_integer_ticks_and_legend_outside():
    matplotlib = pytest.importorskip("matplotlib")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from certify.spurious_minima.cli import fractions_figure

    rows = [{"k": k, "spurious_fraction": f, "spurious_classes": c}
            for k, f, c in [(6, 0.006, 1), (7, 0.05, 1), (8, 0.11, 1), (9, 0.23, 2)]]
    fig = fractions_figure(rows, plt, MaxNLocator)
    ax, ax2 = fig.axes[:2]
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert all(float(t).is_integer() for t in ax2.get_yticks())
    (legend,) = fig.legends
    lb = legend.get_window_extent()
    axb = ax.get_window_extent()
    assert lb.y1 <= axb.y0  # the legend is below the axes, not over the curves
    plt.close(fig)


def test_search_progress_is_silent_off_terminal(capsys):
    from certify.spurious_minima.search import SearchConfig, search

    search(SearchConfig(k=4, runs=5, steps=200, progress=True))
    out, err = capsys.readouterr()
    assert "\r" not in err and "\r" not in out


def test_prove_from_dense_matrix_json_and_npy(spurious_cli, tmp_path):
    from certify.kernel.checking import check_file

    W = C.dense_matrix(K7_P, np.array(K7_VALS)) + 1e-9  # off the critical point: polished first
    src = tmp_path / "W.json"
    src.write_text(json.dumps(W.tolist()))
    rc, out, err = spurious_cli("prove", "--from", src, "--out", tmp_path / "d")
    assert rc == 0, out + err
    (f,) = (tmp_path / "d").glob("*.json")
    assert f.name == "relu-k07-n07-loss0.02320271.json" and check_file(f).proven
    npy = tmp_path / "W.npy"
    np.save(npy, W)
    rc, out, err = spurious_cli("prove", "--from", npy, "--out", tmp_path / "e")
    assert rc == 0 and len(list((tmp_path / "e").glob("*.json"))) == 1


@pytest.mark.parametrize("text,msg", [
    ("{\"p\": [1, 6]}", "spurious-symmetric prove"),
    ("[[1, 2], [3]]", "cannot read a point"),
    ("[[1, NaN], [0, 1]]", "cannot read a point"),
    ("\"hello\"", "cannot read a point"),
    ("{\"classes\": []}", "spurious-symmetric prove"),
])
def test_prove_from_bad_files_exit_2(spurious_cli, tmp_path, text, msg):
    src = tmp_path / "bad.json"
    src.write_text(text)
    rc, out, err = spurious_cli("prove", "--from", src, "--out", tmp_path / "o")
    assert rc == 2 and msg in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_prove_from_global_minimum_writes_nothing(spurious_cli, tmp_path):
    src = tmp_path / "eye.json"
    src.write_text(json.dumps(np.eye(4).tolist()))
    rc, out, err = spurious_cli("prove", "--from", src, "--out", tmp_path / "o")
    assert rc == 1 and "global minimum" in out and "Traceback" not in err
