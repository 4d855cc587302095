"""fit8: the demo twin's LV stroke volume with the heart's size in the prior (notes/fit8.md).

Calibrates the demo heart's data (BP assumed, HR from the R-R) in a factorial: the prior with
or without its heart-size coordinate (log-SD 0.14, or 0), and the LV data as two volumes or
the whole curve, with or without the RV's. About 2–5 s CPU per calibration.

    PYTHONPATH=$PWD /work/main/.venv/bin/python docs/notes/fit8_diagnose.py [SEED ...]
"""

import importlib
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.gui.demo_heart import DEMO_MEMBERS, demo_assumed_bp
from twinviewer.personalize.heart_size import SIZE_LOG_SD

sys.path.insert(0, str(Path(__file__).parent))
from fit7_diagnose import DATA, curves, twin, vols  # noqa: E402  (the same demo data)

# the module (the package exports a function of the same name)
cal = importlib.import_module("twinviewer.personalize.calibrate")


def run(size_sd: float, data: str, seed: int) -> str:
    cal.SIZE_LOG_SD = size_sd  # the calibration reads the module's constant
    names, chambers = DATA[data]
    ms = list(demo_assumed_bp()) + [Measurement("HR", 69.8, "bpm", 3.0, "R-R of the curve")] \
        + [vols[n[:2]][n] for n in names]
    t0 = time.process_time()
    r = cal.calibrate(twin, ms, n=DEMO_MEMBERS, seed=seed, prior=None, use_anatomy=False,
                      volume_curves=[curves[c] for c in chambers] if chambers else None)
    cpu = time.process_time() - t0
    ok = r.results.ok
    q = {k: np.nanpercentile(np.asarray(r.results.metrics[k])[ok], [5, 50, 95])
         for k in ("LVSV", "LVEDV", "LVESV", "SBP")}
    sv = q["LVSV"]
    size = r.size_factor or (1.0, 1.0, 1.0)
    return (f"size SD {size_sd:4.2f}  {data:14s} seed {seed}  LVSV {sv[1]:5.1f} "
            f"({sv[0]:.1f}–{sv[2]:.1f})  LVEDV {q['LVEDV'][1]:5.1f}  LVESV "
            f"{q['LVESV'][1]:5.1f}  SBP {q['SBP'][1]:5.1f}  s {size[0]:.3f} "
            f"({size[1]:.2f}–{size[2]:.2f})  {cpu:.1f} s CPU")


if __name__ == "__main__":
    seeds = [int(a) for a in sys.argv[1:]] or [0]
    for sd, data, seed in itertools.product((0.0, SIZE_LOG_SD), DATA, seeds):
        print(run(sd, data, seed), flush=True)
