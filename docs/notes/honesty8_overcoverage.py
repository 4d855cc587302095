"""honesty8: what makes the over-coverage — each part of the interval switched on in turn.

For records kept by ``python -m twinviewer.personalize.coverage learn --records DIR`` (or
``table --records DIR``), prints per setting and output the coverage of the 90 % interval
with: the bare ensemble; the heavy-tailed prior alone; + the inflation ``c_o``; + the
structural term (the whole predictive). Terms: the shipped file, or ``--terms FILE``.

Run: ``PYTHONPATH=$PWD python docs/notes/honesty8_overcoverage.py DIR [--terms FILE]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from twinviewer.personalize import discrepancy as dm
from twinviewer.personalize.coverage import coverage_table, load_records, overall


def _parts(d: dm.Discrepancy) -> dict[str, dm.Discrepancy]:
    """The predictive built up one part at a time."""
    full = {o: dm._full(t) for o, t in d.terms.items()}
    return {
        "bare": dm.Discrepancy({}),
        "tail": dm.Discrepancy({o: (0.0, 0.0, 0.0, 1.0) for o in full},
                               prior_scale=d.prior_scale),
        "tail+c": dm.Discrepancy({o: (0.0, 0.0, 0.0, t[3]) for o, t in full.items()},
                                 prior_scale=d.prior_scale),
        "all": d,
        "all, no tail": dm.Discrepancy(d.terms),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("records", nargs="+")
    p.add_argument("--terms", help="terms file (default: the shipped one)")
    a = p.parse_args()
    doc = dm._load(Path(a.terms)) if a.terms else dm._DOC
    records = load_records(a.records)
    for kind in dm.DATA_KINDS:
        recs = [r for r in records if r.data == kind]
        if not recs:
            continue
        d = dm.Discrepancy(dm._terms_of(doc, kind), prior_scale=dm._scale_of(doc, kind))
        print(f"\n{kind} data, prior scale {d.prior_scale}")
        tables = {name: coverage_table(recs, part) for name, part in _parts(d).items()}
        outputs = list(dict.fromkeys(r.output for r in tables["bare"]))
        print("| setting | part | " + " | ".join(outputs) + " | all |")
        print("|---" * (len(outputs) + 3) + "|")
        for s in dict.fromkeys(r.setting for r in tables["bare"]):
            for name, rows in tables.items():
                cells = {r.output: r.coverage for r in rows if r.setting == s}
                print(f"| {s} | {name} | " + " | ".join(f"{cells[o]:.0%}" for o in outputs)
                      + f" | {overall(rows, s):.1%} |")


if __name__ == "__main__":
    main()
