"""Claim kind ``relu-network-exact``: exact identities, bounds, region counts and L2 errors of ReLU networks."""
