"""car16: per setting, the share of standard-set patients with any flagged datum and the
median misfit of their calibration, for record directories.

Run: ``PYTHONPATH=$PWD python docs/notes/car16_flags.py DIR [DIR ...]``
"""

import sys

import numpy as np

from twinviewer.personalize.coverage import load_records

if __name__ == "__main__":
    for d in sys.argv[1:]:
        recs = [r for r in load_records([d]) if r.data == "standard"]
        out = []
        for s in ("own", "perturbed", "regazzoni", "wide"):
            rs = [r for r in recs if r.setting == s]
            out.append(f"{s} any-flag {100 * np.mean([r.flagged > 0 for r in rs]):.0f}% "
                       f"misfit med {np.median([r.misfit for r in rs]):.2f}")
        print(d, "; ".join(out))
