"""Reading family certificates (UNTRUSTED): per-piece enclosures for plots, agreement with the per-k
certificates of the symmetric kind, the literature expansions, and the results page."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from certify.kernel.certificate import NotProven
from certify.kernel.families import cover as K
from certify.kernel.families.kind import KIND

PI = math.pi
# leading terms of the expansions in s = 1/sqrt(k) (docs/families.md, section 5: the limit and the odd term
# of the own-teacher group of the defective students; Arjevani & Field expand these families in 1/sqrt(k))
EXPANSIONS = {
    ("1", "k-1"): ("k F", lambda s: 0.5 - 2 / PI**2 - 32 / (3 * PI**4) * s),
    ("k",): ("F", lambda s: 0.5 - 1 / PI - 4 / (3 * PI) * s),
}


def pieces(cert: dict, only=None) -> dict:
    """Per piece of a family certificate (or only the pieces of the indices ``only``): the s-interval, its
    nature, the kernel's enclosure of the scaled loss and (minimum pieces) the proven lower bound of
    lambda_min of the scaled compression."""
    data = {k: v for k, v in cert.items() if k != "provenance"}
    c = KIND.parse(data)
    bp = c.breakpoints
    idx = np.arange(bp.size - 1) if only is None else np.asarray(only, dtype=int)
    pc = K.Pieces(bp[:-1][idx], bp[1:][idx], c.centers[idx], c.slopes[idx], c.radii[idx])
    kr = K.krawczyk(c.pattern, pc)
    cu = K.curvatures(c.pattern, pc, kr.offset, c.loss_power)
    T = pc.t_interval()
    delta = np.maximum(np.abs(T.lo), np.abs(T.hi))
    lam = np.full(pc.n, np.nan)
    natures = [c.natures[i] for i in idx]
    for i in range(pc.n):
        if natures[i] == "minimum":
            try:
                lam[i] = K.pencil_lower_bound(cu.C_c[i], cu.C_1[i], cu.C_2[i], float(delta[i]))
            except NotProven:
                pass
    return {"index": idx, "s_lo": pc.s_lo, "s_hi": pc.s_hi, "natures": natures, "loss_lo": cu.loss.lo,
            "loss_hi": cu.loss.hi, "lambda_lo": lam, "claim": c}


def per_k_rows(folder: Path) -> list[dict]:
    """The stored per-k certificates of the symmetric kind in a folder: k, blocks, proven bounds, values."""
    from certify.kernel.checking import check_file

    rows = []
    for f in sorted(Path(folder).glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        if d.get("kind") != "relu-spurious-minimum-symmetric":
            continue
        v = check_file(f)
        rows.append({"path": str(f), "k": d["claim"]["k"], "blocks": d["claim"]["blocks"],
                     "nature": d["claim"]["nature"], "values": d["values"], "proven": v.proven, "bounds": v.bounds})
    return rows


def agreement(cert: dict, rows: list[dict]) -> list[dict]:
    """For every per-k certificate whose k the family certificate covers: is its stored point's psi in the
    family's box for the piece of s = 1/sqrt(k), and do the two proven loss enclosures intersect?"""
    from certify.kernel.spurious_symmetric.compact import values_to_theta

    data = {k: v for k, v in cert.items() if k != "provenance"}
    c = KIND.parse(data)
    bp = c.breakpoints
    rows = [r for r in rows if r["nature"] == "minimum" and r["proven"]]
    want = {}
    for r in rows:
        s = 1.0 / math.sqrt(r["k"])
        hits = np.nonzero((bp[:-1] <= s) & (s <= bp[1:]))[0]
        if hits.size and c.natures[int(hits[0])] == "minimum":
            want[r["k"]] = int(hits[0])
    if not want:
        return []
    order = sorted(set(want.values()))
    pr = pieces(cert, order)
    out = []
    scale = c.loss_power
    for r in rows:
        k = r["k"]
        if k not in want:
            continue
        s = 1.0 / math.sqrt(k)
        i = order.index(want[k])
        j = want[k]
        phi = values_to_theta(tuple(r["blocks"]), np.array(r["values"]))
        ref = np.array(c.pattern.ref, dtype=float)
        expo = np.array(c.pattern.expo)
        psi = (phi - ref) / s ** expo
        sc = min(max(0.5 * pr["s_lo"][i] + 0.5 * pr["s_hi"][i], pr["s_lo"][i]), pr["s_hi"][i])
        line = c.centers[j] + (s - sc) * c.slopes[j]
        in_box = bool(np.all(np.abs(psi - line) <= c.radii[j] * (1 + 1e-9)))
        lo, hi = r["bounds"]["loss"]
        fam_lo, fam_hi = pr["loss_lo"][i] / k ** (scale / 2), pr["loss_hi"][i] / k ** (scale / 2)
        out.append({"k": k, "in_box": in_box, "per_k_loss": [lo, hi], "family_loss": [fam_lo, fam_hi],
                    "intersect": bool(lo <= fam_hi and fam_lo <= hi),
                    "per_k_lambda": r["bounds"].get("hessian_min_eigenvalue_lower_bound")})
    return out


