"""reg16 step 1: the Regazzoni patients' atrial timing, E/A and filling pressures, at the
published absolute onsets and in sinus rhythm, against the own setting (500 patients each,
seed 5: not a coverage seed).

Run: PYTHONPATH=$PWD python docs/notes/reg16_timing.py
"""

import numpy as np

from twinviewer.personalize.synthetic import echo_truth, patients

K, SEED = 500, 5


def q(x, ps=(5, 50, 95)):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return " / ".join(f"{v:.2f}" for v in np.percentile(x, ps))


for setting in ("regazzoni_published", "regazzoni", "own"):
    s = patients(setting, K, SEED)
    m, res = s.results.metrics, s.results
    model, P = res.model, res.params
    hr = P[:, model.index("HR")]
    ea = echo_truth("E/A", res)
    print(f"## {setting} ({K} patients, seed {SEED})")
    if "LA.tC" in model.parameter_names:
        T = 60.0 / hr
        rel = (P[:, model.index("LA.tC")] % T - P[:, model.index("LV.tC")] % T) % T
        rel = np.where(rel > T / 2, rel - T, rel)  # atrial onset after LV onset (s), signed
        tc = P[:, model.index("LV.TC")]
        inside = (rel >= 0) & (rel < tc)
        print(f"atrial onset − LV onset (s) 5/50/95 %: {q(rel)}; before LV onset "
              f"{np.mean(rel < 0):.1%}; inside LV contraction (0..LV.TC) {inside.mean():.1%}; "
              f"inside LV activation (0..TC+TR) "
              f"{np.mean((rel >= 0) & (rel < tc + P[:, model.index('LV.TR')])):.1%}")
        for lo, hi in ((0, 67), (67, 75), (75, 85), (85, 250)):
            sel = (hr >= lo) & (hr < hi)
            if sel.any():
                print(f"  HR {lo}-{hi}: n {sel.sum()}, onset diff median "
                      f"{np.median(rel[sel]):+.3f} s, E/A computable "
                      f"{np.isfinite(ea[sel]).mean():.0%}, LAP mean {m['LAP'][sel].mean():.1f}")
    else:
        avd = P[:, model.index("AVD")]
        print(f"atrial onset − LV onset (s) 5/50/95 %: {q(-avd)} (AVD prior)")
    print(f"HR 5/50/95 %: {q(hr)} bpm")
    print(f"E/A computable {np.isfinite(ea).mean():.1%}; in 0.8–2 "
          f"{np.mean((ea >= 0.8) & (ea <= 2)):.1%}; 5/50/95 %: {q(ea)}")
    for k in ("LAP", "LVEDP", "PASP", "CO", "SBP", "DBP", "LVEDV", "LVESV"):
        print(f"{k}: mean {np.nanmean(m[k]):.2f}, 5/50/95 % {q(m[k])}")
    print()
