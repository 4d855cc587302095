"""fit7: why the demo twin's LV stroke volume was 90 mL against a measured 107 (notes/fit7.md).

Calibrates the demo heart's data in a factorial: prior centre (the healthy preset, or scaled
to the heart's size ×1.37), the LV data (two volumes, or the whole curve; with or without the
RV's) and the assumed cuff BP. About 3 s CPU per calibration.

    PYTHONPATH=$PWD /work/main/.venv/bin/python docs/notes/fit7_diagnose.py
"""

import itertools
from dataclasses import replace

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.gui.demo_heart import DEMO_MEMBERS, DEMO_PRESET, demo_anatomy, demo_assumed_bp
from twinviewer.imaging.curves import curve_measurements, volume_curve
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.heart_size import scaled
from twinviewer.personalize.volume_curve import curves_of
from twinviewer.twins import model_of, twin_from_preset

anatomy = demo_anatomy()
twin = twin_from_preset(DEMO_PRESET, n=DEMO_MEMBERS)
model = model_of(twin)
curves = {c.chamber: c for c in curves_of(anatomy)}
vols = {ch: {m.name: m for m in curve_measurements(volume_curve(anatomy, ch))}
        for ch in ("LV", "RV")}
DATA = {"LV volumes": (["LVEDV", "LVESV"], None), "LV+RV volumes":
        (["LVEDV", "LVESV", "RVEDV", "RVESV"], None),
        "LV curve": ([], ["LV"]), "LV+RV curves": ([], ["LV", "RV"])}


def run(size: float, data: str, bp: bool) -> str:
    x = scaled(model, twin.params, size)
    t = replace(twin, params=x, ensemble=np.tile(x, (DEMO_MEMBERS, 1)))
    names, chambers = DATA[data]
    ms = (list(demo_assumed_bp()) if bp else []) + [
        Measurement("HR", 69.8, "bpm", 3.0, "R-R of the curve")] + [
        vols[n[:2]][n] for n in names]
    r = calibrate(t, ms, n=DEMO_MEMBERS, seed=0, prior=None, use_anatomy=False,
                  volume_curves=[curves[c] for c in chambers] if chambers else None)
    ok = r.results.ok
    q = {k: np.nanpercentile(np.asarray(r.results.metrics[k])[ok], [5, 50, 95])
         for k in ("LVSV", "LVEDV", "LVESV", "SBP")}
    sv = q["LVSV"]
    return (f"{size:5.2f}  {data:14s} BP {'yes' if bp else 'no ':3s}  LVSV {sv[1]:5.1f} "
            f"({sv[0]:.0f}–{sv[2]:.0f})  LVEDV {q['LVEDV'][1]:5.1f}  LVESV "
            f"{q['LVESV'][1]:5.1f}  SBP {q['SBP'][1]:5.1f}")


if __name__ == "__main__":
    for size, data, bp in itertools.product((1.0, 1.37), DATA, (True, False)):
        print(run(size, data, bp), flush=True)
