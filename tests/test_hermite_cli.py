"""`certify hermite` command line: tables, certificates, plot, and clear errors on bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from certify.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(argv, capsys):
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("argv,message", [
    (["hermite", "swish"], "unknown activation 'swish'"),
    (["hermite", "relu", "--degree", "-1"], "--degree must be a non-negative integer"),
    (["hermite", "relu", "--degree", "10000000"], "too large"),
    (["hermite", "relu", "--prec", "5"], "--prec"),
    (["hermite"], "give an ACTIVATION"),
    (["hermite", "all"], "needs --write"),
])
def test_bad_input_gives_clear_error(argv, message, capsys):
    rc, out, err = run(argv, capsys)
    assert rc == 2
    assert message in err
    assert "Traceback" not in err + out


def test_non_integer_degree_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "certify", "hermite", "relu", "--degree", "ten"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid int value" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_activation_in_a_subprocess_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "certify", "hermite", "leaky-relu", "--degree", "10"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "error: unknown activation 'leaky-relu'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_table_and_certificate(tmp_path, capsys):
    path = tmp_path / "sig.json"
    rc, out, err = run(["hermite", "sigmoid", "--degree", "30", "--normalized", "--write", str(path)], capsys)
    assert rc == 0, err
    assert "eps(n)" in out and "PROVEN" in out and "decay bound" in out
    cert = json.loads(path.read_text())
    assert cert["claim"]["degree"] == 30 and cert["claim"]["normalized"] is True
    rc, out, err = run(["check", str(path)], capsys)
    assert rc == 0 and "1 proven" in out
    # never silently overwrites
    rc, out, err = run(["hermite", "sigmoid", "--degree", "30", "--write", str(path)], capsys)
    assert rc == 2 and "exists" in err
    rc, out, err = run(["hermite", "relu", "--degree", "30", "--write", str(path), "--overwrite"], capsys)
    assert rc == 0 and json.loads(path.read_text())["claim"]["activation"] == "relu"


def test_all_writes_sixteen_certificates(tmp_path, capsys):
    rc, out, err = run(["hermite", "all", "--degree", "12", "--write", str(tmp_path / "h")], capsys)
    assert rc == 0, err
    assert len(list((tmp_path / "h").glob("*.json"))) == 16
    assert out.count("PROVEN") == 16


def test_list(capsys):
    rc, out, err = run(["hermite", "--list"], capsys)
    assert rc == 0
    for name in ("relu", "abs", "erf", "gelu", "sigmoid", "tanh", "softplus", "silu"):
        assert name in out


def test_malformed_certificate_check_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "certify-certificate", "version": 1, "kind": "hermite-expansion", "claim": {}}')
    rc, out, err = run(["check", str(bad)], capsys)
    assert rc == 1
    assert "NOT PROVEN" in out and "missing field" in out and "Traceback" not in out + err
    nan = tmp_path / "nan.json"
    nan.write_text('{"format": "certify-certificate", "version": 1, "kind": "hermite-expansion", '
                   '"claim": {"degree": NaN}}')
    rc, out, err = run(["check", str(nan)], capsys)
    assert rc == 1 and "NOT PROVEN" in out


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "tails.png"
    rc, out, err = run(["hermite", "--plot", str(path), "--degree", "40"], capsys)
    assert rc == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    rc, out, err = run(["hermite", "--plot", str(tmp_path / "x.png"), "--degree", "5"], capsys)
    assert rc == 2
    assert "matplotlib is needed" in err and "Traceback" not in err
