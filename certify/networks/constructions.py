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
* :func:`max5_two_hidden` -- the max of 5 inputs with two hidden layers (an identity of the form quoted from
  Bakaev, Brunck, Hertrich, Stade & Yehudayoff, arXiv 2505.14338; its origin is in the docstring).
* :func:`shallow_max_approx` -- a one-hidden-layer approximation of the max of d inputs on
  [0, 1]^d with neurons relu(x_i - x_j) and relu(x_i), output weights fitted by least squares
  and rounded to dyadic rationals (its exact L2 error is then certified).

The gate networks (tournament, selection) record their stage structure in ``Net.meta["stages"]``
(values as max/min of earlier values, with the readout matrices) for the modular certificate; the
others are proven by a split tree.
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


def max5_two_hidden() -> Net:
    """max(x_1, ..., x_5) with TWO hidden layers (one fewer than the tournament's ceil(log2 5) = 3).

    Bakaev, Brunck, Hertrich, Stade & Yehudayoff (arXiv 2505.14338) prove that two hidden layers compute the
    max of five (cited from their abstract).  The identity below has the shape, and the term P1, that the
    public repository msun170/relu-max6 (LITERATURE.md) quotes from that paper; Q and the R_ij are our
    completion, the only one found (benchmarks/max5_completion_search.py) among joins of two zonotopes with
    vertices in {2e_i, e_i + e_j} when P2, P3, P4 are the images of P1 under the symmetries of the pairing
    {1, 2}, {3, 4}.  It was not checked against the paper's own text, which we could not read:

        2 max(x) = P1 + P2 + P3 + P4 + Q - R13 - R14 - R23 - R24,
        P_i = max(max(2x5, x_i + x_i'), max(x_i, x_j) + max(x_i, x_j'))   (i' the partner of i; j, j' the
                                                                          other pair),
        Q   = max(max(2x5, x1 + x2), x3 + x4),
        R_ij = max(max(2x5, x1 + x2), max(x3 + x4, x_i + x_j))          (i in {1, 2}, j in {3, 4}).

    Every term is max(A, B) with A, B sums of affine maps and relu's of affine maps (one hidden layer),
    so max(A, B) = B + relu(A - B) is two hidden layers.  Nothing here is trusted: the kernel decides
    N = max on all of R^5.

    Layer 1 (12 neurons): relu(2x5 - x1 - x2), relu(2x5 - x3 - x4), relu(x_i - x_j) and relu(x_j - x_i)
    (i in {1, 2}, j in {3, 4}), relu(x1), relu(-x1) (the linear parts of the terms are combinations of
    relu(u) - relu(-u) of these).  Layer 2: relu(A_t - B_t) for the nine terms, and every layer-1 neuron
    again where it is needed (relu of a nonnegative value is the value) to carry sum_t s_t B_t.  Output: half
    the signed sum.
    """
    from fractions import Fraction as Fr

    d = 5

    def vec(**kw) -> tuple:
        v = [0] * d
        for k, c in kw.items():
            v[int(k[1:]) - 1] += c
        return tuple(v)

    def diff(i: int, j: int) -> tuple:  # x_i - x_j (1-based)
        v = [0] * d
        v[i - 1] += 1
        v[j - 1] -= 1
        return tuple(v)

    relus = [vec(x5=2, x1=-1, x2=-1), vec(x5=2, x3=-1, x4=-1)]
    pairs = []  # (index of relu(u), index of relu(-u), u)
    for i in (1, 2):
        for j in (3, 4):
            pairs.append((len(relus), len(relus) + 1, diff(i, j)))
            relus += [diff(i, j), diff(j, i)]
    pairs.append((len(relus), len(relus) + 1, vec(x1=1)))
    relus += [vec(x1=1), vec(x1=-1)]
    index = {w: k for k, w in enumerate(relus)}

    # a one-hidden-layer function: (linear coefficients over x, {relu index: coefficient})
    def lin(v) -> tuple:
        return ([Fr(c) for c in v], {})

    def r(v) -> tuple:
        return ([Fr(0)] * d, {index[tuple(v)]: Fr(1)})

    def add(*fs) -> tuple:
        lo, rel = [Fr(0)] * d, {}
        for s, (fl, fr) in fs:
            lo = [a + s * b for a, b in zip(lo, fl)]
            for k, c in fr.items():
                rel[k] = rel.get(k, Fr(0)) + s * c
        return lo, rel

    def maxlin(u, v) -> tuple:  # max(u.x, v.x) = v.x + relu((u - v).x)
        return add((1, lin(v)), (1, r(tuple(a - b for a, b in zip(u, v)))))

    A12 = maxlin(vec(x5=2), vec(x1=1, x2=1))
    A34 = maxlin(vec(x5=2), vec(x3=1, x4=1))

    def pm(i: int, j: int) -> tuple:  # max(x_i, x_j) = x_j + relu(x_i - x_j)
        return maxlin(vec(**{f"x{i}": 1}), vec(**{f"x{j}": 1}))

    terms = [  # (sign, A, B)
        (1, A12, add((1, pm(1, 3)), (1, pm(1, 4)))),
        (1, A12, add((1, pm(2, 3)), (1, pm(2, 4)))),
        (1, A34, add((1, pm(3, 1)), (1, pm(3, 2)))),
        (1, A34, add((1, pm(4, 1)), (1, pm(4, 2)))),
        (1, A12, lin(vec(x3=1, x4=1))),
    ]
    for i in (1, 2):
        for j in (3, 4):
            other = 7 - j
            # max(x3 + x4, x_i + x_j) = x_j + max(x_other, x_i)
            terms.append((-1, A12, add((1, lin(vec(**{f"x{j}": 1}))), (1, pm(i, other)))))

    def neurons_of(f) -> list:
        """f as a combination of the layer-1 neurons (its linear part through the relu(u) - relu(-u) pairs)."""
        fl, fr = f
        coef = [Fr(0)] * len(relus)
        for k, c in fr.items():
            coef[k] += c
        # solve fl = sum_p a_p u_p over the pair directions (exact Gaussian elimination)
        U = [list(map(Fr, u)) for _, _, u in pairs]
        m = len(U)
        rows = [[U[p][i] for p in range(m)] + [fl[i]] for i in range(d)]
        piv, rr = [], 0
        for col in range(m):
            pr = next((k for k in range(rr, d) if rows[k][col] != 0), None)
            if pr is None:
                continue
            rows[rr], rows[pr] = rows[pr], rows[rr]
            rows[rr] = [v / rows[rr][col] for v in rows[rr]]
            for k in range(d):
                if k != rr and rows[k][col] != 0:
                    rows[k] = [a - rows[k][col] * b for a, b in zip(rows[k], rows[rr])]
            piv.append(col)
            rr += 1
        if any(all(v == 0 for v in row[:m]) and row[m] != 0 for row in rows):
            raise ValueError("linear part outside the span of the carried directions")
        a = [Fr(0)] * m
        for k, col in enumerate(piv):
            a[col] = rows[k][m]
        for (kp, km, _), ap in zip(pairs, a):
            coef[kp] += ap
            coef[km] -= ap
        return coef

    W1 = [[Q(c) for c in w] for w in relus]
    n1 = len(relus)
    W2 = []
    out = []
    S = add(*[(s, B) for s, _, B in terms])
    for s, A, B in terms:
        W2.append([Q(c) for c in neurons_of(add((1, A), (-1, B)))])
        out.append(Q(Fr(s, 2)))
    s_coef = neurons_of(S)
    for k in range(n1):
        if s_coef[k] != 0:
            W2.append([ONE if j == k else ZERO for j in range(n1)])
            out.append(Q(s_coef[k] / 2))
    return Net(d, [(W1, [ZERO] * n1), (W2, [ZERO] * len(W2)), ([out], [ZERO])],
               {"name": "max5-two-hidden-layers"})
