"""The calibrated demo twin (fixcal items 2 and 3): its pressures stay normal with no
pressure data of its own (was MAP 119 (96–156) mmHg, BP 145/92), the assumed cuff BP says it
is assumed, and the LV/RV stroke-volume disagreement of the measured curves is stated."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize.calibrate import _stroke_volume_conflict


def test_stroke_volume_conflict_is_stated_with_its_z():
    note = _stroke_volume_conflict([M("LVEDV", 179, "mL", 8.5), M("LVESV", 72, "mL", 5.1),
                                    M("RVEDV", 170.1, "mL", 10.8), M("RVESV", 76.7, "mL", 6.7)])
    assert "LV stroke volume 107 ± 9.9 mL" in note and "RV stroke volume 93.4" in note
    assert "z +0.8" in note and "differ only by regurgitant and shunt volumes" in note
    assert "within the measurement errors" in note and "cannot fit both" not in note
    assert _stroke_volume_conflict([M("LVEDV", 179, "mL", 8.5), M("LVESV", 72, "mL", 5)]) == ""


def test_measured_regurgitation_or_shunt_explains_the_stroke_volume_difference():
    """A reviewer's MR twin (RF 35 %) was told the model "has no shunt and, without
    regurgitation, cannot fit both" although the regurgitation explains the difference."""
    vols = [M("LVEDV", 170, "mL", 8), M("LVESV", 64, "mL", 5), M("RVEDV", 140, "mL", 8),
            M("RVESV", 70, "mL", 5)]
    assert "cannot fit both" in _stroke_volume_conflict(vols)
    assert _stroke_volume_conflict(vols + [M("MR_fraction", 35, "%", 5)]) == ""
    assert _stroke_volume_conflict(vols + [M("MR_volume", 36, "mL", 8)]) == ""
    assert _stroke_volume_conflict(vols + [M("QpQs", 0.7, "1", 0.1)]) == ""
    small = _stroke_volume_conflict(vols + [M("MR_volume", 4, "mL", 2)])
    assert "after the measured MR volume 4 mL a residual of +32 mL" in small


@pytest.mark.slow
def test_demo_twin_keeps_normal_pressures_and_names_the_assumed_bp(tmp_path):
    from twinviewer.gui.demo_heart import DEMO_BP_SOURCE, calibrate_demo_twin, load_demo_twin

    twin, results = calibrate_demo_twin(cache=tmp_path)
    lo, mapp, hi = np.nanpercentile(results.metrics["MAP"], [5, 50, 95])
    sbp = np.nanmedian(results.metrics["SBP"])
    # without the assumed BP: MAP 119.4 (95.8–156.1), SBP 144.8 mmHg; published normal adult
    # MAP 90–100, the healthy preset 99.8
    assert 90.0 < mapp < 110.0 and hi < 125.0 and sbp < 140.0
    bp = [m for m in twin.measurements if m.name in ("SBP", "DBP")]
    assert len(bp) == 2 and all(m.source == DEMO_BP_SOURCE for m in bp)
    assert "not measured" in DEMO_BP_SOURCE
    assert load_demo_twin(tmp_path) is not None


def test_curve_summary_names_its_ed_and_es_against_the_twin():
    from twinviewer.personalize.volume_curve import CurveFitSummary

    meas = np.array([179.0, 140.0, 72.0, 120.0])
    med = np.array([156.0, 130.0, 75.0, 118.0])
    c = CurveFitSummary("LV", np.linspace(0, 0.75, 4), meas, np.full(4, 8.0), np.full(4, 20.0),
                        med, med - 15, med + 15, med - 30, med + 30, (meas - med) / 20.0,
                        0.3, 860.0, "biv-me mesh")
    assert c.ed_es_text() == "ED 179 vs twin 156 mL (z +1.1), ES 72 vs twin 75 mL (z -0.1)"


