"""The data the project ships (data/README.md): present, unchanged, and the only copy the code reads."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess

from conftest import PUBLISHED_MINIMA, REPO_ROOT

PUBLISHED_MINIMA_SHA256 = "0e32d04bb0fcb324861268e278710da6b74cfeaae6ce5da991d2bfba4676c8a9"


def test_published_minima_hash_matches_readme():
    digest = hashlib.sha256(PUBLISHED_MINIMA.read_bytes()).hexdigest()
    assert digest == PUBLISHED_MINIMA_SHA256
    readme = (REPO_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert f"`{digest}`" in readme


def test_published_minima_content():
    data = json.loads(PUBLISHED_MINIMA.read_text(encoding="utf-8"))
    assert {"source", "problem", "compact_form", "fields", "classes"} <= set(data)
    assert len(data["classes"]) == 2208
    assert {c["k"] for c in data["classes"]} == set(range(7, 101))


def test_nothing_reads_outside_the_checkout():
    """No tracked file refers to a folder beside the checkout (../shared or similar)."""
    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.split()
    if not files:  # not a git checkout (e.g. an sdist): walk the source folders instead
        files = [str(p.relative_to(REPO_ROOT)) for d in ("certify", "tests", "benchmarks", "docs", ".ci")
                 for p in (REPO_ROOT / d).rglob("*") if p.is_file()]
    pattern = re.compile(r"\.\./shared|/\s*\"shared\"|parents\[3\]|ROOT\.parent\s*/")
    offenders = []
    for name in files:
        path = REPO_ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".txt", ""} or not path.is_file():
            continue
        if path.resolve() == (REPO_ROOT / "tests" / "core" / "test_data.py").resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}:{i + 1}" for i, line in enumerate(text.splitlines()) if pattern.search(line)]
    assert not offenders, f"files that read beside the checkout: {offenders}"


def test_ci_runs_the_readme_test_command_in_a_lone_copy():
    """.ci/run runs the README's test command verbatim, in a copy of the checkout made in an empty
    temporary folder (so nothing beside the checkout can be read)."""
    import re as _re

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = _re.findall(r"```bash\n(python3 -m venv .venv && [^\n]+)\n```", readme)
    assert len(commands) == 2, commands  # the check command and the test command
    test_command = next(c for c in commands if "pytest" in c)
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
    assert "mktemp -d" in ci and 'cd "$clone"' in ci
