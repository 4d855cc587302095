"""cov17 diagnostic: why the Regazzoni curve patients' CO is missed (25 patients per setting,
seed 23, k=25: other draws than the 100-patient run). Truth vs posterior median of LV SV
(EDV-ESV), HR and the forward fraction SV_forward/(EDV-ESV). Output: cov17_runs/co_bias.log.
"""
import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.curve_check import CUFF
from twinviewer.personalize.synthetic import NOISE, patients
from twinviewer.personalize.volume_curve import calibration_data, synthetic_curve
from twinviewer.twins import twin_from_preset

for setting in ("regazzoni", "own"):
    k, seed = 25, 23
    truth = patients(setting, k, seed)
    rng = np.random.default_rng([seed, 13])
    rows = []
    for i in range(truth.results.n):
        curves = []
        for c in ("LV", "RV"):
            curve, tv = synthetic_curve(truth.results, i, c, rng)
            curves.append(calibration_data(curve))
        ms = [Measurement(n, truth.truth(n, i) + NOISE[n][0] * rng.standard_normal(),
                          NOISE[n][1], NOISE[n][0], "synthetic cuff") for n in CUFF]
        res = calibrate(twin_from_preset("healthy", n=1), ms, n=48, seed=i,
                        point_estimate=False, volume_curves=curves, prior=None)
        m, ok = res.results.metrics, res.results.ok
        tm = truth.results.metrics

        def post(n, m=m, ok=ok):
            return float(np.median(np.asarray(m[n])[ok]))

        sv_t = tm["LVEDV"][i] - tm["LVESV"][i]
        sv_p = post("LVEDV") - post("LVESV")
        rows.append((tm["CO"][i] / post("CO"), sv_t / sv_p, tm["HR"][i] / post("HR"),
                     tm["SV_forward"][i] / sv_t, post("SV_forward") / sv_p))
    r = np.array(rows)
    co, sv, hr, f_t, f_p = np.median(r, axis=0)
    print(setting, f"median ratios truth/posterior: CO {co:.3f}, LV SV (EDV-ESV) {sv:.3f}, "
          f"HR {hr:.3f}; SV_forward/(EDV-ESV) truth {f_t:.3f}, posterior {f_p:.3f}")
