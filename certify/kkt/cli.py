"""``certify kkt``: KKT points of the max-margin problem (producer side, UNTRUSTED).

    certify kkt search --arch ARCH (--data FILE | --dataset NAME) [...]          (writes nothing)
    certify kkt prove  --arch ARCH (--data FILE | --dataset NAME) [...] --out FILE [--overwrite]
    certify kkt prove  --examples --out DIR [--overwrite]
    certify kkt migrate FILE... --out DIR [--overwrite]

``certify check`` / ``certify show`` decide and display the resulting
``kkt-max-margin`` certificates (certify.kernel.kkt.kind).  Every file is
written by certify.publishing (re-checked by the kernel, atomic, never over an
existing file without ``--overwrite``); output paths are checked before any
work.  Architectures and their options come from the registry
certify.kkt.architectures.SEARCH_NETWORKS; size limits from the kernel.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DATASETS = ("wide-angle", "random-unit", "clusters")


def _user_error(msg: str):
    from ..cli import UserError

    return UserError(msg)


def _writable(path, overwrite: bool, what: str) -> None:
    from ..publishing import PublishError, check_writable

    try:
        check_writable(path, overwrite)
    except PublishError as exc:
        raise _user_error(f"{what}: {exc}") from None


def _out_folder(out: str) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise _user_error(f"--out {out}: names an existing file; give a folder (the certificates are written "
                          f"into it under their own names)")
    return folder


def load_data_file(path: str):
    """Data JSON {"x": [[...], ...], "y": [...]} with exact rationals (integers or "p/q" strings)."""
    from ..kernel.certificate import CertificateError, as_rational, parse_json_text
    from ..kernel.kkt.kind import MAX_EXAMPLES
    from ..kernel.kkt.networks import parse_data

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _user_error(f"--data {path}: cannot read: {exc}") from None
    try:
        obj = parse_json_text(text)
        xs = obj.get("x")
        if not isinstance(xs, list) or not xs or not isinstance(xs[0], list) or not xs[0]:
            raise CertificateError("field 'x' must be a non-empty list of non-empty lists (one row per example)")
        return parse_data(obj, len(xs[0]), as_rational, MAX_EXAMPLES, ctx="data")
    except CertificateError as exc:
        raise _user_error(f"--data {path}: {exc}") from None


def _named_dataset(args):
    from fractions import Fraction as F

    from ..kernel.kkt.kind import MAX_EXAMPLES, MAX_INPUT_DIM
    from ..kernel.kkt.networks import Data
    from .instances import clusters_dataset, random_unit_dataset

    if args.dataset == "wide-angle":
        return Data(((F(1), F(0)), (F(-7, 25), F(24, 25))), (1, 1))
    if not 1 <= args.n <= MAX_EXAMPLES:
        raise _user_error(f"--n must be between 1 and {MAX_EXAMPLES}")
    if not 2 <= args.dim <= MAX_INPUT_DIM:
        raise _user_error(f"--dim must be between 2 and {MAX_INPUT_DIM} for {args.dataset} data")
    if args.dataset == "clusters":
        if not 1 <= args.clusters <= 1000:
            raise _user_error("--clusters must be between 1 and 1000")
        return clusters_dataset(args.n, args.dim, args.data_seed, k=args.clusters,
                                labels="positive" if args.labels == "positive" else "mixed")
    return random_unit_dataset(args.n, args.dim, args.data_seed, labels=args.labels)


def _network(args, d: int):
    from .architectures import SEARCH_NETWORKS, make_network

    cls = SEARCH_NETWORKS[args.arch]
    try:
        sizes = cls.sizes_from_options(args.width, args.depth, args.hidden_widths)
    except ValueError as exc:
        raise _user_error(str(exc)) from None
    return make_network(args.arch, d, **sizes)


def _search_options(args) -> None:
    if args.data and args.dataset:
        raise _user_error("give either --data FILE or --dataset NAME, not both")
    if not (args.data or args.dataset):
        raise _user_error("give the training data: --data FILE or --dataset " + "|".join(DATASETS))
    if args.tries < 1 or args.steps < 1 or not args.lr > 0 or not args.init_scale > 0:
        raise _user_error("--tries and --steps must be positive; --lr and --init-scale must be > 0")
    if not 0 < args.max_adjust < 1:
        raise _user_error("--max-adjust must be in (0, 1) (relative change of an example)")
    if args.backend == "cupy":
        from ..arrays import cupy_available

        if not cupy_available():
            raise _user_error("--backend cupy: cupy is not installed or no GPU is visible")


def _run_search(args):
    """Run the search the options ask for; returns (outcome, certificate or None)."""
    from ..progress import progress
    from .search import search

    _search_options(args)
    data = load_data_file(args.data) if args.data else _named_dataset(args)
    net = _network(args, len(data.x[0]))
    bar = progress(total=args.tries, desc="kkt search (seeds)", unit="seed")

    def advance(seed):
        bar.update(0 if seed == args.seed else 1)

    try:
        outcome = search(net, data, seeds=range(args.seed, args.seed + args.tries), loss=args.loss,
                         steps=args.steps, lr=args.lr, init_scale=args.init_scale, backend=args.backend,
                         want_curve=not net.exact.svm_global_optimum, time_limit=args.time_limit,
                         adjust_data=args.adjust_data, max_adjust=args.max_adjust, progress=advance)
    finally:
        bar.close()
    if args.verbose:
        for line in outcome.log:
            print(line)
    print(f"{outcome.message} ({outcome.seconds:.2f} s, {len(outcome.log)} seed(s) rejected)")
    if not outcome.ok:
        for line in outcome.log[-3:]:
            print(f"  last: {line}")
        print("search failed: no certified point (see the reasons above; -v lists every seed)", file=sys.stderr)
        return outcome, None
    cert = outcome.certificate
    prov = cert.setdefault("provenance", {})
    if args.dataset:
        prov["dataset"] = {"name": args.dataset, "n": args.n, "dim": args.dim, "data_seed": args.data_seed,
                           "labels": args.labels}
        if args.dataset == "clusters":
            prov["dataset"]["clusters"] = args.clusters
    if prov.get("data_adjusted"):
        adj = prov["data_adjustment"]
        print(f"NOTE: the certificate is about ADJUSTED data: {adj['examples_moved']} example(s) moved, max relative "
              f"change {adj['max_relative_change']:.2g} (original data in provenance)")
    print("claims:", ", ".join(cert["claim"]["proves"]))
    return outcome, cert


def _cmd_search(args) -> int:
    outcome, cert = _run_search(args)
    if cert is None:
        return 1
    print(json.dumps(cert["claim"]["point"]))
    print("(nothing written: `certify kkt prove ... --out FILE` writes the certificate)")
    return 0


def _cmd_prove(args) -> int:
    from ..producer_cli import summary_status
    from ..publishing import publish, published_line

    if args.examples:
        return _prove_examples(args)
    if args.arch is None:
        raise _user_error("give --arch ARCH (and the data) to search and certify, or --examples")
    out = Path(args.out)
    if out.is_dir():
        raise _user_error(f"--out {out}: is a folder; with a search --out names the certificate file")
    if out.exists() and not args.overwrite:  # before minutes of search
        print(f"{out} exists, kept (--overwrite to search and certify again)")
        return summary_status(0, 1, 0, "certificate", out.parent)
    _writable(out, args.overwrite, "--out")
    outcome, cert = _run_search(args)
    if cert is None:
        return summary_status(0, 0, 1, "certified KKT point", out.parent)
    proof = publish(cert, out, overwrite=args.overwrite)
    print(published_line(out, proof) + f" (decide it again with: certify check {out})")
    return 0


def _prove_examples(args) -> int:
    from ..producer_cli import summary_status
    from ..publishing import publish, published_line
    from .instances import HAND_MADE

    given = [flag for flag, value in (("--arch", args.arch), ("--data", args.data), ("--dataset", args.dataset))
             if value is not None]
    if given:
        raise _user_error(f"{', '.join(given)} do(es) not apply with --examples (refused rather than ignored)")
    out = _out_folder(args.out)
    todo = [name for name in HAND_MADE if args.overwrite or not (out / name).exists()]
    for name in todo:  # every target checked before anything is written
        _writable(out / name, args.overwrite, "--out")
    for name in HAND_MADE:
        if name not in todo:
            print(f"{out / name} exists, kept (--overwrite to redo)")
    for name in todo:
        print(published_line(out / name, publish(HAND_MADE[name](), out / name, overwrite=args.overwrite)))
    return summary_status(len(todo), len(HAND_MADE) - len(todo), 0, "certificate", out)


def _cmd_migrate(args) -> int:
    from ..publishing import published_line
    from .migrate import migrate_file

    out = _out_folder(args.out)
    names = [Path(f).name for f in args.files]
    if len(set(names)) != len(names):
        raise _user_error("two input files have the same name: they would be written to the same output file")
    for f in args.files:
        if not Path(f).is_file():
            raise _user_error(f"{f}: no such file")
        same = (out / Path(f).name).resolve() == Path(f).resolve()
        _writable(out / Path(f).name, args.overwrite, "--out" + (" (the input file itself)" if same else ""))
    for f in args.files:
        path, proof = migrate_file(f, out, overwrite=args.overwrite)
        print(published_line(path, proof))
    return 0


def register(verbs) -> None:
    """Add the verbs of ``certify kkt`` (certify.cli creates the group from the registry)."""
    from .architectures import SEARCH_NETWORKS

    def search_arguments(s, required: bool) -> None:
        s.add_argument("--arch", choices=tuple(SEARCH_NETWORKS), required=required,
                       help="the architecture (its parameters and their homogeneity)")
        s.add_argument("--width", type=int, default=4, help="two_layer_relu width (default 4)")
        s.add_argument("--depth", type=int, default=2, help="depth L of the linear architectures (default 2)")
        s.add_argument("--hidden-widths", default=None,
                       help="fully_connected_linear: h_1,...,h_{L-1} (default all 2)")
        s.add_argument("--data", metavar="FILE", help='JSON {"x": [[...]], "y": [...]} with exact rationals')
        s.add_argument("--dataset", choices=DATASETS, help="built-in data instead of --data")
        s.add_argument("--n", type=int, default=6, help="random-unit / clusters: number of examples")
        s.add_argument("--dim", type=int, default=2, help="random-unit / clusters: input dimension")
        s.add_argument("--labels", choices=("random", "positive"), default="random",
                       help="random-unit labels; clusters: positive, or random = mixed (every third cluster -1)")
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
        s.add_argument("--loss", choices=("exp", "logistic"), default="exp", help="training loss (default exp)")
        s.add_argument("--steps", type=int, default=4000, help="GD steps per seed (default 4000)")
        s.add_argument("--lr", type=float, default=0.01, help="GD step size (default 0.01)")
        s.add_argument("--init-scale", type=float, default=0.5, help="scale of the random initialisation (default 0.5)")
        s.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy",
                       help="array backend of the GD (default numpy)")
        s.add_argument("--time-limit", type=float, default=None, help="stop trying new seeds after this many seconds")
        s.add_argument("-v", "--verbose", action="store_true", help="print why each rejected seed failed")

    s = verbs.add_parser("search", help="GD from seeded inits, exact KKT snapping, descent curve; prints the "
                                        "certified point (writes no certificate)",
                         description="Gradient descent from seeded initialisations, exact rational snapping to a KKT "
                                     "point, a descent curve where one exists, checked by the kernel; prints the "
                                     "outcome and the point. Writes nothing: `certify kkt prove` writes the "
                                     "certificate.")
    search_arguments(s, required=True)
    s.set_defaults(func=_cmd_search)

    e = verbs.add_parser("prove", help="search and certify a KKT point (--out FILE), or write the hand-made "
                                       "certificates (--examples --out DIR)",
                         description="With the search options: the search of `certify kkt search`, and the "
                                     "certificate written to --out FILE (required; an existing file is kept and "
                                     "nothing searched unless --overwrite). With --examples: the hand-made "
                                     "certificates (ReLU, diagonal, linear) written into the folder --out DIR. "
                                     "Exit status 1 when nothing could be certified.")
    search_arguments(e, required=False)
    e.add_argument("--examples", action="store_true", help="write the hand-made certificates instead of searching")
    e.add_argument("--out", required=True, metavar="FILE|DIR",
                   help="the certificate file (search), or the folder (--examples)")
    e.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    e.set_defaults(func=_cmd_prove)

    m = verbs.add_parser("migrate", help="rebuild version-1 kkt-max-margin files as version 2 (same data and "
                                         "evidence, statement built from the fields; re-checked)",
                         description="Rebuild version-1 kkt-max-margin certificates as version 2: the same data "
                                     "and evidence, the statement built from the fields, re-checked by the kernel, "
                                     "written under --out with the same file names.")
    m.add_argument("files", nargs="+", metavar="FILE", help="version-1 kkt-max-margin certificates")
    m.add_argument("--out", metavar="DIR", required=True, help="output folder (files keep their names)")
    m.add_argument("--overwrite", action="store_true", help="replace existing files (also the inputs themselves)")
    m.set_defaults(func=_cmd_migrate)
