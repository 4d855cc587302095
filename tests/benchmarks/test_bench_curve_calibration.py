"""The whole-curve calibration: cost beside the scalar-volume calibration, and the full-size
cross-model coverage check (not in the CI gate).

    PYTHONPATH=$PWD python -m pytest tests/benchmarks/test_bench_curve_calibration.py -s
    CURVE_PATIENTS=40 ... (default 40 regazzoni2022 patients, test seed 2026)
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.curve_check import check
from twinviewer.personalize.synthetic import patients
from twinviewer.personalize.volume_curve import calibration_data, synthetic_curve
from twinviewer.twins import twin_from_preset


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def test_curve_against_scalar_volumes_in_one_run():
    truth = patients("own", 1, seed=4)
    rng = np.random.default_rng(4)
    curves = [calibration_data(synthetic_curve(truth.results, 0, c, rng)[0])
              for c in ("LV", "RV")]
    cuff = [M(n, truth.truth(n, 0), "mmHg", 6, "cuff") for n in ("SBP", "DBP")]
    scalar = cuff + [M(n, truth.truth(n, 0), "mL", 8, "MR segmentation")
                     for n in ("LVEDV", "LVESV", "RVEDV", "RVESV")] + [
        M("HR", truth.truth("HR", 0), "bpm", 3, "ECG")]
    twin = twin_from_preset("healthy", n=1)
    out = {}
    for name, kw in (("scalar volumes", {"measurements": scalar}),
                     ("whole curves", {"measurements": cuff, "volume_curves": curves})):
        c0, w0 = _cpu(), time.perf_counter()
        res = calibrate(twin, n=200, seed=0, **kw)
        out[name] = (_cpu() - c0, time.perf_counter() - w0, res.convergence.iterations)
    load = os.getloadavg()[0]
    for k, (cpu, wall, it) in out.items():
        print(f"{k:<15} CPU {cpu:6.1f} s  wall {wall:6.1f} s  {it} tempering iterations")
    print(f"CPU ratio curves/scalar {out['whole curves'][0] / out['scalar volumes'][0]:.2f} "
          f"(load average {load:.1f})")


def test_cross_model_coverage_full_size():
    k = int(os.environ.get("CURVE_PATIENTS", "40"))
    for setting in ("regazzoni", "own"):
        r = check(setting, k, seed=2026, members=48)
        print(r.table())
    print(f"load average {os.getloadavg()}")
