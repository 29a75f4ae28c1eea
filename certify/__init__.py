"""certify: computer-assisted proofs of claims in deep-learning theory.

Untrusted, fast searches propose candidates; certificates (JSON under
certificates/) record them as exact data; a small trusted checker decides
them with rigorous arithmetic.  See README.md and docs/trust.md.
"""
__version__ = "0.1.0"
