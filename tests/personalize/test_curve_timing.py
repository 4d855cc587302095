"""fit8b: the model's timing error does not become a volume error of the curve fit — the
model's curve is read after a warp at its own events (ED, ES, peak filling), and the timing
left is one error correlated over neighbouring phases."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.curves import VolumeCurve
from twinviewer.personalize import volume_curve as vc


def _beat(ph: np.ndarray, es: float, pfr: float) -> np.ndarray:
    """A smooth LV-like volume (mL) over one beat: ejection to ``es``, filling fastest at
    ``pfr``, an atrial kick before ED."""
    ph = np.asarray(ph, float)
    eject = 120 - 70 * np.sin(0.5 * np.pi * np.clip(ph / es, 0, 1)) ** 2
    fill = 50 + 50 / (1 + np.exp(-(ph - pfr) / 0.035)) + 20 * np.clip((ph - 0.86) / 0.14, 0, 1) ** 2
    return np.where(ph <= es, eject, fill)


def test_events_of_a_25_frame_curve_are_found_between_frames():
    ph = np.arange(25) / 25
    v = _beat(ph, 0.37, 0.53)
    es, pfr = vc.events(ph, v)
    assert es == pytest.approx(0.37, abs=0.01) and pfr == pytest.approx(0.53, abs=0.01)


def test_a_late_model_is_compared_at_its_own_events_not_phase_for_phase():
    """The model ejects and fills late (ES 0.47, PFR 0.63 against the curve's 0.37, 0.53:
    86 ms at 70 bpm, as the model's 137 against Weissler's 103 ms): phase for phase the
    residuals reach tens of mL; aligned at the events they vanish."""
    frames = np.arange(25) * 34.4
    c = VolumeCurve("LV", frames, _beat(frames / 860, 0.37, 0.53), np.full(25, 5.0), 860.0)
    d = vc.calibration_data(c)
    t = np.linspace(0, 0.86, 400, endpoint=False)
    model = _beat(t / 0.86, 0.47, 0.63)
    warped = vc.model_curve_on(d, t, model, 0.86)
    plain = vc.model_curve_on(d, t, model, 0.86, warp=False)
    assert np.max(np.abs(plain - d.volumes_ml)) > 25.0
    assert np.max(np.abs(warped - d.volumes_ml)) < 4.0
    # ED and ES volumes are compared directly: the warp moves time, never volume
    k = int(np.argmin(d.volumes_ml))
    assert warped[0] == pytest.approx(model.max(), abs=0.5)
    assert warped[k] == pytest.approx(d.volumes_ml[k], abs=1.5)


def test_events_out_of_order_fall_back_to_fewer():
    assert vc.warp_phase(np.array([0.2, 0.5]), [0.4, 0.3], [0.45, 0.6]).tolist() == \
        pytest.approx([0.225, 0.45 + 0.1 * 0.55 / 0.6])
    assert vc.warp_phase(np.array([0.2, 0.5]), [1.2], [0.5]).tolist() == [0.2, 0.5]


def test_a_shared_timing_shift_costs_less_than_independent_errors(monkeypatch):
    """A model late by σ_φ over a whole phase moves every volume there by σ_φ V′ in the same
    direction: with the timing error correlated over ℓ that is about one standard deviation
    of misfit, not one per frame."""
    c = VolumeCurve("LV", np.arange(25) * 34.4, _beat(np.arange(25) / 25, 0.37, 0.53),
                    np.full(25, 5.0), 860.0)
    d = vc.calibration_data(c)
    cov, _, a = vc.curve_covariance(d)
    ejection = (d.phase > 0.05) & (d.phase < 0.35)
    shift = np.where(ejection, a, 0.0)  # late by σ_φ through the ejection
    monkeypatch.setattr(vc, "PHASE_LENGTH", None)
    diag, _, _ = vc.curve_covariance(d)
    assert shift @ np.linalg.solve(cov, shift) < 0.7 * shift @ np.linalg.solve(diag, shift)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
