"""The extras match what the code imports: every third-party package a producer imports is in the
extra that the CLI's install hint names (certify.cli.EXTRAS), and the checker needs nothing but
numpy and python-flint."""
from __future__ import annotations

import ast
import sys
import tomllib

from certify.cli import EXTRAS
from helpers import REPO_ROOT

BASE = {"numpy", "flint", "certify"}
DISTRIBUTION = {"scipy": "scipy", "tqdm": "tqdm", "matplotlib": "matplotlib", "cupy": "cupy-cuda13x",
                "distributed": "dask", "dask": "dask", "onnx": "onnx", "cupyx": "cupy-cuda13x"}


def _imports(path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out - set(sys.stdlib_module_names) - BASE


def test_every_optional_import_is_in_the_extra_the_hint_names():
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    found = {}
    for path in (REPO_ROOT / "certify").rglob("*.py"):
        for name in _imports(path):
            found.setdefault(name, []).append(str(path.relative_to(REPO_ROOT)))
    found.pop("pytest", None), found.pop("_pytest", None)  # the pytest plugin runs inside pytest
    for name, where in sorted(found.items()):
        assert name in EXTRAS, f"{name} (imported by {where[:3]}) has no install hint in certify.cli.EXTRAS"
        requirements = " ".join(extras[EXTRAS[name]])
        assert DISTRIBUTION[name] in requirements, f"extra [{EXTRAS[name]}] does not install {name}"
        assert DISTRIBUTION[name] in " ".join(extras["test"]) or name.startswith("cupy"), \
            f"the test extra does not install {name}, so its producers go untested"


def test_the_checker_needs_only_numpy_and_flint():
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(d.split(">")[0].split("=")[0] for d in deps) == ["numpy", "python-flint"]
    for path in (REPO_ROOT / "certify" / "kernel").rglob("*.py"):
        assert not _imports(path), f"{path} imports {_imports(path)}"
