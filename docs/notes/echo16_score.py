"""echo16: score a terms document on kept records — the ship rule's figures.

Per setting and output: coverage of the 90 % intervals, the median 90 % top, the median width
over the bare prior ensemble's (cov15's "width / prior"), the harness's width ratio
(posterior ⊕ term over prior ⊕ term); per setting the pooled coverage, the refused patients
and the pooled coverage with every refused patient counted as a miss; and each typical top
over the shipped standard-set terms' on the same seed's patients (cov15's reference logs).

Run: ``PYTHONPATH=$PWD python docs/notes/echo16_score.py TERMS.json KIND RECORDS... [--as KIND2]``
(``--as``: apply the terms of KIND2 to the records of KIND, e.g. the echo terms to echo_tr
records).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

from twinviewer.personalize.coverage import _interval, load_records, load_refused
from twinviewer.personalize.discrepancy import from_document

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
SETTINGS = ("own", "perturbed", "regazzoni", "wide")
REF = Path(__file__).with_name("cov15_runs")


def reference_tops(seed: int) -> dict[str, list[float]] | None:
    """The shipped standard terms' median tops per setting on seed ``seed`` (cov15)."""
    f = REF / f"shipped_terms_seed{seed}.log"
    if not f.exists():
        return None
    out = {}
    for line in f.read_text().splitlines():
        m = re.match(r"(\w+)\s+\(\d+\) cells .*\| median top ([^|]+)\|", line)
        if m:
            out[m.group(1)] = [float(x) for x in m.group(2).split("/")]
    return out


def main(terms_path: str, kind: str, paths: list[str], as_kind: str | None = None) -> None:
    doc = json.loads(Path(terms_path).read_text())
    d = from_document(doc, as_kind or kind)
    recs = [r for r in load_records(paths) if r.data == kind]
    refused = [r for r in load_refused(paths) if r.data == kind]
    seeds = sorted({r.seed for r in recs})
    ref = reference_tops(seeds[0]) if len(seeds) == 1 else None
    pooled, worst_top, worst_w, low = [], 0.0, 0.0, 1.0
    print(f"terms {terms_path} [{as_kind or kind}] on {kind} records, seeds {seeds}")
    for s in SETTINGS:
        rs = [r for r in recs if r.setting == s]
        nref = sum(x.setting == s for x in refused)
        cells, tops, ratios, ws = [], [], [], []
        for o in OUT:
            iv = [_interval(r.posterior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                  for i, r in enumerate(rs)]
            piv = [_interval(r.prior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                   for i, r in enumerate(rs)]
            cells.append(np.mean([lo <= r.truth[o] <= hi
                                  for (lo, hi), r in zip(iv, rs, strict=True)]))
            tops.append(float(np.median([hi for _, hi in iv])))
            pw = [np.subtract(*np.quantile(r.prior[o][np.isfinite(r.prior[o])], [0.95, 0.05]))
                  for r in rs]
            ratios.append(np.median([(hi - lo) / w for (lo, hi), w in zip(iv, pw,
                                                                           strict=True)]))
            ws.append(np.nanmedian([(hi - lo) / (phi - plo) if phi > plo else np.nan
                                    for (lo, hi), (plo, phi) in zip(iv, piv, strict=True)]))
        p = float(np.mean(cells))
        pooled.append(p)
        low = min(low, min(cells))
        worst_w = max(worst_w, max(ws))
        line = (f"{s:10s} ({len(rs)} scored, {nref} refused) cells "
                + " / ".join(f"{100 * c:.0f}" for c in cells)
                + f" | pooled {100 * p:.1f} (refused as misses "
                  f"{100 * p * len(rs) / max(1, len(rs) + nref):.1f})"
                + " | median top " + " / ".join(f"{t:.3g}" for t in tops)
                + " | width / bare prior " + " / ".join(f"{w:.2f}" for w in ratios)
                + " | w " + " / ".join(f"{w:.2f}" for w in ws))
        if ref and s in ref:
            rel = [t / r for t, r in zip(tops, ref[s], strict=True)]
            worst_top = max(worst_top, max(rel))
            line += " | top / shipped " + " / ".join(f"{x:.2f}" for x in rel)
        print(line)
    print("pooled " + " / ".join(f"{100 * p:.1f}" for p in pooled)
          + f" | lowest cell {100 * low:.0f} %"
          + (f" | worst top / shipped {worst_top:.3f}" if ref else "")
          + f" | worst w {worst_w:.2f}")
    inside = all(0.85 <= p <= 0.95 for p in pooled)
    print(f"rule: line 1 (pooled inside 85–95 %) {'yes' if inside else 'NO'}; line 2 "
          f"(no cell < 80 %) {'yes' if low >= 0.80 else 'NO'}; line 3a (tops ≤ 1.15×) "
          + (("yes" if worst_top <= 1.15 else "NO") if ref else "n/a")
          + f"; line 3b (w < 1) {'yes' if worst_w < 1 else 'NO'}")


if __name__ == "__main__":
    argv = sys.argv[1:]
    as_kind = None
    if "--as" in argv:
        i = argv.index("--as")
        as_kind = argv[i + 1]
        del argv[i:i + 2]
    main(argv[0], argv[1], argv[2:], as_kind)
