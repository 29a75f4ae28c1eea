"""Claim kind relu-spurious-minimum (trusted): kind.py (claim, statement, check) and rigorous.py (enclosures). Theorem: docs/spurious-minima.md."""
