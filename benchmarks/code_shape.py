"""The shape of the code base: longest modules and functions under a package folder.

    python benchmarks/code_shape.py [certify]        # the current tree
    python benchmarks/code_shape.py /path/to/other/checkout/certify

Prints the five longest modules (lines) and functions (lines, decorators
excluded).  Used for issue figures; not a test.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path


def main(folder: str = "certify") -> None:
    root = Path(folder)
    modules, functions = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), str(path)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
    print("longest modules:")
    for n, name in sorted(modules, reverse=True)[:5]:
        print(f"  {n:5d}  {name}")
    print("longest functions:")
    for n, name in sorted(functions, reverse=True)[:5]:
        print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
