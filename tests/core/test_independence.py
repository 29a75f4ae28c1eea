"""The kernel is independent of the searches (de Bruijn criterion), by one rule.

Rule: every module under certify/kernel/ imports only certify.kernel.*, the
Python standard library, numpy and python-flint -- checked statically (AST,
nothing imported; imports inside functions included).  And the registry
agrees with the folder: every kernel module is core or listed as trusted by
exactly the kind that owns it, so no kernel code hides from docs/trust.md.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "certify" / "kernel"
THIRD_PARTY_ALLOWED = {"numpy", "flint"}
CORE = {
    "certify.kernel", "certify.kernel.certificate", "certify.kernel.checking", "certify.kernel.contract",
    "certify.kernel.interval", "certify.kernel.registry", "certify.kernel.showing",
    "certify.kernel.teacher_student", "certify.kernel.box_argument", "certify.kernel.definite",
    "certify.kernel.eigen_estimate",
}
# only the registry turns a name into a module (built-in kinds and the entry-point group)
DYNAMIC_IMPORTS_ALLOWED = {"certify.kernel.registry"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def kernel_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(KERNEL.rglob("*.py"))}


def imports_of(path: Path, name: str) -> list[tuple[str, int]]:
    """(absolute module name, line) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            found.append((mod, node.lineno))
    return found


def violations(path: Path, name: str) -> list[str]:
    """Why module ``name`` (file ``path``) breaks the kernel rule; empty if it keeps it."""
    bad = []
    for mod, line in imports_of(path, name):
        top = mod.split(".")[0]
        if top == "certify":
            if not (mod == "certify.kernel" or mod.startswith("certify.kernel.")):
                bad.append(f"{name}:{line} imports {mod} (outside the kernel)")
        elif top == "__future__" or top in sys.stdlib_module_names or top in THIRD_PARTY_ALLOWED:
            continue
        else:
            bad.append(f"{name}:{line} imports {mod} (not the standard library, numpy or python-flint)")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if fname in ("import_module", "__import__", "exec", "eval", "run_path", "spec_from_file_location"):
                if not (name in DYNAMIC_IMPORTS_ALLOWED and fname == "import_module"):
                    bad.append(f"{name}:{node.lineno} calls {fname} (dynamic import/eval)")
    return bad


# --------------------------------------------------------------------------- the rule itself can fail


def test_rule_flags_search_and_third_party_imports(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text("import numpy\nfrom flint import arb\nimport json\n"
                    "from certify.spurious_minima import search\nimport scipy.linalg\n"
                    "def f():\n    from ...cli import main\n    return eval('1')\n")
    bad = violations(fake, "certify.kernel.x.fake")
    assert any("certify.spurious_minima" in b for b in bad)
    assert any("scipy" in b for b in bad)
    assert any("certify.cli" in b for b in bad)  # relative import inside a function
    assert any("eval" in b for b in bad)
    assert not any(f"imports {m} " in b for b in bad for m in ("numpy", "flint", "json"))
    assert len(bad) == 4


def test_rule_accepts_kernel_relative_imports(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text("from ..interval import Interval\nfrom .rigorous import enclose\nfrom ...kernel import contract\n")
    assert violations(fake, "certify.kernel.kind_x.fake") == []


# --------------------------------------------------------------------------- the kernel keeps it


@pytest.mark.parametrize("name", sorted(kernel_modules()))
def test_kernel_module_imports_only_kernel_stdlib_numpy_flint(name):
    assert violations(kernel_modules()[name], name) == []


def test_every_kernel_module_is_core_or_listed_by_its_kind():
    from certify.kernel.registry import kinds

    listed: dict[str, str] = {}
    for kind in kinds().values():
        for mod in kind.trusted_modules:
            assert mod.startswith("certify.kernel."), f"{kind.name}: {mod} is not under certify/kernel"
            assert mod not in CORE, f"{kind.name} lists core module {mod}"
            assert mod not in listed, f"{mod} listed by both {listed.get(mod)} and {kind.name}"
            listed[mod] = kind.name
    modules = set(kernel_modules())
    packages = {m for m, p in kernel_modules().items() if p.name == "__init__.py"}
    assert set(listed) <= modules, f"listed but missing: {sorted(set(listed) - modules)}"
    hidden = modules - CORE - set(listed) - packages
    assert not hidden, f"kernel modules no kind lists as trusted: {sorted(hidden)}"


def test_each_kind_lists_its_own_module():
    from certify.kernel.registry import BUILTIN_KINDS, kinds

    for name, ref in BUILTIN_KINDS.items():
        module = ref.partition(":")[0]
        assert module in kinds()[name].trusted_modules, f"{name}: {module} not in its trusted_modules"


def test_producers_are_outside_the_kernel():
    from certify.kernel.registry import kinds

    for kind in kinds().values():
        if kind.cli_module is not None:
            assert not kind.cli_module.startswith("certify.kernel"), kind.cli_module
