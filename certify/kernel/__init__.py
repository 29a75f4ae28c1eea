"""The trusted kernel: everything that decides a certificate, and nothing else.

Core:  certificate.py (reading, field validators), interval.py (binary64
intervals, Rump's test), contract.py (what a claim kind gives the kernel),
registry.py (the one registry of kinds), checking.py (envelope policy,
dispatch, verdicts), showing.py (``certify show``).
One sub-folder per claim kind.  Kernel modules import only the kernel, the
standard library, numpy and python-flint (tests/test_independence.py).
See docs/trust.md.
"""
