"""`certify spurious-minima search|prove` (alias `certify spurious`): dense spurious minima, the untrusted
producer side, and the producer shape (certify/producer_cli.py) it follows."""
from __future__ import annotations

import json

import pytest

from certify.kernel.checking import check_file


def test_search_prints_summary(run_cli):
    rc, out, err = run_cli("spurious", "search", "--k", "6", "--runs", "50", "--no-progress")
    assert rc == 0, err
    assert "k=6 n=6: 50 runs (seed 0" in out
    assert "distinct spurious classes" in out
    assert "Traceback" not in err


def test_search_writes_json_summary(run_cli, tmp_path):
    path = tmp_path / "summary.json"
    rc, out, err = run_cli("spurious", "search", "--k", "6", "--runs", "300", "--no-progress", "--json", path)
    assert rc == 0, err
    rows = json.loads(path.read_text())
    assert len(rows) == 1 and rows[0]["k"] == 6 and rows[0]["runs"] == 300
    assert rows[0]["spurious_classes"] == 1
    assert abs(rows[0]["classes"][0]["loss"] - 0.02508058) < 1e-7
    assert f"summary written to {path}" in out


def test_prove_writes_a_certificate_that_checks(run_cli, tmp_path):
    out_dir = tmp_path / "certs"
    args = ("spurious", "prove", "--k", "6", "--runs", "300", "--seed", "0", "--no-progress", "--out", out_dir)
    rc, out, err = run_cli(*args)
    assert rc == 0, err
    files = sorted(out_dir.glob("*.json"))
    assert [f.name for f in files] == ["relu-k06-n06-loss0.02508058.json"]
    assert "1 certificate(s) written" in out and "wrote " in out
    v = check_file(files[0])
    assert v.proven, v.message
    assert "every d >= k" in v.message
    rc, out2, err = run_cli("check", out_dir)
    assert rc == 0 and "1 proven, 0 not proven" in out2
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temp files

    # again: the k already has a certificate in --out, so it is not searched again and nothing is overwritten
    original = files[0].read_bytes()
    files[0].write_bytes(original.replace(b'"seed": 0', b'"seed": 0 '))  # mark the file
    marked = files[0].read_bytes()
    assert marked != original
    rc, out, err = run_cli(*args)
    assert rc == 0
    assert "already holds 1 certificate(s)" in out and "search skipped" in out and "--overwrite" in out
    assert "0 certificate(s) written" in out and "1 already there" in out
    assert "k=6 n=6:" not in out  # the search summary line: no search was run
    assert files[0].read_bytes() == marked

    # --overwrite searches again and replaces it
    rc, out, err = run_cli(*args, "--overwrite")
    assert rc == 0
    assert "1 certificate(s) written" in out
    assert files[0].read_bytes() != marked
    assert check_file(files[0]).proven
    assert (files[0].stat().st_mode & 0o777) == 0o644 & ~_umask()


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_prove_needs_an_explicit_out(run_cli, tmp_path, monkeypatch):
    """No default folder: a prove run never writes into the shipped store by accident."""
    monkeypatch.chdir(tmp_path)
    for group in ("spurious-minima", "spurious", "spurious-symmetric", "overparameterization", "teacher-box",
                  "hermite", "kkt"):
        rc, out, err = run_cli(group, "prove", "--help")
        assert rc == 0 and "--out" in out, group
    rc, out, err = run_cli("spurious-minima", "prove", "--k", "6", "--runs", "5", "--no-progress")
    assert rc == 2 and "--out" in err and "required" in err
    rc, out, err = run_cli("spurious-symmetric", "prove", "--family", "delta-s-k", "--k", "101")
    assert rc == 2 and "--out" in err
    assert list(tmp_path.iterdir()) == []


def test_prove_dims_k(run_cli, tmp_path):
    rc, out, err = run_cli("spurious", "prove", "--k", "6", "--runs", "300", "--no-progress", "--out", tmp_path, "--dims", "k")
    assert rc == 0
    (f,) = tmp_path.glob("*.json")
    cert = json.loads(f.read_text())
    assert cert["claim"]["input_dimensions"] == "k"
    v = check_file(f)
    assert v.proven and "d = k" in v.message


def test_prove_reports_when_nothing_found(run_cli, tmp_path):
    """A run that produces nothing of what was asked says so and exits 1."""
    rc, out, err = run_cli("spurious", "prove", "--k", "6", "--runs", "3", "--no-progress", "--out", tmp_path)
    assert rc == 1
    assert "0 certificate(s) written" in out and "1 not produced" in out
    assert "k=6: no spurious minimum found" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,msg", [
    (["--k", "abc"], "--k"),
    (["--k", "0"], "between 1 and 100"),
    (["--k", "101"], "between 1 and 100"),
    (["--k", "8-6"], "--k"),
    (["--k", "6-"], "--k"),
    (["--k", ""], "--k"),
    (["--runs", "0"], "--runs"),
    (["--runs", "-5"], "--runs"),
    (["--steps", "0"], "--steps"),
    (["--batch", "0"], "--batch"),
    (["--n", "0"], "--n"),
    (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--lr", "0"], "--lr"),
])
@pytest.mark.parametrize("command", ["search", "prove"])
def test_bad_input_exits_2(run_cli, tmp_path, command, args, msg):
    extra = ["--out", str(tmp_path)] if command == "prove" else []
    rc, out, err = run_cli("spurious", command, *args, "--no-progress", *extra)
    assert rc == 2
    assert "error:" in err and msg in err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []


