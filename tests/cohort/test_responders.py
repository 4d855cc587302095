"""The responder summary against SciPy's Spearman correlation and a planted association."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twinviewer.cohort.plots import responder_curve
from twinviewer.cohort.responders import responder_summary


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)  # predicts benefit
    z = rng.normal(size=n)  # does not
    gradient_drop = -(20 + 10 * x + rng.normal(scale=5, size=n))  # lower = better
    return pd.DataFrame({"scenario": "tavi", "param:X": x, "param:Z": z,
                         "AV_mean_gradient:diff_median": gradient_drop,
                         "AV_mean_gradient:baseline_median": 50 + rng.normal(size=n),
                         "HR:diff_median": rng.normal(size=n),
                         "HR:baseline_median": 70 + rng.normal(size=n)})


def test_rho_equals_scipy_and_the_planted_feature_is_found():
    t = _table()
    s = responder_summary(t, ["AV_mean_gradient", "HR"])
    assert {a.metric for a in s} == {"AV_mean_gradient"}  # HR has no "better" direction
    top = s[0]
    assert top.feature == "param:X" and top.predicts and top.lo > 0
    benefit = -t["AV_mean_gradient:diff_median"]
    assert top.rho == pytest.approx(stats.spearmanr(t["param:X"], benefit).statistic,
                                    abs=1e-12)
    z = next(a for a in s if a.feature == "param:Z")
    assert z.rho == pytest.approx(stats.spearmanr(t["param:Z"], benefit).statistic, abs=1e-12)
    assert not z.predicts and z.lo < 0 < z.hi


def test_responder_curve_rises_with_the_predictive_feature():
    t = _table(n=400)
    improved = (t["AV_mean_gradient:diff_median"] < -20).astype(float).to_numpy()
    c, share, lo, hi = responder_curve(t["param:X"].to_numpy(), improved)
    assert len(c) == 5 and np.all(np.diff(c) > 0)
    assert share[-1] > share[0] + 0.5
    assert np.all((lo <= share) & (share <= hi) & (hi - lo < 0.3)) and np.all(hi <= 1)
    # Wilson 90 % interval of 8 of 10 by hand (z = 1.645): centre (0.8 + z²/20)/(1 + z²/10),
    # half-width z·sqrt(0.8·0.2/10 + z²/400)/(1 + z²/10) → 0.5408 to 0.9314
    _, s1, lo1, hi1 = responder_curve(np.arange(10.0), np.r_[np.ones(8), np.zeros(2)], bins=1)
    assert (lo1[0], hi1[0]) == pytest.approx((0.5408, 0.9314), abs=2e-4)
