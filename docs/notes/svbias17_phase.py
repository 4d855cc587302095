"""svbias17 diagnostic: where does the default twin, calibrated to a synthetic patient's LV+RV
volume curves + cuff, miss the LV curve? Same patients and noise draws as cov17_co_bias.py
(seed 23, k=25, rng [seed, 13]); the first N of them. Per patient: truth SV (metric EDV-ESV),
the true and the measured curve's max-min over the 25 frames, the posterior median SV
(metric) and the posterior median curve's max-min at the data phases, the LV curve z at ED
and ES, and the per-phase residual (measured - posterior median) / measured EDV.
Output: svbias17_runs/phase_<setting>.npz and a printed summary.
usage: python docs/notes/svbias17_phase.py regazzoni 12 [variant [seed, default 23]]
variant: base (as the harness), nocuff (curves only), cleancurve (noise-free curves; the
noise draws are still made so every other draw is the same), cuffwide (cuff SDs x 10),
lvonly (LV curve + cuff), per (a PROPOSAL, not the product: the warp also aligns both curves
at their peak ejection rate between ED and ES; monkeypatched here), per_nocuff, per_clean,
edes (PROPOSAL: model error of the ED and ES frames 2 % instead of 8 %), esstart
(PROPOSAL: the ES landmark at the start of a flat end-systole).
"""
import sys

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.personalize import volume_curve as vc
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.curve_check import CUFF
from twinviewer.personalize.synthetic import NOISE, patients
from twinviewer.personalize.volume_curve import calibration_data, synthetic_curve
from twinviewer.twins import twin_from_preset

setting, N = sys.argv[1], int(sys.argv[2])
variant = sys.argv[3] if len(sys.argv) > 3 else "base"
if variant.startswith("per"):
    _events = vc.events

    def _per_events(phase: np.ndarray, volume_ml: np.ndarray) -> np.ndarray:
        """ED→ES's steepest fall (peak ejection rate, parabola-refined) before the events."""
        ev = _events(phase, volume_ml)
        ph, v = np.asarray(phase, float), np.asarray(volume_ml, float)
        rate = (np.roll(v, -1) - np.roll(v, 1)) / np.maximum((np.roll(ph, -1) - np.roll(ph, 1))
                                                            % 1.0, 1e-9)
        window = (ph > 0) & (ph < ev[0])
        if not window.any():
            return np.concatenate(([0.5 * ev[0]], ev))
        j = int(np.flatnonzero(window)[np.argmin(rate[window])])
        return np.concatenate(([vc._peak(ph, rate, j)], ev))

    vc.events = _per_events
if "esstart" in variant:

    def _es_start(phase: np.ndarray, volume_ml: np.ndarray) -> float:
        """End of ejection: the first phase after ED within 5 % of the stroke volume of the
        smallest volume (the start of a flat end-systole, not its far end) (PROPOSAL)."""
        v = np.asarray(volume_ml, float)
        near = np.flatnonzero(v <= v.min() + 0.05 * (v.max() - v.min()))
        return float(np.asarray(phase, float)[near[0]])

    vc.end_systole_phase = _es_start
if "edes" in variant:
    _cov = vc.curve_covariance

    def _edes_cov(data):
        """The product's covariance with the model error of the ED and ES frames (the
        curve's largest and smallest volume) cut from 8 % to 2 % of V (PROPOSAL)."""
        cov, m, t = _cov(data)
        v = np.asarray(data.volumes_ml, float)
        for j in {int(np.argmax(v)), int(np.argmin(v))}:
            small = 0.02 * v[j]
            cov[j, j] += small ** 2 - m[j] ** 2
            m[j] = small
        return cov, m, t

    vc.curve_covariance = _edes_cov
