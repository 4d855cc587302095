"""The What-if step on a plug-in model (review16 #2): the shipped single-ventricle example
runs a what-if with the panel's default response. The reflex needs a right ventricle, so the
panel switches to acute, unregulated and says why; the table and the live preview show the
model's own metrics and name the default rows it does not provide; the loops are drawn
through the model's roles."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("tv_single_ventricle")

from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.prepared import loop_curves  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.testing import plugin_config, plugin_registry  # noqa: E402, F401
from twinviewer.twins import twin_from_preset  # noqa: E402


@pytest.fixture
def state(plugin_registry, qtbot):  # noqa: F811
    plugin_registry()
    s = TwinState()
    yield s
    qtbot.waitUntil(lambda: not s.jobs, timeout=180_000)
    s.close()


def test_a_whatif_runs_on_a_single_ventricle_with_the_default_response(state, qtbot):
    panel = ScenarioPanel(state)
    qtbot.addWidget(panel)
    assert panel.regulation == "regulated"
    state.session.open_twin(twin_from_preset("teaching_single_ventricle", n=6))
    assert panel.regulation == "acute"
    item = panel.regulation_box.model().item(panel.regulation_box.findData("regulated"))
    assert not item.isEnabled() and "right ventricular contractility" in item.toolTip()
    assert "not offered for this twin" in panel.error_label.text()

    panel.select_intervention("vasodilator")
    assert panel.add_scenario()
    panel.run_all()
    qtbot.waitUntil(lambda: panel.job is None and not state.jobs, timeout=180_000)
    results = state.session.scenario_results
    assert len(results) == 1 and not panel.failed, panel.failed_label.text()
    assert "LVEDP" not in panel.table.metrics and "MAP" in panel.table.metrics
    assert "Not provided by this model (6): LVEDP, LAP" in panel.flags_label.text()
    assert loop_curves(next(iter(results.values())))  # PV / Wiggers drawn through roles

    r = panel._predict_here(state.twin, Scenario("live", (InterventionStep("vasodilator",
                                                                            {}),), "acute"))
    panel._show_live(r, "acute")
    assert "Δ\u00a0MAP" in panel.live_label.text()

    # the next twin on a four-chamber model gets the regulated response back
    state.session.open_twin(twin_from_preset("healthy", n=4))
    assert panel.regulation == "regulated" and item.isEnabled()
