"""ONNX in and out, and VNN-LIB properties (UNTRUSTED; needs the optional extra ``networks``: onnx).

Reading accepts a chain of Gemm (alpha, beta, transA = 0, transB), MatMul + Add and Relu nodes
(plus Identity, Flatten and Reshape of the input) with float32 or float64 initializers; every
weight is taken as its exact binary value (a rational).  Consecutive affine nodes are composed
exactly.  Writing emits Gemm + Relu with float32 (default) or float64 weights and refuses a
network whose rational weights are not exactly representable in that format.  The stage
structure of certify's constructions travels in the model's metadata (``certify.stages``), so
that a round trip keeps the modular proof available.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .exact import ZERO, Net, Q, Target, qs

META_KEY = "certify.stages"


class OnnxError(Exception):
    pass


def _onnx():
    try:
        import onnx
    except ImportError:
        raise OnnxError("reading and writing ONNX needs the onnx package: pip install 'certify[networks]'") from None
    return onnx


def _exact_matrix(arr: np.ndarray) -> list:
    if arr.dtype not in (np.float32, np.float64):
        raise OnnxError(f"weights of type {arr.dtype} are not supported (float32 or float64)")
    if not np.all(np.isfinite(arr)):
        raise OnnxError("a weight is NaN or infinite")
    return [[Q(float(v)) for v in row] for row in np.atleast_2d(arr.astype(np.float64))]


def _compose(first: tuple, second: tuple) -> tuple:
    """Affine maps as (W rows, b): second after first, exactly."""
    W1, b1 = first
    W2, b2 = second
    W = [[sum((r[k] * W1[k][j] for k in range(len(r)) if r[k] != 0), ZERO) for j in range(len(W1[0]))] for r in W2]
    b = [sum((r[k] * b1[k] for k in range(len(r)) if r[k] != 0), ZERO) + c for r, c in zip(W2, b2)]
    return W, b


def read_onnx(path: str | Path) -> Net:
    """The exact network of an ONNX file (a chain of affine and Relu nodes, one input, one output value)."""
    onnx = _onnx()
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise OnnxError(f"{path}: cannot read the ONNX model ({exc})") from None
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    if len(inputs) != 1 or len(g.output) != 1:
        raise OnnxError(f"{path}: expected one input and one output, got {len(inputs)} and {len(g.output)}")
    dims = [dd.dim_value for dd in inputs[0].type.tensor_type.shape.dim]
    d = dims[-1] if dims else 0
    if d <= 0:
        raise OnnxError(f"{path}: the input's last dimension must be a fixed size")
    current = inputs[0].name
    layers: list = []
    pending = None  # affine map since the last Relu
    for node in g.node:
        if current not in node.input:
            continue
        op = node.op_type
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if op in ("Identity", "Flatten", "Reshape"):
            pass
        elif op == "Gemm":
            if attrs.get("transA", 0):
                raise OnnxError(f"{path}: Gemm with transA = 1 is not supported")
            W = inits[node.input[1]]
            W = W if attrs.get("transB", 0) else W.T
            Wm = _exact_matrix(W)
            alpha, beta = Q(float(attrs.get("alpha", 1.0))), Q(float(attrs.get("beta", 1.0)))
            Wm = [[alpha * v for v in r] for r in Wm]
            b = [beta * v for v in _exact_matrix(inits[node.input[2]].reshape(1, -1))[0]] if len(node.input) > 2 \
                else [ZERO] * len(Wm)
            step = (Wm, b)
            pending = step if pending is None else _compose(pending, step)
        elif op == "MatMul":
            other = node.input[1] if node.input[0] == current else node.input[0]
            if node.input[0] != current:
                raise OnnxError(f"{path}: MatMul must multiply the activations from the left (x W)")
            Wm = _exact_matrix(inits[other].T)
            step = (Wm, [ZERO] * len(Wm))
            pending = step if pending is None else _compose(pending, step)
        elif op == "Add":
            other = node.input[1] if node.input[0] == current else node.input[0]
            if other not in inits or pending is None:
                raise OnnxError(f"{path}: Add must add a constant bias after a MatMul or Gemm")
            b = _exact_matrix(inits[other].reshape(1, -1))[0]
            if len(b) == 1 and len(pending[1]) > 1:
                b = b * len(pending[1])
            pending = (pending[0], [p + q for p, q in zip(pending[1], b)])
        elif op == "Relu":
            if pending is None:
                raise OnnxError(f"{path}: Relu without an affine layer before it")
            layers.append(pending)
            pending = None
        else:
            raise OnnxError(f"{path}: unsupported operator {op} (Gemm, MatMul, Add, Relu only)")
        current = node.output[0]
    if current != g.output[0].name:
        raise OnnxError(f"{path}: the chain of supported nodes does not reach the output {g.output[0].name}")
    if pending is None:
        raise OnnxError(f"{path}: the network must end with an affine layer (no Relu on the output)")
    layers.append(pending)
    if len(layers[-1][1]) != 1:
        raise OnnxError(f"{path}: the output has {len(layers[-1][1])} values; one is supported")
    prev = d
    for W, _ in layers:
        if any(len(r) != prev for r in W):
            raise OnnxError(f"{path}: layer shapes do not chain")
        prev = len(W)
    net = Net(d, layers, {"name": Path(path).stem})
    for p in model.metadata_props:
        if p.key == META_KEY:
            try:
                net.meta["stages"] = _stages_from_json(json.loads(p.value))
            except (ValueError, KeyError, TypeError):
                pass  # a damaged structure only disables the modular method
    return net


def _stages_to_json(stages: list) -> list:
    out = []
    for st in stages:
        e = {"values": [[op, list(args)] for op, args in st["values"]]}
        for key in ("readout", "next"):
            if key in st:
                M, b = st[key]
                e[key] = [[[qs(v) for v in r] for r in M], [qs(v) for v in b]]
        out.append(e)
    return out


def _stages_from_json(obj: list) -> list:
    out = []
    for e in obj:
        st: dict[str, Any] = {"values": [(op, tuple(args)) for op, args in e["values"]]}
        for key in ("readout", "next"):
            if key in e:
                M, b = e[key]
                st[key] = ([[Q(v) for v in r] for r in M], [Q(v) for v in b])
        out.append(st)
    return out


def _exact_array(rows: list, dtype) -> np.ndarray:
    arr = np.array([[float(v) for v in r] for r in rows], dtype=dtype)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if Q(float(arr[r, c])) != Q(v):
                raise OnnxError(f"weight {qs(v)} is not exactly representable in {np.dtype(dtype).name}")
    return arr


def write_onnx(net: Net, path: str | Path, dtype=np.float32) -> Path:
    """Gemm + Relu model with exactly the network's weights (OnnxError if one is not representable)."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    nodes, inits = [], []
    current = "X"
    for l, (W, b) in enumerate(net.layers):
        wn, bn, out = f"W{l}", f"B{l}", f"Z{l}" if l < len(net.layers) - 1 else "Y"
        inits.append(numpy_helper.from_array(_exact_array(W, dtype), wn))
        inits.append(numpy_helper.from_array(_exact_array([b], dtype)[0], bn))
        nodes.append(helper.make_node("Gemm", [current, wn, bn], [out], transB=1))
        current = out
        if l < len(net.layers) - 1:
            nodes.append(helper.make_node("Relu", [out], [f"H{l}"]))
            current = f"H{l}"
    graph = helper.make_graph(nodes, net.meta.get("name", "network"),
                              [helper.make_tensor_value_info("X", elem, [1, net.d])],
                              [helper.make_tensor_value_info("Y", elem, [1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="certify")
    model.ir_version = 8
    if net.meta.get("stages"):
        helper.set_model_props(model, {META_KEY: json.dumps(_stages_to_json(net.meta["stages"]))})
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _num(x) -> str:
    f = float(x)
    if Q(f) != Q(x):
        raise OnnxError(f"{qs(x)} is not exactly a binary64 number")
    return repr(f)


def write_vnnlib(path: str | Path, target: Target, box: list, delta: float = 1e-3) -> Path:
    """A VNN-LIB property whose violation region is |Y_0 - T(X)| >= delta on the box, for an order
    statistic target T (the k-th smallest of the inputs): a verifier answering "unsat" (holds) says
    |N - T| < delta on the box.  Linear terms (+ X_i delta) mix inputs and the output."""
    import itertools

    if target.type not in ("max", "min", "median", "order_statistic"):
        raise OnnxError("VNN-LIB properties are written for order-statistic targets only")
    d, k = len(box), target.k
    lines = [f"; certify: |Y_0 - T(X)| >= {delta} is the violation region, T = the {k}-th smallest of "
             f"{d} inputs ({target.type}); the box below", ""]
    lines += [f"(declare-const X_{i} Real)" for i in range(d)] + ["(declare-const Y_0 Real)", ""]
    for i, (lo, hi) in enumerate(box):
        lines += [f"(assert (>= X_{i} {_num(lo)}))", f"(assert (<= X_{i} {_num(hi)}))"]
    high = [" ".join(f"(>= Y_0 (+ X_{i} {delta!r}))" for i in S) for S in itertools.combinations(range(d), k)]
    low = [" ".join(f"(<= Y_0 (- X_{i} {delta!r}))" for i in S) for S in itertools.combinations(range(d), d - k + 1)]
    lines.append("(assert (or")
    lines += [f"  (and {c})" for c in high + low]
    lines.append("))")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
