"""Small family certificates for the tests, built once per session by the (untrusted) producer.

* ``finite()``: Delta S_k for 12 <= k <= 400 (a few pieces, checked in well under a second);
* ``tail()``: Delta S_{k-1} for every k >= 10 000, with the limits at s = 0 (two or three pieces);
* ``stored(name)``: a stored certificate of certificates/families/ or certificates-extended/families/ (skipped if
  absent).
"""
from __future__ import annotations

import copy
from functools import lru_cache
import pytest
from helpers import REPO_ROOT as REPO

from certify.families.prove import KIND, produce
from certify.publishing import build_certificate

STORE = REPO / "certificates" / "families"
EXTENDED = REPO / "certificates-extended" / "families"  # checked whole by the slow suite (pytest -m slow)


def _quiet(*args, **kwargs) -> None:
    pass


@lru_cache(maxsize=None)
def _build(name: str, k_min: int, k_max: int | None) -> dict:
    claim, evidence, extras = produce(name, k_min=k_min, k_max=k_max, transition=False, log=_quiet, step=0.05)
    return build_certificate(KIND, claim, evidence, {"test": True, **extras})


def finite() -> dict:
    return copy.deepcopy(_build("delta-s-k", 12, 400))


def tail() -> dict:
    return copy.deepcopy(_build("delta-s-k-minus-1", 10_000, None))


def stored(name: str) -> dict:
    import json

    path = STORE / f"{name}-every-k.json"
    if not path.is_file():
        path = EXTENDED / f"{name}-every-k.json"
    if not path.is_file():
        pytest.skip(f"no stored certificate {path.name}")
    return json.loads(path.read_text(encoding="utf-8"))
