"""echo16: do the fit's atypicality D and misfit M tell the other structures from the model's
own patients once E/A (and TR velocity) is in the data? ROC area of D and M, own patients
against each other setting (cov13a's measure: 0.5 = no information).

Run: ``PYTHONPATH=$PWD python docs/notes/echo16_roc.py RECORDS...``
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.stats import mannwhitneyu

from twinviewer.personalize.coverage import load_records


def roc(a: np.ndarray, b: np.ndarray) -> float:
    """P(a value of ``b`` > a value of ``a``): the ROC area of telling b from a."""
    return float(mannwhitneyu(b, a).statistic / (len(a) * len(b)))


def main(paths: list[str]) -> None:
    recs = load_records(paths)
    for kind in dict.fromkeys(r.data for r in recs):
        rs = [r for r in recs if r.data == kind]
        own = [r for r in rs if r.setting == "own"]
        for s in ("regazzoni", "perturbed", "wide"):
            other = [r for r in rs if r.setting == s]
            if not other:
                continue
            line = [f"{kind:9s} own ({len(own)}) vs {s} ({len(other)}):"]
            for name in ("atypicality", "misfit"):
                a = np.array([getattr(r, name) for r in own])
                b = np.array([getattr(r, name) for r in other])
                line.append(f"{name} ROC {roc(a[np.isfinite(a)], b[np.isfinite(b)]):.2f}")
            print(" ".join(line))


if __name__ == "__main__":
    main(sys.argv[1:])
