"""The published record (Safran, Yehudai & Shamir 2021) turned into certificates (UNTRUSTED producer).

Every class of a file shaped like data/sys2021-minima.json is polished
in the compact parameters and certified with the symmetric kind into
``OUT/k{K:03d}/relu-sym-k{K:03d}-p{a}-{b}-loss{loss:.8f}.json``.  A class the
kernel does not prove a minimum is tried as a saddle; whatever happens is
returned per class (``Outcome``) and summarized by :func:`record_rows`.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .symmetric import Outcome, certify_compact, file_name, write



def load_classes(path: Path) -> tuple[dict, list[dict]]:
    """(header, classes) of a sys2021-minima.json-shaped file; ValueError when it is not one."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
        raise ValueError("expected an object with a 'classes' list (the layout of sys2021-minima.json)")
    classes = data["classes"]
    for i, c in enumerate(classes):
        validate_entry(c, f"classes[{i}]")
    header = {key: value for key, value in data.items() if key != "classes"}
    return header, classes


def validate_entry(c, where: str = "entry") -> None:
    if not isinstance(c, dict) or "p" not in c or "vals" not in c:
        raise ValueError(f"{where}: expected an object with 'p' and 'vals'")
    p = c["p"]
    if not (isinstance(p, list) and p and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in p)):
        raise ValueError(f"{where}: 'p' must be a non-empty list of positive integers")
    m = len(p)
    vals = np.asarray(c["vals"], dtype=np.float64) if _is_matrix(c["vals"]) else None
    if vals is None or vals.shape != (m, m + 1) or not np.all(np.isfinite(vals)):
        raise ValueError(f"{where}: 'vals' must be a finite {m} x {m + 1} matrix")
    if "k" in c and c["k"] != sum(p):
        raise ValueError(f"{where}: k = {c['k']} but sum(p) = {sum(p)}")


def _is_matrix(v) -> bool:
    return isinstance(v, list) and all(isinstance(r, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in r) for r in v)


def prove_record(classes: list[dict], out_dir: Path, all_dims: bool = True, overwrite: bool = False,
                 log=print, source: str = "sys2021-minima.json") -> list[Outcome]:
    """Certify every class; returns one Outcome per class (certified or with the reason)."""
    from ..progress import progress

    outcomes = []
    base: dict = {}
    bar = progress(total=len(classes), desc="published classes", unit="class")
    for index, c in enumerate(classes):
        p = tuple(c["p"])
        k = sum(p)
        prov = dict(base)
        prov["source"] = {"file": source, "index": index, "runs": c.get("runs"),
                          "reported_min_hessian_eigenvalue": c.get("reported_min_hessian_eigenvalue")}
        t0 = time.perf_counter()
        name = (None if overwrite else
                (lambda loss, nature, k=k, p=p: Path(out_dir) / f"k{k:03d}" / file_name(k, p, loss, 3, nature)))
        out = certify_compact(p, c["vals"], all_dims=all_dims, provenance=prov, existing=name)
        out.index = index  # type: ignore[attr-defined]
        out.runs = c.get("runs")  # type: ignore[attr-defined]
        out.reported = c.get("reported_min_hessian_eigenvalue")  # type: ignore[attr-defined]
        if out.kept:
            pass
        elif out.certified:
            path = Path(out_dir) / f"k{k:03d}" / file_name(k, p, out.estimates["loss"], 3, out.nature)
            write(out, path, overwrite, log=lambda s: None)
        else:
            log(f"class {index} (k={k}, p={list(p)}): NOT certified: {out.reason}")
        out.wall = time.perf_counter() - t0  # type: ignore[attr-defined]
        outcomes.append(out)
        bar.update(1)
    bar.close()
    return outcomes


def record_rows(outcomes: list[Outcome]) -> list[dict]:
    """One plain row per class (for the results page and its JSON data)."""
    rows = []
    for o in outcomes:
        rows.append({
            "index": getattr(o, "index", None), "k": o.k, "p": list(o.p), "runs": getattr(o, "runs", None),
            "loss_estimate": o.estimates.get("loss"), "grad_norm_estimate": o.estimates.get("grad_norm"),
            "hessian_min_eigenvalue_estimate": o.estimates.get("hessian_min_eigenvalue"),
            "reported_min_hessian_eigenvalue": getattr(o, "reported", None),
            "m_min_eigenvalue_estimate": o.estimates.get("m_min_eigenvalue"),
            "nature": o.nature, "path": str(o.path) if o.path else None, "bounds": o.bounds,
            "reason": o.reason or None, "check_seconds": o.seconds, "seconds": getattr(o, "wall", None),
        })
    return rows


