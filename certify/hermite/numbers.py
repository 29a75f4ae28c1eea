"""Writing exact numbers m * 2**e as hexadecimal floating-point strings (UNTRUSTED: producer side).

The grammar and the reader are in the kernel (certify/kernel/hermite/hexfloat.py);
the checker never relies on anything here: a string written wrongly is at worst
rejected.  Rounding is directed: a lower end is rounded toward -inf, an upper
end toward +inf, so the written interval contains the ball.
"""
from __future__ import annotations

from flint import arb


def round_pair(m: int, e: int, up: bool, bits: int = 53) -> tuple[int, int]:
    """m * 2**e rounded to `bits` significant bits, toward +inf if up else -inf."""
    if m == 0:
        return 0, 0
    extra = abs(m).bit_length() - bits
    if extra > 0:
        m = -((-m) >> extra) if up else (m >> extra)  # >> is floor division by 2**extra
        e += extra
    return m, e


def format_pair(m: int, e: int) -> str:
    """(m, e) with |m| < 2**53 as a canonical hexfloat string (exact)."""
    if m == 0:
        return "0x0p+0"
    sign = "-" if m < 0 else ""
    m = abs(m)
    if m.bit_length() > 53:
        raise ValueError("mantissa has more than 53 bits")
    shift = 53 - m.bit_length()
    m <<= shift
    e -= shift
    frac = m - (1 << 52)
    return f"{sign}0x1.{frac:013x}p{e + 52:+d}"


def _arb_pair(x: arb) -> tuple[int, int]:
    if not x.is_finite() or not x.is_exact():
        raise ValueError("expected an exact finite arb value")
    m, e = x.mid().man_exp()
    return int(m), int(e)


def lower_string(x: arb) -> str:
    """A hexfloat string <= every point of the ball x."""
    m, e = _arb_pair(x.lower())
    return format_pair(*round_pair(m, e, up=False))


def upper_string(x: arb) -> str:
    """A hexfloat string >= every point of the ball x."""
    m, e = _arb_pair(x.upper())
    return format_pair(*round_pair(m, e, up=True))
