"""devices11: the numbers behind docs/notes/devices11.md.

1. Each prosthesis row's flow from its own table (Gorlin: SV = 44.3·EOA·√MG·SEP, SEP from
   Weissler's line at 70 bpm; Hakki: CO = EOA·√MG) and the row on post_avr and on the
   low-flow patients.
2. The EF ≥ 50 % pacing row: patients matched to the group's CO, and candidate equation
   changes emulated at 110 bpm only (the equations see HR only through these values).
3. The LVAD ramp on hfref_decompensated with a stronger LV; the implantation response
   (Heusser 2021) and the low-speed pulse (Cornwell 2015).

    PYTHONPATH=$PWD python docs/notes/devices11_diagnose.py

About a minute CPU.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import brentq

from twinviewer.core.twin import InterventionStep
from twinviewer.interventions.evidence_table import (
    derived_metrics,
    load_rows,
    patient_values,
    row_metrics,
    run_row,
)
from twinviewer.interventions.prostheses import PROSTHESES
from twinviewer.physiology import get_preset, simulate

KEYS = {"savr_perimount": "perimount", "tavi_evolut_r": "evolut_r", "tavi_sapien3": "sapien3"}
ROWS = {r.id: r for r in load_rows()}


def prostheses() -> None:
    print("row                  EOA   MG    SV_Gorlin SV_Hakki | post_avr MG PG ok | own patient")
    for r in ROWS.values():
        if r.intervention not in KEYS:
            continue
        z = PROSTHESES[KEYS[r.intervention]].size(r.steps[0].settings["size"])
        sv_g = 44.3 * z.eoa * np.sqrt(z.mean_gradient) * (413 - 1.7 * 70) / 1000
        sv_h = z.eoa * np.sqrt(z.mean_gradient) * 1000 / 70
        cells = []
        for pat in dict.fromkeys(("post_avr", r.patient)):
            rr = replace(r, patient=pat)
            b, a, _ = row_metrics(rr)
            cells.append(f"{pat}: SV {a['SV_forward']:.1f} EDV {a['LVEDV']:.0f} "
                         f"MG {a['AV_mean_gradient']:.2f} PG {a['AV_peak_gradient']:.2f} "
                         f"{'P' if run_row(rr).passed else 'F'}")
        print(f"{r.id:20s} {z.eoa:4.2f} {z.mean_gradient:5.1f}  {sv_g:6.1f}  {sv_h:6.1f} | "
              + " | ".join(cells))


def pacing() -> None:
    row = ROWS["pacing-70-110-ef-preserved"]
    pre = get_preset("healthy")
    m = pre.model
    d = {p.name: p.default for p in m.parameters}

    def run(**ov):
        v = dict(pre.values)
        v.update(ov)
        return derived_metrics(simulate(m, m.vector(v)))

    print("patient-level RVR, V_total solved for CO 6.4 L/min at 70 bpm (regulated):")
    for rv in (1.0, 0.5, 0.3, 0.2):
        base = {"SYS.R_VEN": d["SYS.R_VEN"] * rv}
        vt = brentq(lambda x, base=base: run(**base, V_total=x)["CO"] - 6.4, 700, 2500,
                    xtol=1)
        b, a, _ = row_metrics(replace(row, overrides={**base, "V_total": vt}))
        print(f"  RVR x{rv}: V_total {vt:.0f}: CO {100 * (a['CO'] / b['CO'] - 1):+.0f} % "
              f"SV {100 * (a['SV_forward'] / b['SV_forward'] - 1):+.0f} % "
              f"EDV {100 * (a['LVEDV'] / b['LVEDV'] - 1):+.0f} %")
    print("changes at 110 bpm only (acute; limits CO +27…+57 %, SV and ESV ±10 %):")
    for ffr, tc, rv in ((0.12, 1.0, 1.0), (0.12, 0.6, 1.0), (0.12, 1.0, 0.3), (0.36, 1.0, 0.3),
                        (0.36, 0.95, 0.3), (0.36, 0.9, 0.3), (0.12, 0.6, 0.3)):
        b = run(FFR=ffr)
        a = run(HR=110, AVD=0.15, FFR=ffr, **{"LV.TC": d["LV.TC"] * tc,
                                              "RV.TC": d["RV.TC"] * tc,
                                              "SYS.R_VEN": d["SYS.R_VEN"] * rv})
        print(f"  FFR {ffr} TC x{tc} RVR x{rv}: CO {100 * (a['CO'] / b['CO'] - 1):+.0f} % "
              f"SV {100 * (a['SV_forward'] / b['SV_forward'] - 1):+.0f} % "
              f"ESV {100 * (a['LVESV'] / b['LVESV'] - 1):+.0f} % "
              f"MAP {b['MAP']:.0f} → {a['MAP']:.0f} LAP {b['LAP']:.1f} → {a['LAP']:.1f}")


def lvad() -> None:
    row = ROWS["lvad-ramp"]
    _, vals = patient_values(row.patient)
    for f in (1.0, 1.4, 1.5, 1.8):
        ov = {"LV.EA": vals["LV.EA"] * f}

        def at(sp, ov=ov):
            return row_metrics(replace(row, overrides=ov, ramp=None, steps=(
                InterventionStep("lvad", {"speed": sp}),)))

        u, a5, _ = at(5000)
        _, a42, _ = at(4250)
        rr = replace(row, overrides=ov)
        b, a, ps = row_metrics(rr)
        pulse = (a5["SBP"] - a5["DBP"]) - (u["SBP"] - u["DBP"])
        print(f"LV.EA x{f}: implant @5000 CO {a5['CO'] - u['CO']:+.2f} MAP "
              f"{a5['MAP'] - u['MAP']:+.1f} pulse {pulse:+.1f}"
              f" | pulse @4250 {a42['SBP'] - a42['DBP']:.1f} | ramp/step CO {ps['CO']:+.3f} "
              f"PCWP {ps['LAP']:+.2f}, CVP {100 * (a['CVP'] / b['CVP'] - 1):+.1f} %, SBP "
              f"{100 * (a['SBP'] / b['SBP'] - 1):+.1f} % {'P' if run_row(rr).passed else 'F'}")


if __name__ == "__main__":
    prostheses()
    pacing()
    lvad()
