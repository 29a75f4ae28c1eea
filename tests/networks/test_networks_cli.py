"""certify networks: prove / search / export / table, ONNX in and out, counterexamples (producer side)."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("onnx")  # part of the test extra; the kernel never needs it

from certify.kernel.checking import check_file  # noqa: E402
from certify.networks.cli import construction  # noqa: E402
from certify.networks.exact import Net  # noqa: E402
from certify.networks.onnx_io import OnnxError, read_onnx, write_onnx  # noqa: E402


class _Args:
    neurons, seed = 6, 0


def test_prove_construction_writes_proven_certificates(run_cli, tmp_path):
    rc, out, err = run_cli("networks", "prove", "--construction", "max", "--d", "2-4", "--out", tmp_path)
    assert rc == 0, err
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["max-d02.json", "max-d03.json", "max-d04.json"]
    assert all(check_file(f).proven for f in files)
    # existing outputs are skipped before any work, never overwritten; as every producer (producer_cli.summary_status),
    # a run whose outputs are all already there exits 0 and says so
    before = files[0].read_bytes()
    rc, out, err = run_cli("networks", "prove", "--construction", "max", "--d", "2", "--out", tmp_path)
    assert rc == 0 and "skipped" in out and "1 already there" in out and files[0].read_bytes() == before
    # --out naming a file is refused before any work
    rc, out, err = run_cli("networks", "prove", "--construction", "max", "--d", "2", "--out", files[0])
    assert rc == 2 and "--out" in err and files[0].read_bytes() == before


def test_prove_requires_out(run_cli):
    rc, out, err = run_cli("networks", "prove", "--construction", "max", "--d", "2")
    assert rc == 2 and "--out" in err


def test_onnx_round_trip_and_counterexample(run_cli, tmp_path):
    rc, out, err = run_cli("networks", "export", "--construction", "median", "--d", "5", "--out", tmp_path)
    assert rc == 0, err
    model = tmp_path / "median-d05.onnx"
    assert (tmp_path / "median-d05.vnnlib").is_file() and "median-d05.onnx" in (tmp_path / "instances.csv").read_text()
    rc, out, err = run_cli("networks", "prove", model, "--target", "median", "--out", tmp_path / "c")
    assert rc == 0, err
    cert = json.loads(next((tmp_path / "c").glob("*.json")).read_text())
    _, net, *_ = construction("median", 5, _Args())
    assert cert["claim"]["network"] == net.to_json()  # the weights came back exactly
    rc, out, err = run_cli("networks", "prove", model, "--target", "max", "--out", tmp_path / "bad")
    assert rc == 1 and "counterexample x = [" in out
    assert not list((tmp_path / "bad").glob("*.json"))
    rc, out, err = run_cli("networks", "search", model, "--target", "max")
    assert rc == 1 and "counterexample (exact)" in out
    rc, out, err = run_cli("networks", "search", model, "--target", "median")
    assert rc == 0 and "proves nothing" in out


def test_one_ulp_network_from_onnx_float64(run_cli, tmp_path):
    import math

    from certify.networks.exact import Q

    _, net, *_ = construction("max", 4, _Args())
    W, b = net.layers[0]
    i, j = next((i, j) for i, r in enumerate(W) for j, v in enumerate(r) if v == 1)
    W[i][j] = Q(math.nextafter(1.0, 2.0))
    import numpy as np

    write_onnx(net, tmp_path / "ulp.onnx", np.float64)
    with pytest.raises(OnnxError):
        write_onnx(net, tmp_path / "ulp32.onnx", np.float32)  # not exactly a binary32 value
    assert read_onnx(tmp_path / "ulp.onnx").layers[0][0][i][j] == W[i][j]
    rc, out, err = run_cli("networks", "prove", tmp_path / "ulp.onnx", "--target", "max", "--out", tmp_path / "c")
    assert rc == 1 and "FALSE" in out


def test_deep_network_equals_shallow_via_onnx(run_cli, tmp_path):
    rc, out, err = run_cli("networks", "export", "--construction", "deep-box", "--d", "2", "--out", tmp_path)
    assert rc == 0, err
    rc, out, err = run_cli("networks", "prove", tmp_path / "deep-box-d2-n6-seed0.onnx", "--target",
                           tmp_path / "deep-box-d2-n6-seed0-target.onnx", "--domain", "box:-1,1", "--out", tmp_path / "c")
    assert rc == 0, err
    # on all of R^2 the box construction is false: a counterexample outside the box
    rc, out, err = run_cli("networks", "prove", tmp_path / "deep-box-d2-n6-seed0.onnx", "--target",
                           tmp_path / "deep-box-d2-n6-seed0-target.onnx", "--out", tmp_path / "d")
    assert rc == 1 and "counterexample" in out


def test_table_reads_only(run_cli, tmp_path):
    run_cli("networks", "prove", "--construction", "approx-max", "--d", "3", "--out", tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = run_cli("networks", "table", tmp_path)
    assert rc == 0 and "1643/655360" in out and "PROVEN" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_read_onnx_rejects_unsupported(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Sigmoid", ["X"], ["Y"])], "g",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])])
    onnx.save(helper.make_model(g), str(tmp_path / "s.onnx"))
    with pytest.raises(OnnxError, match="unsupported operator Sigmoid"):
        read_onnx(tmp_path / "s.onnx")


@pytest.mark.slow
@pytest.mark.parametrize("name,ds", [("max", "2-32"), ("min", "2-8"), ("median", "3,5,7,9,11"), ("deep-box", "2,3"),
                                     ("approx-max", "2,3"), ("max5-two-hidden", "5")])
def test_onnx_round_trip_every_construction(run_cli, tmp_path, name, ds):
    from certify.networks.cli import parse_range

    rc, out, err = run_cli("networks", "export", "--construction", name, "--d", ds, "--out", tmp_path)
    assert rc == 0, err
    for d in parse_range(ds):
        stem, net, target, domain, prop = construction(name, d, _Args())
        back = read_onnx(tmp_path / f"{stem}.onnx")
        assert isinstance(back, Net) and back.to_json() == net.to_json()
