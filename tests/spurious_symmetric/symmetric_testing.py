"""Test-side helpers for the symmetric kind (dense counterparts of its compact objects)."""
from __future__ import annotations

import numpy as np

from certify.kernel.spurious_symmetric import compact as C


def cell_matrix(q):
    """Rows = vec of the 0/1 cell-indicator matrices Q_s of Fix(G_q) (rows of W = students), in the
    order of the kernel's compact parameters: theta = Q vec(W) / D and W = reshape(Q^T theta)."""
    lay = C.layout(tuple(q))
    k, m = sum(q), len(q)
    blk = np.repeat(np.arange(m), q)
    Q = np.zeros((lay.n, k, k))
    for c in range(k):
        for r in range(k):
            b, a = blk[c], blk[r]
            s = lay.index[("x", a, b)] if a != b else (lay.index[("d", b)] if r == c else lay.index[("o", b)])
            Q[s, c, r] = 1.0
    return Q.reshape(lay.n, k * k)
