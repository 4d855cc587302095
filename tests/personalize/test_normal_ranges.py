"""Outside check: fits of normal adults land in the published normal ranges (REFERENCE.md,
"Normal adult ranges": LVEDP 5–12 mmHg, PCWP 6–12, RA 2–6, PA systolic 15–30, CO 4–8 L/min),
for quantities the calibration never saw."""

from __future__ import annotations

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import calibrate
from twinviewer.twins import twin_from_preset

NORMAL = {"LVEDP": (5, 12), "LAP": (6, 12), "CVP": (2, 6), "PASP": (15, 30), "CO": (4, 8)}


@pytest.mark.parametrize("volumes", [
    (120.5, 48.0),   # CircAdapt VanOsta2023 reference LV
    (135.0, 49.0),   # mid-normal CMR volumes, EF 63.7 % (Cardiac Atlas Project median 63.5 %)
])
def test_normal_patient_predictions_sit_in_published_normal_ranges(volumes):
    edv, esv = volumes
    ms = [M("HR", 70, "bpm", 2, "ECG"), M("SBP", 120, "mmHg", 6, "cuff"),
          M("DBP", 80, "mmHg", 5, "cuff"), M("LVEDV", edv, "mL", 8, "CMR"),
          M("LVESV", esv, "mL", 6, "CMR")]
    r = calibrate(twin_from_preset("healthy", n=1), ms, n=48, seed=7, point_estimate=False)
    assert r.prior_choice.preset == "healthy" and not r.flagged
    for k, (lo, hi) in NORMAL.items():
        med, plo, phi = r.predictive(k)
        assert lo <= med <= hi, (k, med, (lo, hi))
        assert plo < hi and phi > lo  # the interval overlaps the normal range
