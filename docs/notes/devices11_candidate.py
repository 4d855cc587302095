"""devices11: the whole evidence table under the candidate equation changes that pass the
EF ≥ 50 % pacing row (docs/notes/devices11.md §2), without touching the kernel.

The candidate laws act on parameters only, so applying them to every parameter vector just
before it is simulated is the same as putting them in the equations:

* force–frequency gain FFR 0.36 per +45 bpm (Schaefer 1988, preload held; model 0.12);
* resistance to venous return SYS.R_VEN × max(0.3, 1 − 0.7·(HR − 70)/40): × 0.3 at 110 bpm;
* ventricular contraction LV.TC, RV.TC × (1 − 0.05·(HR − 70)/40): × 0.95 at 110 bpm.

    PYTHONPATH=$PWD python docs/notes/devices11_candidate.py

Prints each row's verdict under the model as it is and under the candidate, and the counts.
"""

from __future__ import annotations

import numpy as np

import twinviewer.interventions.baroreflex as bx
import twinviewer.interventions.evidence_table as ev
from twinviewer.physiology import simulate as _simulate_model


def _candidate(model, P):
    P = np.array(P, dtype=float, copy=True)
    two_d = P.ndim == 2
    X = P if two_d else P[None, :]
    hr = X[:, model.index("HR")]
    x = (hr - 70.0) / 40.0
    X[:, model.index("FFR")] = 0.36
    X[:, model.index("SYS.R_VEN")] *= np.maximum(0.3, 1.0 - 0.7 * x)
    for name in ("LV.TC", "RV.TC"):
        X[:, model.index(name)] *= 1.0 - 0.05 * x
    return X if two_d else X[0]


def _patched(model, P, *args, **kwargs):
    return _simulate_model(model, _candidate(model, P), *args, **kwargs)


def verdicts() -> dict[str, str]:
    return {r.row.id: r.status for r in ev.run_evidence()}


if __name__ == "__main__":
    before = verdicts()
    ev.simulate = _patched
    bx.simulate = _patched
    after = verdicts()
    for rid, status in after.items():
        flag = "" if status == before[rid] else "   <- changed"
        print(f"{rid:28s} {before[rid]:9s} → {status}{flag}")
    for name, v in (("model as it is", before), ("candidate", after)):
        print(f"{name}: {sum(s == 'pass' for s in v.values())} pass, "
              f"{sum(s == 'fail' for s in v.values())} fail")
