"""lvad9: why the lvad-ramp row fails, in numbers (docs/notes/lvad9.md).

Runs the row and variants of it (ramp, patient, reflex gains, regulation) on model 3.0 and 3.1
and prints the per-step CO and PCWP and the change of CVP and SBP over the ramp, then the
regulated state at every speed of the row. Diagnostic only: the reflex variant patches the
module's gains in this process.

    PYTHONPATH=$PWD python docs/notes/lvad9_diagnose.py
"""

from __future__ import annotations

from dataclasses import replace

from twinviewer.interventions import baroreflex as bx
from twinviewer.interventions import evidence_table as et
from twinviewer.interventions.devices import URIEL_RAMPS, equivalent_ramp
from twinviewer.physiology.presets import valve_model


def _ramp(r0: float, r1: float, dr: float) -> dict:
    return {"setting": "speed", "from": r0, "to": r1, "step": dr}


def _variants() -> list[tuple[str, dict]]:
    hvad = equivalent_ramp(*URIEL_RAMPS["HVAD"])
    return [
        ("row (HMII image 4000-5600/200)", {}),
        ("fixlast8 ramp 4000-6000/250", {"ramp": _ramp(4000, 6000, 250)}),
        ("full HMII span, 11 speeds 4000-6000/200", {"ramp": _ramp(4000, 6000, 200)}),
        (f"HVAD image 4000-{hvad[1]:.0f}/{hvad[2]:.0f}", {"ramp": _ramp(*hvad)}),
        ("acute (no reflex)", {"regulation": "acute"}),
        ("reflex not blunted (HF factors 1)", {"blunt": (1.0, 1.0)}),
        ("patient: hfref preset", {"patient": "hfref"}),
    ]


def _row_metrics(row, blunt=None):
    old = (bx.BLUNT_HF_HR, bx.BLUNT_HF_SYMPATHETIC)
    if blunt is not None:
        bx.BLUNT_HF_HR, bx.BLUNT_HF_SYMPATHETIC = blunt
    try:
        return et.row_metrics(row)
    finally:
        bx.BLUNT_HF_HR, bx.BLUNT_HF_SYMPATHETIC = old


def main() -> None:
    row0 = next(r for r in et.load_rows() if r.id == "lvad-ramp")
    for valves in ("inertial-3.0", "source-resistance"):
        print(f"--- valves: {valves}")
        with valve_model(valves):
            for label, kw in _variants():
                blunt = kw.pop("blunt", None)
                row = replace(row0, **kw)
                b, a, ps = _row_metrics(row, blunt)
                print(f"{label:42s} CO {ps['CO']:+.3f} L/min/step, PCWP {ps['LAP']:+.2f} "
                      f"mmHg/step, CVP {100 * (a['CVP'] / b['CVP'] - 1):+.0f} %, SBP "
                      f"{b['SBP']:.1f} -> {a['SBP']:.1f} ({100 * (a['SBP'] / b['SBP'] - 1):+.0f}"
                      f" %), MAP {b['MAP']:.1f} -> {a['MAP']:.1f}")
            print("speed  CO  VAD  AV  MAP  SBP  DBP  LAP  CVP (regulated)")
            r0, r1, dr = (float(row0.ramp[k]) for k in ("from", "to", "step"))
            sp = r0
            while sp <= r1 + 0.5 * dr:
                _, m, _ = et.row_metrics(replace(row0, ramp=None, steps=tuple(
                    et.InterventionStep(s.name, {**s.settings, "speed": sp})
                    for s in row0.steps)))
                print(f"{sp:5.0f} {m['CO']:4.2f} {m['VAD_flow']:4.2f} {m['AV_opening']:2.0f} "
                      f"{m['MAP']:5.1f} {m['SBP']:5.1f} {m['DBP']:5.1f} {m['LAP']:5.1f} "
                      f"{m['CVP']:5.1f}")
                sp += dr


if __name__ == "__main__":
    main()
