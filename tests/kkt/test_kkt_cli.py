"""`certify kkt ...`, `certify check` / `certify show` on KKT certificates: exit codes, no tracebacks."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from certify.cli import main

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certificates" / "kkt"


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out + out.err


def test_check_and_show_kkt_certificates(capsys):
    stored = len(list(CERTS.glob("*.json")))
    assert stored >= 5  # the four instances of issue 4 plus the search-produced adjusted-data one
    code, text = run(["check", str(CERTS)], capsys)
    assert code == 0 and f"{stored} proven, 0 not proven" in text
    code, text = run(["show", str(CERTS / "relu_wide_angle.json")], capsys)
    assert code == 0 and "two-layer ReLU" in text and "claims:" in text


def test_check_tampered_file_fails(tmp_path, capsys):
    c = json.loads((CERTS / "diagonal_depth2.json").read_text())
    c["evidence"]["kkt_point"]["multipliers"][0] = "1"
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(c))
    code, text = run(["check", str(p)], capsys)
    assert code == 1 and "NOT PROVEN" in text and "stationarity" in text


def write(tmp_path, obj):
    p = tmp_path / "data.json"
    p.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return str(p)


@pytest.mark.parametrize("data, fragment", [
    ({"x": [[0.5, 1]], "y": [1]}, "expected an exact rational"),
    ({"x": [["1/2", "x"]], "y": [1]}, "expected an exact rational"),
    ({"x": [["1", "2"], ["1"]], "y": [1, 1]}, "expected a list of 2 entries"),
    ({"x": [["1", "2"]], "y": [3]}, "labels must be +1 or -1"),
    ({"x": [["1", "2"]], "y": [1, -1]}, "one per example"),
    ({"x": [], "y": []}, "non-empty"),
    ("{not json", "not valid JSON"),
])
def test_search_bad_data_file(tmp_path, capsys, data, fragment):
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--data", write(tmp_path, data)], capsys)
    assert code == 2 and "error:" in text and fragment in text, text


def test_search_bad_arguments(tmp_path, capsys):
    code, text = run(["kkt", "search", "--arch", "resnet", "--dataset", "wide-angle"], capsys)
    assert code == 2 and "invalid choice" in text
    code, text = run(["kkt", "search", "--arch", "diagonal_linear", "--depth", "1", "--dataset", "wide-angle"], capsys)
    assert code == 2 and "--depth" in text
    code, text = run(["kkt", "search", "--arch", "fully_connected_linear", "--depth", "3", "--hidden-widths", "2",
                      "--dataset", "wide-angle"], capsys)
    assert code == 2 and "--hidden-widths" in text
    code, text = run(["kkt", "search", "--arch", "two_layer_relu"], capsys)
    assert code == 2 and "--data FILE or --dataset" in text
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--dataset", "wide-angle", "--data", "x"], capsys)
    assert code == 2
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--data", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "cannot read" in text
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--width", "100000", "--dataset", "wide-angle"],
                     capsys)
    assert code == 2 and "--width must be between 1 and 1000" in text  # the kernel's limit, one place


def test_prove_keeps_an_existing_file_before_searching(tmp_path, capsys):
    out = tmp_path / "c.json"
    out.write_text("{}")
    t = time.perf_counter()
    code, text = run(["kkt", "prove", "--arch", "two_layer_relu", "--dataset", "wide-angle", "--out", str(out)], capsys)
    assert code == 0 and "exists, kept" in text and out.read_text() == "{}"
    assert time.perf_counter() - t < 2 and "seed" not in text  # no search work
    code, text = run(["kkt", "prove", "--arch", "two_layer_relu", "--dataset", "wide-angle", "--out", str(tmp_path),
                      "--overwrite"], capsys)
    assert code == 2 and "folder" in text


def test_search_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--width", "4", "--dataset", "wide-angle",
                      "--seed", "5", "--tries", "1"], capsys)
    assert code == 0, text
    assert "nothing written" in text and list(tmp_path.iterdir()) == []
    code, text = run(["kkt", "search", "--arch", "two_layer_relu", "--dataset", "wide-angle", "--out", "x.json"], capsys)
    assert code == 2 and "--out" in text


def test_examples_out_naming_an_existing_file_is_a_clean_error(tmp_path, capsys):
    """`kkt prove --examples --out FILE` writes nothing, says why, exits 2."""
    f = tmp_path / "relu_wide_angle.json"
    f.write_text("keep me")
    code, text = run(["kkt", "prove", "--examples", "--out", str(f)], capsys)
    assert code == 2 and "error:" in text and "existing file" in text
    assert f.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["relu_wide_angle.json"]
    code, text = run(["kkt", "prove", "--examples", "--out", str(f), "--overwrite"], capsys)
    assert code == 2 and f.read_text() == "keep me"


def test_examples_write_checkable_files_and_keep_existing_ones(tmp_path, capsys):
    out = tmp_path / "ex"
    code, text = run(["kkt", "prove", "--examples", "--out", str(out)], capsys)
    assert code == 0 and text.count("wrote ") == 3
    for name in ("relu_wide_angle.json", "diagonal_depth2.json", "linear_depth3.json"):
        assert json.loads((out / name).read_text())["evidence"] == json.loads((CERTS / name).read_text())["evidence"]
    (out / "diagonal_depth2.json").write_text("mine")
    code, text = run(["kkt", "prove", "--examples", "--out", str(out)], capsys)
    assert code == 0 and "exists, kept" in text and "--overwrite" in text and "3 already there" in text
    assert (out / "diagonal_depth2.json").read_text() == "mine"  # kept
    code, text = run(["kkt", "prove", "--examples", "--out", str(out), "--overwrite"], capsys)
    assert code == 0 and json.loads((out / "diagonal_depth2.json").read_text())["version"] == 2
    code, text = run(["kkt", "prove", "--examples", "--arch", "two_layer_relu", "--out", str(out)], capsys)
    assert code == 2 and "does not apply" in text or "do(es) not apply" in text


def test_prove_writes_a_checkable_certificate(tmp_path, capsys):
    out = tmp_path / "gd.json"
    code, text = run(["kkt", "prove", "--arch", "two_layer_relu", "--width", "4", "--dataset", "wide-angle",
                      "--seed", "5", "--tries", "1", "--out", str(out)], capsys)
    assert code == 0, text
    code, text = run(["check", str(out)], capsys)
    assert code == 0 and "not a local optimum" in text


def test_subprocess_bad_input_no_traceback(tmp_path):
    p = write(tmp_path, {"x": [["1", "2"]], "y": ["+1.0"]})
    r = subprocess.run([sys.executable, "-m", "certify", "kkt", "search", "--arch", "diagonal_linear", "--data", p],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
