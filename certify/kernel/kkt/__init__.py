"""Claim kind kkt-max-margin (trusted, exact rationals). Theorem: docs/kkt.md."""
