"""``certify networks``: exact ReLU networks (producer side, UNTRUSTED).

    certify networks prove MODEL.onnx --target max|min|median|kth:K|abs|OTHER.onnx [--domain D] [--property P] --out DIR
    certify networks prove --construction max|min|median|deep|deep-box|approx-max|regions --d RANGE --out DIR
    certify networks search MODEL.onnx --target ... [--domain D] [--epsilon E]     (counterexamples; writes nothing)
    certify networks export --construction NAME --d RANGE --out DIR                 (ONNX + VNN-LIB + instances.csv)
    certify networks table DIR                                                      (reads and checks certificates)
    certify networks plot DIR --out FILE.png                                        (check time against d)

``prove`` exits 1 with an exact counterexample when the identity or bound is false.  Every
certificate goes through certify.publishing (kernel re-check, atomic write, never over an
existing file without --overwrite); existing outputs are skipped before any work.
"""
from __future__ import annotations

import sys
import time
from fractions import Fraction
from pathlib import Path

from ..producer_cli import add_out, out_folder, summary_status, user_error

CONSTRUCTIONS = ("max", "min", "median", "max5-two-hidden", "deep", "deep-box", "approx-max", "approx-max-within",
                 "regions", "pieces")


def parse_range(text: str) -> list[int]:
    """"2-32", "3,5,7" or "2-8,16" -> sorted distinct integers."""
    out: set[int] = set()
    try:
        for part in text.split(","):
            if "-" in part:
                a, b = part.split("-")
                out |= set(range(int(a), int(b) + 1))
            else:
                out.add(int(part))
    except ValueError:
        raise user_error(f"--d: expected a range such as 2-32 or 3,5,7, got {text!r}") from None
    if not out or min(out) < 1 or max(out) > 64:
        raise user_error("--d: dimensions must be between 1 and 64")
    return sorted(out)


def parse_domain(text: str, d: int):
    from .exact import make_domain

    if text == "all":
        return make_domain("all", d)
    if text == "unit":
        return make_domain("box", d, [(0, 1)] * d)
    if text.startswith("box:"):
        try:
            parts = [p.split(",") for p in text[4:].split(";")]
            bounds = [(Fraction(a), Fraction(b)) for a, b in parts]
        except ValueError:
            raise user_error(f"--domain: expected box:LO,HI or box:LO1,HI1;LO2,HI2;..., got {text!r}") from None
        if len(bounds) == 1:
            bounds = bounds * d
        if len(bounds) != d or any(not lo < hi for lo, hi in bounds):
            raise user_error(f"--domain: need {d} intervals with LO < HI")
        return make_domain("box", d, bounds)
    raise user_error(f"--domain: expected all, unit or box:LO,HI, got {text!r}")


def parse_property(text: str) -> dict:
    if text == "equals":
        return {"type": "equals"}
    if text.startswith("within:"):
        try:
            e = Fraction(text[7:])
        except ValueError:
            raise user_error(f"--property within:EPS needs a rational EPS, got {text!r}") from None
        if e < 0:
            raise user_error("--property within:EPS needs EPS >= 0")
        return {"type": "within", "epsilon": f"{e.numerator}/{e.denominator}" if e.denominator != 1 else e.numerator}
    if text == "l2":
        return {"type": "l2_error", "value": 0}
    if text in ("regions", "pieces"):
        return {"type": "regions", "notion": "activation" if text == "regions" else "affine_pieces", "count": 0}
    raise user_error(f"--property: expected equals, within:EPS, l2, regions or pieces, got {text!r}")


def parse_target(text: str, d: int):
    from .exact import make_target

    try:
        if text.endswith(".onnx"):
            from .onnx_io import OnnxError, read_onnx

            try:
                other = read_onnx(text)
            except OnnxError as exc:
                raise user_error(f"--target: {exc}") from None
            return make_target("network", d, other=other)
        if text.startswith("kth:"):
            return make_target("order_statistic", d, k=int(text[4:]))
        if text in ("max", "min", "median", "abs", "none"):
            return make_target(text, d)
    except ValueError as exc:
        raise user_error(f"--target: {exc}") from None
    raise user_error(f"--target: expected max, min, median, kth:K, abs, none or OTHER.onnx, got {text!r}")


