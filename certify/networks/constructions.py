"""Explicit ReLU constructions with rational weights (UNTRUSTED producer side).

* :func:`max_tournament` -- max (or min) of d inputs by a balanced tournament of max gates,
  ceil(log2 d) hidden layers: max(u, v) = relu(u - v) + relu(v) - relu(-v), an unpaired value
  carried by u = relu(u) - relu(-u).
* :func:`selection_network` -- the k-th smallest of d inputs (median by default) from Batcher's
  odd-even merge sort, pruned to the comparators the output depends on; one hidden layer per
  comparator layer: max(u, v) as above, min(u, v) = relu(v) - relu(-v) - relu(v - u).
* :func:`shallow_to_deep` -- a one-hidden-layer network sum_i c_i relu(w_i.x + b_i) + c_0 as a
  deep network with one hidden layer per neuron (Vardi, Yehudai & Shamir 2022, the idea of
  carrying the input and a running sum): on R^d the input is carried as relu(x) - relu(-x) and
  the sum as relu(s) - relu(-s) (width 2d + 3); on a box [-B, B]^d it is carried shifted,
  x + B >= 0 and s + S >= 0 (width d + 2).
* :func:`shallow_max_approx` -- a one-hidden-layer approximation of the max of d inputs on
  [0, 1]^d with neurons relu(x_i - x_j) and relu(x_i), output weights fitted by least squares
  and rounded to dyadic rationals (its exact L2 error is then certified).

Every constructed network records its stage structure in ``Net.meta["stages"]`` (values as
max/min of earlier values, with the readout matrices) for the modular certificate.
"""
from __future__ import annotations

import random
from fractions import Fraction

from .exact import ONE, ZERO, Net, Q

Gate = tuple  # ("max"|"min"|"id", (args...))


def gates_network(d: int, stages: list[list[Gate]], name: str = "") -> Net:
    """The network computing, stage by stage, values that are max/min of two earlier values or an earlier
    value carried (id).  Returns a Net with meta["stages"] (ops, args, readout, next) for the modular proof.

    A stage's neurons, for each gate on values (u, v) (indices into the previous stage's values):
      max:  relu(u - v), relu(v), relu(-v)            -> max = n1 + n2 - n3
      min:  relu(v - u), relu(v), relu(-v)            -> min = n2 - n3 - n1
      both (same pair as max and min): relu(u - v), relu(v - u), relu(v), relu(-v)
      id:   relu(u), relu(-u)                         -> u = n1 - n2
    """
    prev = d
    A_list, C_list, vals_list = [], [], []
    for gates in stages:
        rows_A: list[list] = []  # neuron pre-activation as a combination of the previous values
        readout: list[list] = []  # value as a combination of this stage's neurons (filled below)
        neuron_of: dict = {}

        def neuron(coeffs: dict) -> int:
            key = tuple(sorted(coeffs.items()))
            if key not in neuron_of:
                neuron_of[key] = len(rows_A)
                row = [ZERO] * prev
                for i, c in coeffs.items():
                    row[i] = Q(c)
                rows_A.append(row)
            return neuron_of[key]

        specs = []
        for op, args in gates:
            if op == "id":
                (u,) = args
                specs.append({neuron({u: 1}): 1, neuron({u: -1}): -1})
            else:
                u, v = args
                p, m = neuron({v: 1}), neuron({v: -1})
                if op == "max":
                    specs.append({neuron({u: 1, v: -1}): 1, p: 1, m: -1})
                else:
                    specs.append({neuron({u: -1, v: 1}): -1, p: 1, m: -1})
        n = len(rows_A)
        for spec in specs:
            row = [ZERO] * n
            for i, c in spec.items():
                row[i] += Q(c)
            readout.append(row)
        A_list.append(rows_A)
        C_list.append(readout)
        vals_list.append([("max" if op == "id" else op, tuple(args)) for op, args in gates])
        prev = len(gates)
    if prev != 1:
        raise ValueError("the last stage must produce exactly one value")
    # layers: W_1 = A_1; W_(s+1) = A_(s+1) C_s; output = C_last
    layers = []
    for s, A in enumerate(A_list):
        if s == 0:
            W = A
        else:
            C = C_list[s - 1]
            W = [[sum((a[k] * C[k][j] for k in range(len(a)) if a[k] != 0), ZERO) for j in range(len(C[0]))]
                 for a in A]
        layers.append((W, [ZERO] * len(A)))
    layers.append((C_list[-1], [ZERO]))
    stages_meta = []
    for s in range(len(A_list)):
        st = {"values": vals_list[s]}
        if s < len(A_list) - 1:
            st["readout"] = (C_list[s], [ZERO] * len(C_list[s]))
            st["next"] = (A_list[s + 1], [ZERO] * len(A_list[s + 1]))
        stages_meta.append(st)
    return Net(d, layers, {"stages": stages_meta, "name": name})


