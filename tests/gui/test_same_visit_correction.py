"""newuser17 F2/F3: replacing an assumed value by a measurement (the demo heart's normal cuff
BP 120/80 by the patient's 150/95) and pressing Calibrate booked a new visit "day 1" from the
posterior fitted to the *assumed* 120/80, plus a between-visit drift: the twin's SBP was a
blend (134 mmHg) and the images' LVEDV interval doubled. A change to the current visit's
data now re-does that visit from its own prior with its corrected data; only a later visit
day, given by the user, is a new visit (previous posterior + drift, as before).

The twin here is the demo's case in small (no volume curves, 48 members): calibrated at day 0
to image volumes, HR and an assumed 120/80, then corrected to a measured 150/95."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.gui.calibration_job import calibrated_with_results
from twinviewer.gui.demo_heart import DEMO_BP_SOURCE
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.personalize.disease import AUTO
from twinviewer.personalize.quantities import predict
from twinviewer.personalize.revisit import plan_visit
from twinviewer.personalize.timeline import drift_for
from twinviewer.twins import twin_from_preset

N = 48
IMAGES = "MR segmentation"
MEASURED_BP = [M("SBP", 150, "mmHg", 10, "cuff, clinic"), M("DBP", 95, "mmHg", 7, "cuff, clinic")]


def _q(results, name: str) -> tuple[float, float, float]:
    x = predict(name, results)
    x = x[np.isfinite(x)]
    med, lo, hi = np.quantile(x, [0.5, 0.05, 0.95])
    return float(med), float(lo), float(hi)


@pytest.fixture(scope="module")
def assumed():
    """Day 0: image volumes, HR and the assumed normal cuff BP, as the demo heart ships."""
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([
        M("LVEDV", 150, "mL", 8, IMAGES), M("LVESV", 60, "mL", 5, IMAGES),
        M("HR", 70, "bpm", 3, "ECG"),
        M("SBP", 120, "mmHg", 10, DEMO_BP_SOURCE), M("DBP", 80, "mmHg", 7, DEMO_BP_SOURCE)])
    result = calibrate(twin, None, n=N, seed=0)
    return updated_twin(twin, result, day=0), result


def _corrected(twin):
    return replace(twin, measurements=[m for m in twin.measurements
                                       if m.name not in ("SBP", "DBP")] + MEASURED_BP)


@pytest.fixture(scope="module")
def corrected(assumed):
    twin = _corrected(assumed[0])
    return calibrated_with_results(twin, n=N, seed=0, prior=AUTO,
                                   progress=lambda f, t="": None, cancel=lambda: False)


def test_a_corrected_visit_is_that_visit_not_a_new_one(corrected):
    result, _, new = corrected
    assert [v.day for v in new.visits] == [0]  # before: [0, 1]
    assert new.visits[0].label == "re-calibration of day 0"
    assert not result.from_previous  # its own prior, not the posterior of the assumed BP
    assert result.replaces_visit and result.visit_day == 0
    assert "re-calibration of day 0" in result.warnings[0]
    used = {(m.name, m.source) for m in new.visits[0].measurements}
    assert ("SBP", "cuff, clinic") in used and not any(s == DEMO_BP_SOURCE for _, s in used)


def test_the_measured_bp_is_fitted_not_blended_with_the_assumed(assumed, corrected):
    """No assumed value left in: the re-done visit is exactly the calibration of a twin
    that never had the assumed 120/80 (same prior, same data, same seed)."""
    result, _, _ = corrected
    never = replace(twin_from_preset("healthy", n=1),
                    measurements=_corrected(assumed[0]).measurements)
    fresh = calibrate(never, None, n=N, seed=0)
    np.testing.assert_allclose(result.ensemble, fresh.ensemble, rtol=1e-12)
    sbp = next(r for r in result.fit if r.name == "SBP")
    assert sbp.pred_lo <= 150 <= sbp.pred_hi  # the measured value within its band


def test_what_the_images_measured_is_not_widened(assumed, corrected):
    _, results, _ = corrected
    _, lo0, hi0 = _q(assumed[1].results, "LVEDV")
    _, lo1, hi1 = _q(results, "LVEDV")
    # no drift for time that never passed (before: ~2× wider); sampling scatter at 48
    # members is about ±15 % of a 90 % width
    assert hi1 - lo1 < 1.3 * (hi0 - lo0), (lo0, hi0, lo1, hi1)


def test_a_later_visit_day_is_a_new_visit_from_the_previous_posterior(assumed):
    twin = _corrected(assumed[0])
    plan = plan_visit(twin, 30)
    assert not plan.redo and plan.twin is twin and plan.drift == pytest.approx(drift_for(30))
    result, _, new = calibrated_with_results(twin, n=N, seed=0, prior=AUTO, day=30,
                                             progress=lambda f, t="": None,
                                             cancel=lambda: False)
    assert [v.day for v in new.visits] == [0, 30]
    assert result.from_previous and not result.replaces_visit
    assert new.visits[0] is twin.visits[0]  # the first visit is kept as it was


def test_a_visit_day_before_the_last_is_refused(assumed):
    with pytest.raises(ValueError, match="before the last visit"):
        plan_visit(replace(assumed[0], visits=[replace(assumed[0].visits[0], day=5)]), 2)
