"""What-if panel: the '% better' footnote names metrics by their labels, and a scenario the
command line named in code ('tavi_sapien3(size=26)') is listed in words with its mode
(review8 #10)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QLabel  # noqa: E402

from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.interventions.scenario import scenario_label  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


def test_footnote_and_cli_named_scenarios_in_words(qtbot):
    state = TwinState()
    try:
        twin = twin_from_preset("severe_as", n=4, seed=2)
        steps = (InterventionStep("tavi_sapien3", {"size": 26.0}),)
        twin.scenarios = [Scenario(scenario_label(steps, "acute"), steps, "acute")]
        state.session.set_twin(twin)
        panel = ScenarioPanel(state)
        qtbot.addWidget(panel)
        note = panel.findChild(QLabel, "better_note").text()
        assert "Aortic valve mean gradient ↓" in note and "Mitral regurgitant fraction" in note
        assert "AV_mean_gradient" not in note and "MR_fraction" not in note
        items = [panel.scenario_list.item(i).text() for i in range(panel.scenario_list.count())]
        assert items == ["TAVI with SAPIEN 3 by size 26 mm [acute, unregulated]"]
    finally:
        state.close()
