"""certify.certificate: strict JSON reading, field getters, exact binary64
round trip, and atomic never-overwriting writes."""
from __future__ import annotations

import json
import os
import struct
from fractions import Fraction

import numpy as np
import pytest

from certify.kernel import certificate as C
from certify.kernel.certificate import (
    CertificateError,
    as_rational,
    get_binary64,
    get_binary64_array,
    get_bool,
    get_int,
    get_object,
    get_str,
    load_certificate,
    only_fields,
    parse_json_text,
    within_limit,
)
from certify.kernel.checking import parse_claim
from certify.publishing import dumps
from certify.publishing import write_json_atomic as write_certificate

ENVELOPE = {"format": "certify-certificate", "version": 1, "kind": "relu-spurious-minimum", "claim": {}}


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# --------------------------------------------------------------------------- parse_json_text


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_parse_rejects_non_finite_literals(literal):
    with pytest.raises(CertificateError, match="non-finite"):
        parse_json_text('{"x": %s}' % literal)
    with pytest.raises(CertificateError, match="non-finite"):
        parse_json_text('{"x": [1.0, [2.0, %s]]}' % literal)


def test_parse_huge_number_is_not_silently_accepted_as_finite():
    # 1e999 parses as float inf in Python; the getters must reject it
    data = parse_json_text('{"x": 1e999, "y": -1e999}')
    for key in ("x", "y"):
        with pytest.raises(CertificateError, match="non-finite"):
            get_binary64(data, key)


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}',
    '{"a": 1, "b": {"c": 1, "c": 1}}',
    '{"a": [{"x": 0.5, "y": 1, "x": 0.5}]}',
])
def test_parse_rejects_duplicate_keys(text):
    with pytest.raises(CertificateError, match="duplicate key"):
        parse_json_text(text)


@pytest.mark.parametrize("text", ["[]", "[1, 2]", "1", '"text"', "null", "true", "1.5"])
def test_parse_rejects_non_object_top_level(text):
    with pytest.raises(CertificateError, match="JSON object"):
        parse_json_text(text)


@pytest.mark.parametrize("text", ["", "{", '{"a": }', "{'a': 1}", '{"a": 1,}', '{"a": 1} extra', "nan", '{"a": 01}',
                                  "[" * 100000 + "]" * 100000])
def test_parse_rejects_invalid_json(text):
    with pytest.raises(CertificateError):
        parse_json_text(text)


def test_parse_accepts_valid_object():
    assert parse_json_text('{"a": [1, 2.5, "x"], "b": {"c": null}}') == {"a": [1, 2.5, "x"], "b": {"c": None}}


# --------------------------------------------------------------------------- load_certificate


def test_load_valid_envelope(tmp_path):
    p = tmp_path / "ok.json"
    p.write_text(dumps(ENVELOPE))
    assert load_certificate(p) == ENVELOPE
    assert load_certificate(str(p)) == ENVELOPE


@pytest.mark.parametrize("change,pattern", [
    ({"format": "something-else"}, "format"),
    ({"format": None}, "format"),
    ({"version": 2}, "format version 2: this checker reads version 1"),
    ({"version": 0}, "format version 0"),
    ({"version": "1"}, "integer"),
    ({"version": 1.0}, "integer"),
    ({"version": True}, "integer"),
    ({"version": None}, "integer"),
    ({"kind": 5}, "kind"),
    ({"claim": []}, "claim"),
    ({"claim": "x"}, "claim"),
])
def test_load_rejects_bad_envelope(tmp_path, change, pattern):
    """load_certificate reads the JSON; the kernel's envelope policy (parse_claim) rejects it."""
    data = dict(ENVELOPE, **change)
    p = tmp_path / "bad.json"
    p.write_text(dumps(data))
    with pytest.raises(CertificateError, match=pattern):
        parse_claim(load_certificate(p))


