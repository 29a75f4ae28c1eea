"""Exact binary numbers m * 2**e written as hexadecimal floating-point strings.

TRUSTED (read by the checker).  Imports only the standard library, python-flint
and certify.kernel.certificate.  The reader only: writing (rounding a ball outward
to such strings) is the producer's business, certify/hermite/numbers.py.

Why not JSON numbers: Hermite tails reach 2**-1000 and below, under binary64's
normal range, where a JSON number would lose digits or underflow to 0.  A
number in a hermite-expansion certificate is therefore a string in the C99
``%a`` / Python ``float.hex()`` notation, with an exponent of any size::

    "0x1.921fb54442d18p+1"      # = 0x1921fb54442d18 * 2**(1 - 52)
    "-0x1.8p-1100"              # = -3 * 2**-1101   (not a binary64 number)
    "0x0p+0"                    # zero

Grammar: ``-?0x[0-9a-f](\\.[0-9a-f]{1,13})?p[+-]?[0-9]{1,6}`` (lower case; at
most 13 fraction digits: 53 significant bits with the lead digit 0 or 1 that ``float.hex()``
writes, up to 56 with a larger lead digit, which is accepted too).  The value is exactly
``sign * int(digits, 16) * 2**(exponent - 4 * number_of_fraction_digits)``;
no rounding happens anywhere.  Exponents beyond +-100000 are refused.
"""
from __future__ import annotations

import re

from flint import arb

from ..certificate import CertificateError

MAX_EXPONENT = 100_000
_HEX = re.compile(r"(-?)0x([0-9a-f])(?:\.([0-9a-f]{1,13}))?p([+-]?[0-9]{1,6})")  # used with fullmatch


def parse(value, where: str) -> tuple[int, int]:
    """A hexfloat string as an exact pair (m, e) with value m * 2**e."""
    if not isinstance(value, str):
        raise CertificateError(
            f"{where}: expected a hexadecimal float string such as '0x1.8p-3', got {type(value).__name__} {str(value)[:60]}"
        )
    match = _HEX.fullmatch(value)  # not match + '$', which also accepts a trailing newline
    if match is None:
        raise CertificateError(f"{where}: malformed hexadecimal float {value[:60]!r} (expected e.g. '0x1.8p-3')")
    sign, lead, frac, exp = match.groups()
    frac = frac or ""
    e = int(exp)
    if abs(e) > MAX_EXPONENT:
        raise CertificateError(f"{where}: exponent {e} is out of range (|e| <= {MAX_EXPONENT})")
    m = int(lead + frac, 16)
    if sign:
        m = -m
    return m, e - 4 * len(frac)


def to_arb(pair: tuple[int, int]) -> arb:
    """The exact value m * 2**e as an arb ball of radius 0."""
    m, e = pair
    return arb((m, e))
