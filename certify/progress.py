"""Progress bars that appear only on a terminal (untrusted helper; the kernel never imports it).

Every long-running producer step uses :func:`progress`.  By default a bar is
shown only when standard error is a terminal and ``CI`` is not set, so CI
logs stay free of carriage-return lines; ``certify --progress`` /
``--no-progress`` force it either way (:func:`set_mode`).
"""
from __future__ import annotations

import os
import sys
from typing import Iterable

_MODE: bool | None = None  # None: automatic


def set_mode(show: bool | None) -> None:
    """True: always show bars; False: never; None: only on a terminal outside CI."""
    global _MODE
    _MODE = show


def enabled() -> bool:
    if _MODE is not None:
        return _MODE
    if os.environ.get("CI"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(iterable: Iterable | None = None, **kwargs):
    """A tqdm bar when enabled (and tqdm is installed), else a silent stand-in with the same API."""
    if enabled():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            kwargs.setdefault("leave", False)
            return tqdm(iterable, **kwargs)
    return _Silent(iterable)


class _Silent:
    def __init__(self, iterable=None):
        self._it = iterable

    def __iter__(self):
        return iter(self._it if self._it is not None else ())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def set_postfix_str(self, *a, **k):
        pass

    def set_description(self, *a, **k):
        pass

    def close(self):
        pass
