"""car16: the demo heart's calibration (its LV/RV volume curves and the assumed cuff BP), with
the arterial compliance left to the localisation mask (old) and opened to the cuff (new).

Run: ``PYTHONPATH=$PWD python docs/notes/car16_demo_fit.py``
"""

import importlib
import time
from dataclasses import replace

import numpy as np

from twinviewer.gui import demo_heart as dh
from twinviewer.twins import twin_from_preset

cal = importlib.import_module("twinviewer.personalize.calibrate")

if __name__ == "__main__":
    anatomy = dh.demo_anatomy()
    for mode in (False, True):
        cal.CALIBRATE_ARTERIAL_COMPLIANCE = mode
        twin0 = replace(twin_from_preset(dh.DEMO_PRESET, n=dh.DEMO_MEMBERS, anatomy=anatomy,
                                         pseudonym=dh.DEMO_PSEUDONYM), origin=dh.DEMO_ORIGIN)
        t = time.time()
        r = cal.calibrate(twin0, dh.demo_assumed_bp(), n=dh.DEMO_MEMBERS, seed=dh.DEMO_SEED,
                          prior=None)
        j = r.parameter_names.index("SYS.C_AR")
        q = np.quantile(r.ensemble[:, j], [0.05, 0.5, 0.95])
        print("new" if mode else "old", f"{time.time() - t:.0f} s", flush=True)
        for f in r.fit:
            print(f"  {f.name:10s} meas {f.measured:7.1f} med {f.median:7.1f} "
                  f"({f.lo:.1f}-{f.hi:.1f}) z {f.z:+.2f} flag {f.flag}")
        print(f"  C_AR {q[1]:.3f} ({q[0]:.3f}-{q[2]:.3f}); calibrated: {r.calibrated}; "
              f"flagged {[f.name for f in r.flagged]}")
        print("  status:", r.status_line())
