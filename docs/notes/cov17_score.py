"""cov17: score the kept volume-curve records against the rule in cov17_rule.md.

Shipped terms, the harness's ``coverage_table`` unchanged. Per seed: cells, raw cells, width
ratios, refused, pooled per setting and the rule's three lines; then the completed seeds
pooled. (The rule's planned driver check on seed 23's first 50 patients is not possible:
``synthetic.patients`` draws depend on k, so the first 50 of 100 are other patients than
the 50 of a 50-patient run; the harness's own 50-patient run is compared instead.)

    PYTHONPATH=$PWD python docs/notes/cov17_score.py /tmp/cov17/s23 /tmp/cov17/s31 ...
"""

from __future__ import annotations

import sys

import numpy as np

from twinviewer.personalize.coverage import (
    coverage_table,
    format_table,
    load_records,
    load_refused,
    overall,
)
from twinviewer.personalize.discrepancy import Discrepancy
from twinviewer.personalize.synthetic import SETTINGS

TARGET = (0.85, 0.95)
MIN_SCORED = 95


def _widths(rows) -> str:
    return " / ".join(f"{r.width_ratio:.2f}" for r in rows)


def score(dirs: list[str]) -> bool:
    """Print each seed's table and verdict; True if the rule holds on every seed."""
    every = True
    pooled_recs, pooled_ref = [], []
    print("| seed | setting | scored | refused | LVEDP | LAP | PASP | SW | CO | pooled | "
          "w/prior⊕δ LVEDP/LAP/PASP/SW/CO | rule |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in dirs:
        recs, ref = load_records([d]), load_refused([d])
        pooled_recs += recs
        pooled_ref += ref
        seed = recs[0].seed
        rows = coverage_table(recs, refused=ref)
        ok_seed = True
        for s in SETTINGS:
            sel = [r for r in rows if r.setting == f"{s}/curves"]
            cov = overall(rows, f"{s}/curves")
            # in whole intervals, so that 475 of 500 is 95 % exactly, not a float's 95.0000001
            hits, n = round(sum(r.coverage * r.patients for r in sel)), sum(r.patients for r in sel)
            why = []
            if not 100 * TARGET[0] * n <= 100 * hits <= 100 * TARGET[1] * n + 1e-9:
                why.append("1")
            if sel[0].patients < MIN_SCORED:
                why.append("2")
            if any(r.width_ratio >= 1.0 for r in sel if r.output in ("SW", "CO")):
                why.append("3")
            ok_seed &= not why
            cells = " | ".join(f"{r.coverage:.0%}" for r in sel)
            print(f"| {seed} | {s} | {sel[0].patients} | {sel[0].refused} | {cells} | "
                  f"**{cov:.1%}** ({hits}/{n}) | {_widths(sel)} | "
                  f"{'ok' if not why else 'FAILS ' + ','.join(why)} |")
        outside = [(r.setting, r.output, r.coverage) for r in rows
                   if not TARGET[0] <= r.coverage <= TARGET[1]]
        print(f"\nseed {seed}: rule {'HOLDS' if ok_seed else 'FAILS'}; cells outside 85–95 %: "
              f"{len(outside)} of {len(rows)} "
              + ", ".join(f"{s} {o} {c:.0%}" for s, o, c in outside))
        print(format_table(rows) + "\n")
        for r in ref:
            print(f"  refused: seed {r.seed} {r.setting}: {r.reason}")
        every &= ok_seed
    print(f"\nrule on every seed ({len(dirs)}): {'MET' if every else 'NOT MET'}")
    # all seeds together: indices restart per seed so each record keeps its own draws' seed
    print("\nall seeds pooled (each seed's own table, intervals added); the seeds' pooled "
          "figures: mean ± SD; the bare ensemble (no term) pooled over all seeds:")
    tables = [coverage_table(load_records([d]), refused=load_refused([d])) for d in dirs]
    bare = [coverage_table(load_records([d]), Discrepancy({})) for d in dirs]
    for s in SETTINGS:
        label = f"{s}/curves"
        hits = sum(r.coverage * r.patients for t in tables for r in t if r.setting == label)
        raw = sum(r.coverage * r.patients for t in bare for r in t if r.setting == label)
        n = sum(r.patients for t in tables for r in t if r.setting == label)
        per_seed = np.array([overall(t, label) for t in tables])
        print(f"  {s}: {hits / n:.1%} of {n} intervals; seeds {100 * per_seed.mean():.1f} ± "
              f"{100 * per_seed.std(ddof=1):.1f} %, outside 85–95 % on "
              f"{int(np.sum((per_seed < 0.85) | (per_seed > 0.95 + 1e-9)))} of {len(dirs)}; "
              f"bare ensemble {raw / n:.1%}")
    return every


if __name__ == "__main__":
    score(sys.argv[1:])
