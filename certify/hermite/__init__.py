"""Producer of hermite-expansion certificates (UNTRUSTED; the checker never imports it).

The trusted checker of this claim kind is certify/kernel/hermite/ (kind.py,
expansion.py, activations.py, rigorous.py, hexfloat.py).  Here:

  produce.py     computes the enclosures, fits decay constants, builds certificates and tables
  numbers.py     writes exact numbers as hexfloat strings (the kernel only reads them)
  profiles.py    producer data per activation (decay form, Lipschitz note, quadrature pieces)
  crosscheck.py  the general quadrature route, for cross-check tests
  plot.py        figure of the tails (matplotlib optional)
  cli.py         `certify hermite table|write|plot|list`
See docs/hermite.md.
"""
