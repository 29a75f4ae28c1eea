"""Certificate files: reading, validating fields, and writing atomically.

TRUSTED (docs/trust.md).  Imports only the standard library (numpy lazily).
Writing certificates is the producers' business: certify/publishing.py.

Format (documented in docs/certificate-format.md)
-------------------------------------------------
A certificate is one JSON object with at least::

    {"format": "certify-certificate", "version": 1, "kind": "...", "claim": {...}, ...}

Numbers are exact data:

* binary64 values are JSON numbers.  The writer emits Python's shortest
  round-trip representation, and the reader (Python's correctly rounded
  ``float()``) gives back exactly the same bits.  ``NaN``/``Infinity``
  literals, booleans and strings are rejected where a number is expected.
* integers are JSON integers.
* rationals are strings ``"p/q"`` or ``"p"`` with decimal integers p, q
  (q > 0), or JSON integers.

Any missing, malformed or out-of-range field raises :class:`CertificateError`,
which every checker turns into "not proven" with the message.
"""
from __future__ import annotations

import json
import math
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

FORMAT = "certify-certificate"
MAX_FILE_BYTES = 64 * 1024 * 1024


class CertificateError(Exception):
    """The certificate is malformed ("not proven")."""


class NotProven(Exception):
    """A rigorous computation could not establish what the certificate claims."""


# --------------------------------------------------------------------------- reading


def _reject_constant(name: str) -> Any:
    """Refuse a JSON constant NaN, Infinity or -Infinity (json's ``parse_constant`` hook): always raises
    CertificateError."""
    raise CertificateError(f"non-finite number {name} is not allowed in a certificate")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    """Build a JSON object from its (key, value) pairs (json's ``object_pairs_hook``); a key given twice
    raises CertificateError instead of silently keeping the last value."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise CertificateError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json_text(text: str) -> dict:
    """Parse certificate text; rejects NaN/Infinity, duplicate keys, non-objects."""
    try:
        data = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
        )
    except CertificateError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CertificateError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CertificateError("a certificate must be a JSON object")
    return data


_KIND_AT_START = re.compile(rb'\A\s*\{(?:\s*"(?:format|version)"\s*:\s*(?:"[^"\\]{0,64}"|[0-9]{1,6})\s*,)*'
                            rb'\s*"kind"\s*:\s*"([a-z0-9-]{1,64})"')


def declared_kind(raw: bytes) -> str | None:
    """The ``kind`` a certificate declares in its first fields (format, version, kind: the order the
    producers write), read from the raw bytes without parsing the file; None if it is not there."""
    m = _KIND_AT_START.match(raw[:1024])
    return m.group(1).decode("ascii") if m else None


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a certificate file, at most MAX_FILE_BYTES (a larger file is refused)."""
    path = Path(path)
    try:
        if not path.is_file():
            raise CertificateError("cannot read file: " + ("not a regular file" if path.exists() else "no such file"))
        with open(path, "rb") as fh:  # bounded read: the size limit holds whatever stat() says
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CertificateError(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CertificateError(f"file is larger than the {MAX_FILE_BYTES} bytes allowed")
    return raw


def parse_bytes(raw: bytes, max_bytes_of_kind=None) -> dict:
    """Parse certificate bytes (UTF-8, strict JSON object).  ``max_bytes_of_kind(kind)``, if given, is
    the largest file a kind accepts: a file declaring that kind in its first fields and larger than
    that is refused before it is parsed (a resource limit, decided in microseconds)."""
    if max_bytes_of_kind is not None:
        kind = declared_kind(raw)
        limit = max_bytes_of_kind(kind) if kind is not None else None
        if limit is not None and len(raw) > limit:
            raise CertificateError(f"a {kind} certificate of {len(raw)} bytes exceeds this checker's limit of "
                                   f"{limit} bytes for the kind (refused before parsing)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CertificateError("file is not UTF-8 text") from None
    return parse_json_text(text)


def load_certificate(path: str | os.PathLike, max_bytes_of_kind=None) -> dict:
    """Read a certificate file (bounded, UTF-8, strict JSON object); the envelope is checked by
    certify.kernel.checking.  See :func:`parse_bytes` for ``max_bytes_of_kind``."""
    return parse_bytes(read_bytes(path), max_bytes_of_kind)


# --------------------------------------------------------------------------- fields


def _where(key: str, ctx: str) -> str:
    """The dotted field name used in messages: "ctx.key", or "key" at the top level."""
    return f"{ctx}.{key}" if ctx else key


def only_fields(obj: dict, allowed, ctx: str = "") -> None:
    """Reject any key of ``obj`` outside ``allowed`` (unknown fields are never ignored)."""
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx or 'certificate'} must be a JSON object")
    extra = sorted(set(obj) - set(allowed))
    if extra:
        where = f"{ctx}: " if ctx else ""
        raise CertificateError(f"{where}unknown field(s) {', '.join(map(repr, extra))} "
                               f"(allowed: {', '.join(sorted(allowed))})")


def within_limit(value: int, limit: int, what: str) -> int:
    """A resource limit, checked before any arithmetic."""
    if value > limit:
        raise CertificateError(f"{what} = {value} exceeds this checker's limit of {limit}")
    return value


def require(obj: dict, key: str, ctx: str = "") -> Any:
    """The value of field ``key`` of the JSON object ``obj``, of any type; CertificateError if ``obj`` is
    not an object or the field is missing (``ctx`` names ``obj`` in the message)."""
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx or 'certificate'} must be a JSON object")
    if key not in obj:
        raise CertificateError(f"missing field '{_where(key, ctx)}'")
    return obj[key]