@pytest.mark.parametrize("field", ["format", "version", "kind", "claim"])
def test_load_rejects_missing_envelope_field(tmp_path, field):
    data = {k: v for k, v in ENVELOPE.items() if k != field}
    p = tmp_path / "bad.json"
    p.write_text(dumps(data))
    with pytest.raises(CertificateError, match=field):
        parse_claim(load_certificate(p))


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"format": "\xc3\x28"}', b"\x80", '{"a": "é"}'.encode("latin-1")])
def test_load_rejects_non_utf8(tmp_path, raw):
    p = tmp_path / "bad.json"
    p.write_bytes(raw)
    with pytest.raises(CertificateError, match="UTF-8"):
        load_certificate(p)


def test_load_rejects_missing_file_and_folder(tmp_path):
    with pytest.raises(CertificateError, match="cannot read"):
        load_certificate(tmp_path / "missing.json")
    with pytest.raises(CertificateError, match="cannot read"):
        load_certificate(tmp_path)


def test_load_rejects_oversized_file(tmp_path, monkeypatch):
    p = tmp_path / "big.json"
    p.write_text(dumps(ENVELOPE))
    monkeypatch.setattr(C, "MAX_FILE_BYTES", 10)
    with pytest.raises(CertificateError, match="larger"):
        load_certificate(p)


def test_load_rejects_utf8_bom(tmp_path):
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + dumps(ENVELOPE).encode())
    with pytest.raises(CertificateError):
        load_certificate(p)


# --------------------------------------------------------------------------- field getters


@pytest.mark.parametrize("value", [True, False, "1.0", "0x1p-3", None, [1.0], {"a": 1.0}, float("nan"), float("inf"),
                                   -float("inf")])
def test_get_binary64_rejects_non_numbers(value):
    with pytest.raises(CertificateError, match="x"):
        get_binary64({"x": value}, "x")


def test_get_binary64_accepts_numbers_exactly():
    assert get_binary64({"x": 3}, "x") == 3.0
    assert type(get_binary64({"x": 3}, "x")) is float
    assert get_binary64({"x": -0.0}, "x") == 0.0 and np.signbit(get_binary64({"x": -0.0}, "x"))
    assert get_binary64({"x": 2**53}, "x") == 2.0**53
    with pytest.raises(CertificateError, match="not exactly a binary64"):
        get_binary64({"x": 2**53 + 1}, "x")
    with pytest.raises(CertificateError, match="missing field 'c.x'"):
        get_binary64({}, "x", "c")


def test_get_binary64_rejects_huge_integer_cleanly():
    # (an OverflowError escaped here before; fixed in certificate.as_binary64)
    with pytest.raises(CertificateError, match="x"):
        get_binary64({"x": 10**400}, "x")


def test_get_binary64_array_shape_and_types():
    a = get_binary64_array({"p": [[1, 2.5], [3.0, -4]]}, "p", (2, 2))
    assert a.dtype == np.float64 and a.tolist() == [[1.0, 2.5], [3.0, -4.0]]
    for bad, pattern in [
        ([[1, 2.5], [3.0]], "length 2"),  # ragged
        ([[1, 2.5]], "length 2"),
        ([1, 2], "list"),
        ([[1, True], [3.0, 4]], "p\\[0\\]\\[1\\]"),
        ([[1, "2"], [3.0, 4]], "expected a number"),
        ([[1, None], [3.0, 4]], "expected a number"),
        ({"0": [1, 2]}, "list"),
    ]:
        with pytest.raises(CertificateError, match=pattern):
            get_binary64_array({"p": bad}, "p", (2, 2))


