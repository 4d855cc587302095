"""The live preview's point estimate is read against its own baseline (review12b #2: a
best-fit point at LVEF 39.5 % in an ensemble at 29 % showed CO 3.4 beside the ensemble's
baseline 3.2 — a rise, where the β-blocker lowers output)."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.single import SingleTwinPredictor, point_changes
from twinviewer.physiology import get_preset, simulate


def test_the_point_s_change_is_paired_on_its_own_baseline():
    p = get_preset("hfref")
    fast = SingleTwinPredictor(p.model, p.vector())
    sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),), "regulated")
    r = fast.predict(sc)
    own = simulate(p.model, p.vector().reshape(1, -1)).metrics
    ch = point_changes(r, ("CO", "MAP", "LVEDP"))
    assert set(ch) == {"CO", "MAP", "LVEDP"}
    for name, (x0, d) in ch.items():
        assert np.isclose(x0, float(own[name][0]), rtol=1e-3, atol=1e-3), name
        assert np.isclose(x0 + d, float(r.metrics[name][0])), name
    assert ch["CO"][1] < 0  # the β-blocker lowers this heart's output
