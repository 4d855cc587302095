"""Standard-set fits before/after: the demo twin's calibration and two standard-set patients."""

import sys

import numpy as np

from twinviewer.gui.demo_heart import (
    DEMO_MEMBERS,
    DEMO_PRESET,
    DEMO_PSEUDONYM,
    DEMO_SEED,
    demo_anatomy,
    demo_assumed_bp,
)
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.synthetic import patients
from twinviewer.twins import twin_from_preset

out = {}
an = demo_anatomy()
twin0 = twin_from_preset(DEMO_PRESET, n=DEMO_MEMBERS, anatomy=an, pseudonym=DEMO_PSEUDONYM)
r = calibrate(twin0, demo_assumed_bp(), n=DEMO_MEMBERS, seed=DEMO_SEED, prior=None)
out["demo_ens"] = r.ensemble
out["demo_point"] = r.point
truth = patients("own", 3, 23)
rng = np.random.default_rng([23, 99])
for i in range(3):
    ms = truth.measurements(i, rng)
    r = calibrate(twin_from_preset("healthy", n=1), ms, n=48, seed=23000 + i)
    out[f"std{i}_ens"] = r.ensemble
    out[f"std{i}_point"] = r.point
np.savez(sys.argv[1], **out)
print("saved", sys.argv[1])