def construction(name: str, d: int, args):
    """(file stem, net, target, domain, property) of a named construction."""
    from .constructions import (max5_two_hidden, max_tournament, random_shallow, selection_network,
                                shallow_max_approx, shallow_to_deep)
    from .exact import make_domain, make_target

    if name in ("max", "min"):
        if d < 2:
            raise user_error(f"--construction {name} needs d >= 2")
        return f"{name}-d{d:02d}", max_tournament(d, name), make_target(name, d), make_domain("all", d), \
            {"type": "equals"}
    if name == "max5-two-hidden":
        if d != 5:
            raise user_error("--construction max5-two-hidden is the max of exactly 5 inputs: give --d 5")
        return "max-d05-two-hidden", max5_two_hidden(), make_target("max", 5), make_domain("all", 5), \
            {"type": "equals"}
    if name == "median":
        if d % 2 == 0:
            raise user_error("--construction median needs odd d")
        return f"median-d{d:02d}", selection_network(d), make_target("median", d), make_domain("all", d), \
            {"type": "equals"}
    if name in ("deep", "deep-box"):
        shallow = random_shallow(d, args.neurons, args.seed)
        box = None if name == "deep" else Fraction(1)
        deep = shallow_to_deep(shallow, box)
        dom = make_domain("all", d) if box is None else make_domain("box", d, [(-1, 1)] * d)
        stem = f"{name}-d{d}-n{args.neurons}-seed{args.seed}"
        return stem, deep, make_target("network", d, other=shallow), dom, {"type": "equals"}
    if name == "approx-max":
        return f"approx-max-d{d}-l2", shallow_max_approx(d), make_target("max", d), make_domain("box", d, [(0, 1)] * d), \
            {"type": "l2_error", "value": 0}
    if name == "approx-max-within":
        return f"approx-max-d{d}-within", shallow_max_approx(d), make_target("max", d), \
            make_domain("box", d, [(0, 1)] * d), {"type": "within", "epsilon": "1/4"}
    if name in ("regions", "pieces"):
        net = random_shallow(d, args.neurons, args.seed)
        return f"{name}-d{d}-n{args.neurons}-seed{args.seed}", net, make_target("none", d), \
            make_domain("box", d, [(-2, 2)] * d), parse_property(name)
    raise user_error(f"--construction: unknown {name!r} (known: {', '.join(CONSTRUCTIONS)})")


def _jobs(args) -> list:
    """(output path, net, target, domain, property) for every certificate the command asks for."""
    from .onnx_io import OnnxError, read_onnx

    out = out_folder(args.out)
    if bool(args.model) == bool(args.construction):
        raise user_error("give either MODEL.onnx or --construction NAME")
    if args.model:
        for opt in ("d",):
            if getattr(args, opt) is not None:
                raise user_error(f"--{opt} applies to --construction only")
        try:
            net = read_onnx(args.model)
        except OnnxError as exc:
            raise user_error(str(exc)) from None
        if args.target is None:
            raise user_error("give --target")
        target = parse_target(args.target, net.d)
        domain = parse_domain(args.domain or "all", net.d)
        prop = parse_property(args.property or "equals")
        tname = Path(args.target).stem if args.target.endswith(".onnx") else args.target.replace(":", "")
        return [(out / f"{Path(args.model).stem}-{tname}-{prop['type']}.json", net, target, domain, prop)]
    if args.target or args.domain or args.property:
        raise user_error("--target, --domain and --property apply to MODEL.onnx; a construction fixes its own claim")
    if args.d is None:
        raise user_error("--construction needs --d")
    jobs = []
    for d in parse_range(args.d):
        stem, net, target, domain, prop = construction(args.construction, d, args)
        if args.method == "split_tree" and args.construction in ("max", "min", "median"):
            stem += "-tree"
        jobs.append((out / f"{stem}.json", net, target, domain, prop))
    return jobs


