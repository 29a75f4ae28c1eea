"""Hermite expansions and tail bounds of activation functions (claim kind "hermite-expansion").

Trusted (the checker's kernel for this kind; imports no producer code):
  check.py        decides certificates (check, describe)
  expansion.py    tails, dual coefficients, normalization from an activation's raw balls
  activations.py  the activations and the route each is enclosed by (closed forms, T1-T6)
  rigorous.py     ball-arithmetic machinery: Fourier/trapezoid route, quadrature, tail bounds
  hexfloat.py     exact m*2^e numbers written as hexadecimal floats (any exponent)
Untrusted:
  produce.py      computes, fits decay constants, builds certificates and tables
  plot.py         figure of the tails (matplotlib optional)
  cli.py          `certify hermite ...`
See docs/hermite.md.
"""
