"""The completion search behind the max of 5 with two hidden layers (docs/results/networks.md).

Given the shape 2 max(x_1..x_5) = P1 + P2 + P3 + P4 + Q - R13 - R14 - R23 - R24 and the term
P1 = max(max(2x5, x1 + x2), max(x1, x3) + max(x1, x4)) (as quoted from arXiv 2505.14338 in the public
repository msun170/relu-max6), with P2, P3, P4 the images of P1 under the symmetries of the pairing
{1, 2}, {3, 4}, find every Q and R13 (R14, R23, R24 its images under 3<->4, 1<->2 and both) among the
support functions of joins conv(Z1 u Z2) of two zonotopes with vertices in {2e_i, e_i + e_j}.
Support functions are compared at 40 random integer points (a filter, not a proof: the stored
certificate max/max-d05-two-hidden.json is the proof of the identity).

Usage:  python3 benchmarks/max5_completion_search.py      (about 3 s)
"""
from __future__ import annotations

import itertools
import random

N = 5


def lattice() -> list[tuple]:
    pts = []
    for i in range(N):
        pts.append(tuple(2 if k == i else 0 for k in range(N)))
    for i, j in itertools.combinations(range(N), 2):
        pts.append(tuple(1 if k in (i, j) else 0 for k in range(N)))
    return pts


def zonotopes(pts: list[tuple]) -> set[frozenset]:
    """Vertex sets (with all 2^k corners) of zonotopes p + sum of segments [0, g], corners in the lattice."""
    inside = set(pts)
    gens = sorted({g for p in pts for q in pts if p != q
                   for g in [tuple(a - b for a, b in zip(p, q))] if g > tuple(-v for v in g)})
    out: set[frozenset] = set()

    def grow(corners: frozenset, start: int) -> None:
        out.add(corners)
        for j in range(start, len(gens)):
            moved = {tuple(a + b for a, b in zip(v, gens[j])) for v in corners}
            if moved <= inside:
                grow(corners | moved, j + 1)

    for p in pts:
        grow(frozenset([p]), 0)
    return out


def permute(vs, perm: dict) -> frozenset:
    out = set()
    for v in vs:
        w = [0] * N
        for i in range(N):
            w[perm.get(i, i)] = v[i]
        out.add(tuple(w))
    return frozenset(out)


def main() -> None:
    rng = random.Random(1)
    X = [tuple(rng.randint(-1000, 1000) for _ in range(N)) for _ in range(40)]

    def h(vs, x) -> int:
        return max(sum(a * b for a, b in zip(v, x)) for v in vs)

    def values(vs) -> tuple:
        return tuple(h(vs, x) for x in X)

    zs = list(zonotopes(lattice()))
    blocks: dict = {}
    for a in range(len(zs)):
        for b in range(a, len(zs)):
            blocks.setdefault(values(zs[a] | zs[b]), zs[a] | zs[b])
    print(f"{len(zs)} zonotopes (points included), {len(blocks)} distinct join support functions")
    e = lambda i, j: tuple((k == i) + (k == j) for k in range(N))  # noqa: E731  (e_i + e_j; 2e_i when i == j)
    x1, x2, x3, x4, x5 = range(N)
    P1 = {e(x5, x5), e(x1, x2), e(x1, x1), e(x1, x3), e(x1, x4), e(x3, x4)}
    s12, s34, spairs = {x1: x2, x2: x1}, {x3: x4, x4: x3}, {x1: x3, x3: x1, x2: x4, x4: x2}
    P3 = permute(P1, spairs)
    Ps = [frozenset(P1), permute(P1, s12), P3, permute(P3, s34)]
    rest = [2 * max(x) - sum(h(P, x) for P in Ps) for x in X]  # = Q - sum R
    images = [{}, s34, s12, {**s12, **s34}]
    found = []
    for R in blocks.values():
        need = list(rest)
        for m in images:
            need = [a + b for a, b in zip(need, values(permute(R, m)))]
        if tuple(need) in blocks:
            found.append((sorted(R), sorted(blocks[tuple(need)])))
    print(f"{len(found)} completion(s) (R13 candidates; relabellings of one another count separately):")
    for R, Q in found:
        print(f"  R13 vertices {R}\n      Q vertices {Q}")


if __name__ == "__main__":
    main()
