"""Array-module selection for the untrusted searches: numpy, or cupy on a GPU.

Search code is written once against the array API shared by numpy and cupy;
the module follows the input (``array_module(x)``), or is chosen by name
(``get_xp("cupy")``).  Nothing trusted imports this.
"""
from __future__ import annotations

import numpy as np


def cupy_available() -> bool:
    try:
        import cupy  # noqa: F401

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no cupy, no driver, no device
        return False


def get_xp(name: str = "numpy"):
    """The array module called ``name``: 'numpy', 'cupy', or 'auto' (cupy if a GPU works)."""
    if name == "numpy":
        return np
    if name == "cupy" or (name == "auto" and cupy_available()):
        import cupy

        return cupy
    if name == "auto":
        return np
    raise ValueError(f"unknown array backend {name!r} (numpy, cupy, auto)")


def array_module(x):
    """numpy or cupy, whichever owns the array ``x``."""
    mod = type(x).__module__
    if mod.startswith("cupy"):
        import cupy

        return cupy
    return np


def to_numpy(x) -> np.ndarray:
    """A host copy of x (numpy arrays returned as they are)."""
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)
