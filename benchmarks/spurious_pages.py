"""Regenerate docs/results/published-record.md and docs/results/families.md (+ plots) from the
data files that the producers' runs left in docs/results/:

    published-record.json   {"meta", "table": per_k_table(rows), "exceptions": exceptional_rows(rows)}
    families.json           {family: {"rows": [...], "wall_seconds": s}} (+ meta)
    spurious-search-k6-20.json   the CPU search statistics (per k: runs, global, ...)

    .venv/bin/python benchmarks/spurious_pages.py

Untrusted reporting only; every figure on the pages is read from a certificate's proven bounds
(or labelled as a float estimate).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "docs" / "results"
DATA = ROOT / "data" / "sys2021-minima.json"


def main() -> int:
    from certify.spurious_minima import families as F
    from certify.spurious_minima import record as R

    rec = json.loads((RESULTS / "published-record.json").read_text())
    rows = rec["exceptions"]
    table = rec["table"]
    comparison = None
    search_file = RESULTS / "spurious-search-k6-20.json"
    if search_file.exists():
        search = json.loads(search_file.read_text())
        global_runs = rec["meta"].get("global_minimum_runs")
        if global_runs is None and DATA.exists():
            global_runs = json.loads(DATA.read_text())["global_minimum_runs"]
        counts = rec["meta"].get("published_classes") or {t["k"]: t["published"] for t in table}
        comparison = R.compare_search(search["rows"], global_runs,
                                      published_classes={int(k): v for k, v in counts.items()})
        rec["meta"]["search_text"] = search.get("text", "")
    (RESULTS / "published-record.md").write_text(R.record_page(table, rows, comparison, rec["meta"]))
    R.record_plot(table, RESULTS / "published-record.png")
    fam = json.loads((RESULTS / "families.json").read_text())
    meta = fam.pop("meta", {})
    (RESULTS / "families.md").write_text(F.families_page(fam, meta))
    F.families_plot(fam, RESULTS / "families.png")
    print("wrote docs/results/published-record.md, families.md and their plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
