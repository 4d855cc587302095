"""fit8b: coverage of the volume-curve set with the curve compared phase for phase (fit8) or
aligned at events, with or without the correlated timing error (notes/fit8b.md).

    PYTHONPATH=$PWD /work/main/.venv/bin/python docs/notes/fit8b_coverage.py VARIANT [K]

VARIANT: ``fit8`` | ``es`` (ED/ES warp, ℓ 0.1) | ``pfr`` (ED/ES/PFR warp, ℓ 0.1); K curve
patients per setting (default 20), test seed, 48 members, the shipped discrepancy terms.
"""

import sys
import time

import numpy as np

from twinviewer.personalize import curve_check
from twinviewer.personalize import volume_curve as vc
from twinviewer.personalize.coverage import coverage_table, format_table, overall
from twinviewer.personalize.discrepancy import TEST_SEED
from twinviewer.personalize.synthetic import SETTINGS

VARIANTS = {"fit8": (("ED",), None), "es": (("ED", "ES"), 0.1), "pfr0": (("ED", "ES", "PFR"), None),
            "pfr": (("ED", "ES", "PFR"), 0.1)}

if __name__ == "__main__":
    name = sys.argv[1]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    vc.ALIGN_AT_EVENTS, vc.PHASE_LENGTH = VARIANTS[name]
    t0 = time.process_time()
    records = []
    for s in SETTINGS:
        c = curve_check.check(s, k, TEST_SEED, 48)
        records += c.records
        frames = "  ".join(f"V_{ch}(t) {np.mean(v):.1%}" for ch, v in c.frames.items())
        rms = "  ".join(f"{ch} RMS z {np.median(v):.2f}" for ch, v in c.rms_z.items())
        print(f"{name} {s}: {frames}  (median {rms}; {len(c.refused)} refused)", flush=True)
    rows = coverage_table(records)
    print(format_table(rows))
    for label in dict.fromkeys(r.setting for r in rows):
        print(f"{name} {label}: {overall(rows, label):.1%}")
    print(f"{name}: {time.process_time() - t0:.0f} s CPU")
