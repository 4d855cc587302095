"""coverage10: how far apart the four settings are, whatever a per-patient term does.

For records kept by ``python -m twinviewer.personalize.coverage learn --records DIR``, prints
per data kind:

* the area under the ROC curve of each per-patient evidence (atypicality ``D``, misfit ``M``,
  their product ``D·M``) for each setting against the model's own patients (0.5: no
  separation);
* the coverage when every interval of every output is the bare ensemble's 90 % interval
  (on the log scale, about its median) widened by one factor ``f`` for everyone;
* the best a factor grown with the evidence, ``f0·√(1 + k·max(E − d, 0))``, can do *in
  sample* (fitted on these very records, so an optimistic bound): the smallest worst-setting
  distance from 90 % over a grid of ``f0``, ``k``, ``d``, and the settings' coverage there.

Run: ``PYTHONPATH=$PWD python docs/notes/coverage10_frontier.py DIR [DIR ...]``.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.stats import rankdata

from twinviewer.personalize.coverage import load_records
from twinviewer.personalize.synthetic import UNMEASURED


def _auc(a: np.ndarray, b: np.ndarray) -> float:
    """P(a random member of ``a`` > a random member of ``b``) (ties count half)."""
    r = rankdata(np.r_[a, b])
    return float((r[:len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b)))


def _half_widths(r, o: str) -> float:
    """|log truth − log median| in units of the bare ensemble's 90 % half-width (log)."""
    x = np.asarray(r.posterior[o], dtype=float)
    lx = np.log(x[np.isfinite(x) & (x > 0)])
    half = (np.quantile(lx, 0.95) - np.quantile(lx, 0.05)) / 2.0
    return float(abs(np.log(r.truth[o]) - np.median(lx)) / half)


def main(paths: list[str]) -> None:
    records = load_records(paths)
    for kind in dict.fromkeys(r.data for r in records):
        recs = [r for r in records if r.data == kind]
        settings = list(dict.fromkeys(r.setting for r in recs))
        z = {s: np.array([[_half_widths(r, o) for o in UNMEASURED] for r in recs
                          if r.setting == s]) for s in settings}
        ev = {"D": {s: np.array([r.atypicality for r in recs if r.setting == s])
                    for s in settings},
              "M": {s: np.array([r.misfit for r in recs if r.setting == s]) for s in settings}}
        ev["D·M"] = {s: ev["D"][s] * ev["M"][s] for s in settings}
        print(f"== {kind}: {', '.join(f'{s} {len(z[s])}' for s in settings)} patients")
        for name, e in ev.items():
            print(f"  ROC area of {name} against own: "
                  + ", ".join(f"{s} {_auc(e[s], e['own']):.2f}" for s in settings if s != "own"))
        for f in (1.0, 1.5, 2.0, 2.5):
            print(f"  one factor {f} for everyone: "
                  + ", ".join(f"{s} {np.mean(z[s] < f):.1%}" for s in settings))
        for name, e in ev.items():
            best = None
            for f0 in np.arange(1.0, 2.6, 0.05):
                for k in (0.25, 0.5, 1.0, 2.0, 4.0):
                    for d in (0.5, 1.0, 2.0):
                        cov = {s: float(np.mean(z[s] < f0 * np.sqrt(
                            1 + k * np.maximum(np.minimum(e[s], 6.0) - d, 0.0))[:, None]))
                            for s in settings}
                        worst = max(abs(c - 0.9) for c in cov.values())
                        if best is None or worst < best[0]:
                            best = (worst, f0, k, d, cov)
            worst, f0, k, d, cov = best
            print(f"  grown with {name}, best in sample (f0 {f0:.2f}, k {k}, d {d}): worst "
                  f"{100 * worst:.1f} points from 90 %: "
                  + ", ".join(f"{s} {c:.1%}" for s, c in cov.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
