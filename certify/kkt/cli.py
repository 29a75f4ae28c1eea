"""`certify kkt search` and `certify kkt examples` (KKT points of the max-margin problem).

``certify check`` / ``certify show`` decide and display the resulting
``kkt-max-margin`` certificates (certify.kkt.check).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_DIR = Path("certificates") / "kkt"
ARCH_CHOICES = ("two_layer_relu", "diagonal_linear", "fully_connected_linear")
DATASETS = ("wide-angle", "random-unit", "clusters")


def _user_error(msg: str):
    from ..cli import UserError

    return UserError(msg)


def load_data_file(path: str):
    """Data JSON {"x": [[...], ...], "y": [...]} with exact rationals (integers or "p/q" strings)."""
    from ..certificate import CertificateError, parse_json_text
    from .networks import parse_data

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _user_error(f"--data {path}: cannot read: {exc}") from None
    try:
        obj = parse_json_text(text)
        xs = obj.get("x")
        if not isinstance(xs, list) or not xs or not isinstance(xs[0], list) or not xs[0]:
            raise CertificateError("field 'x' must be a non-empty list of non-empty lists (one row per example)")
        return parse_data(obj, len(xs[0]), ctx="data")
    except CertificateError as exc:
        raise _user_error(f"--data {path}: {exc}") from None


def _named_dataset(args):
    from fractions import Fraction as F

    from .instances import random_unit_dataset
    from .networks import Data

    if args.dataset == "wide-angle":
        return Data([[F(1), F(0)], [F(-7, 25), F(24, 25)]], [1, 1])
    if args.n < 1 or args.n > 100000:
        raise _user_error("--n must be between 1 and 100000")
    if args.dim < 2 or args.dim > 10000:
        raise _user_error(f"--dim must be between 2 and 10000 for {args.dataset} data")
    if args.dataset == "clusters":
        from .instances import clusters_dataset

        if not 1 <= args.clusters <= 1000:
            raise _user_error("--clusters must be between 1 and 1000")
        return clusters_dataset(args.n, args.dim, args.data_seed, k=args.clusters,
                                labels="positive" if args.labels == "positive" else "mixed")
    return random_unit_dataset(args.n, args.dim, args.data_seed, labels=args.labels)


def _architecture(args, d: int):
    from .networks import Architecture

    if args.arch == "two_layer_relu":
        if not 1 <= args.width <= 10000:
            raise _user_error("--width must be between 1 and 10000")
        return Architecture("two_layer_relu", d, width=args.width)
    if not 2 <= args.depth <= 20:
        raise _user_error("--depth must be between 2 and 20")
    if args.arch == "diagonal_linear":
        return Architecture("diagonal_linear", d, depth=args.depth)
    try:
        hw = tuple(int(s) for s in args.hidden_widths.split(",")) if args.hidden_widths else (2,) * (args.depth - 1)
    except ValueError:
        raise _user_error(f"--hidden-widths: expected comma-separated integers, got {args.hidden_widths!r}") from None
    if len(hw) != args.depth - 1 or any(h < 1 for h in hw):
        raise _user_error(f"--hidden-widths: need depth - 1 = {args.depth - 1} positive integers, got {args.hidden_widths!r}")
    return Architecture("fully_connected_linear", d, depth=args.depth, hidden_widths=hw)


def _cmd_search(args) -> int:
    from ..certificate import write_certificate
    from .search import search

    if args.data and args.dataset:
        raise _user_error("give either --data FILE or --dataset NAME, not both")
    data = load_data_file(args.data) if args.data else _named_dataset(args) if args.dataset else None
    if data is None:
        raise _user_error("give the training data: --data FILE or --dataset wide-angle|random-unit")
    arch = _architecture(args, len(data.x[0]))
    if args.tries < 1 or args.steps < 1 or not args.lr > 0 or not args.init_scale > 0:
        raise _user_error("--tries and --steps must be positive; --lr and --init-scale must be > 0")
    if args.backend == "cupy":
        from ..arrays import cupy_available

        if not cupy_available():
            raise _user_error("--backend cupy: cupy is not installed or no GPU is visible")
    if args.out and Path(args.out).exists() and not args.overwrite:
        raise _user_error(f"{args.out} exists (use --overwrite to replace it)")
    if not 0 < args.max_adjust < 1:
        raise _user_error("--max-adjust must be in (0, 1) (relative change of an example)")
    from tqdm import tqdm

    bar = tqdm(total=args.tries, desc="kkt search (seeds)", unit="seed", disable=None, leave=False)

    def progress(seed):
        bar.update(0 if seed == args.seed else 1)

    try:
        outcome = search(arch, data, seeds=range(args.seed, args.seed + args.tries), loss=args.loss,
                         steps=args.steps, lr=args.lr, init_scale=args.init_scale, backend=args.backend,
                         want_curve=arch.type != "fully_connected_linear", time_limit=args.time_limit,
                         adjust_data=args.adjust_data, max_adjust=args.max_adjust, progress=progress)
    finally:
        bar.close()
    if args.verbose:
        for line in outcome.log:
            print(line)
    print(f"{outcome.message} ({outcome.seconds:.2f} s, {len(outcome.log)} seed(s) rejected)")
    if not outcome.ok:
        for line in outcome.log[-3:]:
            print(f"  last: {line}")
        print("search failed: no certificate (see the reasons above; -v lists every seed)", file=sys.stderr)
        return 1
    cert = outcome.certificate
    if args.dataset:
        cert["provenance"]["dataset"] = {"name": args.dataset, "n": args.n, "dim": args.dim,
                                         "data_seed": args.data_seed, "labels": args.labels}
        if args.dataset == "clusters":
            cert["provenance"]["dataset"]["clusters"] = args.clusters
    if cert.get("provenance", {}).get("data_adjusted"):
        adj = cert["provenance"]["data_adjustment"]
        print(f"NOTE: the certificate is about ADJUSTED data: {adj['examples_moved']} example(s) moved, max relative "
              f"change {adj['max_relative_change']:.2g} (original data in provenance)")
    print("claims:", ", ".join(cert["claim"]["proves"]))
    if args.out:
        try:
            path = write_certificate(args.out, cert, overwrite=args.overwrite)
        except FileExistsError:
            raise _user_error(f"{args.out} exists (use --overwrite to replace it)") from None
        print(f"certificate written to {path} (decide it with: certify check {path})")
    else:
        print(json.dumps(cert["claim"]["point"]))
    return 0


def _cmd_examples(args) -> int:
    from ..certificate import write_certificate
    from .instances import HAND_MADE

    out = Path(args.out)
    for name, build in HAND_MADE.items():
        try:
            path = write_certificate(out / name, build(), overwrite=args.overwrite)
            print(f"wrote {path}")
        except FileExistsError:
            print(f"kept {out / name} (exists; --overwrite to replace)")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("kkt", help="KKT points of the max-margin problem (search, hand-made examples)")
    sub = p.add_subparsers(dest="kkt_command", metavar="SUBCOMMAND")
    sub.required = True

    s = sub.add_parser("search", help="GD from seeded inits, exact KKT snapping, descent curve; writes a certificate")
    s.add_argument("--arch", choices=ARCH_CHOICES, required=True)
    s.add_argument("--width", type=int, default=4, help="two_layer_relu width (default 4)")
    s.add_argument("--depth", type=int, default=2, help="depth L of the linear architectures (default 2)")
    s.add_argument("--hidden-widths", default=None, help="fully_connected_linear: h_1,...,h_{L-1} (default all 2)")
    s.add_argument("--data", metavar="FILE", help='JSON {"x": [[...]], "y": [...]} with exact rationals')
    s.add_argument("--dataset", choices=DATASETS, help="built-in data instead of --data")
    s.add_argument("--n", type=int, default=6, help="random-unit: number of examples")
    s.add_argument("--dim", type=int, default=2, help="random-unit: input dimension")
    s.add_argument("--labels", choices=("random", "positive"), default="random", help="random-unit labels; clusters: positive, or random = mixed (every third cluster -1)")
    s.add_argument("--data-seed", type=int, default=0, help="random-unit / clusters: seed of the data")
    s.add_argument("--clusters", type=int, default=2, help="clusters: number of cluster centres (default 2)")
    s.add_argument("--adjust-data", action="store_true",
                   help="two_layer_relu: when no exact rational KKT point exists for the given data, move the "
                        "supporting examples slightly so that one does; the certificate is then about the "
                        "ADJUSTED data (original data recorded in provenance)")
    s.add_argument("--max-adjust", type=float, default=1e-2,
                   help="largest relative change of an example allowed by --adjust-data (default 0.01)")
    s.add_argument("--seed", type=int, default=0, help="first initialization seed")
    s.add_argument("--tries", type=int, default=50, help="seeds tried: seed, seed+1, ... (default 50)")
    s.add_argument("--loss", choices=("exp", "logistic"), default="exp")
    s.add_argument("--steps", type=int, default=4000)
    s.add_argument("--lr", type=float, default=0.01)
    s.add_argument("--init-scale", type=float, default=0.5)
    s.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy")
    s.add_argument("--time-limit", type=float, default=None, help="stop trying new seeds after this many seconds")
    s.add_argument("--out", metavar="FILE", help="write the certificate here (never overwrites without --overwrite)")
    s.add_argument("--overwrite", action="store_true")
    s.add_argument("-v", "--verbose", action="store_true", help="print why each rejected seed failed")
    s.set_defaults(func=_cmd_search)

    e = sub.add_parser("examples", help="write the hand-made certificates (ReLU, diagonal, linear)")
    e.add_argument("--out", default=str(DEFAULT_DIR), help=f"output folder (default {DEFAULT_DIR})")
    e.add_argument("--overwrite", action="store_true")
    e.set_defaults(func=_cmd_examples)
