"""Candidates files: what a search found, as plain JSON data (UNTRUSTED).

A search can run where the checker cannot (a GPU machine without
python-flint): ``certify search --candidates FILE`` writes the spurious classes
found, and ``certify prove --candidates FILE`` certifies them elsewhere.  This
module imports nothing from the checker.
"""
from __future__ import annotations

KIND = "relu-spurious-minimum"
CANDIDATES_FORMAT = "certify-candidates"


def candidates_data(results) -> dict:
    """The spurious classes of one or more searches, as plain JSON data (untrusted)."""
    searches = []
    for result in results:
        cfg = result.config
        searches.append({
            "k": cfg.k, "n": cfg.n, "runs": cfg.runs, "seed": cfg.seed, "lr": cfg.lr,
            "init_std": cfg.init_std, "backend": cfg.backend, "steps": cfg.steps,
            "spurious_fraction": result.spurious_fraction,
            "candidates": [
                {"point": [[float(x) for x in row] for row in c.point], "loss": c.loss, "min_eig": c.min_eig,
                 "min_eig_m": c.min_eig_m, "runs": c.runs}
                for c in result.classes if c.label == "spurious"
            ],
        })
    return {"format": CANDIDATES_FORMAT, "version": 1, "kind": KIND, "searches": searches}
