"""drugs11 prototype, not shipped: a heart-failure cardiac sympathetic arm driven by the
filling pressure, added to the regulated what-if of the evidence rows.

In chronic heart failure, lowering the cardiac filling pressure lowers cardiac
noradrenaline spillover (nitroprusside, lower-body negative pressure: Azevedo et al.,
Circulation 2000;101:2053; JACC 1998;31:583), while in normal hearts it raises it: the
failing heart's sympathetic drive follows its filling pressure. The model's reflex follows
MAP only. Prototype: the sympathetic effectors of :mod:`twinviewer.interventions.baroreflex`
receive, besides the MAP error e, an equivalent error e_cp = −K · w_HF · ΔLAP (mmHg), where
ΔLAP is the change of mean LA pressure from the untreated state and w_HF = 1 at LVEF ≤ 25 %,
0 at LVEF ≥ 50 %, linear between (the same ramp as the reflex blunting). It is solved by a
fixed point on e_cp around the existing MAP loop. K is a free gain (UNSOURCED). Mode
"same" (default) sends e_cp through the reflex's HF-blunted gains; mode "intact" applies it
with the intact gains after the MAP arm (the excitatory cardiac reflex is not blunted in
heart failure), so that it reaches the heart rate.

Run from the worktree root:
    PYTHONPATH=$PWD python docs/notes/drugs11_withdrawal.py [same|intact] [K ...]
It prints each drug and LVAD row's verdict and variables with the current drug constants
(no refit) for each K.
"""

from __future__ import annotations

import sys

import numpy as np

from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import evidence_table as ev

ROWS = ("metoprolol-12mg", "esmolol-16mg-min", "dobutamine-10", "dobutamine-5",
        "dobutamine-8-postop", "milrinone-load-0.5", "milrinone-cusick", "nitroprusside",
        "hydralazine", "captopril-25", "furosemide-20min", "furosemide-3.5h", "lvad-ramp",
        "pacing-70-110-ef-reduced")
_effectors = br.effectors
_regulate = br.regulate
STATE = {"K": 0.0, "e_cp": None, "mode": "same"}


def _w_hf(lvef):
    ef = np.asarray(lvef, dtype=float)
    return np.clip((br.EF_NORMAL - ef) / (br.EF_NORMAL - br.EF_BLUNTED), 0.0, 1.0)


def effectors(model, P, error, lvef=None, held=()):
    if STATE["e_cp"] is None:
        return _effectors(model, P, error, lvef, held)
    if STATE["mode"] == "same":  # the cardiac arm through the (HF-blunted) reflex gains
        return _effectors(model, P, np.asarray(error, dtype=float) + STATE["e_cp"], lvef,
                          held)
    # "intact": the MAP arm as it is, then the cardiac arm with the intact gains (the
    # excitatory cardiac reflex is enhanced, not blunted, in heart failure)
    out = _effectors(model, P, error, lvef, held)
    return _effectors(model, out, STATE["e_cp"], None, held)


def regulate(model, P, baseline, *, settings=None, acute=None, held=()):
    STATE["e_cp"] = None
    res = _regulate(model, P, baseline, settings=settings, acute=acute, held=held)
    if not STATE["K"]:
        return res
    w = _w_hf(baseline.metrics["LVEF"])
    lap0 = baseline.metrics["LAP"]
    e_cp = np.zeros(np.atleast_2d(P).shape[0])
    for _ in range(8):
        new = -STATE["K"] * w * (res.results.metrics["LAP"] - lap0)
        e_cp = 0.5 * e_cp + 0.5 * new  # damped fixed point
        STATE["e_cp"] = e_cp
        res = _regulate(model, P, baseline, settings=settings, acute=None, held=held)
    STATE["e_cp"] = None
    return res


def main(ks):
    br.effectors = effectors
    ev.regulate = regulate
    rows = {r.id: r for r in ev.load_rows()}
    for k in ks:
        STATE["K"] = k
        npass = 0
        print(f"--- K = {k:g}")
        for rid in ROWS:
            res = ev.run_row(rows[rid])
            npass += res.status == "pass"
            print(f"{rid}: {res.status} | " + "; ".join(
                f"{'ok' if v.passed else 'X'} {v.variable.metric} {v.got}"
                for v in res.variables))
        print(f"K = {k:g}: {npass} of {len(ROWS)} of these rows pass")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] in ("same", "intact"):
        STATE["mode"] = args.pop(0)
    main([float(a) for a in args] or [0.0, 1.0, 2.0])