def get_object(obj: dict, key: str, ctx: str = "") -> dict:
    """Field ``key`` of ``obj``, which must be a JSON object (CertificateError otherwise)."""
    value = require(obj, key, ctx)
    if not isinstance(value, dict):
        raise CertificateError(f"field '{_where(key, ctx)}' must be a JSON object")
    return value


def get_str(obj: dict, key: str, ctx: str = "") -> str:
    """Field ``key`` of ``obj``, which must be a JSON string (CertificateError otherwise)."""
    value = require(obj, key, ctx)
    if not isinstance(value, str):
        raise CertificateError(f"field '{_where(key, ctx)}' must be a string, got {value!r}")
    return value


def get_choice(obj: dict, key: str, choices: tuple[str, ...], ctx: str = "") -> str:
    """A string field that must be one of ``choices``."""
    value = get_str(obj, key, ctx)
    if value not in choices:
        raise CertificateError(f"{_where(key, ctx)} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def get_bool(obj: dict, key: str, ctx: str = "") -> bool:
    """Field ``key`` of ``obj``, which must be JSON ``true`` or ``false``: 0 and 1 are refused
    (CertificateError otherwise)."""
    value = require(obj, key, ctx)
    if type(value) is not bool:
        raise CertificateError(f"field '{_where(key, ctx)}' must be true or false, got {value!r}")
    return value


def get_int(obj: dict, key: str, ctx: str = "", lo: int | None = None, hi: int | None = None) -> int:
    """Field ``key`` of ``obj``, which must be a JSON integer (a bool or a float such as 3.0 is refused),
    with lo <= value <= hi for the bounds given; CertificateError otherwise."""
    value = require(obj, key, ctx)
    if type(value) is not int:
        raise CertificateError(f"field '{_where(key, ctx)}' must be an integer, got {value!r}")
    if lo is not None and value < lo:
        raise CertificateError(f"field '{_where(key, ctx)}' must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise CertificateError(f"field '{_where(key, ctx)}' must be <= {hi}, got {value}")
    return value


def as_binary64(value: Any, where: str) -> float:
    """A JSON number as an exact, finite binary64 value (bool and strings rejected)."""
    if type(value) is int:
        try:
            f = float(value)
        except OverflowError:
            raise CertificateError(f"{where}: integer out of the binary64 range") from None
        if f != value:  # exact comparison int vs float in Python
            raise CertificateError(f"{where}: integer {value} is not exactly a binary64 value")
        return f
    if type(value) is not float:
        raise CertificateError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise CertificateError(f"{where}: non-finite number {value!r}")
    return value


def get_binary64(obj: dict, key: str, ctx: str = "") -> float:
    """Field ``key`` of ``obj`` as an exact, finite binary64 value (see :func:`as_binary64`)."""
    return as_binary64(require(obj, key, ctx), _where(key, ctx))


def get_binary64_array(obj: dict, key: str, shape: tuple[int, ...], ctx: str = ""):
    """A nested list of JSON numbers of exactly the given shape, as a float64 numpy array."""
    import numpy as np

    where = _where(key, ctx)
    value = require(obj, key, ctx)

    def walk(v: Any, dims: tuple[int, ...], path: str) -> list:
        """The nested list ``v`` checked to have exactly the dimensions ``dims``, its leaves converted by
        :func:`as_binary64`; CertificateError naming the first wrong entry (``path`` is its index)."""
        if not dims:
            return as_binary64(v, f"{where}{path}")
        if not isinstance(v, list):
            raise CertificateError(f"{where}{path}: expected a list of length {dims[0]}, got {type(v).__name__}")
        if len(v) != dims[0]:
            raise CertificateError(f"{where}{path}: expected length {dims[0]}, got {len(v)}")
        return [walk(x, dims[1:], f"{path}[{i}]") for i, x in enumerate(v)]

    return np.array(walk(value, shape, ""), dtype=np.float64).reshape(shape)


_RATIONAL = re.compile(r"[+-]?[0-9]+(/[0-9]+)?")


def as_rational(value: Any, where: str) -> Fraction:
    """An exact rational: a JSON integer or a string "p/q" / "p" (q > 0)."""
    if type(value) is int:
        return Fraction(value)
    if isinstance(value, str) and len(value) <= 10000 and _RATIONAL.fullmatch(value):
        # fullmatch: '$' would also accept a trailing newline
        num, _, den = value.partition("/")
        try:
            p, q = int(num), (int(den) if den else 1)
        except ValueError:  # more digits than Python's int() converts (sys.get_int_max_str_digits)
            raise CertificateError(f"{where}: rational with too many digits ({len(value)} characters)") from None
        if q == 0:
            raise CertificateError(f"{where}: zero denominator in {value[:60]!r}")
        return Fraction(p, q)
    raise CertificateError(
        f"{where}: expected an exact rational (integer or string 'p/q'), got {value!r}"
    )


def rational_str(x: Fraction | int) -> str:
    """The rational x as the certificate format writes it: "p" for an integer, else "p/q" in lowest terms
    with q > 0 (exact: :func:`as_rational` reads it back as x)."""
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