def per_k_table(rows: list[dict]) -> list[dict]:
    """Per k: classes published, certified minima, certified saddles, smallest proven lambda_min, loss range."""
    table = []
    for k in sorted({r["k"] for r in rows}):
        rk = [r for r in rows if r["k"] == k]
        mins = [r for r in rk if r["nature"] == "minimum" and r["path"]]
        lam = [_bound(r, "hessian_min_eigenvalue_lower_bound") for r in mins]
        lam = [x for x in lam if x is not None]
        losses = [_loss(r) for r in mins]
        table.append({
            "k": k, "published": len(rk), "certified_minima": len(mins),
            "certified_saddles": sum(r["nature"] == "saddle" and bool(r["path"]) for r in rk),
            "not_certified": sum(not r["path"] for r in rk),
            "min_lambda": min(lam) if lam else None,
            "loss_lo": min(x[0] for x in losses) if losses else None,
            "loss_hi": max(x[1] for x in losses) if losses else None,
        })
    return table


def _bound(row, *names):
    for n in names:
        v = row["bounds"].get(n)
        if isinstance(v, (int, float)):
            return float(v)
    return None


def _loss(row):
    v = row["bounds"].get("loss")
    if isinstance(v, list) and len(v) == 2:
        return float(v[0]), float(v[1])
    e = row["loss_estimate"]
    return e, e


# --------------------------------------------------------------------------- results page


def compare_search(search_rows: list[dict], global_runs: dict, runs_published: int = 500,
                   published_classes: dict | None = None) -> dict:
    """Per-k Fisher exact tests (two-sided) of 'run reaches the global minimum': our search against the
    published counts, and Fisher's method over the k compared.  Needs scipy."""
    from scipy.stats import combine_pvalues, fisher_exact

    rows = []
    for r in search_rows:
        k = int(r["k"])
        ours, n1 = int(r.get("global", r.get("global_runs"))), int(r["runs"])
        theirs, n2 = int(global_runs.get(str(k), 0)), runs_published
        _, pval = fisher_exact([[ours, n1 - ours], [theirs, n2 - theirs]], alternative="two-sided")
        ours_classes = r.get("classes", r.get("spurious_classes"))
        if isinstance(ours_classes, list):
            ours_classes = len(ours_classes)
        rows.append({"k": k, "ours": ours, "runs": n1, "published": theirs, "published_runs": n2,
                     "p_value": float(pval), "classes": ours_classes,
                     "published_classes": (published_classes or {}).get(k, 0)})
    stat, pooled = combine_pvalues([r["p_value"] for r in rows], method="fisher")
    return {"rows": rows, "fisher_statistic": float(stat), "pooled_p_value": float(pooled)}


def _fmt(x, spec):
    return "—" if x is None else format(x, spec)


def exceptional_rows(rows: list[dict]) -> list[dict]:
    """The classes the results page lists one by one: not certified, or proven saddles."""
    return [r for r in rows if not r["path"] or r["nature"] != "minimum"]


