"""review12 #5: a later visit whose data show a new disease starts from that disease's prior,
and the prior named (GUI box, result line, summary) is the prior used.

The reviewer entered severe-AS values on the demo heart (a healthy posterior): the prior box
read "auto (Severe aortic stenosis prior)" while the calibration took the healthy posterior
(SBP 140 fitted as 123).
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.personalize.disease import PREVIOUS, last_prior, visit_prior
from twinviewer.twins import twin_from_preset

AS = [M("AVA", 0.7, "cm^2", 0.1, "echo"), M("AV_mean_gradient", 45, "mmHg", 5, "echo"),
      M("SBP", 140, "mmHg", 7, "cuff"), M("DBP", 80, "mmHg", 6, "cuff")]


@pytest.fixture(scope="module")
def healthy_posterior():
    """A twin calibrated once as healthy (the demo heart's situation)."""
    twin = twin_from_preset("healthy", n=1)
    r = calibrate(twin, [M("SBP", 120, "mmHg", 8, "cuff"), M("DBP", 80, "mmHg", 6, "cuff")],
                  n=48, seed=1, point_estimate=False)
    new = updated_twin(twin, r, day=0)
    assert new.ensemble_kind == "posterior" and last_prior(new) == "healthy"
    return new


def test_new_disease_at_a_later_visit_starts_from_the_disease_prior(healthy_posterior):
    r = calibrate(healthy_posterior, AS, n=48, seed=2, point_estimate=False)
    c = r.prior_choice
    assert c.preset == "severe_as" and not r.from_previous, c
    assert "does not describe" in c.reason and "Healthy adult prior" in c.reason
    assert "prior: Severe aortic stenosis prior (chosen: aortic stenosis: AVA 0.7" in r.summary()
    # what `twin create` does with the same data: a new patient calibrated from the AS prior
    new = calibrate(twin_from_preset("healthy", n=1), AS, n=48, seed=2, point_estimate=False)
    assert new.prior_choice.preset == "severe_as"
    np.testing.assert_allclose([f.median for f in r.fit], [f.median for f in new.fit],
                               rtol=1e-6)
    after = updated_twin(healthy_posterior, r, day=30, accept_misfit=True)
    assert last_prior(after) == "severe_as"
    # the same disease at the next visit: the posterior is kept (progression, not new)
    assert visit_prior("auto", AS, "healthy", later=True,
                       last_prior=last_prior(after)).preset == PREVIOUS


def test_no_new_disease_keeps_the_last_posterior_and_says_so(healthy_posterior):
    r = calibrate(healthy_posterior, [M("SBP", 126, "mmHg", 8, "cuff")], n=32, seed=2,
                  point_estimate=False)
    assert r.prior_choice.preset == PREVIOUS and r.from_previous
    assert "prior: previous visit's posterior (chosen: a later visit starts" in r.summary()


def test_an_override_at_a_later_visit_is_used_not_ignored(healthy_posterior):
    r = calibrate(healthy_posterior, [M("SBP", 126, "mmHg", 8, "cuff")], n=32, seed=2,
                  point_estimate=False, prior="hfref")
    assert r.prior_choice.preset == "hfref" and r.prior_choice.overridden
    assert not r.from_previous
    assert r.prior_choice.describe().startswith("Heart failure with reduced ejection "
                                                "fraction prior (chosen by the user; the last")
    assert np.isfinite(r.point).all()