def test_backend_cupy_without_cupy_exits_2(run_cli):
    from certify.arrays import cupy_available

    if cupy_available():
        pytest.skip("cupy and a GPU are available here")
    rc, out, err = run_cli("spurious", "search", "--k", "6", "--runs", "5", "--backend", "cupy", "--no-progress")
    assert rc == 2
    assert "error:" in err and "cupy" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("args", [["--runs", "abc"], ["--backend", "torch"], ["--k"], ["--bogus"]])
def test_argparse_errors_exit_2(run_cli, args):
    rc, out, err = run_cli("spurious", "search", *args)
    assert rc == 2 and "error:" in err and "Traceback" not in err


def test_bad_input_subprocess(run_subprocess):
    res = run_subprocess("spurious", "search", "--k", "abc", "--no-progress")
    assert res.returncode == 2
    assert "error:" in res.stderr and "Traceback" not in res.stderr


def test_negative_seed_is_a_usage_error(run_cli):
    rc, out, err = run_cli("spurious", "search", "--k", "6", "--runs", "5", "--seed", "-1", "--no-progress")
    assert rc == 2 and "--seed" in err


def test_negative_max_per_k_is_a_usage_error(run_cli, tmp_path):
    rc, out, err = run_cli("spurious", "prove", "--k", "6", "--runs", "300", "--no-progress", "--out", tmp_path,
                           "--max-per-k", "-1")
    assert rc == 2 and "--max-per-k" in err


def test_prove_symmetric_family(run_cli, tmp_path):
    """k = 5: the symmetric critical point is a saddle (nothing written, exit 1); k = 6, 7: certified minima."""
    rc, out, err = run_cli("spurious", "prove", "--family", "delta-s-k", "--k", "5-7", "--out", tmp_path)
    assert rc == 1, err
    assert "2 certificate(s) written" in out and "1 not produced" in out
    assert "k=5: symmetric critical point" in out and "not a minimum" in out
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == ["relu-k06-n06-loss0.05566858.json", "relu-k07-n07-loss0.06221098.json"]
    rc, out, err = run_cli("check", tmp_path)
    assert rc == 0 and "2 proven, 0 not proven" in out


def test_candidates_round_trip(run_cli, tmp_path):
    """search --candidates writes plain data; prove --candidates certifies it; never overwritten."""
    cand = tmp_path / "cand.json"
    rc, out, err = run_cli("spurious", "search", "--k", "7", "--runs", "60", "--no-progress", "--candidates", cand)
    assert rc == 0, err
    data = json.loads(cand.read_text())
    assert data["format"] == "certify-candidates" and data["searches"][0]["k"] == 7
    assert data["searches"][0]["candidates"], "the k = 7 search (seed 0, 60 runs) finds a spurious class"
    rc, out, err = run_cli("spurious", "prove", "--candidates", cand, "--out", tmp_path / "certs")
    assert rc == 0 and "1 certificate(s) written" in out, out + err
    rc, out, err = run_cli("check", tmp_path / "certs")
    assert rc == 0 and "1 proven, 0 not proven" in out
    rc, out, err = run_cli("spurious", "search", "--k", "7", "--runs", "5", "--no-progress", "--candidates", cand)
    assert rc == 2 and "exists" in err
    # a rerun keeps the certificate and certifies nothing again
    rc, out, err = run_cli("spurious", "prove", "--candidates", cand, "--out", tmp_path / "certs")
    assert rc == 0 and "exists, kept" in out and "1 already there" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    rc, out, err = run_cli("spurious", "prove", "--candidates", bad, "--out", tmp_path / "certs2")
    assert rc == 2 and "cannot read candidates" in err and "Traceback" not in err


def test_prove_candidates_certifies_every_class(run_cli, tmp_path):
    """A candidates file with two classes for one k: both are certified (none dropped silently); with
    --max-per-k 1 the other one is announced as left out."""
    import numpy as np

    from certify.spurious_minima import landscape as L
    from helpers import CERTIFICATES

    cands = []
    for path in sorted((CERTIFICATES / "spurious_minima").glob("relu-k09-n09-loss*.json")):
        W = np.array(json.loads(path.read_text())["point"])
        V = L.identity_teacher(9)
        cands.append({"point": W.tolist(), "loss": float(L.loss(W[None], V)[0]),
                      "min_eig": float(np.linalg.eigvalsh(L.hessian(W[None], V)[0])[0]),
                      "min_eig_m": float(np.linalg.eigvalsh(L.m_matrix(W[None], V)[0])[0]), "runs": [0]})
    assert len(cands) == 2
    data = {"format": "certify-candidates", "version": 1, "kind": "relu-spurious-minimum",
            "searches": [{"k": 9, "n": 9, "runs": 2, "seed": 0, "lr": 0.5, "init_std": 1 / 3, "backend": "numpy",
                          "steps": 1, "spurious_fraction": 1.0, "candidates": cands}]}
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(data))
    rc, out, err = run_cli("spurious", "prove", "--candidates", cand, "--out", tmp_path / "all")
    assert rc == 0 and "2 certificate(s) written" in out, out + err
    assert len(list((tmp_path / "all").glob("*.json"))) == 2
    rc, out, err = run_cli("spurious", "prove", "--candidates", cand, "--out", tmp_path / "one", "--max-per-k", "1")
    assert rc == 0 and "1 certificate(s) written" in out and "1 left out" in out
