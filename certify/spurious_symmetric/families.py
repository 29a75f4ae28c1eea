"""Symmetric families continued in k, far past any search (UNTRUSTED producer).

Two families of critical points of the n = k teacher-student loss:

* ``delta-s-k-minus-1``: isotropy Delta S_{k-1}, blocks p = (1, k - 1)
  (Arjevani & Field; the most frequent published class for small k);
* ``delta-s-k``: isotropy Delta S_k, blocks p = (k), w_i = a e_i + b (1 - e_i)
  (the points stored densely in certificates/spurious_minima/symmetric/).

The compact loss (certify.spurious_symmetric.compact) is defined for real block
sizes, so a family is followed by Newton's method with natural-parameter
continuation in k: from k to k + 1 with a secant predictor, and for jumps
(100 -> 200 -> ... -> 10 000) along geometric steps of real k (the
intermediate real-k points are only predictors and are never certified).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import compact as C

FAMILIES = ("delta-s-k-minus-1", "delta-s-k")
DEFAULT_KS = list(range(6, 101)) + [200, 500, 1000, 2000, 5000, 10000]

# a published point of each family (the k = 7 class of sys2021-minima.json; Delta S_k from its ansatz)
_SEED_K1 = (7, np.array([[-0.6327039049152542, 0.2616910758354652, 0.0],
                         [0.18599104632000957, 0.9969227987935689, -0.035080155932389]]))


def blocks(family: str, k: float) -> list:
    if family == "delta-s-k-minus-1":
        return [1, k - 1]
    if family == "delta-s-k":
        return [k]
    raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")


def min_k(family: str) -> int:
    """Smallest k for which the family is defined as a spurious candidate (the start of continuation)."""
    return 3


def _start(family: str, k: float) -> np.ndarray:
    if family == "delta-s-k":
        return np.array([[-1.0 + 2.0 / k, 2.0 / k]])
    return _SEED_K1[1].copy()


def continue_family(family: str, ks, max_ratio: float = 1.25) -> dict[int, C.Polished]:
    """Polished compact points of the family for every integer k in ``ks``.

    Walks up from the seed and down below it, one integer at a time up to the
    largest k <= 100 asked for, then in geometric steps of real k (ratio
    ``max_ratio``) between the larger targets; each step starts from a secant
    prediction through the two previous points."""
    ks = sorted({int(k) for k in ks})
    if not ks:
        return {}
    if ks[0] < min_k(family):
        raise ValueError(f"{family}: k must be at least {min_k(family)}")
    out: dict[int, C.Polished] = {}
    seed_k = 7 if family == "delta-s-k-minus-1" else ks[0]
    seed = C.newton(blocks(family, seed_k), _start(family, seed_k))
    want = set(ks)
    if seed_k in want:
        out[seed_k] = seed

    def walk(path):
        prev = [(float(seed_k), seed.vals)]
        for kk in path:
            if len(prev) >= 2:
                (k1, v1), (k2, v2) = prev[-2], prev[-1]
                guess = v2 + (v2 - v1) * (kk - k2) / (k2 - k1)
            else:
                guess = prev[-1][1]
            pol = C.newton(blocks(family, kk), guess)
            if not np.all(np.isfinite(pol.vals)) or pol.grad_norm > 1e-6:
                pol = C.newton(blocks(family, kk), prev[-1][1])  # no predictor
            prev.append((float(kk), pol.vals))
            if float(kk).is_integer() and int(kk) in want:
                out[int(kk)] = pol

    below = [k for k in range(seed_k - 1, ks[0] - 1, -1)]
    if below:
        walk(below)
    small = [k for k in ks if k <= 100]
    path = list(range(seed_k + 1, max(small, default=seed_k) + 1))
    big = [k for k in ks if k > 100]
    kk = float(path[-1] if path else seed_k)
    for target in big:
        while kk < target:
            kk = min(float(target), kk * max_ratio)
            path.append(kk)
    walk(path)
    return out


def certify_family(family: str, ks, out_dir: Path, overwrite: bool = False, all_dims: bool = True,
                   log=print):
    """Certify the family at each k (nature 'minimum' or, where it is one, 'saddle'); returns the Outcomes."""
    from ..progress import progress
    from .symmetric import certify_compact, file_name, write

    points = continue_family(family, ks)
    base: dict = {}
    base["family"] = family
    base["continuation"] = "Newton in the compact parameters, continued in k (secant predictor)"
    outcomes = []
    for k in progress(sorted(points), total=len(points), desc=family, unit="k"):
        pol = points[k]
        name = (None if overwrite else
                (lambda loss, nature, k=k: Path(out_dir) / file_name(k, blocks(family, k), loss, 5, nature)))
        out = certify_compact(blocks(family, k), pol.vals, all_dims=all_dims, provenance=dict(base),
                              polish_first=False, tighten=True, existing=name)
        if out.kept:
            log(f"{family} k={k}: {out.reason}")
        elif out.certified:
            name = file_name(k, blocks(family, k), out.estimates["loss"], 5, out.nature)
            write(out, Path(out_dir) / name, overwrite, log=log)
        else:
            log(f"{family} k={k}: NOT certified: {out.reason}")
        outcomes.append(out)
    return outcomes


# --------------------------------------------------------------------------- results page


def smallest_minimum_k(rows: list[dict]) -> tuple[int | None, int | None]:
    """(k0, proven saddle just below) : the smallest k with every certified k >= k0 a minimum."""
    done = sorted((r["k"], r["nature"]) for r in rows if r["path"])
    k0 = None
    for k, nature in reversed(done):
        if nature != "minimum":
            break
        k0 = k
    below = next((k for k, nature in done if k0 is not None and k == k0 - 1 and nature == "saddle"), None)
    return k0, below


def families_page(results: dict, meta: dict) -> str:
    titles = {"delta-s-k-minus-1": "Δ S_{k−1}: blocks p = (1, k − 1)", "delta-s-k": "Δ S_k: blocks p = (k)"}
    lines = [
        "# Symmetric families of spurious minima, certified to k = 10 000",
        "",
        "Two families of critical points of the n = k teacher–student loss, followed in k by Newton's",
        "method in their compact parameters (`certify/spurious_symmetric/families.py`; continuation from",
        "k to k + 1 with a secant predictor, and along geometric steps of real k for the jumps",
        "100 → 200 → … → 10 000) and certified with the kind `relu-spurious-minimum-symmetric`",
        "for **every input dimension d ≥ k**. Certificates: `certificates/spurious_symmetric/families/`.",
        "",
        f"Produced by: `{meta.get('command', '')}` — {meta.get('produce_text', '')}.",
        f"Checked by: `{meta.get('check_command', '')}` — {meta.get('check_text', '')}.",
        "",
    ]
    for fam, res in results.items():
        rows = res["rows"]
        k0, below = smallest_minimum_k(rows)
        lines += [f"## {titles.get(fam, fam)}", ""]
        if k0 is not None:
            lines.append(f"**Smallest k from which the family is a spurious minimum (for every certified k ≥ it): "
                         f"k = {k0}**" + (f", with a certified saddle at k = {below} just below it." if below
                                          else "."))
            lines.append("")
        lines += ["| k | nature | proven loss | loss·k | proven λ_min(H) ≥ | proven λ_min(M) ≥ | "
                  "saddle: curvature ≤ | float λ_min(H) |", "|---|---|---|---|---|---|---|---|"]
        for r in sorted(rows, key=lambda r: r["k"]):
            b = r["bounds"]
            lo, hi = (b.get("loss") or [None, None])
            lines.append(
                f"| {r['k']} | {r['nature'] or 'NOT certified: ' + str(r['reason'])} | "
                f"[{_f(lo, '.10g')}, {_f(hi, '.10g')}] | {_f(None if lo is None else lo * r['k'], '.6f')} | "
                f"{_f(b.get('hessian_min_eigenvalue_lower_bound'), '.5g')} | "
                f"{_f(b.get('m_min_eigenvalue_lower_bound'), '.5g')} | "
                f"{_f(b.get('negative_curvature_upper_bound'), '.4g')} | "
                f"{_f(r['hessian_min_eigenvalue_estimate'], '.6g')} |")
        lines.append("")
    lines += ["![loss·k and λ_min against k](families.png)", ""]
    if meta.get("notes"):
        lines += [part for note in meta["notes"] for part in (note, "")]
    lines += ["This page and its plot are generated: `python benchmarks/spurious_pages.py` (from the JSON data "
              "beside it in docs/results/).", ""]
    return "\n".join(lines) + "\n"


def _f(x, spec):
    return "—" if x is None else format(x, spec)


def families_plot(results: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for fam, res in results.items():
        rows = sorted((r for r in res["rows"] if r["path"]), key=lambda r: r["k"])
        ks = [r["k"] for r in rows]
        a1.loglog(ks, [r["bounds"]["loss"][0] * r["k"] for r in rows], "o-", ms=3, label=fam)
        mins = [r for r in rows if r["nature"] == "minimum"]
        a2.semilogx([r["k"] for r in mins], [r["bounds"]["hessian_min_eigenvalue_lower_bound"] for r in mins],
                    "o-", ms=3, label=f"{fam}: proven λ_min(H) ≥")
        a2.semilogx([r["k"] for r in mins], [r["hessian_min_eigenvalue_estimate"] for r in mins], ":",
                    label=f"{fam}: float λ_min(H)")
        sad = [r for r in rows if r["nature"] == "saddle"]
        if sad:
            a2.semilogx([r["k"] for r in sad], [r["bounds"]["negative_curvature_upper_bound"] for r in sad], "x",
                        label=f"{fam}: certified saddle (curvature ≤)")
    a1.set_ylabel("proven loss · k")
    a1.legend(fontsize=8, frameon=False)
    a1.set_title("Symmetric families, certified for every d ≥ k")
    a2.axhline(0.0, color="k", lw=0.5)
    a2.set_ylabel("λ_min(H)")
    a2.set_xlabel("k (log scale)")
    a2.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.2), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
