"""Claim kind ``relu-one-more-neuron``: one more student neuron turns a certified spurious minimum
into a non-minimum (docs/overparameterization.md).  TRUSTED (docs/trust.md)."""
