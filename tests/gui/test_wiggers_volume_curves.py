"""Wiggers panel: the measured LV *and* RV volume curves beside the model's V(t), each with
the 90 % predictive interval a measured volume is judged against (calib4 items 2 and 3);
the calibration panel's fit table names the curve points the twin misses (item 1)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from tests.personalize.test_curve_calibration import _anatomy_from  # noqa: E402
from twinviewer.core.anatomy import Anatomy  # noqa: E402
from twinviewer.gui.calibration_panel import CalibrationPanel  # noqa: E402
from twinviewer.gui.plots import (  # noqa: E402
    MEASURED_LABEL,
    PREDICTIVE_LABEL,
    WiggersPanel,
    measured_band,
    measured_curve,
)
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import simulate_twin, twin_from_preset  # noqa: E402


def _curve_anatomy(res) -> Anatomy:
    """25-phase LV and RV volumes of simulated member 0 (with 4 % segmentation error)."""
    return _anatomy_from(res, 0, np.random.default_rng(1))[0]


@pytest.fixture
def state(qtbot):
    st = TwinState()
    twin = twin_from_preset("healthy", n=16)
    res = simulate_twin(twin)
    twin = twin_from_preset("healthy", n=16, anatomy=_curve_anatomy(res))
    st.session.set_twin(twin)
    st.session.set_results(res)
    yield st
    st.close()


def test_lv_and_rv_curves_drawn_with_their_predictive_interval(qtbot, state):
    panel = WiggersPanel(state)
    qtbot.addWidget(panel)
    panel.ensure_built()  # built empty, filled when first shown
    for plot, chamber in ((panel.p_vol, "LV"), (panel.p_rvol, "RV")):
        names = [it.name() for it in plot.listDataItems()]
        assert chamber in names and MEASURED_LABEL in names and PREDICTIVE_LABEL in names
        curve = measured_curve(state.twin.anatomy, chamber)
        pts = next(it for it in plot.listDataItems() if it.name() == MEASURED_LABEL)
        assert sorted(pts.getData()[1]) == pytest.approx(sorted(curve.volumes_ml))
        # the dashed band is the calibration's interval of a measured point, not the
        # ensemble's: wider than the ensemble's own 5–95 % at every phase
        phase, lo, hi = measured_band(state.results, curve)
        v = np.asarray(state.results.series[f"V_{chamber}"])
        assert len(phase) == 25 and np.all(hi > lo)
        assert np.mean(hi - lo) > np.mean(np.percentile(v, 95, axis=0)
                                          - np.percentile(v, 5, axis=0))
        lines = [it for it in plot.listDataItems() if it.name() == PREDICTIVE_LABEL]
        assert sorted(lines[0].getData()[1]) == pytest.approx(sorted(lo))
    assert panel.p_rvol.isVisible()
    assert "LV and RV volume measured ± 1 SD" in panel.key.text()
    assert "predictive interval" in panel.key.text()
    assert "segmentation error" in panel.key.toolTip()


def test_rv_row_hidden_for_a_model_without_an_rv(qtbot, state):
    panel = WiggersPanel(state)
    qtbot.addWidget(panel)
    panel.ensure_built()  # built empty, filled when first shown
    res = state.results
    series = {k: v for k, v in res.series.items() if k != "V_RV"}
    from dataclasses import replace

    panel.set_results(replace(res, series=series))
    assert not panel.p_rvol.isVisible() and panel.measured_chambers == ["LV"]


def test_fit_table_names_the_curve_points_the_twin_misses(qtbot, state):
    from twinviewer.personalize.volume_curve import CurveFitSummary

    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    ph = np.arange(25) / 25
    meas = np.interp(ph, [0, 0.4, 0.72, 0.88, 1.0], [180, 72, 150, 150, 180])
    med = np.where(ph == 0, 152.0, meas)
    s = CurveFitSummary("LV", ph, meas, np.full(25, 8.0), np.full(25, 15.0), med, med - 8,
                        med + 8, med - 25, med + 25, (med - meas) / 17.0, 0.6, 860.0,
                        "biv-me mesh")
    panel._fill_fit(SimpleNamespace(fit=[], curve_fit=[s]))
    t = panel.fit_table
    assert t.rowCount() == 1
    assert t.item(0, 0).text() == "LV volume curve at 0.00 R-R (end-diastole)"
    assert t.item(0, 1).text().startswith("180 ± 8")
    assert "twin 28 mL below the curve" in t.item(0, 5).text()
    assert "late-diastolic (atrial) filling: curve +30 mL" in t.item(0, 5).text()
    # a saved calibration's curves (to_dict) give the same rows when reopened
    panel._fill_fit(SimpleNamespace(fit=[], curve_fit=[CurveFitSummary.from_dict(s.to_dict())]))
    assert t.item(0, 0).text() == "LV volume curve at 0.00 R-R (end-diastole)"