def test_other_getters():
    obj = {"i": 5, "b": True, "s": "x", "o": {}, "f": 1.0}
    assert get_int(obj, "i", lo=1, hi=5) == 5
    for key in ("b", "s", "f"):
        with pytest.raises(CertificateError, match="integer"):
            get_int(obj, key)
    with pytest.raises(CertificateError, match=">= 6"):
        get_int(obj, "i", lo=6)
    with pytest.raises(CertificateError, match="<= 4"):
        get_int(obj, "i", hi=4)
    assert get_bool(obj, "b") is True
    with pytest.raises(CertificateError):
        get_bool(obj, "i")
    assert get_str(obj, "s") == "x"
    with pytest.raises(CertificateError, match="string"):
        get_str(obj, "i")
    assert get_object(obj, "o") == {}
    with pytest.raises(CertificateError, match="object"):
        get_object(obj, "s")
    with pytest.raises(CertificateError, match="missing field 'ctx.nothing'"):
        get_str(obj, "nothing", "ctx")
    with pytest.raises(CertificateError, match="object"):
        get_str([1], "x", "ctx")


def test_as_rational():
    assert as_rational("3/4", "r") == Fraction(3, 4)
    assert as_rational("-7", "r") == Fraction(-7)
    assert as_rational(5, "r") == Fraction(5)
    for bad in ["1/0", "0.5", "1e3", "a/b", "1/-2", True, 0.5, None, "", "1/2/3", "1" * 20000]:
        with pytest.raises(CertificateError):
            as_rational(bad, "r")


# --------------------------------------------------------------------------- binary64 round trip


def test_binary64_round_trip_is_bit_exact():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**64, size=5000, dtype=np.uint64)
    vals = bits.view(np.float64)
    vals = vals[np.isfinite(vals)]
    sub = (rng.integers(1, 2**52, size=500, dtype=np.uint64)).view(np.float64)  # subnormals
    extra = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                      -1.7976931348623157e308, 0.1, 1 / 3, np.nextafter(1.0, 2.0)])
    vals = np.concatenate([vals, sub, -sub, extra])
    assert np.any(np.abs(vals) < 2.2250738585072014e-308) and np.any(np.abs(vals) > 1e300)
    data = dict(ENVELOPE, point=[float(v) for v in vals])
    back = parse_json_text(dumps(data))
    arr = get_binary64_array(back, "point", (vals.size,))
    assert np.array_equal(arr.view(np.uint64), vals.view(np.uint64))
    for v, w in zip(vals[:200], back["point"][:200]):
        assert _bits(float(v)) == _bits(w)


def test_dumps_refuses_non_finite():
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError):
            dumps({"x": bad})


# --------------------------------------------------------------------------- write_certificate


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


def test_write_creates_file_and_round_trips(tmp_path):
    p = write_certificate(tmp_path / "sub" / "c.json", ENVELOPE)
    assert p.exists()
    assert load_certificate(p) == ENVELOPE
    assert p.read_text(encoding="utf-8") == dumps(ENVELOPE)
    assert _leftovers(p.parent) == []


def test_write_never_overwrites(tmp_path):
    p = tmp_path / "c.json"
    write_certificate(p, ENVELOPE)
    old = p.read_bytes()
    with pytest.raises(FileExistsError):
        write_certificate(p, dict(ENVELOPE, kind="other"))
    assert p.read_bytes() == old
    assert _leftovers(tmp_path) == []


def test_write_overwrite_replaces(tmp_path):
    p = tmp_path / "c.json"
    write_certificate(p, ENVELOPE)
    write_certificate(p, dict(ENVELOPE, kind="other"), overwrite=True)
    assert load_certificate(p)["kind"] == "other"
    assert _leftovers(tmp_path) == []


def test_write_refuses_unwritable_data_and_leaves_nothing(tmp_path):
    p = tmp_path / "c.json"
    with pytest.raises(ValueError):
        write_certificate(p, dict(ENVELOPE, x=float("nan")))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_crash_in_fsync_leaves_no_partial_file(tmp_path, monkeypatch, overwrite):
    p = tmp_path / "c.json"

    def boom(fd):
        raise OSError("simulated crash during fsync")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="simulated"):
        write_certificate(p, ENVELOPE, overwrite=overwrite)
    assert not p.exists()
    assert list(tmp_path.iterdir()) == []


def test_crash_in_fsync_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "c.json"
    write_certificate(p, ENVELOPE)
    old = p.read_bytes()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("simulated crash")))
    with pytest.raises(OSError):
        write_certificate(p, dict(ENVELOPE, kind="new"), overwrite=True)
    assert p.read_bytes() == old
    assert _leftovers(tmp_path) == []