def max_tournament(d: int, op: str = "max") -> Net:
    """max (or min) of d inputs with ceil(log2 d) hidden layers (d >= 2)."""
    if d < 2:
        raise ValueError("d >= 2")
    stages, m = [], d
    while m > 1:
        gates = [(op, (2 * i, 2 * i + 1)) for i in range(m // 2)]
        if m % 2:
            gates.append(("id", (m - 1,)))
        stages.append(gates)
        m = len(gates)
    return gates_network(d, stages, f"{op}-tournament-d{d}")


def batcher_comparators(n: int) -> list[list[tuple[int, int]]]:
    """Layers of comparators (i, j), i < j (min to i, max to j) of Batcher's odd-even merge sort for n
    wires (built for the next power of two; comparators touching a wire >= n are dropped, as if those
    wires held +infinity)."""
    N = 1
    while N < n:
        N *= 2
    layers = []
    p = 1
    while p < N:
        k = p
        while k >= 1:
            layer = []
            for j in range(k % p, N - k, 2 * k):
                for i in range(min(k, N - j - k)):
                    a, b = i + j, i + j + k
                    if (a // (2 * p)) == (b // (2 * p)) and b < n:
                        layer.append((a, b))
            if layer:
                layers.append(layer)
            k //= 2
        p *= 2
    return layers


def selection_network(d: int, k: int | None = None) -> Net:
    """The k-th smallest of d inputs (default: the median, d odd) by a pruned sorting network."""
    k = (d + 1) // 2 if k is None else k
    comps = batcher_comparators(d)
    # backward pruning: which wires each layer must provide
    need = [{k - 1}]
    for layer in reversed(comps):
        want = set(need[-1])
        for a, b in layer:
            if a in want or b in want:
                want |= {a, b}
        need.append(want)
    need.reverse()  # need[t] = wires needed before layer t; need[-1] = {k - 1}
    stages = []
    where = {w: w for w in range(d)}  # wire -> index of its value in the previous stage
    for t, layer in enumerate(comps):
        out_need = need[t + 1]
        gates, new_where = [], {}
        touched = set()
        for a, b in layer:
            touched |= {a, b}
            if a in out_need:
                new_where[a] = len(gates)
                gates.append(("min", (where[a], where[b])))
            if b in out_need:
                new_where[b] = len(gates)
                gates.append(("max", (where[a], where[b])))
        for w in sorted(out_need - touched):
            new_where[w] = len(gates)
            gates.append(("id", (where[w],)))
        if all(g[0] == "id" for g in gates):
            continue
        stages.append(gates)
        where = new_where
    return gates_network(d, stages, f"select-k{k}-d{d}")


def _rand_dyadic(rng: random.Random, scale: int = 4, bits: int = 4) -> Fraction:
    return Fraction(rng.randint(-scale * (1 << bits), scale * (1 << bits)), 1 << bits)


def random_shallow(d: int, n: int, seed: int = 0) -> Net:
    """A one-hidden-layer network of width n with random dyadic weights (exact in binary32)."""
    rng = random.Random(seed)
    W = [[Q(_rand_dyadic(rng, 2)) for _ in range(d)] for _ in range(n)]
    b = [Q(_rand_dyadic(rng, 1)) for _ in range(n)]
    c = [[Q(_rand_dyadic(rng, 2)) for _ in range(n)]]
    return Net(d, [(W, b), (c, [Q(_rand_dyadic(rng, 1))])], {"name": f"shallow-d{d}-n{n}-seed{seed}"})


def shallow_to_deep(shallow: Net, box: Fraction | None = None) -> Net:
    """The deep narrow network equal to ``shallow`` (one hidden layer) on R^d (box None, width 2d + 3) or on
    [-box, box]^d (width d + 2).  One hidden layer per neuron of the shallow network."""
    (W, b), (C, c0) = shallow.layers
    d, n = shallow.d, len(b)
    c = C[0]
    layers = []
    if box is None:
        # hidden units of layer l: x+ (d), x- (d), t_l = relu(w_l.x + b_l), s+ , s-  (s = sum_{i<l} c_i t_i)
        def x_of(prev_kind):  # coefficients giving x from the previous layer's units
            return prev_kind
        for l in range(n):
            rows, bias = [], []
            if l == 0:
                for i in range(d):
                    rows.append([ONE if j == i else ZERO for j in range(d)]); bias.append(ZERO)
                for i in range(d):
                    rows.append([-ONE if j == i else ZERO for j in range(d)]); bias.append(ZERO)
                rows.append(list(W[0])); bias.append(b[0])
                rows.append([ZERO] * d); bias.append(ZERO)
                rows.append([ZERO] * d); bias.append(ZERO)
            else:
                width = 2 * d + 3
                # previous units: 0..d-1 x+, d..2d-1 x-, 2d t_(l-1), 2d+1 s+, 2d+2 s-
                def xrow(i, sign):
                    r = [ZERO] * width
                    r[i], r[d + i] = Q(sign), Q(-sign)
                    return r
                for i in range(d):
                    rows.append(xrow(i, 1)); bias.append(ZERO)
                for i in range(d):
                    rows.append(xrow(i, -1)); bias.append(ZERO)
                t = [ZERO] * width
                for i in range(d):
                    t[i] += W[l][i]
                    t[d + i] -= W[l][i]
                rows.append(t); bias.append(b[l])
                s = [ZERO] * width
                s[2 * d], s[2 * d + 1], s[2 * d + 2] = c[l - 1], ONE, -ONE
                rows.append(s); bias.append(ZERO)
                rows.append([-v for v in s]); bias.append(ZERO)
            layers.append((rows, bias))
        out = [ZERO] * (2 * d + 3)
        out[2 * d], out[2 * d + 1], out[2 * d + 2] = c[n - 1], ONE, -ONE
        layers.append(([out], [c0[0]]))
        return Net(d, layers, {"name": f"deep-of-{shallow.meta.get('name', 'shallow')}-Rd"})
    B = Q(box)
    # |sum_i c_i t_i| <= S on the box
    S = ZERO
    for l in range(n):
        S += abs(c[l]) * (sum((abs(w) for w in W[l]), ZERO) * B + abs(b[l]))
    # hidden units of layer l: y = x + B (d), t_l, u = s + S  (s = sum_{i<l} c_i t_i)
    for l in range(n):
        rows, bias = [], []
        if l == 0:
            for i in range(d):
                rows.append([ONE if j == i else ZERO for j in range(d)]); bias.append(B)
            rows.append(list(W[0])); bias.append(b[0])
            rows.append([ZERO] * d); bias.append(S)
        else:
            width = d + 2
            for i in range(d):
                r = [ZERO] * width
                r[i] = ONE
                rows.append(r); bias.append(ZERO)
            t = [ZERO] * width
            for i in range(d):
                t[i] = W[l][i]
            rows.append(t); bias.append(b[l] - B * sum(W[l], ZERO))
            u = [ZERO] * width
            u[d], u[d + 1] = c[l - 1], ONE
            rows.append(u); bias.append(ZERO)
        layers.append((rows, bias))
    out = [ZERO] * (d + 2)
    out[d], out[d + 1] = c[n - 1], ONE
    layers.append(([out], [c0[0] - S]))
    return Net(d, layers, {"name": f"deep-of-{shallow.meta.get('name', 'shallow')}-box{box}"})


def shallow_max_approx(d: int, bits: int = 8, samples: int = 20000, seed: int = 0) -> Net:
    """A one-hidden-layer approximation of max(x_1..x_d) on [0, 1]^d: neurons relu(x_i - x_j) (i != j) and
    relu(x_i); output weights and bias by least squares on uniform samples, rounded to multiples of 2^-bits."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.random((samples, d))
    rows = [[ONE if k == i else (-ONE if k == j else ZERO) for k in range(d)] for i in range(d) for j in range(d)
            if i != j]
    rows += [[ONE if k == i else ZERO for k in range(d)] for i in range(d)]
    Wf = np.array([[float(v) for v in r] for r in rows])
    H = np.maximum(X @ Wf.T, 0)
    H1 = np.c_[H, np.ones(samples)]
    coef, *_ = np.linalg.lstsq(H1, X.max(axis=1), rcond=None)
    q = [Q(Fraction(round(float(v) * (1 << bits)), 1 << bits)) for v in coef]
    return Net(d, [(rows, [ZERO] * len(rows)), ([q[:-1]], [q[-1]])], {"name": f"shallow-max-approx-d{d}"})
