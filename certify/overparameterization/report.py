"""Tabulate checked ``relu-one-more-neuron`` certificates (UNTRUSTED reporting helper).

Every row comes from the trusted checker's verdict (certify.kernel.checking.check_file);
the paper's float values (Safran, Yehudai & Shamir 2021, data/sys2021-minima.json) are
matched by k and loss (|loss difference| < 1e-6, our loss enclosure against the loss of
the paper's compact-form point evaluated in floating point).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..kernel.checking import check_file

from ..paths import expand_paths
from ..kernel.certificate import load_certificate


def compact_to_point(p: list[int], vals: list[list[float]]) -> np.ndarray:
    """The student point W (rows = neurons) of a class in the data file's compact form."""
    k = sum(p)
    m = len(p)
    block = np.repeat(np.arange(m), p)
    A = np.empty((k, k))
    for r in range(k):
        for c in range(k):
            i, j = block[r], block[c]
            A[r, c] = vals[i][j] if i != j else (vals[i][i] if r == c else vals[i][m])
    return A.T.copy()


def paper_classes(path) -> list[dict]:
    from ..spurious_minima import landscape as L

    data = json.loads(Path(path).read_text())
    out = []
    for c in data["classes"]:
        W = compact_to_point(c["p"], c["vals"])
        loss = float(L.loss(W[None], L.identity_teacher(c["k"]))[0])
        out.append({**c, "loss": loss})
    return out


def rows_of(paths) -> tuple[list[dict], float]:
    files, missing = expand_paths(paths)
    if missing:
        raise ValueError("; ".join(missing))
    rows = []
    total = 0.0
    for f in files:
        t = time.perf_counter()
        v = check_file(f)
        dt = time.perf_counter() - t
        total += dt
        if v.kind != "relu-one-more-neuron":
            continue
        if not v.proven:
            raise ValueError(f"{f}: NOT PROVEN: {v.message}")
        cert = load_certificate(f)
        if cert["claim"].get("same_dimension") is not None:
            continue  # part (c) certificates repeat (a), (b) of a minimum already tabulated (same-dimension/)
        b = v.bounds
        rows.append({"file": str(f), "k": cert["claim"]["k"], "n": cert["claim"]["n"],
                     "neuron": cert["claim"]["neuron"], "loss": b["minimum_loss"],
                     "norm_margin": b.get("norm_margin_lower_bound"),
                     "form": ("dense" if cert["minimum"]["kind"] == "relu-spurious-minimum"
                              else "p = " + "/".join(map(str, cert["minimum"]["claim"].get("blocks", [])))),
                     "blocks": (None if cert["minimum"]["kind"] == "relu-spurious-minimum"
                                else list(cert["minimum"]["claim"].get("blocks", []))), "split_margin": b["split_margin_lower_bound"],
                     "t0": b["t0"], "q": b["split_decrease_coefficient"], "seconds": dt})
    rows.sort(key=lambda r: (r["k"], r["loss"][0]))
    return rows, total


def match_class(r: dict, classes: list[dict]) -> dict | None:
    """The published class of a row: same k, |loss difference| < 1e-6, same blocks (symmetric), closest loss."""
    mid = 0.5 * (r["loss"][0] + r["loss"][1])
    cands = [c for c in classes if c["k"] == r["k"] and abs(c["loss"] - mid) < 1e-6
             and (r.get("blocks") is None or list(c["p"]) == r["blocks"])]
    return min(cands, key=lambda c: abs(c["loss"] - mid)) if cands else None


