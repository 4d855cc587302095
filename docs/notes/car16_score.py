"""car16: coverage of record sets under a terms document (default: the shipped terms), per
setting and output, for each data kind present — cov15_shipped_ref.py with a terms file.

Run: ``PYTHONPATH=$PWD python docs/notes/car16_score.py RECORD_DIR [TERMS.json]``
"""

import json
import sys

import numpy as np

from twinviewer.personalize.coverage import _interval, load_records
from twinviewer.personalize.discrepancy import default_discrepancy, from_document

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
SETTINGS = ("own", "perturbed", "regazzoni", "wide")


def main(path: str, terms: str | None) -> None:
    doc = json.load(open(terms)) if terms else None
    records = load_records([path])
    for kind in ("standard", "curves"):
        recs = [r for r in records if r.data == kind]
        if not recs:
            continue
        d = from_document(doc, kind) if doc else default_discrepancy(kind)
        pooled = []
        for s in SETTINGS:
            rs = [r for r in recs if r.setting == s]
            cells, tops = [], []
            for o in OUT:
                iv = [_interval(r.posterior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                      for i, r in enumerate(rs)]
                cells.append(np.mean([lo <= r.truth[o] <= hi
                                      for (lo, hi), r in zip(iv, rs, strict=True)]))
                tops.append(np.median([hi for _, hi in iv]))
            pooled.append(np.mean(cells))
            print(f"{kind:8s} {s:10s} ({len(rs)}) cells "
                  + " / ".join(f"{100 * c:.0f}" for c in cells)
                  + " | median top " + " / ".join(f"{t:.3g}" for t in tops))
        print(f"{kind} pooled " + " / ".join(f"{100 * p:.1f}" for p in pooled))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
