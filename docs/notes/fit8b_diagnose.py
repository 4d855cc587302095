"""fit8b: the demo twin with the volume curves aligned at their events (notes/fit8b.md).

Calibrates the demo heart as the app does (its LV and RV curves, the assumed BP, the R-R),
once with the model's curve read phase for phase (fit8) and once time-warped at ED and ES
(fit8b), and prints LVSV/LVEDV/LVESV, the size factor, every measurement's z and the CPU.

    PYTHONPATH=$PWD /work/main/.venv/bin/python docs/notes/fit8b_diagnose.py [SEED ...]
"""

import sys
import time

import numpy as np

from twinviewer.gui.demo_heart import (
    DEMO_MEMBERS,
    DEMO_PRESET,
    DEMO_PSEUDONYM,
    demo_anatomy,
    demo_assumed_bp,
)
from twinviewer.personalize import volume_curve as vc
from twinviewer.personalize.calibrate import calibrate
from twinviewer.twins import twin_from_preset

#: (events aligned at, timing-error correlation length): fit8 (ED only, independent), then
#: fit8b's steps
CONFIGS = ((("ED",), None), (("ED", "ES"), None), (("ED", "ES"), 0.1), (("ED", "ES", "PFR"), None),
           (("ED", "ES", "PFR"), 0.1))


def run(warp: tuple, length: float | None, seed: int, anatomy) -> str:
    vc.PHASE_LENGTH = length
    vc.ALIGN_AT_EVENTS = warp
    twin = twin_from_preset(DEMO_PRESET, n=DEMO_MEMBERS, anatomy=anatomy,
                            pseudonym=DEMO_PSEUDONYM)
    t0 = time.process_time()
    r = calibrate(twin, demo_assumed_bp(), n=DEMO_MEMBERS, seed=seed, prior=None)
    cpu = time.process_time() - t0
    ok = r.results.ok
    q = {k: np.nanpercentile(np.asarray(r.results.metrics[k])[ok], [5, 50, 95])
         for k in ("LVSV", "LVEDV", "LVESV", "SBP")}
    s = r.size_factor
    zs = "  ".join(f"{f.name} {f.z:+.2f}" for f in r.fit)
    curves = "; ".join(f"{c.chamber} RMS z {c.rms_z:.2f} chi2/K {c.chi2:.2f} "
                       f"missed {c.n_missed}" for c in r.curve_fit)
    qs = "  ".join(f"{k} {v[1]:.1f} ({v[0]:.1f}–{v[2]:.1f})" for k, v in q.items())
    return (f"align {'/'.join(warp):10} length {length} seed {seed}: {qs}  s {s[0]:.3f} "
            f"({s[1]:.2f}–{s[2]:.2f})  {cpu:.1f} s CPU\n    z: {zs}\n    {curves}")


if __name__ == "__main__":
    seeds = [int(a) for a in sys.argv[1:]] or [0]
    anat = demo_anatomy()
    for seed in seeds:
        for warp, length in CONFIGS:
            print(run(warp, length, seed, anat), flush=True)