def _cmd_prove(args) -> int:
    from ..progress import progress
    from ..publishing import PublishError, build_certificate, check_writable, publish, published_line
    from .prove import prove
    from .splittree import Counterexample, TooLarge

    jobs = _jobs(args)
    todo = []
    for path, *rest in jobs:
        if path.exists() and not args.overwrite:  # kept, before any work
            print(f"skipped {path}: exists (use --overwrite to replace it)")
            continue
        try:
            check_writable(path, args.overwrite)
        except PublishError as exc:
            raise user_error(str(exc)) from None
        todo.append((path, *rest))
    written, failed = 0, 0
    for path, net, target, domain, prop in progress(todo, desc="networks prove", unit="cert"):
        try:
            outcome = prove(net, target, domain, prop, method=args.method, max_nodes=args.max_nodes,
                            time_limit=args.time_limit)
        except Counterexample as cx:
            print(f"FALSE      {path.name}: {cx}", flush=True)
            if cx.point:
                print(f"           counterexample x = [{', '.join(str(_q(v)) for v in cx.point)}], "
                      f"N(x) = {_q(cx.n_value)}, target = {_q(cx.t_value)} (exact)", flush=True)
            failed += 1
            continue
        except (TooLarge, ValueError) as exc:
            print(f"not proven {path.name}: {exc}", file=sys.stderr, flush=True)
            failed += 1
            continue
        prov = {"producer": "certify networks prove", "source": str(args.model or f"construction {args.construction}"),
                **{k: v for k, v in outcome.stats.items() if k != "seconds"},
                "prove_seconds": round(outcome.stats["seconds"], 3)}
        if net.meta.get("name"):
            prov["construction"] = net.meta["name"]
        cert = build_certificate("relu-network-exact", outcome.claim, outcome.evidence, prov)
        t = time.perf_counter()
        proof = publish(cert, path, overwrite=args.overwrite)
        print(published_line(path, proof) + f" [prove {outcome.stats['seconds']:.2f} s, check+write "
                                            f"{time.perf_counter() - t:.2f} s]", flush=True)
        written += 1
    return summary_status(written, len(jobs) - len(todo), failed, "certificate", Path(args.out))


def _q(v) -> str:
    from .exact import qs

    return str(qs(v))


def _cmd_search(args) -> int:
    from .onnx_io import OnnxError, read_onnx
    from .prove import search_counterexample

    try:
        net = read_onnx(args.model)
    except OnnxError as exc:
        raise user_error(str(exc)) from None
    target = parse_target(args.target, net.d)
    if target.type == "none":
        raise user_error("--target none has nothing to compare with")
    domain = parse_domain(args.domain, net.d)
    try:
        eps = Fraction(args.epsilon)
    except ValueError:
        raise user_error("--epsilon must be a rational") from None
    cx = search_counterexample(net, target, domain, epsilon=eps, samples=args.samples, seed=args.seed)
    if cx is None:
        print(f"no counterexample among {args.samples} sampled points (this proves nothing; "
              f"`certify networks prove` decides the claim)")
        return 0
    print(f"counterexample (exact): x = [{', '.join(_q(v) for v in cx.point)}], N(x) = {_q(cx.n_value)}, "
          f"target = {_q(cx.t_value)}, difference {_q(cx.n_value - cx.t_value)}")
    return 1


def _cmd_export(args) -> int:
    import numpy as np

    from .onnx_io import OnnxError, write_onnx, write_vnnlib

    out = out_folder(args.out)
    rows, written = [], 0
    for d in parse_range(args.d):
        stem, net, target, domain, prop = construction(args.construction, d, args)
        onnx_path, vnn_path = out / f"{stem}.onnx", out / f"{stem}.vnnlib"
        if (onnx_path.exists() or vnn_path.exists()) and not args.overwrite:
            print(f"skipped {stem}: exists (use --overwrite)")
            continue
        try:
            write_onnx(net, onnx_path, np.float32 if args.dtype == "float32" else np.float64)
            if target.type == "network":
                write_onnx(target.network, out / f"{stem}-target.onnx", np.float32 if args.dtype == "float32"
                           else np.float64)
                print(f"wrote {onnx_path} and {stem}-target.onnx (no VNN-LIB: the target is a network)")
            else:
                box = domain.box or [(-1, 1)] * d
                write_vnnlib(vnn_path, target, box, args.delta)
                rows.append(f"{onnx_path.name},{vnn_path.name},{args.timeout}")
                print(f"wrote {onnx_path} and {vnn_path.name}")
        except OnnxError as exc:
            raise user_error(str(exc)) from None
        written += 1
    if rows:
        csv = out / "instances.csv"
        old = csv.read_text(encoding="utf-8").splitlines() if csv.exists() else []
        keep = [r for r in old if r.split(",")[0] not in {x.split(",")[0] for x in rows}]
        csv.write_text("\n".join(keep + rows) + "\n", encoding="utf-8")
    if not written:
        print("nothing written", file=sys.stderr)
        return 1
    return 0


