"""Spurious local minima of the two-layer ReLU teacher-student problem.

claim -> certificate -> check:  ``check.py`` (trusted) with ``rigorous.py``;
search -> candidates:           ``landscape.py`` and ``search.py`` (untrusted),
                                ``prove.py`` turns candidates into certificates.
"""
