"""svbias17: where the 25-frame LV curves put end-systole (smallest volume) — the warp's ES
landmark — in the measured (noisy) and the true curve, and how flat the true curve is there
(frames within 3 % of the stroke volume of the minimum). From svbias17_runs/phase_*_base.npz
(true frames rebuilt from the saved residual: true = resid_true · EDV_truth + posterior).
"""
import numpy as np

for setting in ("regazzoni", "own"):
    d = np.load(f"docs/notes/svbias17_runs/phase_{setting}_base.npz")
    r, ph = d["rows"], d["phase"]
    true = d["resid_true"] * r[:, 5:6] + d["post"]
    es_m = ph[np.arange(len(ph)), np.argmin(d["meas"], axis=1)]
    es_t = ph[np.arange(len(ph)), np.argmin(true, axis=1)]
    sv = true.max(axis=1) - true.min(axis=1)
    flat = (true - true.min(axis=1, keepdims=True) < 0.03 * sv[:, None]).sum(axis=1)
    print(f"{setting}: ES phase measured median {np.median(es_m):.2f} "
          f"(range {es_m.min():.2f}-{es_m.max():.2f}), true {np.median(es_t):.2f} "
          f"(range {es_t.min():.2f}-{es_t.max():.2f}); |measured - true| median "
          f"{np.median(np.abs(es_m - es_t)):.2f} R-R; frames within 3 % SV of ESV: median "
          f"{np.median(flat):.0f} (range {flat.min()}-{flat.max()})")
