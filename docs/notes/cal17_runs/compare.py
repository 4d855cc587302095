"""Own patients (echo E/A) of seed 31, first K: linear vs log E/A fit, side by side."""

import importlib
import sys

import numpy as np

from twinviewer.personalize.calibrate import CalibrationError
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.synthetic import ECHO_KINDS, patients
from twinviewer.twins import twin_from_preset

cal = importlib.import_module("twinviewer.personalize.calibrate")

seed, K = int(sys.argv[1]), int(sys.argv[2])
truth = patients("own", 100, seed)
rng, rng_echo = np.random.default_rng([seed, 99]), np.random.default_rng([seed, 98])
rows = []
for i in range(K):
    ms = truth.measurements(i, rng)
    try:
        ms += truth.echo_measurements(i, ECHO_KINDS["echo"], rng_echo)
    except MeasurementError:
        continue
    row = [i]
    for logged in (frozenset(), frozenset({"E/A"})):
        cal.LOG_FITTED = logged
        try:
            r = cal.calibrate(
                twin_from_preset("healthy", n=1),
                ms,
                n=48,
                seed=seed * 1000 + i,
                point_estimate=False,
            )
        except (CalibrationError, MeasurementError) as exc:
            row.append(("refused", str(exc)[:40]))
            continue
        fz = {f.name: round(f.z, 1) for f in r.fit}
        cov = {}
        for o in ("LVEDP", "LAP", "CO"):
            x = np.asarray(r.results.metrics[o])[r.results.ok]
            lo, hi = np.percentile(x, [5, 95])
            t = truth.truth(o, i)
            cov[o] = (bool(lo <= t <= hi), round(hi - lo, 1))
        row.append((fz.get("E/A"), max(abs(v) for v in fz.values()), cov))
    print(row, flush=True)
