"""Claim kind ``relu-spurious-minimum-symmetric`` (docs/spurious-symmetric.md)."""
