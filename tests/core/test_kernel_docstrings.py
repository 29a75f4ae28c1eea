"""Every function of the trusted kernel says what it proves or returns: a docstring on each one.

Checked statically (AST, nothing imported) over every ``.py`` under certify/kernel/: module-level
functions, methods, properties and nested functions alike.  A sceptic reads the kernel top to
bottom; an undocumented function is one they must reverse-engineer.

Three paths are documented in another branch: they are checked by a separate test, marked xfail
until that branch is merged (the lead removes the mark then).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "certify" / "kernel"
EXEMPT = ("certify/kernel/spurious_symmetric/", "certify/kernel/overparameterization/bounds.py",
          "certify/kernel/checking.py")


def is_exempt(rel: str) -> bool:
    """True for a path (relative to the repository, '/'-separated) documented in the other branch."""
    return any(rel.startswith(e) if e.endswith("/") else rel == e for e in EXEMPT)


def undocumented_in(text: str, rel: str) -> list[str]:
    """"rel:line qualified.name" of every function (nested ones and methods included) without a docstring."""
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                if ast.get_docstring(child) is None:
                    found.append(f"{rel}:{child.lineno} {name}")
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(text, filename=rel), "")
    return found


def undocumented(exempt: bool) -> list[str]:
    """The functions without a docstring in the exempt kernel files, or in all the others."""
    files = [p for p in sorted(KERNEL.rglob("*.py")) if is_exempt(p.relative_to(ROOT).as_posix()) == exempt]
    assert files, "no kernel files found"
    return [m for p in files for m in undocumented_in(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix())]


def test_the_walk_sees_nested_functions_methods_and_properties():
    text = ('def f():\n    def g():\n        pass\n    return g\n'
            'class C:\n    @property\n    def p(self):\n        return 1\n'
            '    def m(self):\n        """Documented."""\n        async def a():\n            pass\n')
    assert [m.split(" ", 1)[1] for m in undocumented_in(text, "x.py")] == ["f", "f.g", "C.p", "C.m.a"]


def test_the_exempt_paths_exist_and_are_exactly_those():
    assert is_exempt("certify/kernel/spurious_symmetric/kind.py")
    assert is_exempt("certify/kernel/checking.py") and is_exempt("certify/kernel/overparameterization/bounds.py")
    assert not is_exempt("certify/kernel/overparameterization/kind.py")
    assert not is_exempt("certify/kernel/checking_other.py")
    for e in EXEMPT:
        assert (ROOT / e).exists(), e


def test_every_kernel_function_has_a_docstring():
    missing = undocumented(exempt=False)
    assert not missing, f"{len(missing)} kernel function(s) without a docstring:\n" + "\n".join(missing)


@pytest.mark.xfail(strict=False, reason="spurious_symmetric, overparameterization/bounds.py and checking.py are "
                                        "documented in another branch")
def test_every_function_of_the_exempt_kernel_files_has_a_docstring():
    missing = undocumented(exempt=True)
    assert not missing, f"{len(missing)} kernel function(s) without a docstring:\n" + "\n".join(missing)
