"""Shared fixtures for the spurious-minima and core test suites.

The session fixtures run the (untrusted) search once, deterministically, and
certify the one spurious class it finds for k = 6 (loss ~ 0.02508058); tests
get deep copies so they can mutate certificates freely.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from certify.publishing import dumps

REPO_ROOT = Path(__file__).resolve().parent.parent
PUBLISHED_MINIMA = REPO_ROOT / "data" / "sys2021-minima.json"  # data/README.md: source, licence, SHA-256


def stored_spurious(pattern: str) -> Path:
    """The first stored dense spurious-minimum certificate matching ``pattern`` (skip if none)."""
    found = sorted((REPO_ROOT / "certificates" / "spurious_minima").glob(pattern))
    if not found:
        pytest.skip(f"no stored certificate {pattern}")
    return found[0]
K = 6
SPURIOUS_LOSS = 0.02508058


# --------------------------------------------------------------------------- global precision


@pytest.fixture(autouse=True)
def _restore_global_precision():
    """Every test leaves mpmath's and python-flint's global working precision as it found them (a test
    may set mpmath.mp.dps or flint.ctx.prec for itself; the next test never inherits it)."""
    import mpmath
    from flint import ctx

    saved = (mpmath.mp.prec, ctx.prec)
    yield
    mpmath.mp.prec, ctx.prec = saved


@pytest.fixture
def mp_dps():
    """mp_dps(n): mpmath's working precision for this test only (restored afterwards)."""
    import mpmath

    def _set(digits: int) -> None:
        mpmath.mp.dps = digits

    return _set


# --------------------------------------------------------------------------- search results


@pytest.fixture(scope="session")
def search_result():
    from certify.spurious_minima.search import SearchConfig, search

    return search(SearchConfig(k=K, runs=300, seed=0, progress=False))


@pytest.fixture(scope="session")
def spurious_class(search_result):
    spurious = [c for c in search_result.classes if c.label == "spurious"]
    assert spurious, "the k=6 seed-0 search must find a spurious class"
    c = spurious[0]
    assert abs(c.loss - SPURIOUS_LOSS) < 1e-7
    return c


@pytest.fixture(scope="session")
def _valid_cert_and_proof(spurious_class):
    from certify.spurious_minima.prove import certify_candidate

    cert, proof = certify_candidate(spurious_class.point, spurious_class.min_eig, True, {})
    return cert, proof


@pytest.fixture
def valid_cert(_valid_cert_and_proof) -> dict:
    """A VALID certificate (all input dimensions), a fresh deep copy per test."""
    return copy.deepcopy(_valid_cert_and_proof[0])


@pytest.fixture(scope="session")
def valid_proof(_valid_cert_and_proof):
    return _valid_cert_and_proof[1]


@pytest.fixture
def spurious_point(spurious_class) -> np.ndarray:
    return spurious_class.point.copy()


@pytest.fixture
def global_point() -> np.ndarray:
    """W = I_6: the global minimum (loss 0) for n = k = 6."""
    return np.eye(K)


@pytest.fixture(scope="session")
def saddle_point() -> np.ndarray:
    """A critical point (|grad| < 1e-12) with loss > 0 and a negative Hessian
    eigenvalue (k = n = 6), found by Newton iterations (which converge to any
    kind of critical point) from seeded random starts."""
    from certify.spurious_minima import landscape as L
    from certify.spurious_minima.search import newton_polish

    V = L.identity_teacher(K)
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((300, K, K)) / np.sqrt(K)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        W, g = newton_polish(W0, V, 60)
        loss = L.loss(W, V)
        for b in range(W.shape[0]):
            if not (g[b] < 1e-12 and loss[b] > 1e-3 and np.all(np.isfinite(W[b]))):
                continue
            if np.linalg.norm(W[b], axis=1).min() < 0.5:
                continue
            H = L.hessian(W[b:b + 1], V)[0]
            if not np.all(np.isfinite(H)):
                continue
            eig = np.linalg.eigvalsh(H)
            if eig[0] < -1e-3 and np.abs(eig).min() > 1e-4:
                return W[b].copy()
    pytest.fail("no saddle point found")  # pragma: no cover


# --------------------------------------------------------------------------- file and CLI helpers


@pytest.fixture
def write_json(tmp_path):
    """write_json(data_or_text, name='cert.json') -> Path (a dict goes through certify.publishing.dumps)."""

    def _write(data, name: str = "cert.json") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, (bytes, bytearray)):
            path.write_bytes(bytes(data))
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_text(dumps(data), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run_cli(capsys):
    """run_cli(*args) -> (exit code, stdout, stderr), in-process via certify.cli.main."""
    from certify.cli import main

    def _run(*args):
        capsys.readouterr()  # drop anything printed before
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            rc = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return rc, out, err

    return _run


@pytest.fixture
def run(run_cli):
    """The same as run_cli (a shorter name for the CLI tests)."""
    return run_cli


@pytest.fixture(scope="session")
def minimum6() -> dict:
    """The stored dense k = 6 spurious-minimum certificate (a fresh dict per session; do not mutate)."""
    from certify.kernel.certificate import load_certificate

    return load_certificate(REPO_ROOT / "certificates" / "spurious_minima" / "relu-k06-n06-loss0.02508058.json")


@pytest.fixture
def run_subprocess():
    """run_subprocess(*args) -> CompletedProcess of `python -m certify ARGS` (text mode)."""

    def _run(*args, timeout: float = 120):
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return subprocess.run(
            [sys.executable, "-m", "certify", *[str(a) for a in args]],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        )

    return _run


@pytest.fixture
def assert_rejected(write_json, run_cli):
    """assert_rejected(data_or_text, *substrings, name=...) checks that the certificate
    is NOT proven by the trusted checker, both through check_file and the CLI:
    verdict not proven, message containing every substring (case-insensitive),
    non-zero exit, no traceback, and no 'PROVEN' line.  Returns the verdict."""
    from certify.kernel.checking import check_file

    def _check(data, *substrings, name: str = "bad.json"):
        path = write_json(data, name)
        verdict = check_file(path)
        assert verdict.proven is False
        msg = verdict.message.lower()
        for s in substrings:
            assert s.lower() in msg, f"{s!r} not in message {verdict.message!r}"
        assert "checker error" not in msg, f"internal error instead of a clean rejection: {verdict.message}"
        rc, out, err = run_cli("check", path)
        assert rc != 0
        assert "Traceback" not in out + err
        lines = out.splitlines()
        assert any(line.startswith("NOT PROVEN") for line in lines)
        assert not any(line.startswith("PROVEN") for line in lines)
        assert "0 proven, 1 not proven" in out
        return verdict

    return _check
