"""Benchmark for relu-network-exact (issue 17): prove and check times against d, leaves, L2 times, ONNX round trip.

Prints (and with --json FILE writes) for
1. max of d inputs, d = 2..32 (and 48, 64): modular certificate, prove and check times, lemmas;
2. median of d inputs, d = 3..11 odd: modular, prove and check;
3. global split trees for max (d = 2..6) and median (d = 3, 5): leaves, prove and check times;
4. the exact L2 error of the one-hidden-layer max approximation on [0, 1]^d, d = 2..4: value, times;
5. the ONNX round trip (export float32, read back, prove) for every construction above;
6. the max of 5 with two hidden layers (construction max5-two-hidden): split tree, times, ONNX round trip.
With --plot FILE.png: check time against d (modular max and median) and leaves against d (split trees).

Usage:  python3 benchmarks/bench_networks.py [--json out.json] [--plot out.png] [--quick] [--only-two-hidden]
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certify.kernel.checking import check_data  # noqa: E402
from certify.networks.cli import construction  # noqa: E402
from certify.networks.prove import prove  # noqa: E402
from certify.publishing import build_certificate, dumps  # noqa: E402


class _Args:
    neurons, seed = 6, 0


def one(name: str, d: int, method: str = "auto") -> dict:
    stem, net, target, domain, prop = construction(name, d, _Args())
    t = time.perf_counter()
    out = prove(net, target, domain, prop, method=method)
    t_prove = time.perf_counter() - t
    cert = build_certificate("relu-network-exact", out.claim, out.evidence)
    size = len(dumps(cert))
    t = time.perf_counter()
    proof = check_data(copy.deepcopy(cert))
    t_check = time.perf_counter() - t
    return {"name": name, "d": d, "method": proof.bounds["method"], "depth": net.depth, "width": net.width,
            "neurons": net.n_hidden, "leaves": proof.bounds.get("leaves"), "nodes": proof.bounds.get("nodes"),
            "lemmas": proof.bounds.get("lemmas"), "l2": proof.bounds.get("l2_error"), "bytes": size,
            "prove_s": round(t_prove, 4), "check_s": round(t_check, 4)}


def round_trip(name: str, d: int) -> dict:
    import numpy as np

    from certify.networks.exact import make_target
    from certify.networks.onnx_io import read_onnx, write_onnx

    stem, net, target, domain, prop = construction(name, d, _Args())
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        p = write_onnx(net, Path(tmp) / f"{stem}.onnx", np.float32)
        if target.type == "network":
            q = write_onnx(target.network, Path(tmp) / f"{stem}-t.onnx", np.float32)
            target = make_target("network", d, other=read_onnx(q))
        back = read_onnx(p)
        same = back.to_json() == net.to_json()
        out = prove(back, target, domain, prop)
        cert = build_certificate("relu-network-exact", out.claim, out.evidence)
        check_data(cert)
        return {"name": name, "d": d, "exact": same, "seconds": round(time.perf_counter() - t, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the figures to this file")
    ap.add_argument("--plot", default=None, help="write a PNG plot")
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--only-two-hidden", action="store_true", help="only section 6 (max of 5, two hidden layers)")
    a = ap.parse_args()
    res: dict = {"max": [], "median": [], "tree": [], "l2": [], "onnx": [], "two_hidden": []}
    res["two_hidden"] += [one("max5-two-hidden", 5), round_trip("max5-two-hidden", 5)]
    if a.only_two_hidden:
        for r in res["two_hidden"]:
            print("  " + ", ".join(f"{k}={v}" for k, v in r.items()))
        if a.json:
            Path(a.json).write_text(json.dumps(res["two_hidden"], indent=1) + "\n", encoding="utf-8")
        return
    maxes = list(range(2, 9)) if a.quick else list(range(2, 33)) + [48, 64]
    for d in maxes:
        res["max"].append(one("max", d))
    for d in ((3, 5) if a.quick else (3, 5, 7, 9, 11)):
        res["median"].append(one("median", d))
    for name, ds in (("max", (2, 3, 4) if a.quick else (2, 3, 4, 5, 6)), ("median", (3,) if a.quick else (3, 5))):
        for d in ds:
            res["tree"].append(one(name, d, "split_tree"))
    for d in ((2, 3) if a.quick else (2, 3, 4)):
        res["l2"].append(one("approx-max", d))
    for name, ds in (("max", maxes), ("median", [r["d"] for r in res["median"]]), ("deep-box", (2, 3)),
                     ("approx-max", (2, 3))):
        for d in ds:
            res["onnx"].append(round_trip(name, d))
    for key, rows in res.items():
        print(f"== {key}")
        for r in rows:
            print("  " + ", ".join(f"{k}={v}" for k, v in r.items()))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    if a.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for key, mark in (("max", "o-"), ("median", "s-")):
            ax1.plot([r["d"] for r in res[key]], [r["check_s"] for r in res[key]], mark, label=f"{key}: check")
            ax1.plot([r["d"] for r in res[key]], [r["prove_s"] for r in res[key]], mark, alpha=0.4,
                     label=f"{key}: prove")
        ax1.set_xlabel("d")
        ax1.set_ylabel("seconds")
        ax1.set_title("modular certificates (N = target on R^d)")
        ax1.legend()
        for name, mark in (("max", "o-"), ("median", "s-")):
            rows = [r for r in res["tree"] if r["name"] == name]
            ax2.semilogy([r["d"] for r in rows], [r["leaves"] for r in rows], mark, label=f"{name}: split-tree leaves")
        ax2.set_xlabel("d")
        ax2.set_ylabel("leaves of one global split tree")
        ax2.set_title("why the modular method: global trees grow fast")
        ax2.legend()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=110)
        print(f"wrote {a.plot}")


if __name__ == "__main__":
    main()
