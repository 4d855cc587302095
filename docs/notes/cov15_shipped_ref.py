"""cov15: the shipped (session 11) terms on a record set — per setting and output the
coverage, the median 90 % top and the median width over the bare prior ensemble's: the
reference the ship rule's line 5 compares a candidate with.

Run: ``PYTHONPATH=$PWD python docs/notes/cov15_shipped_ref.py RECORD_DIR``
"""

from __future__ import annotations

import sys

import numpy as np

from twinviewer.personalize.coverage import _interval, load_records
from twinviewer.personalize.discrepancy import default_discrepancy

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
SETTINGS = ("own", "perturbed", "regazzoni", "wide")


def main(path: str) -> None:
    d = default_discrepancy("standard")
    recs = [r for r in load_records([path]) if r.data == "standard"]
    pooled = []
    for s in SETTINGS:
        rs = [r for r in recs if r.setting == s]
        cells, tops, ratios = [], [], []
        for o in OUT:
            iv = [_interval(r.posterior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                  for i, r in enumerate(rs)]
            cells.append(np.mean([lo <= r.truth[o] <= hi for (lo, hi), r in zip(iv, rs,
                                                                               strict=True)]))
            tops.append(np.median([hi for _, hi in iv]))
            pw = [np.subtract(*np.quantile(r.prior[o][np.isfinite(r.prior[o])], [0.95, 0.05]))
                  for r in rs]
            ratios.append(np.median([(hi - lo) / w for (lo, hi), w in zip(iv, pw,
                                                                           strict=True)]))
        pooled.append(np.mean(cells))
        print(f"{s:10s} ({len(rs)}) cells " + " / ".join(f"{100 * c:.0f}" for c in cells)
              + " | median top " + " / ".join(f"{t:.3g}" for t in tops)
              + " | width / prior " + " / ".join(f"{w:.2f}" for w in ratios))
    print("pooled " + " / ".join(f"{100 * p:.1f}" for p in pooled))


if __name__ == "__main__":
    main(sys.argv[1])
