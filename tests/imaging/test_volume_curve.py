"""Volume curves: measurements from a known analytic curve and from biv-me, calibration data."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.bivme import load_bivme
from twinviewer.imaging.curves import VolumeCurve, curve_measurements, volume_curve
from twinviewer.personalize.volume_curve import calibration_data, misfit, model_curve_on


def _analytic(n=40, rr=800.0):
    """V(t) = 130 − 60 sin²(π t / 320 ms) in systole, refilling by a cosine: rates known."""
    t = np.arange(n) * rr / n
    v = np.where(t < 320, 130 - 60 * np.sin(np.pi * t / 640) ** 2,
                 70 + 60 * (0.5 - 0.5 * np.cos(np.pi * np.clip((t - 320) / 400, 0, 1))))
    return VolumeCurve("LV", t, v, np.full(n, 2.0), rr, "test")


def test_measurements_of_a_known_curve():
    m = {x.name: x for x in curve_measurements(_analytic())}
    assert m["LVEDV"].value == pytest.approx(130) and m["LVESV"].value == pytest.approx(70)
    assert m["LVSV"].value == pytest.approx(60) and m["LVEF"].value == pytest.approx(100 * 60 / 130)
    # analytic peak ejection: 60 π / 640 ms = 294.5 mL/s; peak filling 60 π / 800 ms = 235.6
    assert m["LV_PER"].value == pytest.approx(294.5, rel=0.03)
    assert m["LV_PFR"].value == pytest.approx(235.6, rel=0.03)
    assert all(x.uncertainty >= 0 and x.unit for x in m.values())
    assert all(m[k].uncertainty > 0 for k in ("LVEDV", "LVESV", "LVSV", "LVEF"))
    assert m["LVEF"].unit == "%" and m["LV_PER"].unit == "mL/s"


def test_calibration_data_aligned_at_ed_and_scaled():
    c = _analytic()
    c2 = VolumeCurve("LV", c.times_ms, np.roll(c.volumes_ml, 7), c.sd_ml, c.rr_ms, "test")
    d = calibration_data(c2)
    assert d.phase[0] == 0.0 and d.volumes_ml[0] == pytest.approx(130)
    assert np.all((0 <= d.phase) & (d.phase < 1))
    # a model beating at 60 bpm with the same shape matches at every phase
    # (the model's own smooth V(t), not the frames interpolated linearly: a piecewise-linear
    # curve has no single peak filling rate for the events of the warp to find)
    t = np.linspace(0, 1.0, 200, endpoint=False)
    v = _analytic(200).volumes_ml
    model = model_curve_on(calibration_data(c), t, v, 1.0)
    assert np.abs(misfit(calibration_data(c), model)).max() < 0.2


def test_bivme_curve():
    a = load_bivme()
    lv = volume_curve(a, "LV")
    assert len(lv.times_ms) == 25 and lv.rr_ms == 860.0
    m = {x.name: x for x in curve_measurements(lv)}
    assert 50 < m["LVEF"].value < 70 and m["LVEDV"].uncertainty > 0
    assert volume_curve(a, "RV") is not None


def test_invalid_curve_is_refused():
    with pytest.raises(ValueError, match="times must increase"):
        VolumeCurve("LV", [0, 100, 50], [1, 2, 3], [1, 1, 1], 800)
    with pytest.raises(ValueError, match="R-R 100"):
        VolumeCurve("LV", [0, 100, 200], [1, 2, 3], [1, 1, 1], 100)


def test_twin_fitted_to_the_bivme_volume_curve():
    """The healthy preset, fitted to the real biv-me LV curve: from RMS z > 3 to about 1."""
    from twinviewer.personalize.volume_curve import fit_volume_curve
    from twinviewer.physiology import get_preset

    p = get_preset("healthy")
    d = calibration_data(volume_curve(load_bivme(), "LV"))
    fit = fit_volume_curve(p.model, p.vector(), d)
    assert fit.rms_z_before > 3.0 and fit.rms_z < 1.5
    assert fit.heart_rate_bpm == pytest.approx(60000 / 860)
    assert np.all(np.isfinite(fit.sd)) and np.all(fit.sd > 0)
    assert max(fit.after) == pytest.approx(max(d.volumes_ml), rel=0.1)  # EDV reproduced
