"""The trusted checker must not import the search (de Bruijn criterion).

Statically (AST, nothing is imported) follows every import of the trusted
modules, transitively through certify.* modules (relative imports resolved,
imports inside functions included, parent packages' __init__ included), plus
the kind checkers that certify.checking loads dynamically from CHECKERS.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = "certify"

TRUSTED_ROOTS = [
    "certify.certificate",
    "certify.checking",
    "certify.interval",
    "certify.showing",
    "certify.spurious_minima.check",
    "certify.spurious_minima.rigorous",
]

# every certify module the trusted core + spurious-minima checker may reach
ALLOWED = {
    "certify",
    "certify.certificate",
    "certify.checking",
    "certify.interval",
    "certify.showing",
    "certify.spurious_minima",
    "certify.spurious_minima.check",
    "certify.spurious_minima.rigorous",
}

FORBIDDEN = {
    "certify.spurious_minima.search",
    "certify.spurious_minima.landscape",
    "certify.spurious_minima.prove",
    "certify.spurious_minima.cli",
    "certify.arrays",
    "certify.cli",
    "certify.__main__",
}

SEARCH_SIDE = re.compile(r"^(search.*|produce.*|cli|arrays|landscape|prove|plot.*|__main__)$")
CHECKER_PATTERN = re.compile(r"^certify\.[a-z][a-z0-9_]*\.check$")


def module_file(name: str) -> Path | None:
    rel = Path(*name.split("."))
    for cand in (ROOT / rel.with_suffix(".py"), ROOT / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def is_package(name: str) -> bool:
    return (ROOT / Path(*name.split(".")) / "__init__.py").is_file()


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def direct_imports(name: str) -> set[str]:
    """certify.* modules imported by module ``name`` (absolute names)."""
    path = module_file(name)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module
            found.add(mod)
            for alias in node.names:  # `from pkg import submodule`
                sub = f"{mod}.{alias.name}"
                if module_file(sub) is not None:
                    found.add(sub)
    return {m for m in found if m == PKG or m.startswith(PKG + ".")}


def closure(roots: list[str]) -> dict[str, str]:
    """Reached certify.* modules -> the module that first imported them."""
    reached: dict[str, str] = {}
    todo = [(r, "<root>") for r in roots]
    while todo:
        name, by = todo.pop()
        if name in reached:
            continue
        reached[name] = by
        for parent in _parents(name):  # importing a.b.c runs a/__init__ and a/b/__init__
            todo.append((parent, name))
        if module_file(name) is None:
            continue  # reported by the caller
        for dep in direct_imports(name):
            todo.append((dep, name))
    return reached


def checkers() -> dict[str, str]:
    """The CHECKERS dict of certify/checking.py, read statically."""
    tree = ast.parse((ROOT / "certify" / "checking.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        if target == "CHECKERS":
            return ast.literal_eval(value)
    raise AssertionError("CHECKERS not found in certify/checking.py")


# --------------------------------------------------------------------------- the analysis itself works


def test_analysis_resolves_relative_imports():
    assert "certify.certificate" in direct_imports("certify.checking")
    assert "certify.interval" in direct_imports("certify.spurious_minima.check")
    assert "certify.spurious_minima.rigorous" in direct_imports("certify.spurious_minima.check")
    # and it does see search-side imports where they exist (so the negative tests can fail)
    assert "certify.spurious_minima.landscape" in direct_imports("certify.spurious_minima.search")
    assert "certify.arrays" in direct_imports("certify.spurious_minima.search")
    assert "certify.spurious_minima.search" in closure(["certify.spurious_minima.prove"])
    assert "certify.cli" in closure(["certify.spurious_minima.cli"])  # imported inside functions


def test_checkers_registry_is_read():
    c = checkers()
    assert c["relu-spurious-minimum"] == "certify.spurious_minima.check"
    import certify.checking

    assert c == certify.checking.CHECKERS


# --------------------------------------------------------------------------- the trusted closure


def test_trusted_closure_does_not_reach_search_code():
    reached = closure(TRUSTED_ROOTS + ["certify.spurious_minima.check"])
    bad = {m: by for m, by in reached.items() if m in FORBIDDEN or SEARCH_SIDE.match(m.rpartition(".")[2])}
    assert not bad, f"trusted modules reach search-side code: {bad}"


def test_trusted_closure_is_within_allow_list():
    reached = closure(TRUSTED_ROOTS)
    extra = {m: by for m, by in reached.items() if m not in ALLOWED}
    assert not extra, f"trusted closure reaches modules outside the allow-list: {extra}"
    missing = [m for m in reached if module_file(m) is None]
    assert not missing, f"unresolved certify modules: {missing}"
    assert set(TRUSTED_ROOTS) <= set(reached)


def test_checkers_registry_names_only_kind_checkers():
    for kind, module in checkers().items():
        assert CHECKER_PATTERN.match(module), f"CHECKERS[{kind!r}] = {module!r} is not certify.<kind>.check"
        assert module not in FORBIDDEN


@pytest.mark.parametrize("kind,module", sorted(checkers().items()))
def test_dynamically_loaded_checkers_do_not_reach_search_code(kind, module):
    if module_file(module) is None:
        pytest.skip(f"{module} does not exist (yet)")
    reached = closure([module])
    bad = {m: by for m, by in reached.items()
           if m in FORBIDDEN or SEARCH_SIDE.match(m.rpartition(".")[2])}
    assert not bad, f"{module} reaches search-side code: {bad}"
    missing = [m for m in reached if module_file(m) is None]
    assert not missing, f"{module} imports modules that do not exist: {missing}"
    if module == "certify.spurious_minima.check":
        assert set(reached) <= ALLOWED


def test_no_other_dynamic_imports_in_trusted_code():
    """Only certify.checking may import by computed name (through CHECKERS)."""
    for name in closure(TRUSTED_ROOTS):
        tree = ast.parse(module_file(name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if fname in ("import_module", "__import__", "exec", "eval", "run_path", "spec_from_file_location"):
                    assert name == "certify.checking" and fname == "import_module", (
                        f"dynamic import/eval in trusted module {name} (line {node.lineno})")
