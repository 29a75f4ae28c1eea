"""Claim kind hermite-expansion (trusted). Theorem: docs/hermite.md."""
