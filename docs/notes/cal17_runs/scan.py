"""Find own patients (echo data) that the calibrator refuses for non-convergence."""

import pickle
import sys

import numpy as np

from twinviewer.personalize.calibrate import CalibrationError, calibrate
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.synthetic import ECHO_KINDS, patients
from twinviewer.twins import twin_from_preset

seed = int(sys.argv[1])
k = int(sys.argv[2])
setting = sys.argv[3] if len(sys.argv) > 3 else "own"
truth = patients(setting, k, seed)
twin = twin_from_preset("healthy", n=1)
rng = np.random.default_rng([seed, 99])
rng_echo = np.random.default_rng([seed, 98])
found = []
for i in range(truth.results.n):
    ms = truth.measurements(i, rng)
    try:
        ms += truth.echo_measurements(i, ECHO_KINDS["echo"], rng_echo)
    except MeasurementError as exc:
        print(i, "no echo", exc, flush=True)
        continue
    try:
        r = calibrate(twin, ms, n=48, seed=seed * 1000 + i, point_estimate=False)
        print(i, "ok", flush=True)
    except (CalibrationError, MeasurementError) as exc:
        print(i, "REFUSED", str(exc)[:300], flush=True)
        if "converge" in str(exc):
            found.append((seed, i, ms))
            pickle.dump(found, open(f"/tmp/cal17/nonconv_{setting}_{seed}.pkl", "wb"))
