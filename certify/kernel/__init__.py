"""The trusted kernel: everything that decides a certificate, and nothing else.

Core:  certificate.py (reading, field validators), contract.py (what a claim kind gives the
kernel), registry.py (the one registry of kinds), checking.py (envelope policy, dispatch,
verdicts), showing.py (``certify show``); the arithmetic: interval.py (binary64 intervals with
proven rounding), definite.py (Rump's positive-definiteness test; eigen_estimate.py only chooses
its shift); the teacher-student loss shared by several kinds: teacher_student.py, and the box
argument: box_argument.py.
One sub-folder per claim kind.  Kernel modules import only the kernel, the standard library,
numpy and python-flint (tests/core/test_independence.py).  See docs/trust.md.
"""
