"""The live what-if preview predicts what the form says, and nothing else."""

from __future__ import annotations

from twinviewer.gui.scenario_panel import ScenarioPanel
from twinviewer.gui.state import TwinState
from twinviewer.twins import twin_from_preset


def test_live_preview_uses_the_form_values_only(qtbot):
    state = TwinState()
    state.session.open_twin(twin_from_preset("healthy", n=4))
    panel = ScenarioPanel(state)
    qtbot.addWidget(panel)
    panel.select_intervention("beta_blocker")
    panel.set_setting("dose", 10.0)
    assert panel.add_step()  # an earlier step of the scenario being built
    panel.set_setting("dose", 5.0)  # the form now says 5 mg
    live = panel.live_scenario()
    assert len(live.steps) == 1 and live.steps[0].name == "beta_blocker"
    assert live.steps[0].settings["dose"] == 5.0
    assert "5" in panel.slider_label.text() and "10" not in panel.slider_label.text()
    panel.update_live()
    assert panel.live_updates >= 1
    state.close()
