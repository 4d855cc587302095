"""physio13: the dobutamine rows under the β-receptor responsiveness law, reproducible.

    PYTHONPATH=$PWD python docs/notes/physio13_scan.py

For each loss of β response at LVEF ≤ 25 % (0 = no law, the end points and the middle of
Bristow 1982's 54–73 %), the inotrope constants are refitted to the heart-failure row
(dobutamine-10) alone, as shipped, and the three dobutamine rows are printed; the two
post-operative rows are predictions. Nothing is written; constants are patched in this
process only.
"""

from __future__ import annotations

from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import drugs, refit
from twinviewer.interventions import evidence_table as ev

ROWS = ("dobutamine-10", "dobutamine-5", "dobutamine-8-postop")
CONSTANTS = ("INO_HR_RISE", "INO_EA_RISE", "INO_R_DROP")


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
    main()
