"""The model-discrepancy term: unmeasured predictions only, growing with atypicality."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import calibrate
from twinviewer.personalize.discrepancy import (
    LEARNED,
    TEST_SEED,
    TRAIN_SEED,
    Discrepancy,
    default_discrepancy,
)
from twinviewer.twins import twin_from_preset


def test_term_grows_with_atypicality_and_is_zero_where_not_learned():
    d = Discrepancy({"LVEDP": (1.0, 0.2, 1.0)})
    assert d.scale("LVEDP") == pytest.approx((1.0, 0.2))
    assert d.scale("LVEDP", atypicality=0.5) == pytest.approx((1.0, 0.2))
    assert d.scale("LVEDP", atypicality=5.0) == pytest.approx((np.sqrt(5), 0.2 * np.sqrt(5)))
    assert d.scale("MAP") == (0.0, 0.0)
    # relative (log-normal) part: the spread of log(x) grows by the log-SD
    x = np.full(200, 10.0)
    y = Discrepancy({"LVEDP": (0.0, 0.2, 0.0)}).predictive_samples("LVEDP", x)
    assert np.log(y).std() == pytest.approx(0.2, rel=0.05) and (y > 0).all()
    x = np.linspace(5, 10, 40)
    assert np.array_equal(d.predictive_samples("MAP", x), x)


def test_learned_terms_cover_the_judged_outputs_and_seeds_differ():
    assert set(LEARNED) == {"LVEDP", "LAP", "PASP", "SW", "CO"}
    assert TRAIN_SEED != TEST_SEED  # learned on other patients than it is tested on
    assert default_discrepancy().terms == LEARNED


def test_only_unmeasured_predictions_are_widened():
    twin = twin_from_preset("healthy", n=1)
    ms = [M("SBP", 126, "mmHg", 6, "cuff"), M("DBP", 80, "mmHg", 5, "cuff"),
          M("LVEDV", 135, "mL", 10, "echo"), M("LVESV", 55, "mL", 8, "echo")]
    r = calibrate(twin, ms, n=32, point_estimate=False)
    raw = r.results.metrics["SBP"][r.results.ok]
    assert r.predictive("SBP")[1:] == pytest.approx(tuple(np.quantile(raw, [0.05, 0.95])))
    shown = r.unmeasured_predictions()
    assert "SBP" not in shown and "LVEDP" in shown and shown["LVEDP"][3] == "mmHg"
    for k in ("LVEDP", "LAP", "PASP"):
        raw = r.results.metrics[k][r.results.ok]
        med, lo, hi = r.predictive(k)
        rlo, rhi = np.quantile(raw, [0.05, 0.95])
        assert lo < med < hi and hi - lo > rhi - rlo
    assert "unmeasured predictions (90 % interval: posterior ensemble ⊕ learned model " \
           "discrepancy)" in r.summary()
    assert r.to_dict()["unmeasured_predictions"]["LVEDP"][3] == "mmHg"
