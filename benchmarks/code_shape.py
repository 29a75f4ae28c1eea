"""The shape of the code base: longest modules and functions under a package folder.

    python benchmarks/code_shape.py [certify]        # the current tree
    python benchmarks/code_shape.py /path/to/other/checkout/certify

Prints the five longest modules (lines) and functions (lines, decorators
excluded), and how many functions have no docstring (in the folder, and in
its kernel/ sub-folder).  A figure for the closing notes; not a test
(tests/core/test_kernel_docstrings.py keeps the kernel at zero).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path


def main(folder: str = "certify") -> None:
    root = Path(folder)
    modules, functions, bare = [], [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), str(path)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
                if ast.get_docstring(node) is None:
                    bare.append(str(path))
    print("longest modules:")
    for n, name in sorted(modules, reverse=True)[:5]:
        print(f"  {n:5d}  {name}")
    print("longest functions:")
    for n, name in sorted(functions, reverse=True)[:5]:
        print(f"  {n:5d}  {name}")
    kernel = [p for p in bare if "/kernel/" in p]
    print(f"functions without a docstring: {len(bare)} of {len(functions)}; in kernel/: {len(kernel)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
