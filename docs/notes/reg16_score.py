"""reg16: score record sets with a candidate terms file against the shipped terms and apply
the ship rule (docs/notes/reg16.md §2): per setting and output the coverage, pooled coverage,
median 90 % top (LVEDP / LAP / PASP: ratio to the shipped terms' on the same records) and the
harness's width ratio (posterior ⊕ term over prior ⊕ term).

Run: ``PYTHONPATH=$PWD python docs/notes/reg16_score.py CANDIDATE.json RECORDS...``; the
reference ("shipped") terms are the package's, or the terms file in ``$REG16_REF``.
"""

import json
import os
import sys

import numpy as np

from twinviewer.personalize.coverage import _interval, load_records
from twinviewer.personalize.discrepancy import default_discrepancy, from_document

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
RULED = ("own", "regazzoni", "perturbed", "wide")
WIDTH_OUTPUTS = ("LVEDP", "LAP", "PASP")


def _cells(recs, d):
    cells, tops, ratios = {}, {}, {}
    for o in OUT:
        iv = [_interval(r.posterior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
              for i, r in enumerate(recs)]
        cells[o] = float(np.mean([lo <= r.truth[o] <= hi
                                  for (lo, hi), r in zip(iv, recs, strict=True)]))
        tops[o] = float(np.median([hi for _, hi in iv]))
        pw = [_interval(r.prior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
              for i, r in enumerate(recs)]
        ratios[o] = float(np.nanmedian([(hi - lo) / (b - a) if b > a else np.nan
                                        for (lo, hi), (a, b) in zip(iv, pw, strict=True)]))
    return cells, tops, ratios


def main(terms: str, paths: list[str]) -> bool:
    doc = json.load(open(terms))
    records = load_records(paths)
    ok = True
    for kind in ("standard", "curves"):
        recs = [r for r in records if r.data == kind]
        if not recs:
            continue
        ref = os.environ.get("REG16_REF")
        new = from_document(doc, kind)
        old = from_document(json.load(open(ref)), kind) if ref else default_discrepancy(kind)
        seeds = sorted({r.seed for r in recs})
        print(f"\n### {kind}, seed(s) {seeds}: candidate ({terms}) | shipped terms\n")
        print("| setting | n | LVEDP | LAP | PASP | SW | CO | pooled | shipped: pooled "
              "| tops LVEDP / LAP / PASP (mmHg) | × shipped | width/prior (5 outputs) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for s in dict.fromkeys(r.setting for r in recs):
            rs = [r for r in recs if r.setting == s]
            c, t, w = _cells(rs, new)
            c0, t0, _ = _cells(rs, old)
            pooled, pooled0 = np.mean(list(c.values())), np.mean(list(c0.values()))
            ratio = {o: t[o] / t0[o] for o in WIDTH_OUTPUTS}
            print(f"| {s} | {len(rs)} | " + " | ".join(f"{100 * c[o]:.0f}" for o in OUT)
                  + f" | **{100 * pooled:.1f}** | {100 * pooled0:.1f} | "
                  + " / ".join(f"{t[o]:.1f}" for o in WIDTH_OUTPUTS) + " | "
                  + " / ".join(f"{ratio[o]:.2f}" for o in WIDTH_OUTPUTS) + " | "
                  + " / ".join(f"{w[o]:.2f}" for o in OUT) + " |")
            if kind == "standard" and s in RULED:
                if not 0.85 <= pooled <= 0.95:
                    ok = False
                    print(f"  RULE 1 FAILS: {s} pooled {100 * pooled:.1f} %")
                bad = [o for o in WIDTH_OUTPUTS if ratio[o] > 1.1]
                if bad:
                    ok = False
                    print(f"  RULE 2 FAILS: {s} tops of {bad} > 1.1× shipped")
    print(f"\nship rule on these records: {'PASSES' if ok else 'FAILS'}")
    return ok


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