def report(paths, paper=None, plot=None, full: bool = False, overwrite: bool = False) -> str:
    """Per-k table of the smallest proven margins (and, with ``full``, one row per certificate)."""
    rows, total = rows_of(paths)
    if not rows:
        raise ValueError("no relu-one-more-neuron certificate found")
    classes = paper_classes(paper) if paper else []
    lines = ["| k | certificates | smallest proven k − Σ‖w_i*‖ | paper: smallest k − Σ‖w‖ (float) | "
             "smallest proven ½ − M_ii | paper: smallest max_i(½ − M_ii) (float) | smallest t0 |",
             "|---|---|---|---|---|---|---|"]
    for k in sorted({r["k"] for r in rows}):
        at = [r for r in rows if r["k"] == k]
        nm = [r["norm_margin"] for r in at if r["norm_margin"] is not None]
        pc = [c for c in classes if c["k"] == k]
        pn = f"{min(k - c['reported_norm_sum'] for c in pc):.4e}" if pc else "—"
        ps = f"{min(-min(c['reported_split_lambda']) for c in pc):.4e} ({len(pc)} classes)" if pc else "—"
        nmt = f"{min(nm):.4e}" if nm else "not claimed"
        if nm and len(nm) < len(at):
            nmt += f" ({len(at) - len(nm)} not claimed)"
        lines.append(f"| {k} | {len(at)} | {nmt} | {pn} | {min(r['split_margin'] for r in at):.4e} | {ps} | "
                     f"{min(r['t0'] for r in at):g} |")
    claimed = [r for r in rows if r["norm_margin"] is not None]
    b = min(rows, key=lambda r: r["split_margin"])
    lines += ["", f"{len(rows)} certificates, all PROVEN; checking took {total:.1f} s in all "
                  f"(slowest {max(r['seconds'] for r in rows):.2f} s)."]
    if claimed:
        a = min(claimed, key=lambda r: r["norm_margin"])
        lines.append(f"smallest proven k − Σ‖w_i*‖: {a['norm_margin']:.4e} at k = {a['k']} ({a['file']})")
    if len(claimed) < len(rows):
        lines.append("zero neuron not claimed (margin below the enclosure width) for k = "
                     + ", ".join(str(r["k"]) for r in rows if r["norm_margin"] is None))
    lines.append(f"smallest proven ½ − M_ii: {b['split_margin']:.4e} at k = {b['k']} ({b['file']})")
    if classes:
        gaps_n, gaps_s, matched = [], [], 0
        for r in rows:
            c = match_class(r, classes)
            if c is None:
                continue
            matched += 1
            if r["norm_margin"] is not None:
                gaps_n.append((r["k"] - c["reported_norm_sum"] - r["norm_margin"]) / (r["k"] - c["reported_norm_sum"]))
            gaps_s.append((-min(c["reported_split_lambda"]) - r["split_margin"]) / -min(c["reported_split_lambda"]))
        if matched:
            lines.append(f"{matched} certificates match a published class (same k, |loss difference| < 1e-6, same "
                         "blocks); "
                         f"proven margin vs the paper's float value, relative shortfall: k − Σ‖w‖ at most "
                         f"{max(gaps_n):.2e} (min {min(gaps_n):.2e}), ½ − M_ii at most {max(gaps_s):.2e} "
                         f"(min {min(gaps_s):.2e}; the chosen neuron has the most negative M_ii − ½, like the paper's min)")
    if full:
        lines += ["", "| k | minimum | F_k(W*) | proven k − Σ‖w_i*‖ ≥ | neuron/block | proven ½ − M_ii ≥ "
                      "| t0 | q | check s | certificate |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            mid = 0.5 * (r["loss"][0] + r["loss"][1])
            nm = "not claimed" if r["norm_margin"] is None else f"{r['norm_margin']:.4e}"
            lines.append(f"| {r['k']} | {r['form']} | {mid:.8f} | {nm} | {r['neuron']} | {r['split_margin']:.4e} | "
                         f"{r['t0']:g} | {r['q']:.3g} | {r['seconds']:.2f} | {r['file']} |")
    if plot:
        _plot(rows, classes, plot, overwrite)
        lines.append(f"plot: {plot}")
    return "\n".join(lines) + "\n"


def _plot(rows, classes, path, overwrite: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True)
    panels = [
        ("k − Σ‖w_i*‖ (zero neuron)", [(r["k"], r["norm_margin"]) for r in rows if r["norm_margin"] is not None],
         [(c["k"], c["k"] - c["reported_norm_sum"]) for c in classes], "tab:blue"),
        ("½ − M_ii (split neuron)", [(r["k"], r["split_margin"]) for r in rows],
         [(c["k"], -min(c["reported_split_lambda"])) for c in classes], "tab:red"),
    ]
    for ax, (title, proven, paper, color) in zip(axes, panels):
        if paper:
            ax.scatter(*zip(*paper), s=14, facecolors="none", edgecolors="0.45", linewidths=0.6,
                       label="paper, 2208 classes (float, not proven)")
        ax.scatter(*zip(*proven), s=5, color=color, label=f"proven lower bound ({len(proven)} certificates)")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("k (n = k → k + 1 students)")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("margin")
    fig.suptitle("One more neuron: proven margins of the certified spurious minima (log scales)")
    fig.tight_layout()
    from ..producer_cli import save_figure

    save_figure(fig, Path(path), overwrite)
    plt.close(fig)
    plt.close(fig)
