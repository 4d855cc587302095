"""physio12 prototype, not shipped: frequency-dependent acceleration of relaxation on the
three pacing rows.

The model already shortens relaxation with rate: contraction and relaxation durations (given
at 75 bpm) scale together with Weissler's LVET(HR), so at 110 bpm LV.TR is 0.77 × its 70-bpm
value. Relaxation speeds up *more* than systole with rate in human myocardium ("frequency-
dependent acceleration of relaxation"). The equations see HR only through the parameter
values, so an extra relaxation shortening at the paced rate is emulated exactly by scaling
LV.TR and RV.TR in the pacing transform by ``k ** ((rate − 70) / 40)`` (k at 110 bpm, 1 at
70 bpm), with nothing else changed. Optionally the force–frequency gain FFR is set to
Schaefer 1988's preload-held 0.36 (the model's prior: 0.12) to see whether the two together
reach the EF ≥ 50 % row.

    PYTHONPATH=$PWD python docs/notes/physio12_relaxation.py

Prints, for each k (and FFR), the three pacing rows' verdicts and variables, the LV
end-diastolic volume and the mitral-open (filling) time at 110 bpm.
"""

from __future__ import annotations

import numpy as np

from twinviewer.interventions import devices
from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions.intervention import Context

ROWS = ("pacing-70-110-ef-preserved", "pacing-70-110-ef-reduced", "pacing-normal-atrial")
_orig = devices.PACING.transform
STATE = {"k": 1.0, "ffr": None}


def _pacing(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    P = _orig(ctx, P, s)
    f = STATE["k"] ** ((s["rate"] - 70.0) / 40.0)
    for name in ("LV.TR", "RV.TR"):
        P[:, ctx.col(name)] *= f
    if STATE["ffr"] is not None:
        P[:, ctx.model.index("FFR")] = STATE["ffr"]
    return P


def main() -> None:
    object.__setattr__(devices.PACING, "transform", _pacing)
    rows = {r.id: r for r in ev.load_rows()}
    for ffr in (None, 0.36):
        for k in (1.0, 0.9, 0.8, 0.7, 0.6):
            STATE.update(k=k, ffr=ffr)
            print(f"--- relaxation × {k:g} at 110 bpm (on top of Weissler's 0.77), "
                  f"FFR {'model' if ffr is None else ffr}")
            for rid in ROWS:
                if rid not in rows:
                    continue
                res = ev.run_row(rows[rid])
                b, a, _ = ev.row_metrics(rows[rid])
                print(f"  {rid}: {res.status} | EDV {b['LVEDV']:.0f} → {a['LVEDV']:.0f} mL | "
                      + "; ".join(f"{'ok' if v.passed else 'X'} {v.variable.metric} {v.got}"
                                  for v in res.variables))


if __name__ == "__main__":
    main()