def test_crash_in_link_leaves_no_partial_file(tmp_path, monkeypatch):
    p = tmp_path / "c.json"

    def boom(src, dst, *a, **k):
        raise KeyboardInterrupt  # not an OSError: no fallback, the write is abandoned

    monkeypatch.setattr(os, "link", boom)
    with pytest.raises(KeyboardInterrupt):
        write_certificate(p, ENVELOPE)
    assert list(tmp_path.iterdir()) == []


def test_crash_while_writing_text_leaves_no_partial_file(tmp_path, monkeypatch):
    p = tmp_path / "c.json"
    real_fdopen = os.fdopen

    class Broken:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()
            return False

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Broken(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="disk full"):
        write_certificate(p, ENVELOPE)
    assert list(tmp_path.iterdir()) == []


def test_no_hard_links_fallback_writes_whole_file_and_never_overwrites(tmp_path, monkeypatch):
    def no_links(src, dst, *a, **k):
        raise PermissionError("hard links not supported (simulated)")

    monkeypatch.setattr(os, "link", no_links)
    p = tmp_path / "c.json"
    write_certificate(p, ENVELOPE)
    assert load_certificate(p) == ENVELOPE
    with pytest.raises(FileExistsError):
        write_certificate(p, dict(ENVELOPE, kind="other"))
    assert load_certificate(p) == ENVELOPE
    assert _leftovers(tmp_path) == []


def test_no_hard_links_fallback_is_atomic_against_a_concurrent_writer(tmp_path, monkeypatch):
    """Without hard links the name is claimed with O_EXCL: a file created by another
    writer after our link attempt is never overwritten."""
    p = tmp_path / "c.json"

    def link_fails_and_another_writer_wins(src, dst, *a, **k):
        p.write_text("written by a concurrent writer\n")  # appears just after our attempt
        raise PermissionError("no hard links")

    monkeypatch.setattr(os, "link", link_fails_and_another_writer_wins)
    with pytest.raises(FileExistsError):
        write_certificate(p, ENVELOPE)
    assert p.read_text() == "written by a concurrent writer\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_size_limit_holds_for_non_regular_files(tmp_path, monkeypatch):
    import threading

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    payload = (dumps(ENVELOPE).rstrip("\n") + " " * 5000 + "\n").encode()

    def writer():
        try:
            with open(fifo, "wb") as fh:
                fh.write(payload)
        except OSError:
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    monkeypatch.setattr(C, "MAX_FILE_BYTES", 1000)
    try:
        with pytest.raises(CertificateError):
            load_certificate(fifo)
    finally:
        if t.is_alive():  # release a writer still waiting for a reader
            try:
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                os.read(fd, len(payload) + 1)
                os.close(fd)
            except OSError:
                pass
        t.join(5)


def test_written_certificate_is_readable_by_others(tmp_path):
    """mkstemp creates 0600 files; certificates are for publishing (mode follows the umask)."""
    old = os.umask(0o022)
    try:
        p = write_certificate(tmp_path / "c.json", ENVELOPE)
    finally:
        os.umask(old)
    assert (p.stat().st_mode & 0o777) == 0o644


# --------------------------------------------------------------------------- only_fields, within_limit


def test_only_fields_rejects_unknown_keys_and_names_them():
    only_fields({"a": 1, "b": 2}, {"a", "b", "c"})
    with pytest.raises(CertificateError, match=r"claim: unknown field\(s\) 'zz'"):
        only_fields({"a": 1, "zz": 2}, {"a"}, "claim")
    with pytest.raises(CertificateError, match="must be a JSON object"):
        only_fields([1], {"a"}, "claim")


def test_within_limit():
    assert within_limit(10, 10, "n") == 10
    with pytest.raises(CertificateError, match="n = 11 exceeds this checker's limit of 10"):
        within_limit(11, 10, "n")
