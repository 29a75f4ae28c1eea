"""Claim kind relu-spurious-minimum (trusted): kind.py (claim, statement, check); the enclosures are certify.kernel.teacher_student. Theorem: docs/spurious-minima.md."""