k, seed = 25, int(sys.argv[4]) if len(sys.argv) > 4 else 23
tag = variant if seed == 23 else f"{variant}_s{seed}"
truth = patients(setting, k, seed)
rng = np.random.default_rng([seed, 13])
cos, pp, meas, post, cover = [], [], [], [], []
rows, resid, resid_true, zs, phases, fitrows = [], [], [], [], [], []
for i in range(N):
    curves, truths = [], {}
    for c in ("LV", "RV"):
        curve, tv = synthetic_curve(truth.results, i, c, rng)
        if "clean" in variant:
            curve.volumes_ml[:] = tv
        curves.append(calibration_data(curve))
        truths[c] = tv[np.argsort((curve.times_ms - curve.times_ms[curve.ed_index])
                                  % curve.rr_ms, kind="stable")]
    wide = 10.0 if variant == "cuffwide" else 1.0
    ms = [Measurement(n, truth.truth(n, i) + NOISE[n][0] * rng.standard_normal(),
                      NOISE[n][1], wide * NOISE[n][0], "synthetic cuff") for n in CUFF]
    if "nocuff" in variant:
        ms = []
    if variant == "lvonly":
        curves = curves[:1]
    res = calibrate(twin_from_preset("healthy", n=1), ms, n=48, seed=i,
                    point_estimate=False, volume_curves=curves, prior=None)
    m, ok = res.results.metrics, res.results.ok
    tm = truth.results.metrics
    cf = next(c for c in res.curve_fit if c.chamber == "LV")
    lv = curves[0]
    tvl = truths["LV"]
    sv_t = tm["LVEDV"][i] - tm["LVESV"][i]
    sv_p = float(np.median(np.asarray(m["LVEDV"])[ok] - np.asarray(m["LVESV"])[ok]))
    post_edv = float(np.median(np.asarray(m["LVEDV"])[ok]))
    post_esv = float(np.median(np.asarray(m["LVESV"])[ok]))
    cover.append([res.predictive(n)[1] <= tm[n][i] <= res.predictive(n)[2]
                  for n in ("CO", "SW", "LVSV")])
    cos.append(tm["CO"][i] / float(np.median(np.asarray(m["CO"])[ok])))
    sbp, dbp = (float(np.median(np.asarray(m[n])[ok])) for n in ("SBP", "DBP"))
    pp.append((tm["SBP"][i] - tm["DBP"][i], sbp - dbp, sv_t, sv_p))
    meas.append(lv.volumes_ml)
    post.append(cf.median)
    ed, es = int(np.argmax(lv.volumes_ml)), int(np.argmin(lv.volumes_ml))
    rows.append((sv_t, tvl.max() - tvl.min(), lv.volumes_ml.max() - lv.volumes_ml.min(),
                 sv_p, cf.median.max() - cf.median.min(),
                 tm["LVEDV"][i], lv.volumes_ml[ed], post_edv, cf.median[ed],
                 tm["LVESV"][i], lv.volumes_ml[es], post_esv, cf.median[es],
                 cf.z[ed], cf.z[es], cf.chi2, tm["HR"][i]))
    resid.append((lv.volumes_ml - cf.median) / lv.volumes_ml[ed])
    resid_true.append((tvl - cf.median) / tvl.max())
    phases.append(lv.phase)
    fitrows.append([(r.name, round(r.measured, 1), round(r.median, 1), round(r.z, 2), r.used)
                    for r in res.fit])
    print(i, " ".join(f"{x:7.1f}" for x in rows[-1][:13]),
          f"zED {cf.z[ed]:+.2f} zES {cf.z[es]:+.2f} chi2 {cf.chi2:.2f}", flush=True)
r = np.array(rows)
np.savez(f"docs/notes/svbias17_runs/phase_{setting}_{tag}.npz", rows=r, resid=np.array(resid),
         resid_true=np.array(resid_true), phase=np.array(phases),
         pp=np.array(pp), meas=np.array(meas), post=np.array(post))
q = r[:, 0] / r[:, 3]
boot = np.median(q[np.random.default_rng(0).integers(0, len(q), (2000, len(q)))], axis=1)
b5, b95 = np.percentile(boot, [5, 95])
med = np.median
print(setting, variant, f"truth SV / post SV: median {med(q):.3f} "
      f"(bootstrap 90% {b5:.3f}-{b95:.3f}), mean {q.mean():.3f}")
print(setting, f"medians: truth SV / post SV {med(r[:, 0] / r[:, 3]):.3f}; "
      f"truth SV / true-frames max-min {med(r[:, 0] / r[:, 1]):.3f}; "
      f"measured max-min / post-curve max-min {med(r[:, 2] / r[:, 4]):.3f}; "
      f"post SV metric / post curve max-min {med(r[:, 3] / r[:, 4]):.3f}")
print("EDV truth/meas/post/postcurve", med(r[:, 5:9], axis=0).round(1),
      "ESV", med(r[:, 9:13], axis=0).round(1))
zed, zes, chi2 = med(r[:, 13:16], axis=0)
print(f"median z at ED {zed:.2f}, at ES {zes:.2f}, chi2 {chi2:.2f}")
print("median residual (meas - post median)/EDV by frame:",
      med(np.array(resid), axis=0).round(3).tolist())
print("median residual (true - post median)/EDV by frame:",
      med(np.array(resid_true), axis=0).round(3).tolist())
print("fit rows (patient 0):", fitrows[0])
a = np.array(pp)
print(f"pulse pressure truth {med(a[:, 0]):.1f}, posterior {med(a[:, 1]):.1f} mmHg; "
      f"PP/SV truth {med(a[:, 0] / a[:, 2]):.3f}, posterior {med(a[:, 1] / a[:, 3]):.3f} "
      "mmHg/mL")
print("90 % interval covers truth (CO, SW, LVSV):", np.mean(cover, axis=0).round(2).tolist())
print(f"CO truth/post median {med(np.array(cos)):.3f}")
