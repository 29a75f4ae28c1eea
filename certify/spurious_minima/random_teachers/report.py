"""Tables and plots of random-teacher statistics files (read only; UNTRUSTED)."""
from __future__ import annotations

import json
from pathlib import Path

from .experiment import STATS_FORMAT, cell_key, empty_stats, wilson


def load_stats(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != STATS_FORMAT:
        raise ValueError(f"{path}: not a {STATS_FORMAT} statistics file")
    return data


def merge(files) -> dict:
    """The cells of several statistics files (a later file's cell replaces an earlier one's)."""
    out = empty_stats()
    cells = {}
    for f in files:
        for c in load_stats(f)["cells"]:
            cells[cell_key(c)] = c
    out["cells"] = [cells[key] for key in sorted(cells)]
    return out


def _pct(x: int, n: int) -> str:
    lo, hi = wilson(x, n)
    return f"{100 * x / n:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]" if n else "–"


def table(stats: dict) -> str:
    """Markdown table: per (k, d) the random teachers' row and, where present, the identity teacher's."""
    lines = ["| k | d | teacher | teachers × runs | runs ending in a certified spurious minimum (95 % CI) | "
             "teachers with a certified spurious minimum (95 % CI) | runs: global / spurious (float) / saddle / other | "
             "classes certified / found | wall s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(stats["cells"], key=lambda c: (c["k"], c["d"], c["identity"])):
        lab = c["labels"]
        who = "identity [I, 0]" if c["identity"] else "random N(0, 1/d)"
        certified = c.get("certified", True)
        teachers = "–" if c["identity"] else (_pct(c["teachers_certified"], c["teachers"]) if certified
                                              else f"(not certified; {c['teachers_with_spurious']} with a float one)")
        cert = _pct(c["runs_certified"], c["runs"]) if certified else "(not certified)"
        lines.append(f"| {c['k']} | {c['d']} | {who} | {c['teachers']} × {c['runs_per_teacher']} | {cert} | {teachers} | "
                     f"{lab['global']} / {lab['spurious']} / {lab['saddle']} / {lab['other']} | "
                     f"{c['classes_certified']} / {c['classes']} | {c['wall_seconds']:.0f} |")
    return "\n".join(lines)


def plot(stats: dict, out: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = stats["cells"]
    ratios = sorted({c["d"] // c["k"] for c in cells if c["d"] % c["k"] == 0})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = dict(zip(ratios, ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")))
    for ident in (False, True):
        for r in ratios:
            sel = sorted((c for c in cells if c["identity"] == ident and c["d"] == r * c["k"]), key=lambda c: c["k"])
            if not sel:
                continue
            ks = [c["k"] for c in sel]
            style = "--" if ident else "-"
            label = f"d = {r}k, " + ("identity teacher" if ident else "random teachers")
            for ax, (num, den) in zip(axes, (("runs_certified", "runs"), ("teachers_certified", "teachers"))):
                if ident and num == "teachers_certified":
                    continue
                p = [c[num] / c[den] for c in sel]
                ci = [wilson(c[num], c[den]) for c in sel]
                ax.plot(ks, p, style, marker="o" if not ident else "s", color=colors[r], label=label)
                ax.fill_between(ks, [a for a, _ in ci], [b for _, b in ci], color=colors[r], alpha=0.12)
    axes[0].set_title("runs ending in a certified spurious minimum")
    axes[1].set_title("random teachers with a certified spurious minimum")
    for ax in axes:
        ax.set_xlabel("k = n")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fraction (95 % Wilson band)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
