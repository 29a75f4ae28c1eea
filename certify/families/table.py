"""The families this producer knows: block pattern, rescaling, equations, and a starting point at s = 0.

UNTRUSTED.  The rescaling and the equations are evidence: the kernel checks everything it relies on
(an invertible combination, valuations, the Krawczyk test); a bad choice can only fail.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from certify.kernel.families.landscape import Cells, layout
from certify.kernel.families.system import Pattern, refine


@dataclass(frozen=True)
class Family:
    name: str
    blocks: tuple[str, ...]
    loss_scale: str  # "k" or "1"
    start: tuple  # psi at s = 0 (a float guess; polished by Newton)
    title: str
    k_min: int = 6  # the smallest integer claimed (above the transition)
    saddle_from: float = 5.0  # where the saddle side of the transition certificate starts
    explicit: tuple | None = None  # (ref, expo, L, div) when the default rescaling does not apply

    def sizes(self) -> tuple:
        out = []
        for b in self.blocks:
            if b == "k":
                out.append((0, 1))
            elif b.startswith("k-"):
                out.append((-int(b[2:]), 1))
            else:
                out.append((int(b), 0))
        return tuple(out)

    def pattern(self) -> Pattern:
        p = Cells(self.sizes())
        q, _, parent = refine(p)
        ref, expo, L, div = self.explicit if self.explicit is not None else rescaling(p)
        return Pattern(p, q, parent, ref, expo, L, div)


def rescaling(p: Cells) -> tuple:
    """The rescaling used for every family here: every d parameter of a block near -e_own (the constant
    blocks) or +e_own (the growing block); deviations s^2 psi, except the growing block's own entries
    (d, o: s^4 psi, its students are e_c + O(1/k^2)).  Equations: per coordinate cell, the first parameter's
    per-entry gradient as it is, the others minus it (their degree-1 parts cancel) divided by s^2; for the
    growing cell's coordinates, every per-entry gradient divided by s^2 (docs/families.md)."""
    lay = layout(p)
    n = lay.n
    grow = [b for b, (_, c1) in enumerate(p.sizes) if c1][0]
    ref, expo = [], []
    for prm in lay.params:
        if prm[0] == "d":
            ref.append(1 if prm[1] == grow else -1)
        else:
            ref.append(0)
        student = prm[2] if prm[0] == "x" else prm[1]
        expo.append(4 if (student == grow and prm[0] in ("d", "o")) else 2)
    L = np.zeros((n, n), dtype=int)
    div = [0] * n
    by_cell: dict = {}
    for a, prm in enumerate(lay.params):
        by_cell.setdefault(prm[1], []).append(a)
    for cell, params in by_cell.items():
        if cell == grow:
            for a in params:
                L[a, a] = 1
                div[a] = 2
            continue
        # the first x parameter (a student of another cell at this coordinate) anchors the cell
        anchor = next((a for a in params if lay.params[a][0] == "x"), params[0])
        for a in params:
            L[a, a] = 1
            if a != anchor:
                L[a, anchor] = -1
                div[a] = 2
    return tuple(ref), tuple(expo), tuple(tuple(int(x) for x in r) for r in L), tuple(div)


PI = math.pi
FAMILIES = {
    "delta-s-k-minus-1": Family("delta-s-k-minus-1", ("1", "k-1"), "k",
                                (2 + 8 / PI + 8 / PI**2, 2.0, 4 / PI, 8 / PI, -4 / PI),
                                "ΔS_{k−1}: blocks p = (1, k − 1)"),
    # every student near -e_own: w_i = a e_i + b (1 - e_i), a = -1 + s^2 A, b = s^2 B; the two per-entry
    # gradients need no division (their s^0 parts already form a regular system)
    "delta-s-k": Family("delta-s-k", ("k",), "1", (2.0, 2.0), "ΔS_k: blocks p = (k)",
                        explicit=((-1, 0), (2, 2), ((1, 0), (0, 1)), (0, 0))),
    # the published (a, k - a) classes (Safran, Yehudai & Shamir 2021, e.g. k = 50): a students near -e_own;
    # start: the s = 0 solution (polished by Newton; found by continuation from the published k = 50 points)
    "two-k-minus-2": Family("two-k-minus-2", ("2", "k-2"), "k",
                            (5.357049, 2.0, 1.922756, 4 / PI, 16 / PI, -8 / PI), "blocks p = (2, k − 2)", k_min=8, saddle_from=6.0),
    "three-k-minus-3": Family("three-k-minus-3", ("3", "k-3"), "k",
                              (5.357049, 2.0, 1.922756, 4 / PI, 24 / PI, -12 / PI), "blocks p = (3, k − 3)", k_min=10, saddle_from=7.0),
}
# p = (a, k - a) for a = 4 ... 12 (12: the kernel's largest constant block), the same start with the a-dependent
# entries 8a/pi, -4a/pi; k_min the least integer above the transition k* (floating point: 10.98, 12.57, 14.10,
# 15.60, 17.07, 18.51, 19.93, 21.33, 22.71), saddle_from where the floating-point continuation still runs
_NAMES = {4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
for _a, (_k_min, _saddle) in {4: (11, 8.0), 5: (13, 10.0), 6: (15, 11.0), 7: (16, 12.0), 8: (18, 14.0),
                              9: (19, 16.0), 10: (20, 17.0), 11: (22, 18.0), 12: (23, 19.0)}.items():
    _name = f"{_NAMES[_a]}-k-minus-{_a}"
    FAMILIES[_name] = Family(_name, (str(_a), f"k-{_a}"), "k", (5.357049, 2.0, 1.922756, 4 / PI, 8 * _a / PI, -4 * _a / PI),
                             f"blocks p = ({_a}, k − {_a})", k_min=_k_min, saddle_from=_saddle)
