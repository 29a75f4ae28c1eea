"""Figure of the Hermite tails eps_sigma(n) of all activations (UNTRUSTED; matplotlib optional)."""
from __future__ import annotations

import math

from ..kernel.hermite.activations import ACTIVATIONS
from ..progress import progress

STYLE = {
    "relu": ("ReLU", "tab:blue", "-"),
    "abs": ("|x|", "tab:cyan", "--"),
    "erf": ("erf", "tab:green", "-"),
    "gelu": ("GELU", "tab:olive", "--"),
    "sigmoid": ("sigmoid", "tab:red", "-"),
    "tanh": ("tanh", "tab:orange", "-"),
    "softplus": ("softplus", "tab:purple", "--"),
    "silu": ("SiLU", "tab:brown", ":"),
}


def log10_tails(name: str, degree: int, normalized: bool = True) -> list[float]:
    """log10 eps(n), n = 0..degree (from the rigorous balls' midpoints; display only)."""
    from .produce import compute

    e = compute(name, degree, normalized)
    return [float(t.mid().log()) / math.log(10) for t in e.tails]


def plot_tails(path: str, degree: int | None = None, normalized: bool = True, names=None) -> None:
    """Write one figure: eps(n) against n (log y), and against n+1 on log-log axes."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError as exc:  # noqa: F841
        raise ImportError("matplotlib is needed for the plot (pip install 'certify[plot]')") from None
    from .produce import default_degree

    names = list(names or ACTIVATIONS)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    for name in progress(names, desc="hermite tails", unit=" activation"):
        n_max = degree if degree is not None else default_degree(name)
        ys = log10_tails(name, n_max, normalized)
        label, color, ls = STYLE.get(name, (name, None, "-"))
        xs = list(range(len(ys)))
        left.plot(xs, ys, ls, color=color, label=label, lw=1.6)
        right.plot([math.log10(x + 1) for x in xs], ys, ls, color=color, label=label, lw=1.6)
    exp_fmt = FuncFormatter(lambda v, _: f"$10^{{{int(round(v))}}}$")
    for ax in (left, right):
        ax.yaxis.set_major_formatter(exp_fmt)
        ax.grid(True, alpha=0.3)
        ax.set_ylabel(r"$\varepsilon_\sigma(n) = \sum_{i>n} a_i^2$")
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{v:g}}}$" if float(v).is_integer() else ""))
    left.set_xlabel("degree n")
    right.set_xlabel("n + 1 (log scale)")
    right.set_ylim(-25, 1)
    left.set_ylim(top=5)
    left.set_title("Hermite tails (log scale): power law for kinked, faster for smooth")
    right.set_title("log-log: ReLU and |x| decay like $n^{-3/2}$")
    left.legend(ncol=2, fontsize=9)
    norm = "normalized so that E σ(X)² = 1" if normalized else "raw activations"
    fig.suptitle(f"Certified Hermite tails of activations ({norm}); every value enclosed with relative width ≤ 1e-10")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