def test_fit_row_outside_its_predictive_interval_is_named_in_the_status():
    from twinviewer.personalize.calibrate import FitRow

    row = FitRow("LVSV", "LV stroke volume", "mL", 106.9, 9.9, 5.3, "biv-me", 83.0, 83.3, 70.5,
                 95.9, 1.83, False, False, "", 60.8, 105.8)  # measured above
    assert row.outside_predictive and not row.flag
    inside = FitRow("HR", "Heart rate", "bpm", 69.8, 3.0, 2.0, "", 70.0, 69.9, 65.4, 74.5,
                    0.04, False, False, "", 62.0, 77.8)
    assert not inside.outside_predictive

    class R:  # the status line reads only fit rows and curves
        fit = [row, inside]
        curve_fit: list = []
        flagged: list = []

    from twinviewer.personalize.calibrate import CalibrationResult

    text = CalibrationResult.status_line(R())
    assert text.startswith("all 2 measurements compared with the twin within |z| ≤ 2 "
                           "(worst: LVSV, z +1.83)")
    assert "outside their 90 % predictive interval: LVSV (z +1.8)" in text


@pytest.mark.slow
def test_demo_fit_names_the_curve_points_it_misses_and_why():
    """The demo twin's LV stroke volume was short of the measured (82 vs 107 mL; calib4 note):
    the fit, the fit table and the status line say where the twin leaves the curve, by how
    much, and the late-diastolic (atrial) filling of curve and twin, rather than only
    'all phases within |z| ≤ 2'."""
    from twinviewer.gui.demo_heart import (
        DEMO_MEMBERS,
        DEMO_PRESET,
        DEMO_PSEUDONYM,
        demo_anatomy,
        demo_assumed_bp,
    )
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset(DEMO_PRESET, n=DEMO_MEMBERS, anatomy=demo_anatomy(),
                            pseudonym=DEMO_PSEUDONYM)
    r = calibrate(twin, demo_assumed_bp(), n=DEMO_MEMBERS, seed=0, prior=None)
    lv = next(c for c in r.curve_fit if c.chamber == "LV")
    gaps = lv.gaps()
    for g in gaps:  # each named gap is a real one: outside the twin's 90 % interval
        k = int(np.argmin(np.abs(lv.phase - g.worst_phase)))
        assert not lv.lo[k] <= lv.measured[k] <= lv.hi[k]
        assert g.difference == pytest.approx(lv.median[k] - lv.measured[k])
    ed = [g for g in gaps if "end-diastole" in g.part]
    if ed:  # the miss at ED is named with the late-diastolic filling of curve and twin
        m, t = lv.late_filling()
        assert f"curve {m:+.0f} mL, twin {t:+.0f} mL" in r.status_line()
        assert ed[0].text() in r.summary()
    # fit7: the healthy prior (LVEDV 132 mL) pulled the SV to 89.9 (80.4–101.3) mL. fit8:
    # the heart's size is a coordinate of the prior (population log-SD 0.14), which the
    # curves inform: ×1.15 (1.01–1.33), SV 90.8 (80.8–101.0) mL, held down by the phases
    # where the model's timing differs (late ejection, slow early filling). fit8b: the
    # model's curve is read after a warp at its own ED, ES and peak filling, the timing left
    # correlated over ℓ = 0.1 R-R: ×1.20 (1.06–1.38), SV 96.7 (85.0–107.9) mL, the measured
    # 106.9 inside the twin's own 90 % interval (notes/fit8b.md)
    assert 1.1 < r.size_factor[0] < 1.3
    sv = np.asarray(r.results.metrics["LVSV"])[r.results.ok]
    assert 94.0 < np.nanmedian(sv) < 106.9
    assert np.nanpercentile(sv, 95) > 105.0
    assert all(abs(f.z) <= 2.0 for f in r.fit), r.status_line()
    row = next(f for f in r.fit if f.name == "LVSV")
    assert abs(row.z) < 2.0 and not row.outside_predictive