def record_page(table: list[dict], rows: list[dict], comparison: dict | None, meta: dict) -> str:
    """docs/results/published-record.md from the per-k table, the exceptional rows (or all rows) and the
    search comparison."""
    n = sum(t["published"] for t in table)
    mins = sum(t["certified_minima"] for t in table)
    sads = sum(t["certified_saddles"] for t in table)
    bad = [r for r in rows if not r["path"]]
    lam_all = [t["min_lambda"] for t in table if t["min_lambda"] is not None]
    lines = [
        "# The published record of spurious minima, certified",
        "",
        "Safran, Yehudai & Shamir (COLT 2021) published 2208 classes of spurious local minima of the",
        "two-layer ReLU teacher–student loss (n = k students, teacher I_k), k = 7…100, each checked in",
        "floating point only (`data/sys2021-minima.json`). Each class was polished by Newton's",
        "method in its compact parameters (`certify/spurious_symmetric/compact.py`, O(m³) work per",
        "evaluation whatever k is) and certified with the claim kind `relu-spurious-minimum-symmetric`",
        "(theorem: docs/spurious-symmetric.md) for **every input dimension d ≥ k**. The certificates are",
        "in `certificates/spurious_symmetric/published/k{K}/`, one per class.",
        "",
        f"**{n} classes published; {mins} certified spurious strict local minima; {sads} certified saddles; "
        f"{len(bad)} not certified.**",
        "",
        f"Produced by: `{meta.get('command', '')}` — {meta.get('produce_seconds', 0):.0f} s wall "
        f"({meta.get('produce_note', '')}).",
        f"Checked by: `{meta.get('check_command', '')}` — {meta.get('check_text', 'not measured')}.",
        "",
    ]
    if bad:
        lines += ["## Classes not certified", "", "| index | k | p | reason |", "|---|---|---|---|"]
        for r in bad:
            lines.append(f"| {r['index']} | {r['k']} | {r['p']} | {r['reason']} |")
        lines.append("")
    sad = [r for r in rows if r["nature"] == "saddle"]
    if sad:
        lines += ["## Classes proven to be saddles (the float check missed them)", "",
                  "| index | k | p | proven negative curvature ≤ | published λ_min |", "|---|---|---|---|---|"]
        for r in sad:
            lines.append(f"| {r['index']} | {r['k']} | {r['p']} | "
                         f"{_fmt(r['bounds'].get('negative_curvature_upper_bound'), '.3e')} | "
                         f"{_fmt(r['reported_min_hessian_eigenvalue'], '.3e')} |")
        lines.append("")
    lines += [
        "## Per k",
        "",
        "λ_min: the smallest proven lower bound of the Hessian's smallest eigenvalue over the certified",
        "minima of that k (each certificate proves λ_min(H) ≥ μ on its whole box). Loss range: the union",
        "of the proven loss enclosures.",
        "",
        "| k | published | certified minima | saddles | not certified | smallest proven λ_min | loss range |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in table:
        lines.append(f"| {t['k']} | {t['published']} | {t['certified_minima']} | {t['certified_saddles']} | "
                     f"{t['not_certified']} | {_fmt(t['min_lambda'], '.4e')} | "
                     f"[{_fmt(t['loss_lo'], '.8f')}, {_fmt(t['loss_hi'], '.8f')}] |")
    if lam_all:
        best = min((t for t in table if t["min_lambda"] is not None), key=lambda t: t["min_lambda"])
        lines += ["", f"Smallest proven λ_min over the whole record: {best['min_lambda']:.4e} (k = {best['k']})."]
    lines += ["", "![proven λ_min and loss against k](published-record.png)", ""]
    if comparison:
        lines += [
            "## `certify spurious-minima search` against the published global-minimum counts",
            "",
            meta.get("search_text", ""),
            "",
            "Per k, a two-sided Fisher exact test of “a run ends in the global minimum” (ours: 500 runs,",
            "seed 0; published: 500 runs, `global_minimum_runs`); pooled over k by Fisher's method",
            "(−2 Σ ln p ~ χ² with 2K degrees of freedom; the per-k samples are independent).",
            "",
            "| k | ours: global / runs | published: global / runs | p-value | spurious classes: ours / published |",
            "|---|---|---|---|---|",
        ]
        for r in comparison["rows"]:
            lines.append(f"| {r['k']} | {r['ours']} / {r['runs']} | {r['published']} / {r['published_runs']} | "
                         f"{r['p_value']:.3g} | {_fmt(r.get('classes'), 'd')} / "
                         f"{_fmt(r.get('published_classes'), 'd')} |")
        lines += ["", f"Fisher's method over k = {comparison['rows'][0]['k']}…{comparison['rows'][-1]['k']}: "
                      f"χ² = {comparison['fisher_statistic']:.2f} on {2 * len(comparison['rows'])} degrees of "
                      f"freedom, pooled p = {comparison['pooled_p_value']:.3g}.", ""]
        if meta.get("comparison_note"):
            lines += [meta["comparison_note"], ""]
    lines += ["This page and its plot are generated: `python benchmarks/spurious_pages.py` (from the JSON data "
              "beside it in docs/results/).", ""]
    return "\n".join(lines) + "\n"


def record_plot(table: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ks = [t["k"] for t in table if t["min_lambda"] is not None]
    lam = [t["min_lambda"] for t in table if t["min_lambda"] is not None]
    lo = [t["loss_lo"] for t in table if t["min_lambda"] is not None]
    hi = [t["loss_hi"] for t in table if t["min_lambda"] is not None]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    a1.semilogy(ks, lam, "o-", ms=3)
    a1.set_ylabel("smallest proven λ_min(H)")
    a1.set_title("Published spurious minima (Safran, Yehudai & Shamir 2021), certified for every d ≥ k")
    a2.fill_between(ks, lo, hi, alpha=0.4, label="range of proven losses over the classes of k")
    a2.plot(ks, lo, "-", lw=0.8)
    a2.plot(ks, hi, "-", lw=0.8)
    a2.set_ylabel("loss F(W*)")
    a2.set_xlabel("k = n")
    a2.xaxis.set_major_locator(MaxNLocator(integer=True))
    a2.legend(loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(0, -0.18), ncol=1)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
