"""The stored family certificates agree with the stored per-k certificates of the symmetric kind
(certificates/spurious_symmetric/families/): at every k both cover, the per-k point lies in the family's box
for that k, and the two proven loss enclosures intersect."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import families_data as D
from certify.families.report import agreement
from certify.kernel.checking import check_file

PER_K = D.REPO / "certificates" / "spurious_symmetric" / "families"


def _rows(folder: str, ks: tuple) -> list[dict]:
    rows = []
    for f in sorted((PER_K / folder).glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        if d["claim"]["k"] not in ks:
            continue
        v = check_file(f)
        rows.append({"k": d["claim"]["k"], "blocks": d["claim"]["blocks"], "nature": d["claim"]["nature"],
                     "values": d["values"], "proven": v.proven, "bounds": v.bounds})
    if not rows:
        pytest.skip(f"no per-k certificates under {folder}")
    return rows


@pytest.mark.parametrize("name,folder", [("delta-s-k-minus-1", "delta-s-k-minus-1"), ("delta-s-k", "delta-s-k")])
def test_family_agrees_with_per_k_certificates(name, folder):
    ks = (6, 7, 20, 100, 10000)
    rows = _rows(folder, ks)
    out = agreement(D.stored(name), rows)
    assert {r["k"] for r in out} == {r["k"] for r in rows}
    for r in out:
        assert r["in_box"], f"k = {r['k']}: the per-k point is not in the family's box"
        assert r["intersect"], f"k = {r['k']}: loss enclosures {r['per_k_loss']} and {r['family_loss']} disagree"
