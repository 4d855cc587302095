"""physio13: the dobutamine rows under the β-receptor responsiveness law, reproducible.

    PYTHONPATH=$PWD python docs/notes/physio13_scan.py

1. For each loss of β response at LVEF ≤ 25 % (0 = no law, the end points and the middle
   of Bristow 1982's 54–73 %), the inotrope constants are refitted to the heart-failure row
   (dobutamine-10) alone, as shipped, and the three dobutamine rows are printed; the two
   post-operative rows are predictions.
2. ``--cardiac-arm``: the reflex's contractility arm blunted in heart failure by the Toronto
   nitroprusside study's cardiac-spillover ratio (0.33 in place of 0.63), every row's
   verdict and variables (compare with 0.63, the shipped value).
Nothing is written; constants are patched in this process only.
"""

from __future__ import annotations

import sys

import numpy as np

from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import drugs, refit
from twinviewer.interventions import evidence_table as ev

ROWS = ("dobutamine-10", "dobutamine-5", "dobutamine-8-postop")
CONSTANTS = ("INO_HR_RISE", "INO_EA_RISE", "INO_R_DROP")


def cardiac_arm(b_ea: float) -> None:
    """Every row with the contractility arm's heart-failure factor ``b_ea`` (the resistance
    and venous arms keep BLUNT_HF_SYMPATHETIC)."""
    from twinviewer.interventions.intervention import Context

    orig = br.effectors

    def effectors(model, P, error, lvef=None, held=()):
        out = orig(model, P, error, lvef, held)
        e = np.asarray(error, dtype=float)
        ef = np.nan if lvef is None else lvef
        lo, hi = br.FACTOR_BOUNDS
        ctx = Context(model, "baroreflex")
        for name in ("LV.EA", "RV.EA"):
            if name not in held:
                now = np.clip(1 - br.G_EA * br.hf_blunting(ef, br.BLUNT_HF_SYMPATHETIC) * e,
                              lo, hi)
                want = np.clip(1 - br.G_EA * br.hf_blunting(ef, b_ea) * e, lo, hi)
                out[:, ctx.col(name)] *= want / now
        return out

    br.effectors = effectors
    try:
        n = 0
        for row in ev.load_rows():
            res = ev.run_row(row)
            n += res.status == "pass"
            print(f"{res.status:10s} {row.id}: " + "; ".join(
                f"{'ok' if v.passed else 'X'} {v.variable.metric} {v.got}"
                for v in res.variables if v.variable.role != "input"), flush=True)
        print(f"contractility-arm factor {b_ea}: {n} rows pass")
    finally:
        br.effectors = orig


def main() -> None:
    rows = {r.id: r for r in ev.load_rows()}
    shipped_loss = br.BETA_LOSS_HF
    shipped = {c: getattr(drugs, c) for c in CONSTANTS}
    for loss in (0.0, 0.54, shipped_loss, 0.73):
        br.BETA_LOSS_HF = loss
        for c, v in shipped.items():
            setattr(drugs, c, v)
        fit = refit.refit("inotrope", max_evaluations=120)
        for c, v in fit.after.items():  # the fit, kept or not (the guard is judged below)
            setattr(drugs, c, float(v))
        shown = ", ".join(f"{c} {float(v):.3g}" for c, v in fit.after.items())
        print(f"loss {loss:.3f}: {shown} (refit guard {'keeps' if fit.kept else 'refuses'})")
        for rid in ROWS:
            res = ev.run_row(rows[rid])
            print(f"  {res.status:4s} {rid}: " + "; ".join(
                f"{'ok' if v.passed else 'X'} {v.variable.metric} {v.got}"
                for v in res.variables), flush=True)
    br.BETA_LOSS_HF = shipped_loss
    for c, v in shipped.items():
        setattr(drugs, c, v)


if __name__ == "__main__":
    if "--cardiac-arm" in sys.argv:
        for b in (br.BLUNT_HF_SYMPATHETIC, 0.33):
            cardiac_arm(b)
    else:
        main()
