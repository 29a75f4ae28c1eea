"""Imported once by the checker's forkserver (certify.runner) so that every child starts with the
kernel and every registered claim kind already loaded.  Never raises: a kind that fails to load is
reported by the child that needs it, as a NOT PROVEN verdict."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as in certify.cli: small matrices, no BLAS threads

try:
    from certify.kernel.registry import kinds

    kinds()
except Exception:  # noqa: BLE001
    pass
