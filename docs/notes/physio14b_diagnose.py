"""physio14b: the numbers behind docs/notes/physio14b.md.

1. The EF ≥ 50 % pacing row (PMID 14643273, group B) on patients matched to the group's
   baseline and on patients with every patient-level property pushed towards keeping the
   stroke volume at 110 bpm (volume, LV compliance, mitral orifice, relaxation, venous
   return, AV delay, contraction duration).
2. The LVAD ramp (Uriel 2016): the regulated loop per speed (effector factors, open-loop
   gain), what each reflex arm buys in MAP per mmHg of error with and without the pump,
   the sympathetic blunting needed for the row's SBP, and the volume state of chronic
   outpatients.

    PYTHONPATH=$PWD python docs/notes/physio14b_diagnose.py

About two minutes of CPU.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from twinviewer.interventions import baroreflex as bx
from twinviewer.interventions.evidence_table import (
    derived_metrics,
    load_rows,
    patient_values,
    row_metrics,
    run_row,
)
from twinviewer.physiology import simulate

ROWS = {r.id: r for r in load_rows()}
EFFECTORS = ("HR", "LV.EA", "RV.EA", "SYS.R_AR", "V_total")


def _pct(b: dict, a: dict, k: str) -> float:
    return 100.0 * (a[k] / b[k] - 1.0)


def pacing() -> None:
    row = ROWS["pacing-70-110-ef-preserved"]
    print(f"pacing EF >= 50 % (limits CO +27..+57 %, SV and ESV +-10 %); patient "
          f"{row.patient}, overrides on top of it:")
    cases = {
        "as stored (size 1.184: CO 6.4 at 70 bpm)": (None, {}),
        "healthy (the row's patient until physio14b)": ("healthy", {}),
        "healthy, V_total 1400 (CO 6.3 at 70 bpm)": ("healthy", {"V_total": 1400.0}),
        "V_total 2000 (LAP 15)": (None, {"V_total": 2000.0}),
        "V_total 1700, LV.EB 0.010 (compliant)": (None, {"V_total": 1700.0, "LV.EB": 0.010}),
        "LV.EB 0.05, V_total 1500 (stiff)": (None, {"LV.EB": 0.05, "V_total": 1500.0}),
        "MV.EOA 8, LV.TR 0.05": (None, {"MV.EOA": 8.0, "LV.TR": 0.05}),
        "MV8 TR.05 V1700 EB.015 R_VEN.03": (None, {"MV.EOA": 8.0, "LV.TR": 0.05,
                                                   "V_total": 1700.0, "LV.EB": 0.015,
                                                   "SYS.R_VEN": 0.03}),
        "AVD 80 ms": (None, {"AVD": 0.08}),
        "LV.TC 0.30 (unsourced)": (None, {"LV.TC": 0.30}),
        "LV.TC 0.30, R_VEN 0.03, V 1300": (None, {"LV.TC": 0.30, "SYS.R_VEN": 0.03,
                                                  "V_total": 1300.0}),
    }
    for name, (patient, ov) in cases.items():
        rr = replace(row, patient=patient or row.patient, overrides=ov)
        b, a, _ = row_metrics(rr)
        print(f"  {name:42s} CO {b['CO']:.2f} {_pct(b, a, 'CO'):+4.0f} %  "
              f"SV {b['SV_forward']:4.0f} {_pct(b, a, 'SV_forward'):+4.0f} %  "
              f"ESV {_pct(b, a, 'LVESV'):+3.0f} %  "
              f"EDV {b['LVEDV']:.0f} {_pct(b, a, 'LVEDV'):+4.0f} %  LAP {b['LAP']:.1f}  "
              f"LVEDP {b['LVEDP']:.1f} -> {a['LVEDP']:.1f}  MAP {b['MAP']:.0f}  "
              f"{'PASS' if run_row(rr).passed else 'fail'}")


def _lvad_loop() -> None:
    preset, v = patient_values("hfref_decompensated")
    m = preset.model
    p0 = m.vector(v)
    b = simulate(m, p0[None, :])
    print("LVAD ramp on hfref_decompensated, regulated (set point: unassisted MAP "
          f"{derived_metrics(b)['MAP']:.1f} mmHg):")
    for sp in np.arange(4000.0, 5601.0, 400.0):
        P = p0[None, :].copy()
        P[0, m.index("VAD.speed")] = sp / 1000.0
        am = derived_metrics(simulate(m, P, warm_start=b.final_state))
        rg = bx.regulate(m, P, b)
        rm = derived_metrics(rg.results)
        f = " ".join(f"{n} x{rg.params[0, m.index(n)] / P[0, m.index(n)]:.3f}"
                     for n in ("HR", "LV.EA", "SYS.R_AR", "V_total"))
        print(f"  {sp:4.0f} rpm: MAP acute {am['MAP']:.1f} regulated {rm['MAP']:.1f}, SBP "
              f"{rm['SBP']:.1f}, pulse {rm['SBP'] - rm['DBP']:.1f}; error {rg.error[0]:+.1f}, "
              f"open-loop gain {rg.open_loop_gain[0]:.2f}; {f}")


def _arm_gains() -> None:
    print("MAP bought by each reflex arm for an error of -1 mmHg (blunted as the patient's "
          "EF says), the others held:")
    for pat in ("hfref_decompensated", "healthy"):
        preset, v = patient_values(pat)
        m = preset.model
        p0 = m.vector(v)
        b = simulate(m, p0[None, :])
        lvef = np.array([derived_metrics(b)["LVEF"]])
        for sp in (0.0, 4.0, 5.6):
            P = p0[None, :].copy()
            P[0, m.index("VAD.speed")] = sp
            r0 = simulate(m, P, warm_start=b.final_state)
            m0 = derived_metrics(r0)["MAP"]
            cells, total = [], 0.0
            for arm in ("HR", "LV.EA", "SYS.R_AR", "V_total"):
                moved = {arm, "RV.EA"} if arm == "LV.EA" else {arm}
                held = tuple(n for n in EFFECTORS if n not in moved)
                Pe = bx.effectors(m, P, np.array([-1.0]), lvef, held)
                d = derived_metrics(simulate(m, Pe, warm_start=r0.final_state))["MAP"] - m0
                total += d
                cells.append(f"{arm} {d:+.3f}")
            print(f"  {pat:20s} {sp * 1000:4.0f} rpm: " + ", ".join(cells)
                  + f"  (sum {total:.2f})")


def _ramp_line(ov: dict | None = None) -> str:
    rr = replace(ROWS["lvad-ramp"], overrides=ov or {})
    b, a, s = row_metrics(rr)
    return (f"CO {s['CO']:+.3f}/step, PCWP {s['LAP']:+.2f}/step, CVP {_pct(b, a, 'CVP'):+.1f} %, "
            f"SBP {b['SBP']:.1f} -> {a['SBP']:.1f} ({_pct(b, a, 'SBP'):+.1f} %), MAP "
            f"{b['MAP']:.1f} -> {a['MAP']:.1f}, PCWP at 4000 rpm {b['LAP']:.1f}: "
            f"{'PASS' if run_row(rr).passed else 'fail'}")


def _set_point() -> None:
    """The reflex reset to the prevailing pressure of chronic support instead of the
    unassisted MAP: SBP over the ramp's ends (4000 and 5600 rpm)."""
    preset, v = patient_values("hfref_decompensated")
    m = preset.model
    p0 = m.vector(v)
    b = simulate(m, p0[None, :])
    print("LVAD ramp ends with the reflex's set point moved:")
    for target in (None, 85.0, 90.0):
        base = b
        if target is not None:
            base = copy.copy(b)
            base.metrics = {**b.metrics, "MAP": np.array([target])}
        sbp = []
        for sp in (4.0, 5.6):
            P = p0[None, :].copy()
            P[0, m.index("VAD.speed")] = sp
            sbp.append(derived_metrics(bx.regulate(m, P, base).results)["SBP"])
        print(f"  set point {target or 'unassisted MAP'}: SBP {sbp[0]:.1f} -> {sbp[1]:.1f} "
              f"({100 * (sbp[1] / sbp[0] - 1):+.1f} %)")


def lvad() -> None:
    _lvad_loop()
    _arm_gains()
    _set_point()
    print("LVAD row with the sympathetic arms' heart-failure factor changed (HR arm kept "
          "at 0.22; limits CO +0.104..+0.216, PCWP -0.80..-1.66 per step, SBP +-10 %):")
    orig = bx.hf_blunting
    try:
        for f in (bx.BLUNT_HF_SYMPATHETIC, 0.75, 0.85, 0.90, 0.95, 1.0):
            def blunt(lvef, at_ef_25=bx.BLUNT_HF_HR, f=f):
                return orig(lvef, at_ef_25 if at_ef_25 == bx.BLUNT_HF_HR else f)
            bx.hf_blunting = blunt
            print(f"  sympathetic x{f:.2f}: {_ramp_line()}")
    finally:
        bx.hf_blunting = orig
    print("LVAD row with less volume (chronic outpatients, diuresed):")
    for vt in (None, 1700.0, 1550.0, 1400.0):
        print(f"  V_total {vt or 'as stored'}: {_ramp_line({'V_total': vt} if vt else None)}")


if __name__ == "__main__":
    pacing()
    lvad()
