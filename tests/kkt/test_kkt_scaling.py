"""Search on many-example generic (cluster) data via the rational data adjustment; the checker decides."""
import numpy as np
import pytest

from certify.cli import main
from certify.kernel.checking import check_data
from certify.kkt.architectures import make_network
from certify.kkt.instances import clusters_dataset
from certify.kkt.search import search


def test_clusters_search_needs_adjustment_and_then_certifies():
    data = clusters_dataset(16, 3, seed=4)
    arch = make_network("two_layer_relu", 3, width=5)
    plain = search(arch, data, seeds=range(0, 1))
    assert not plain.ok and "--adjust-data" in plain.log[0]
    out = search(arch, data, seeds=range(0, 4), adjust_data=True)
    assert out.ok, out.log
    proof = check_data(out.certificate)
    assert "16 examples" in proof.summary and "not a local optimum" in proof.summary
    prov = out.certificate["provenance"]
    assert prov["data_adjusted"] and prov["data_adjustment"]["max_relative_change"] < 1e-4
    # the statement is about the data in claim.data (the adjusted data), and says nothing it does not prove
    assert "examples (x_i, y_i) of claim.data" in out.certificate["claim"]["statement"]
    new = np.array([[float(eval(str(v))) if isinstance(v, str) else float(v) for v in row]
                    for row in out.certificate["claim"]["data"]["x"]])
    old = np.array([[float(v) for v in row] for row in data.x])
    assert np.max(np.linalg.norm(new - old, axis=1) / np.linalg.norm(old, axis=1)) < 1e-4
    assert len(prov["data_adjustment"]["original_x"]) == 16


def test_cli_failure_is_clear(capsys):
    code = main(["kkt", "search", "--arch", "two_layer_relu", "--width", "5", "--dataset", "clusters", "--n", "16",
                 "--dim", "3", "--data-seed", "4", "--tries", "1"])
    out = capsys.readouterr()
    assert code == 1 and "search failed" in out.err and "--adjust-data" in out.out


def test_cli_rejects_bad_max_adjust(capsys):
    code = main(["kkt", "search", "--arch", "two_layer_relu", "--dataset", "clusters", "--adjust-data",
                 "--max-adjust", "2"])
    out = capsys.readouterr()
    assert code == 2 and "--max-adjust" in out.err and "Traceback" not in out.err


@pytest.mark.slow
def test_clusters_many_examples():
    data = clusters_dataset(48, 3, seed=4)
    out = search(make_network("two_layer_relu", 3, width=5), data, seeds=range(0, 4), adjust_data=True,
                 time_limit=60)
    assert out.ok, out.log
    assert "48 examples" in check_data(out.certificate).summary