def table_rows(folder: str) -> list[dict]:
    """One row per relu-network-exact certificate under folder: sizes and a timed kernel check."""
    import json

    from ..kernel.checking import check_file

    from ..paths import expand_paths

    files, missing = expand_paths([folder])
    if missing:
        raise user_error("; ".join(missing))
    rows = []
    for f in files:
        try:
            cert = json.loads(Path(f).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(cert, dict) or cert.get("kind") != "relu-network-exact":
            continue
        t = time.perf_counter()
        v = check_file(f)
        dt = time.perf_counter() - t
        claim = cert.get("claim", {})
        net = claim.get("network", {})
        layers = net.get("layers", [])
        widths = [len(L.get("bias", [])) for L in layers[:-1]]
        prop = claim.get("property", {})
        rows.append({"file": str(f), "d": net.get("input_dim"), "depth": len(widths),
                     "width": max(widths, default=0), "neurons": sum(widths),
                     "target": claim.get("target", {}).get("type"), "property": prop.get("type"),
                     "method": v.bounds.get("method", "-"), "leaves": v.bounds.get("leaves", "-"),
                     "lemmas": v.bounds.get("lemmas", "-"), "count": prop.get("count", "-"),
                     "l2": prop.get("value", "-"), "bytes": Path(f).stat().st_size,
                     "check_s": dt, "proven": v.proven})
    return rows


def _cmd_table(args) -> int:
    rows = table_rows(args.folder)
    if not rows:
        print(f"no relu-network-exact certificate under {args.folder}", file=sys.stderr)
        return 1
    print("| file | d | hidden layers | max width | neurons | target | property | method | leaves | lemmas | "
          "regions | L2 error | bytes | check (s) | verdict |")
    print("|---|---:|---:|---:|---:|---|---|---|---:|---:|---:|---|---:|---:|---|")
    for r in rows:
        print(f"| {Path(r['file']).name} | {r['d']} | {r['depth']} | {r['width']} | {r['neurons']} | {r['target']} | "
              f"{r['property']} | {r['method']} | {r['leaves']} | {r['lemmas']} | {r['count']} | {r['l2']} | "
              f"{r['bytes']} | {r['check_s']:.3f} | {'PROVEN' if r['proven'] else 'NOT PROVEN'} |")
    return 0 if all(r["proven"] for r in rows) else 1


def _cmd_plot(args) -> int:
    from ..publishing import PublishError, check_writable

    try:
        check_writable(args.out, args.overwrite)
    except PublishError as exc:
        raise user_error(str(exc)) from None
    rows = [r for r in table_rows(args.folder) if r["target"] in ("max", "median") and r["property"] == "equals"]
    if not rows:
        raise user_error(f"no max/median identity certificates under {args.folder}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for tgt, mark in (("max", "o-"), ("median", "s-")):
        pts = sorted((r["d"], r["check_s"]) for r in rows if r["target"] == tgt)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], mark, label=f"{tgt} (stored certificates)")
    ax.set_xlabel("input dimension d")
    ax.set_ylabel("kernel check time (s)")
    ax.set_title("relu-network-exact: exact identities N = target on R^d")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="prove a claim about a ReLU network and write its certificate",
                         description="Read MODEL.onnx (or build a construction), prove the claim in exact "
                                     "rationals and write a relu-network-exact certificate into --out; exit 1 with "
                                     "an exact counterexample when the identity or bound is false.")
    p.add_argument("model", nargs="?", default=None, metavar="MODEL.onnx", help="the network (Gemm/MatMul+Add/Relu)")
    p.add_argument("--construction", choices=CONSTRUCTIONS, default=None,
                   help="a built-in construction instead of MODEL.onnx")
    p.add_argument("--d", default=None, help="input dimensions of the construction, e.g. 2-32 or 3,5,7")
    p.add_argument("--neurons", type=int, default=6, help="neurons of the random shallow network (deep, regions)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random shallow network (deep, regions)")
    p.add_argument("--target", default=None, help="max, min, median, kth:K, abs, none or OTHER.onnx")
    p.add_argument("--domain", default=None, help="all (default), unit ([0,1]^d), box:LO,HI or box:L1,H1;L2,H2;...")
    p.add_argument("--property", default=None, help="equals (default), within:EPS, l2, regions or pieces")
    p.add_argument("--method", choices=("auto", "modular", "split_tree"), default="auto",
                   help="modular lemmas (order statistics, needs the stage structure) or one split tree")
    p.add_argument("--max-nodes", type=int, default=200_000, help="give up when the split tree exceeds N nodes")
    p.add_argument("--time-limit", type=float, default=None, help="give up on a split tree after S seconds")
    add_out(p)
    p.set_defaults(func=_cmd_prove)

    s = verbs.add_parser("search", help="look for a counterexample (writes nothing)",
                         description="Sample the domain, re-evaluate the worst points exactly, and report an exact "
                                     "input where the network and the target differ (exit 1), or none (exit 0; "
                                     "this proves nothing).")
    s.add_argument("model", metavar="MODEL.onnx", help="the network")
    s.add_argument("--target", required=True, help="max, min, median, kth:K, abs or OTHER.onnx")
    s.add_argument("--domain", default="all", help="all, unit or box:LO,HI (default all: sampled in [-4, 4]^d)")
    s.add_argument("--epsilon", default="0", help="report only differences larger than EPS (default 0)")
    s.add_argument("--samples", type=int, default=4000, help="random points to try (default 4000)")
    s.add_argument("--seed", type=int, default=0, help="random seed")
    s.set_defaults(func=_cmd_search)

    e = verbs.add_parser("export", help="write constructions as ONNX with a VNN-LIB property",
                         description="Write each construction as ONNX (Gemm + Relu, exact weights) and a VNN-LIB "
                                     "property (violation: |Y - target| >= delta on a box), listed in "
                                     "instances.csv as VNN-COMP does.")
    e.add_argument("--construction", choices=CONSTRUCTIONS, required=True, help="which construction")
    e.add_argument("--d", required=True, help="input dimensions, e.g. 2-32")
    e.add_argument("--neurons", type=int, default=6, help="neurons of the random shallow network (deep)")
    e.add_argument("--seed", type=int, default=0, help="seed of the random shallow network (deep)")
    e.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="weight format")
    e.add_argument("--delta", type=float, default=1e-3, help="tolerance of the VNN-LIB property")
    e.add_argument("--timeout", type=int, default=60, help="timeout column of instances.csv (seconds)")
    e.add_argument("--out", required=True, help="folder for the .onnx, .vnnlib and instances.csv files")
    e.add_argument("--overwrite", action="store_true", help="replace existing files")
    e.set_defaults(func=_cmd_export)

    t = verbs.add_parser("table", help="a markdown table of the certificates under DIR (reads only)",
                         description="Check every relu-network-exact certificate under DIR with the kernel and print "
                                     "sizes, leaves/lemmas, regions, L2 values and check times.")
    t.add_argument("folder", metavar="DIR", help="folder of certificates")
    t.set_defaults(func=_cmd_table)

    q = verbs.add_parser("plot", help="plot kernel check time against d for max/median certificates",
                         description="Check the max and median identity certificates under DIR and plot the check "
                                     "time against the input dimension (PNG).")
    q.add_argument("folder", metavar="DIR", help="folder of certificates")
    q.add_argument("--out", required=True, help="PNG file to write")
    q.add_argument("--overwrite", action="store_true", help="replace an existing file")
    q.set_defaults(func=_cmd_plot)
