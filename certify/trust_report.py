"""The trusted kernel, measured: which modules decide each claim kind, and how many code lines.

UNTRUSTED documentation tool (the kernel never imports it).  Everything comes
from the kernel's registry and the files on disk, never from a hand-kept list:

    python -m certify.trust_report            # print the table and the counts
    python -m certify.trust_report --write    # refresh docs/trust.md and README.md between markers

"Code lines" are the lines of a module that hold code: blank lines, comment
lines and docstrings (module, class and function) are not counted.
tests/core/test_contract.py fails when docs/trust.md or README.md is out of date.
"""
from __future__ import annotations

import argparse
import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "certify" / "kernel"
BEGIN, END = "<!-- trust-report:begin -->", "<!-- trust-report:end -->"
README_BEGIN, README_END = "<!-- kernel-lines:begin -->", "<!-- kernel-lines:end -->"


def code_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    text = path.read_text(encoding="utf-8")
    skip: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    code: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER):
            continue
        code.update(range(tok.start[0], tok.end[0] + 1))
    return len(code - skip)


def module_path(name: str) -> Path:
    rel = Path(*name.split("."))
    p = ROOT / rel.with_suffix(".py")
    return p if p.is_file() else ROOT / rel / "__init__.py"


def kernel_files() -> list[Path]:
    return sorted(KERNEL.rglob("*.py"))


def report() -> dict:
    from .kernel.registry import kinds

    kind_rows = []
    listed: set[Path] = set()
    for kind in sorted(kinds().values(), key=lambda k: k.name):
        paths = [module_path(m) for m in kind.trusted_modules]
        listed.update(paths)
        kind_rows.append((kind, paths, sum(code_lines(p) for p in paths)))
    core = [p for p in kernel_files() if p not in listed and p.name != "__init__.py" or p == KERNEL / "__init__.py"]
    core = [p for p in core if p.parent == KERNEL]
    total = sum(code_lines(p) for p in kernel_files())
    return {"kinds": kind_rows, "core": core, "core_lines": sum(code_lines(p) for p in core), "total": total}


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def markdown() -> str:
    r = report()
    lines = [BEGIN,
             "| part | trusted modules | code lines | theorem |",
             "|---|---|---:|---|",
             "| core (every kind) | " + ", ".join(f"`{_rel(p)}`" for p in r["core"] if p.name != "__init__.py")
             + f" | {r['core_lines']} | [certificate-format.md](certificate-format.md) |"]
    for kind, paths, n in r["kinds"]:
        doc = kind.theorem.removeprefix("docs/")
        lines.append(f"| `{kind.name}` v{kind.version} | " + ", ".join(f"`{_rel(p)}`" for p in paths)
                     + f" | {n} | [{doc}]({doc}) |")
    lines += ["", f"**The whole kernel: {r['total']} code lines** in {len(kernel_files())} files under "
              "`certify/kernel/` (docstrings, comments and blank lines not counted; "
              "measured by `python -m certify.trust_report`).", END]
    return "\n".join(lines)


def readme_line() -> str:
    r = report()
    return (f"{README_BEGIN}The trusted kernel is {r['total']} code lines (core {r['core_lines']}; "
            + ", ".join(f"{k.name} {n}" for k, _, n in r["kinds"])
            + f"), measured by `python -m certify.trust_report`.{README_END}")


def _replace(text: str, begin: str, end: str, new: str) -> str:
    a, b = text.index(begin), text.index(end) + len(end)
    return text[:a] + new + text[b:]


def current_sections() -> tuple[str, str]:
    """What docs/trust.md and README.md now hold between their markers."""
    trust = (ROOT / "docs" / "trust.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    t = trust[trust.index(BEGIN): trust.index(END) + len(END)]
    r = readme[readme.index(README_BEGIN): readme.index(README_END) + len(README_END)]
    return t, r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m certify.trust_report", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="refresh docs/trust.md and README.md")
    args = ap.parse_args(argv)
    if args.write:
        for path, b, e, new in ((ROOT / "docs" / "trust.md", BEGIN, END, markdown()),
                                (ROOT / "README.md", README_BEGIN, README_END, readme_line())):
            path.write_text(_replace(path.read_text(encoding="utf-8"), b, e, new), encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
    else:
        print(markdown())
        print()
        for p in kernel_files():
            print(f"{code_lines(p):6d}  {_rel(p)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