def plot(rows: list[dict], out, per_k: dict | None = None, curves: dict | None = None, overwrite: bool = False) -> None:
    """k F (or F) and lambda_min against k (log axis): the proven per-piece enclosures, the per-k certificates,
    the limits and the leading terms of the expansions.  ``rows``: certificates as read by the CLI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    many = len(rows) > 5  # legends beside the axes, one colour per family (20 distinct)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(12.5, 9.5) if many else (8, 8.5), sharex=True)
    tab = plt.get_cmap("tab20").colors
    colors = list(tab[0::2]) + list(tab[1::2])
    for n, r in enumerate(rows):
        cert = {"claim": r["claim"], "cover": r["cover"], **r.get("evidence", {})}
        pr = r["pieces"]
        col = colors[n % len(colors)]
        blocks = tuple(r["claim"]["blocks"])
        label = f"p = ({', '.join(blocks)})"
        kmax = 1e12
        kk_lo = np.minimum(1.0 / np.maximum(pr["s_hi"], 1e-6) ** 2, kmax)
        kk_hi = np.minimum(1.0 / np.maximum(pr["s_lo"], 1e-6) ** 2, kmax)
        mid_k = np.sqrt(kk_lo * kk_hi)
        minimum = np.array([x == "minimum" for x in pr["natures"]])
        a1.fill_between(np.concatenate([[kk_lo[i], kk_hi[i]] for i in range(len(kk_lo))]),
                        np.repeat(pr["loss_lo"], 2), np.repeat(pr["loss_hi"], 2), color=col, alpha=0.35, lw=0)
        a1.plot(mid_k, 0.5 * (pr["loss_lo"] + pr["loss_hi"]), "-", color=col, lw=0.8,
                label=f"{label}: proven {'k F' if r['claim']['loss_scale'] == 'k' else 'F'} (pieces)")
        lim = r["claim"].get("limits")
        if lim:
            a1.axhline(lim["loss"][0], color=col, ls=":", lw=0.8)
            a2.axhline(lim["hessian_min_eigenvalue"][0], color=col, ls=":", lw=0.8)
        if blocks in EXPANSIONS:
            name, f = EXPANSIONS[blocks]
            kx = np.logspace(math.log10(6), math.log10(kmax), 200)
            a1.plot(kx, f(1 / np.sqrt(kx)), "--", color=col, lw=0.8, label=f"{label}: expansion to O(s)")
        if curves and blocks in curves:
            cv = curves[blocks]
            a2.plot(cv["k"], cv["lambda_h"], "-", color=col, lw=0.8, label=f"{label}: λ_min(H) (float, on the curve)")
        lam = pr["lambda_lo"]
        ok = minimum & np.isfinite(lam)
        a2.plot(mid_k[ok], lam[ok], ".", color=col, ms=2, alpha=0.6, label=f"{label}: proven λ_min(C̃) ≥ (pieces)")
        tr = r["claim"].get("transition")
        if tr:
            a2.axvline(tr["k_star"][1], color=col, lw=0.6, ls="-.")
        if per_k and blocks in per_k:
            pts = per_k[blocks]
            a1.plot([p["k"] for p in pts], [p["loss"] for p in pts], "x", color="k", ms=3.5,
                    label="per-k certificates (symmetric kind)" if n == 0 else None)
            a2.plot([p["k"] for p in pts if p["lambda"]], [p["lambda"] for p in pts if p["lambda"]], "x",
                    color="k", ms=3.5)
    a1.set_xscale("log")
    a1.set_ylabel("proven k·F_k(W*_k)   (F_k for p = (k))")
    a1.legend(fontsize=7, frameon=False, **({"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if many
                                               else {"loc": "lower right"}))
    a1.set_title("Symmetric families, proven for every k (cover in s = 1/√k, limit at s = 0)")
    a2.axhline(0.25 - 1 / (2 * PI), color="k", lw=0.5, ls=":")
    a2.set_ylabel("λ_min")
    a2.set_xlabel("k (log scale, drawn to 10¹²; the first piece of every cover reaches k = ∞)")
    a2.set_ylim(-0.012, 0.1)
    a2.axhline(0.0, color="k", lw=0.4)
    a2.legend(fontsize=6.5, frameon=False, ncol=2, **({"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if many
                                                        else {"loc": "lower right"}))
    fig.tight_layout()
    from ..producer_cli import save_figure

    save_figure(fig, Path(out), overwrite)  # atomic, never over an existing file without overwrite
    plt.close(fig)
