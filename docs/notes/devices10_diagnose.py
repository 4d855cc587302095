"""devices10: the numbers behind docs/notes/devices10.md (prosthesis and pacing rows).

1. Each prosthesis row's implied flow (Doppler: MG = 4 v², v = Q/EOA, so the RMS forward flow
   is 50·EOA·√MG mL/s; the peak flow 50·EOA·√PG) beside the model's, and the stroke volume the
   row would need with the model's ejection shape.
2. The 13 rows on severe_as (until devices10) and post_avr: MG, PG, PG/MG, SV, EF, verdict.
3. post_avr scaled in size (heart_size.scaled; the prosthesis EOA kept): which rows pass.
4. The EF ≥ 50 % pacing row on patients that match its baseline in different ways.

    PYTHONPATH=$PWD python docs/notes/devices10_diagnose.py

About 30 s CPU.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twinviewer.interventions.evidence_table import (
    load_rows,
    patient_values,
    row_metrics,
    run_row,
)
from twinviewer.interventions.prostheses import PROSTHESES
from twinviewer.personalize.heart_size import scaled

VALVES = ("savr_perimount", "tavi_evolut_r", "tavi_sapien3")
KEYS = {"savr_perimount": "perimount", "tavi_evolut_r": "evolut_r", "tavi_sapien3": "sapien3"}
PERIMOUNT_PG = {19: 32.5, 21: 24.9, 23: 19.9, 25: 16.5, 27: 12.8}


def implied_flows(rows) -> None:
    print("row                  EOA   MG_tab PG_tab  Qrms_tab Qrms_model  SV_needed  PG/MG_tab")
    for r in rows:
        size = r.steps[0].settings["size"]
        z = PROSTHESES[KEYS[r.intervention]].size(size)
        _, a, _ = row_metrics(r)
        q_tab = 50 * z.eoa * np.sqrt(z.mean_gradient)
        q_mod = 50 * z.eoa * np.sqrt(a["AV_mean_gradient"])
        pg = PERIMOUNT_PG.get(size) if r.intervention == "savr_perimount" else None
        ratio = f"{pg / z.mean_gradient:.2f}" if pg else "  –"
        print(f"{r.id:20s} {z.eoa:4.2f}  {z.mean_gradient:5.1f}  {pg or float('nan'):5.1f}  "
              f"{q_tab:7.0f}  {q_mod:9.0f}  {a['SV_forward'] * q_tab / q_mod:9.1f}  {ratio}")


def two_patients(rows) -> None:
    print("row                  | severe_as: MG PG PG/MG SV EF ok | post_avr: MG PG PG/MG SV EF ok")
    count = {"severe_as": 0, "post_avr": 0}
    for r in rows:
        cells = []
        for pat in count:
            rr = replace(r, patient=pat)
            _, a, _ = row_metrics(rr)
            ok = run_row(rr).passed
            count[pat] += ok
            cells.append(f"{a['AV_mean_gradient']:5.1f} {a['AV_peak_gradient']:5.1f} "
                         f"{a['AV_peak_gradient'] / a['AV_mean_gradient']:4.2f} "
                         f"{a['SV_forward']:4.1f} {a['LVEF']:3.0f} {'P' if ok else 'F'}")
        print(f"{r.id:20s} | " + " | ".join(cells))
    print("passing:", count)


def size_sweep(rows) -> None:
    preset, values = patient_values("post_avr")
    model = preset.model
    p0 = model.vector(values)
    for s in (0.92, 0.94, 0.95, 0.96, 0.97, 1.0):
        ps = scaled(model, p0, s)
        ov = {q.name: float(ps[i]) for i, q in enumerate(model.parameters)}
        failing = [r.id for r in rows if not run_row(replace(r, overrides=ov)).passed]
        print(f"size × {s:.2f}: {13 - len(failing)} of 13 pass; failing {', '.join(failing)}")


def pacing() -> None:
    row = next(r for r in load_rows() if r.id == "pacing-70-110-ef-preserved")
    for ov in ({}, {"V_total": 1428.0}, {"V_total": 1300.0, "SYS.R_AR": 0.75},
               {"V_total": 1.6 * 1162.6}):
        for reg in ("regulated", "acute"):
            b, a, _ = row_metrics(replace(row, overrides=ov, regulation=reg))
            ch = {k: 100 * (a[k] / b[k] - 1) for k in ("CO", "SV_forward", "LVEDV", "LVESV")}
            print(f"{str(ov):40s} {reg:9s} base CO {b['CO']:.2f} SV {b['SV_forward']:.1f} "
                  f"MAP {b['MAP']:.0f} LAP {b['LAP']:.1f} | 110 bpm: CO {ch['CO']:+.0f} % "
                  f"SV {ch['SV_forward']:+.0f} % EDV {ch['LVEDV']:+.0f} % ESV "
                  f"{ch['LVESV']:+.0f} % LAP {a['LAP']:.1f}")


def main() -> None:
    rows = [r for r in load_rows() if r.intervention in VALVES]
    implied_flows(rows)
    two_patients(rows)
    size_sweep(rows)
    pacing()


if __name__ == "__main__":
    main()
